// The fixture of docs/fixture.md, as a user would write a regression test: one definition, run
// on both backends.

import { describe, expect, it } from 'vitest';
import { REG } from '../../src/abi/regs.js';
import { BACKENDS, withHost } from '../../src/testing/fixture.js';

describe.each(BACKENDS)('fixture example on %s', (backend) => {
  it('keeps SCRATCH across a soft reset, which clears the statistics', async () => {
    const run = await withHost(backend, async ({ dev, info }) => {
      expect(info!.rxQueues).toBe(4);
      await dev.writeReg(REG.SCRATCH, 0x1234);
      await dev.writeReg(REG.CTRL, 1);
      expect(await dev.readReg(REG.SCRATCH)).toBe(0x1234);
      expect(await dev.readReg(REG.STAT_RX_FRAMES)).toBe(0);
    });
    expect(run.dmaDebugErrors).toBe(0);
    expect(run.cycles).toBeGreaterThan(0);
  });
});
