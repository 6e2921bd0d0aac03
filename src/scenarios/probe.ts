// probe: discover the device and exercise its register block, including refused programming.

import { REG, queueReg } from '../abi/regs.js';
import { type Device, MmioError } from '../device/device.js';
import { ZcnicDriver } from '../drivers/zcnic/zcnic.js';
import type { Scenario } from './types.js';
import { hex } from '../lib/hex.js';
import { hostInstance, hostReport, scenarioHost } from '../host/machine.js';


async function expectRefused(dev: Device, offset: number, value: number, resp: MmioError['resp']): Promise<void> {
  const before = await dev.readReg(offset).catch(() => undefined);
  const e = await dev.writeReg(offset, value).then(() => undefined, (err: unknown) => err);
  if (!(e instanceof MmioError) || e.resp !== resp) {
    throw new Error(`writing ${hex(value)} at ${hex(offset)} was not refused with ${resp} (got ${String(e)})`);
  }
  const after = await dev.readReg(offset).catch(() => undefined);
  if (after !== before) throw new Error(`register ${hex(offset)} changed from ${String(before)} to ${String(after)} on a refused write`);
}

export const probeScenario: Scenario = {
  name: 'probe',
  description: 'probe the device, check scratch and register error responses',
  maxCycles: 200_000,
  setup() {
    const h = scenarioHost('strict');
    let info: Record<string, unknown> = {};
    return {
      ...hostInstance(h),
      async main(dev) {
        const drv = new ZcnicDriver(dev, h.host, h.pdev);
        const i = await drv.probe();
        info = { ...i, version: `${i.version.major}.${i.version.minor}.${i.version.patch}`, abiHash: hex(i.abiHash), id: hex(i.id) };
        for (const v of [0xa5a5a5a5, 0x5a5a5a5a, 0]) {
          await dev.writeReg(REG.SCRATCH, v);
          const got = await dev.readReg(REG.SCRATCH);
          if (got !== v) throw new Error(`SCRATCH reads ${hex(got)} after writing ${hex(v)}`);
        }
        // Invalid register programming must be refused with an error response, value kept.
        await dev.writeReg(REG.COPY_DESC_ADDR, 0x1000);
        const refused = await dev.writeReg(REG.COPY_DESC_ADDR, 0x1004).then(() => undefined, (e: unknown) => e);
        if (!(refused instanceof MmioError) || refused.resp !== 'SLVERR') {
          throw new Error(`a misaligned COPY_DESC_ADDR was not refused with SLVERR (got ${String(refused)})`);
        }
        const kept = await dev.readReg(REG.COPY_DESC_ADDR);
        if (kept !== 0x1000) throw new Error(`COPY_DESC_ADDR reads ${hex(kept)} after a refused write, expected 0x1000`);
        // Queue registers: a buffer size out of range and a doorbell beyond the ring are refused,
        // a queue the device does not have answers DECERR.
        await expectRefused(dev, queueReg('rx', 0, 'BUF_SIZE'), 100, 'SLVERR');
        await expectRefused(dev, queueReg('tx', 0, 'PROD'), 17, 'SLVERR');
        await expectRefused(dev, queueReg('rx', i.rxQueues, 'CTRL'), 1, 'DECERR');
        await drv.remove();
        h.host.debug?.assertClean(true);
      },
      report: () => ({ device: info, ...hostReport(h) }),
    };
  },
};
