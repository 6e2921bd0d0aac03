// dma-direct, after kernel/dma/direct.{c,h}: without a translating IOMMU the bus address is the
// physical address (identity on x86). A buffer the device cannot reach in full goes through
// swiotlb if there is one, and is a mapping error (with one WARN) if not.

import { hex } from '../lib/hex.js';
import { __GFP_DMA, __GFP_DMA32, __GFP_HIGHMEM, __GFP_ZERO, GFP_DMA32, get_order, type Gfp, type Page } from '../mem/page_alloc.js';
import { PAGE_SIZE } from '../mem/phys.js';
import type { Device } from './device.js';
import type { Scatterlist } from './scatterlist.js';
import { dma_capable, swiotlb_map } from './swiotlb.js';
import { DMA_ATTR_SKIP_CPU_SYNC, DMA_BIT_MASK, DMA_MAPPING_ERROR, EIO, type DmaDataDirection, type dma_addr_t } from './types.js';

/** dma_direct_supported: every mask of 32 bits or more; below, only if all RAM fits under it. */
export function dma_direct_supported(dev: Device, mask: bigint): boolean {
  if (mask >= DMA_BIT_MASK(32)) return true;
  // No ZONE_DMA in this model (CONFIG_ZONE_DMA=n): min_mask = (max_pfn - 1) << PAGE_SHIFT.
  const min_mask = BigInt(dev.host.mem.maxPfn - 1) * BigInt(PAGE_SIZE);
  return mask >= min_mask;
}

function is_swiotlb_buffer(dev: Device, pa: bigint): boolean {
  return dev.host.swiotlb?.is_swiotlb_buffer(pa) ?? false;
}

/** dma_direct_map_page (phys = page_to_phys(page) + offset). */
export function dma_direct_map_page(dev: Device, phys: bigint, size: number, dir: DmaDataDirection, attrs: number): dma_addr_t {
  const swiotlb = dev.host.swiotlb;
  if (swiotlb?.force) return swiotlb_map(dev, phys, size, dir, attrs);
  if (!dma_capable(dev, phys, size)) {
    if (swiotlb !== null) return swiotlb_map(dev, phys, size, dir, attrs);
    dev.host.klog.warnOnce(
      'dma_direct_map_page',
      `${dev.driver ?? 'pci'} ${dev.name}: DMA addr ${hex(phys, 16)}+${size} overflow (mask ${(dev.dma_mask ?? 0n).toString(16)}, bus limit ${dev.bus_dma_limit.toString(16)}).`,
    );
    return DMA_MAPPING_ERROR;
  }
  // Coherent x86: no cache maintenance.
  return phys;
}

export function dma_direct_sync_single_for_cpu(dev: Device, addr: dma_addr_t, size: number, dir: DmaDataDirection): void {
  if (is_swiotlb_buffer(dev, addr)) dev.host.swiotlb!.swiotlb_sync_single_for_cpu(dev, addr, size, dir);
}

export function dma_direct_sync_single_for_device(dev: Device, addr: dma_addr_t, size: number, dir: DmaDataDirection): void {
  if (is_swiotlb_buffer(dev, addr)) dev.host.swiotlb!.swiotlb_sync_single_for_device(dev, addr, size, dir);
}

export function dma_direct_unmap_page(dev: Device, addr: dma_addr_t, size: number, dir: DmaDataDirection, attrs: number): void {
  if (!(attrs & DMA_ATTR_SKIP_CPU_SYNC)) dma_direct_sync_single_for_cpu(dev, addr, size, dir);
  if (is_swiotlb_buffer(dev, addr)) dev.host.swiotlb!.swiotlb_tbl_unmap_single(dev, addr, size, dir, attrs | DMA_ATTR_SKIP_CPU_SYNC);
}

/** dma_direct_map_sg: one mapping per entry; on failure, undo the ones made and return -EIO. */
export function dma_direct_map_sg(dev: Device, sg: Scatterlist[], nents: number, dir: DmaDataDirection, attrs: number): number {
  for (let i = 0; i < nents; i++) {
    const s = sg[i]!;
    s.dma_address = dma_direct_map_page(dev, s.phys, s.length, dir, attrs);
    if (s.dma_address === DMA_MAPPING_ERROR) {
      dma_direct_unmap_sg(dev, sg, i, dir, attrs | DMA_ATTR_SKIP_CPU_SYNC);
      return -EIO;
    }
    s.dma_length = s.length;
  }
  return nents;
}

export function dma_direct_unmap_sg(dev: Device, sg: Scatterlist[], nents: number, dir: DmaDataDirection, attrs: number): void {
  for (let i = 0; i < nents; i++) {
    const s = sg[i]!;
    if (s.dma_length === 0) break;
    dma_direct_unmap_page(dev, s.dma_address, s.dma_length, dir, attrs);
  }
}

export interface DirectAllocation {
  readonly cpu_addr: bigint;
  readonly dma_handle: dma_addr_t;
  readonly page: Page;
}

/**
 * dma_direct_alloc: zeroed pages the device reaches directly. With a 32-bit coherent mask they come
 * from ZONE_DMA32 (dma_direct_optimal_gfp_mask); a page that is not reachable is retried in DMA32.
 */
export function dma_direct_alloc(dev: Device, size: number, gfp0: Gfp): DirectAllocation | null {
  const alloc = Math.ceil(size / PAGE_SIZE) * PAGE_SIZE;
  const order = get_order(alloc);
  let gfp = (gfp0 & ~(__GFP_DMA | __GFP_DMA32 | __GFP_HIGHMEM)) | __GFP_ZERO;
  const phys_limit = dev.coherent_dma_mask;
  if (phys_limit <= DMA_BIT_MASK(32)) gfp |= GFP_DMA32;
  for (;;) {
    const page = dev.host.pages.alloc_pages(gfp, order);
    if (page === null) return null;
    if (page.phys + BigInt(alloc) - 1n <= min(phys_limit, dev.bus_dma_limit)) return { cpu_addr: page.phys, dma_handle: page.phys, page };
    dev.host.pages.__free_pages(page, order);
    if (gfp & GFP_DMA32) return null;
    gfp |= GFP_DMA32;
  }
}

function min(mask: bigint, limit: bigint): bigint {
  return limit !== 0n && limit < mask ? limit : mask;
}

export function dma_direct_free(dev: Device, page: Page): void {
  dev.host.pages.__free_pages(page, page.order);
}
