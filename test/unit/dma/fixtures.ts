// Shared set-up for the DMA/IOMMU tests: a platform, one device bound to "zcnic", its DMA port.

import { ManualClock } from '../../../src/platform/clock.js';
import type { DeviceDmaPort } from '../../../src/platform/dma_port.js';
import { HostPlatform, type CreateDeviceOptions, type Device, type HostPlatformOptions } from '../../../src/platform/host.js';

export interface Rig {
  readonly clock: ManualClock;
  readonly p: HostPlatform;
  readonly dev: Device;
  readonly port: DeviceDmaPort;
}

export function rig(opts: Omit<HostPlatformOptions, 'clock'> = {}, devOpts: CreateDeviceOptions = {}): Rig {
  const clock = new ManualClock(4000); // 250 MHz: 2_500_000 cycles = 10 ms
  const p = new HostPlatform({ clock, ...opts });
  const dev = p.createDevice({ driver: 'zcnic', ...devOpts });
  return { clock, p, dev, port: p.deviceDmaPort(dev) };
}

export const bytes = (n: number, seed = 1): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);

/** Cycles of the ManualClock(4000) above in `ms` milliseconds. */
export const msCycles = (ms: number): number => ms * 250_000;
