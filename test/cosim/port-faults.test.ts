// Host replies the burst-level port could not apply are refused on the simulator end as before:
// a fake host sends them to the real RTL behind PORT=dpi, which must answer ERROR with the code
// the Python port gives (E_SEQUENCE, E_BAD_FIELD), print it, and exit with that code.

import { describe, it } from 'vitest';
import { empty, expectSimFault, fakeHost, packr } from '../unit/bridge/fake-host.js';
import { scratchDir } from '../scratch.js';

const dpi = (): string[] => ['-m', 'zcnic_tb.cosim', '--port', 'dpi', '--quiet', '--run-dir', scratchDir('zcnic-port-faults')];
// batch 0 answered with these messages (stamped past the lookahead), the rest empty
const first = (msgs: unknown[]) => (seq: number) => (seq === 0 ? packr.pack([3, 0, msgs]) : empty(seq));
const opts = () => ({ module: dpi(), startupMs: 15_000 });

describe('the burst-level port refuses replies it cannot apply', () => {
  it('a read completion for a tag with no read outstanding: E_SEQUENCE', async () => {
    await expectSimFault(await fakeHost(first([[64, 300, 77, 0, new Uint8Array(8)]])), 'E_SEQUENCE', /DMA_RD_CPL at cycle 300 for tag 77: no read burst outstanding/, opts());
  });

  it('a write completion for a tag with no write outstanding: E_SEQUENCE', async () => {
    await expectSimFault(await fakeHost(first([[65, 300, 5, 0]])), 'E_SEQUENCE', /DMA_WR_CPL at cycle 300 for tag 5: no write burst outstanding/, opts());
  });

  it('a register access outside the window or unaligned: E_BAD_FIELD', async () => {
    await expectSimFault(await fakeHost(first([[66, 300, 1, 0x2000]])), 'E_BAD_FIELD', /MMIO_RD id 1 at cycle 300: addr 0x2000 is not a 4-byte aligned offset/, opts());
    await expectSimFault(await fakeHost(first([[67, 300, 2, 0x102, 7]])), 'E_BAD_FIELD', /MMIO_WR id 2 at cycle 300: addr 0x102 is not a 4-byte aligned offset/, opts());
  });
});
