// struct device as the DMA layer sees it: masks, bus limit, coherence, the IOMMU default domain,
// and the host it belongs to (memory, IOMMU, swiotlb, dma-debug, log, clock).

import type { Iommu, IommuDomain } from '../iommu/iommu.js';
import type { KernelLog } from '../mem/klog.js';
import type { PageAllocator } from '../mem/page_alloc.js';
import type { PhysMem } from '../mem/phys.js';
import type { SimClock } from '../platform/clock.js';
import type { DmaDebug } from './debug.js';
import type { Swiotlb } from './swiotlb.js';
import { DMA_BIT_MASK } from './types.js';

/** What a device reaches through `dev->...` in the kernel. */
export interface DmaHost {
  readonly clock: SimClock;
  readonly klog: KernelLog;
  readonly mem: PhysMem;
  readonly pages: PageAllocator;
  readonly iommu: Iommu | null;
  readonly swiotlb: Swiotlb | null;
  readonly debug: DmaDebug | null;
  /** Run timers due at the current simulated time (flush queue, IOVA depot). */
  poll(): void;
}

/** struct device_dma_parameters. */
export interface DeviceDmaParms {
  max_segment_size: number;
  segment_boundary_mask: bigint;
}

export interface DeviceOptions {
  /** dev_name(): the PCI address, e.g. "0000:01:00.0". */
  readonly name: string;
  readonly driver?: string | null;
  /** pci_dev->untrusted (external-facing port): forced to a strict DMA domain. */
  readonly untrusted?: boolean;
  readonly dma_coherent?: boolean;
}

let nextDeviceId = 1;

export class Device {
  readonly id = nextDeviceId++;
  readonly name: string;
  driver: string | null;
  /** *dev->dma_mask; null models a device without a dma_mask pointer (dma_set_mask gives -EIO). */
  dma_mask: bigint | null = DMA_BIT_MASK(32);
  coherent_dma_mask: bigint = DMA_BIT_MASK(32);
  bus_dma_limit = 0n;
  dma_coherent: boolean;
  readonly untrusted: boolean;
  dma_parms: DeviceDmaParms | null = null;
  /** The IOMMU default domain; null without an IOMMU. */
  iommu_domain: IommuDomain | null = null;
  /** dev->iommu->pci_32bit_workaround: try IOVAs below 4 GiB first (cleared by iommu.forcedac=1). */
  pci_32bit_workaround = true;

  constructor(
    readonly host: DmaHost,
    opts: DeviceOptions,
  ) {
    this.name = opts.name;
    this.driver = opts.driver ?? null;
    this.untrusted = opts.untrusted ?? false;
    this.dma_coherent = opts.dma_coherent ?? true;
  }

  /** Bus:device.function as DMAR prints it ("01:00.0" for "0000:01:00.0"). */
  get bdf(): string {
    const m = /^[0-9a-f]{4}:(.*)$/i.exec(this.name);
    return m?.[1] ?? this.name;
  }

  /** get_dma_ops(): dma-iommu for translated DMA-API domains, dma-direct otherwise. */
  get usesIommuDma(): boolean {
    return this.iommu_domain !== null && this.iommu_domain.isDmaApi;
  }
}

/** dma_get_seg_boundary(): ULONG_MAX without dma_parms. */
export function dma_get_seg_boundary(dev: Device): bigint {
  return dev.dma_parms?.segment_boundary_mask ?? (1n << 64n) - 1n;
}

/** dma_get_max_seg_size(): SZ_64K without dma_parms. */
export function dma_get_max_seg_size(dev: Device): number {
  return dev.dma_parms?.max_segment_size ?? 0x10000;
}

/** dma_get_mask(): DMA_BIT_MASK(32) when no mask is set. */
export function dma_get_mask(dev: Device): bigint {
  return dev.dma_mask ?? DMA_BIT_MASK(32);
}
