// Every bridge fault, seen from the simulator end: a fake host sends the offending frame to the
// real Python end (zcnic_tb.nosim: the same link code the cocotb testbench runs). The simulator
// end must answer ERROR naming the cause (when the link is still up), print it, and exit with
// that cause's code, within 5 s.

import { describe, expect, it } from 'vitest';
import { MAX_FRAME, empty, expectSimFault, fakeHost, packr, runSim, welcome } from './fake-host.js';

/** Batch 0 is answered with `bad`; the rest empty. */
const atFirst = (bad: Uint8Array | string | 'close' | null) => (seq: number) => (seq === 0 ? bad : empty(seq));

describe('simulator end: every fault ends the run with its code and a message', () => {
  it('malformed msgpack', async () => {
    await expectSimFault(await fakeHost(atFirst(new Uint8Array([0x93, 0x03]))), 'E_MALFORMED', /.*msgpack/);
  });

  it('a frame that is not an array', async () => {
    await expectSimFault(await fakeHost(atFirst(packr.pack({ a: 1 }))), 'E_MALFORMED', /.*array/);
  });

  it('a text frame', async () => {
    await expectSimFault(await fakeHost(atFirst('hello')), 'E_MALFORMED', /.*text frame/);
  });

  it('an unknown frame kind', async () => {
    await expectSimFault(await fakeHost(atFirst(packr.pack([42, 0, []]))), 'E_UNKNOWN_TYPE', /.*42/);
  });

  it('an unknown message type', async () => {
    await expectSimFault(await fakeHost(atFirst(packr.pack([3, 0, [[99, 300]]]))), 'E_UNKNOWN_TYPE', /.*99/);
  });

  it('a device-to-host message sent by the host', async () => {
    await expectSimFault(await fakeHost(atFirst(packr.pack([3, 0, [[3, 300, 0]]]))), 'E_UNKNOWN_TYPE', /.*IRQ/);
  });

  it('a field of the wrong type', async () => {
    await expectSimFault(await fakeHost(atFirst(packr.pack([3, 0, [[66, 300, 'one', 0]]]))), 'E_BAD_FIELD', /.*MMIO_RD.*id/);
  });

  // ETH_RX's range rules (frame 1..16384 bytes, port 0, flags BAD only) and MARK's field widths.
  for (const [what, m, message] of [
    ['a zero-length ETH_RX frame', [68, 300, 0, 0, new Uint8Array(0)], /BATCH seq 0 msg #0 ETH_RX at cycle 300: field frame is 0 bytes, at least 1 allowed/],
    ['an ETH_RX frame beyond 16 KiB', [68, 300, 0, 0, new Uint8Array(16385)], /ETH_RX at cycle 300: field frame is 16385 bytes, at most 16384 allowed/],
    ['an ETH_RX flag bit v2 does not define', [68, 300, 0, 0x80, new Uint8Array(60)], /ETH_RX at cycle 300: field flags 0x80 has bits outside the defined 0x1/],
    ['an ETH_RX on port 1', [68, 300, 1, 0, new Uint8Array(60)], /ETH_RX at cycle 300: field port 1 is above its maximum 0/],
    ['an ETH_RX without its flags field (v1)', [68, 300, 0, new Uint8Array(60)], /ETH_RX: 2 fields, expected 3/],
    ['a MARK index wider than tb_evt_index', [70, 300, 1, 0, 0x10000], /MARK at cycle 300: field index 65536 is above its maximum 65535/],
  ] as const) {
    it(what, async () => {
      await expectSimFault(await fakeHost(atFirst(packr.pack([3, 0, [m]]))), 'E_BAD_FIELD', message);
    });
  }

  it('good ETH_RX frames and MARKs at the bounds pass the checks', async () => {
    const host = await fakeHost((seq) => (seq === 0
      ? packr.pack([3, 0, [[68, 300, 0, 1, new Uint8Array(16384)], [68, 300, 0, 0, new Uint8Array(1)], [70, 300, 255, 255, 0xffff], [69, 640, 0]]])
      : empty(seq)));
    const r = await runSim(host.url);
    expect(r.code, r.stderr).toBe(0);
    expect(host.fromSim.at(-1)).toEqual([5, 640, 'finish']);
  });

  it('an oversized frame', async () => {
    await expectSimFault(await fakeHost(atFirst(new Uint8Array(MAX_FRAME + 1))), 'E_OVERSIZE', /.*/, { tellsHost: false });
  });

  it('a protocol version mismatch in WELCOME', async () => {
    await expectSimFault(await fakeHost(atFirst(empty(0)), welcome({ proto: 7 })), 'E_PROTOCOL_VERSION', /host speaks protocol 7, simulator speaks 2/);
  });

  it('an ABI mismatch in WELCOME', async () => {
    await expectSimFault(await fakeHost(atFirst(empty(0)), welcome({ abi_hash: 'f'.repeat(64) })), 'E_ABI_MISMATCH', /.*/);
  });

  it('a parameter mismatch in WELCOME', async () => {
    await expectSimFault(await fakeHost(atFirst(empty(0)), welcome({ sync_window: 64 })), 'E_PARAM_MISMATCH', /WELCOME sync_window = 64, simulator has 128/);
  });

  it('an effect stamped inside the lookahead', async () => {
    // Reply to batch 0 (sync 0) must be stamped >= 0 - 128 + 256 = 128.
    await expectSimFault(await fakeHost(atFirst(packr.pack([3, 0, [[66, 100, 0, 0]]]))), 'E_CAUSALITY', /stamped cycle 100 < 128/);
  });

  it('a timestamp going backwards inside a reply', async () => {
    await expectSimFault(await fakeHost(atFirst(packr.pack([3, 0, [[66, 400, 0, 0], [66, 300, 1, 0]]]))), 'E_TIME_BACKWARDS', /cycle 300 < previous message's cycle 400/);
  });

  it('a reply for the wrong batch', async () => {
    await expectSimFault(await fakeHost(atFirst(empty(5))), 'E_SEQUENCE', /reply for batch 5 received, expected the reply to batch 0/);
  });

  it('the host going away', async () => {
    await expectSimFault(await fakeHost(atFirst('close')), 'E_PEER_GONE', /.*/, { tellsHost: false });
  });

  it('the host reporting an error', async () => {
    await expectSimFault(await fakeHost(atFirst(packr.pack([4, 'E_SCENARIO', 'driver gave up']))), 'E_PEER_ERROR', /peer reported E_SCENARIO: driver gave up/, { tellsHost: false });
  });

  it('a silent host (wall-clock timeout)', async () => {
    await expectSimFault(await fakeHost(() => null), 'E_TIMEOUT', /.*/);
  });

  it('a wrong token', async () => {
    const host = await fakeHost(atFirst(empty(0)), welcome(), { token: 'sesame' });
    await expectSimFault(host, 'E_AUTH', /.*/, { tellsHost: false, extra: ['--token', 'wrong'] });
  });

  it('a finished run exits 0 after FINISH with BYE', async () => {
    const host = await fakeHost((seq) => (seq === 2 ? packr.pack([3, seq, [[69, 640, 0]]]) : empty(seq)));
    const r = await runSim(host.url);
    expect(r.code, r.stderr).toBe(0);
    expect(host.fromSim.at(-1)).toEqual([5, 640, 'finish']);
  });
});
