// The machine every scenario, the fixture and the bench start from: 16 GiB of RAM (most of it above 4 GiB), one NIC whose DMA
// reaches 32 bits, and either an IOMMU in the given mode or no IOMMU (dma-direct + swiotlb).

import { ManualClock } from '../platform/clock.js';
import type { DeviceDmaPort } from '../platform/dma_port.js';
import { HostPlatform, type Device as DmaDevice } from '../platform/host.js';
import { LINK_DEFAULTS } from '../abi/link.js';
import { DEFAULT_BUILD } from '../abi/regs.js';

/** The IOMMU's mode, or 'off': no IOMMU (dma-direct, swiotlb). The same names as make sim IOMMU=. */
export type IommuChoice = 'strict' | 'lazy' | 'passthrough' | 'off';

export interface ScenarioHost {
  readonly clock: ManualClock;
  readonly host: HostPlatform;
  /** The NIC's struct device. */
  readonly pdev: DmaDevice;
  readonly dma: DeviceDmaPort;
  onTime(cycle: number): void;
}

/** The NIC's DMA data path in bytes (nic_top's default DATA_WIDTH of 64 bits). */
export const NIC_DATA_BYTES = DEFAULT_BUILD.DATA_BYTES;

export function scenarioHost(iommu: IommuChoice, opts: { readonly swiotlb?: 'auto' | 'off'; readonly dataBytes?: number } = {}): ScenarioHost {
  const clock = new ManualClock(LINK_DEFAULTS.clockPeriodPs);
  const host = new HostPlatform({ clock, iommu: iommu === 'off' ? false : { mode: iommu }, swiotlb: opts.swiotlb ?? 'auto' });
  const pdev = host.createDevice({ name: '0000:01:00.0', driver: 'zcnic' });
  return {
    clock,
    host,
    pdev,
    dma: host.deviceDmaPort(pdev, opts.dataBytes ?? NIC_DATA_BYTES),
    onTime: () => host.runTimers(clock.nowNs),
  };
}

/** The parts of a ScenarioInstance that come from the host: its clock, DMA port and timers. */
export function hostInstance(h: ScenarioHost): { readonly clock: ManualClock; readonly dma: DeviceDmaPort; onTime(cycle: number): void; readonly platform: HostPlatform } {
  return { clock: h.clock, dma: h.dma, onTime: (c) => h.onTime(c), platform: h.host };
}

/** Platform figures for summary.json. */
export function hostReport(h: ScenarioHost): Record<string, unknown> {
  const s = h.host.stats();
  return {
    iommu: h.host.iommu ? 'on' : 'off',
    faults: h.host.faults.map((f) => ({ ...f, addr: `0x${f.addr.toString(16)}` })),
    iotlb: s.iotlb,
    swiotlb: s.swiotlb,
    dma_debug_errors: s.dmaDebugErrors,
    resident_pages: s.residentPages,
  };
}
