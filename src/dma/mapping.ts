// The DMA API a driver calls, after kernel/dma/mapping.c and include/linux/dma-mapping.h: masks,
// streaming mappings (single, page, scatter-gather), syncs, coherent allocations and
// dma_mapping_error. Each call goes to dma-direct (no IOMMU, or an identity domain) or to
// dma-iommu (a translated domain), and then to dma-debug.

import {
  iommu_dma_alloc,
  iommu_dma_free,
  iommu_dma_map_page,
  iommu_dma_map_sg,
  iommu_dma_unmap_page,
  iommu_dma_unmap_sg,
} from '../iommu/dma-iommu.js';
import { hex } from '../lib/hex.js';
import type { Gfp, Page } from '../mem/page_alloc.js';
import { PAGE_SIZE } from '../mem/phys.js';
import type { PhysPiece } from './debug.js';
import { dma_get_mask, type Device } from './device.js';
import {
  dma_direct_alloc,
  dma_direct_free,
  dma_direct_map_page,
  dma_direct_map_sg,
  dma_direct_supported,
  dma_direct_sync_single_for_cpu,
  dma_direct_sync_single_for_device,
  dma_direct_unmap_page,
  dma_direct_unmap_sg,
} from './direct.js';
import type { Scatterlist } from './scatterlist.js';
import {
  DMA_MAPPING_ERROR,
  DmaApiError,
  EINVAL,
  EIO,
  ENOMEM,
  min_not_zero,
  valid_dma_direction,
  type DmaDataDirection,
  type dma_addr_t,
} from './types.js';

export { dma_get_mask } from './device.js';

const U64_MAX = (1n << 64n) - 1n;

function checkDir(dev: Device, dir: number, addr?: bigint): asserts dir is DmaDataDirection {
  if (!valid_dma_direction(dir)) {
    const ctx = addr === undefined ? { device: dev.name } : { device: dev.name, addr };
    throw new DmaApiError('E_BUG_DIRECTION', `kernel BUG: invalid DMA direction ${dir} (${dev.name})`, ctx);
  }
}

// ---- masks ------------------------------------------------------------------------------------

/** dma_supported: dma-iommu accepts every mask; dma-direct needs 32 bits or all RAM below it. */
export function dma_supported(dev: Device, mask: bigint): boolean {
  if (dev.usesIommuDma) return true;
  return dma_direct_supported(dev, mask);
}

/** dma_set_mask: 0 or -EIO. The mask is truncated to dma_addr_t's 64 bits. */
export function dma_set_mask(dev: Device, mask0: bigint): number {
  const mask = mask0 & U64_MAX;
  if (dev.dma_mask === null || !dma_supported(dev, mask)) return -EIO;
  dev.dma_mask = mask;
  return 0;
}

export function dma_set_coherent_mask(dev: Device, mask0: bigint): number {
  const mask = mask0 & U64_MAX;
  if (!dma_supported(dev, mask)) return -EIO;
  dev.coherent_dma_mask = mask;
  return 0;
}

/** dma_set_mask_and_coherent: the coherent mask is set only if the streaming one was. */
export function dma_set_mask_and_coherent(dev: Device, mask: bigint): number {
  const rc = dma_set_mask(dev, mask);
  if (rc === 0) dma_set_coherent_mask(dev, mask);
  return rc;
}

/** dma_get_required_mask for dma-direct: enough bits for the highest RAM address. */
export function dma_get_required_mask(dev: Device): bigint {
  const lastByte = BigInt(dev.host.mem.maxPfn) * BigInt(PAGE_SIZE) - 1n;
  return (1n << BigInt(lastByte.toString(2).length)) - 1n;
}

/** dma_addressing_limited: can the device not reach all of RAM by itself? */
export function dma_addressing_limited(dev: Device): boolean {
  if (dev.usesIommuDma) return false;
  return min_not_zero(dma_get_mask(dev), dev.bus_dma_limit) < dma_get_required_mask(dev);
}

/** dma_max_mapping_size: swiotlb's 256 KiB when the device may be bounced; else unlimited. */
export function dma_max_mapping_size(dev: Device): number {
  const swiotlb = dev.host.swiotlb;
  if (!dev.usesIommuDma && swiotlb !== null && (swiotlb.force || dma_addressing_limited(dev))) return swiotlb.swiotlb_max_mapping_size();
  return Number.MAX_SAFE_INTEGER;
}

/** dma_mapping_error: -ENOMEM for DMA_MAPPING_ERROR, else 0 (and dma-debug notes the check). */
export function dma_mapping_error(dev: Device, dma_addr: dma_addr_t): number {
  dev.host.debug?.debug_dma_mapping_error(dev, dma_addr);
  return dma_addr === DMA_MAPPING_ERROR ? -ENOMEM : 0;
}

// ---- dma_dev_need_sync ------------------------------------------------------------------------

/**
 * Devices that have had a swiotlb mapping: the kernel's dma_reset_need_sync() clears
 * dev->dma_skip_sync at the first bounce, for good (kernel/dma/swiotlb.c swiotlb_tbl_map_single).
 */
const bouncedDevices = new WeakSet<Device>();

function noteBounce(dev: Device, addr: dma_addr_t): void {
  if (!dev.usesIommuDma && dev.host.swiotlb?.is_swiotlb_buffer(addr)) bouncedDevices.add(dev);
}

/**
 * dma_dev_need_sync(): may a sync do anything for this device? True for a non-coherent device
 * and once swiotlb has bounced one of its mappings (dma_setup_need_sync starts from
 * dev_is_dma_coherent; the first bounce resets it). A coherent device behind the IOMMU or with
 * only directly reachable buffers never needs one, so callers such as page_pool skip the sync.
 */
export function dma_dev_need_sync(dev: Device): boolean {
  return !dev.dma_coherent || bouncedDevices.has(dev);
}

// ---- single mappings --------------------------------------------------------------------------

/** dma_map_page_attrs(dev, page, offset, size, dir, attrs). */
export function dma_map_page_attrs(dev: Device, page: Page | bigint, offset: number, size: number, dir: DmaDataDirection, attrs = 0): dma_addr_t {
  checkDir(dev, dir);
  const phys = (typeof page === 'bigint' ? page : page.phys) + BigInt(offset);
  if (dev.dma_mask === null) {
    dev.host.klog.warnOnce('dma_map_page_attrs:mask', `WARNING: ${dev.name}: DMA map without a dma_mask`);
    return DMA_MAPPING_ERROR;
  }
  const addr = dev.usesIommuDma ? iommu_dma_map_page(dev, phys, size, dir) : dma_direct_map_page(dev, phys, size, dir, attrs);
  if (addr !== DMA_MAPPING_ERROR) {
    noteBounce(dev, addr);
    dev.host.debug?.debug_dma_map_page(dev, phys, size, dir, addr);
  }
  return addr;
}

export function dma_map_page(dev: Device, page: Page | bigint, offset: number, size: number, dir: DmaDataDirection): dma_addr_t {
  return dma_map_page_attrs(dev, page, offset, size, dir, 0);
}

/**
 * Model helper for memory mapped once and kept (a socket's pool, an RX zero-copy area): map a
 * whole page so the device reaches the page itself, through the IOMMU or dma-direct, never a
 * swiotlb slot (that would hold a copy, not the page). 'unreachable' when only a bounce would
 * do, 'nomap' on a mapping error; nothing stays mapped then.
 */
export function dma_map_page_unbounced(dev: Device, page: Page, dir: DmaDataDirection): dma_addr_t | 'nomap' | 'unreachable' {
  const size = PAGE_SIZE << page.order;
  if (!dev.usesIommuDma && page.phys + BigInt(size) - 1n > dma_get_mask(dev)) return 'unreachable';
  const a = dma_map_page(dev, page, 0, size, dir);
  if (dma_mapping_error(dev, a)) return 'nomap';
  if (!dev.usesIommuDma && a !== page.phys) {
    // swiotlb=force bounces even what the device could reach
    dma_unmap_page(dev, a, size, dir);
    return 'unreachable';
  }
  return a;
}

/** dma_map_single: the kernel takes a virtual address; the model has none, so it takes a physical one. */
export function dma_map_single_attrs(dev: Device, pa: bigint, size: number, dir: DmaDataDirection, attrs = 0): dma_addr_t {
  return dma_map_page_attrs(dev, pa, 0, size, dir, attrs);
}

export function dma_map_single(dev: Device, pa: bigint, size: number, dir: DmaDataDirection): dma_addr_t {
  return dma_map_page_attrs(dev, pa, 0, size, dir, 0);
}

export function dma_unmap_page_attrs(dev: Device, addr: dma_addr_t, size: number, dir: DmaDataDirection, attrs = 0): void {
  checkDir(dev, dir, addr);
  if (dev.usesIommuDma) iommu_dma_unmap_page(dev, addr, size);
  else dma_direct_unmap_page(dev, addr, size, dir, attrs);
  dev.host.debug?.debug_dma_unmap_page(dev, addr, size, dir, attrs);
}

export function dma_unmap_page(dev: Device, addr: dma_addr_t, size: number, dir: DmaDataDirection): void {
  dma_unmap_page_attrs(dev, addr, size, dir, 0);
}

export function dma_unmap_single_attrs(dev: Device, addr: dma_addr_t, size: number, dir: DmaDataDirection, attrs = 0): void {
  dma_unmap_page_attrs(dev, addr, size, dir, attrs);
}

export function dma_unmap_single(dev: Device, addr: dma_addr_t, size: number, dir: DmaDataDirection): void {
  dma_unmap_page_attrs(dev, addr, size, dir, 0);
}

// ---- syncs ------------------------------------------------------------------------------------

export function dma_sync_single_for_cpu(dev: Device, addr: dma_addr_t, size: number, dir: DmaDataDirection): void {
  checkDir(dev, dir, addr);
  // dma-iommu on a coherent device without bounce buffers: nothing to do.
  if (!dev.usesIommuDma) dma_direct_sync_single_for_cpu(dev, addr, size, dir);
  dev.host.debug?.debug_dma_sync_single_for_cpu(dev, addr, size, dir);
}

export function dma_sync_single_for_device(dev: Device, addr: dma_addr_t, size: number, dir: DmaDataDirection): void {
  checkDir(dev, dir, addr);
  if (!dev.usesIommuDma) dma_direct_sync_single_for_device(dev, addr, size, dir);
  dev.host.debug?.debug_dma_sync_single_for_device(dev, addr, size, dir);
}

export function dma_sync_single_range_for_cpu(dev: Device, addr: dma_addr_t, offset: number, size: number, dir: DmaDataDirection): void {
  dma_sync_single_for_cpu(dev, addr + BigInt(offset), size, dir);
}

export function dma_sync_single_range_for_device(dev: Device, addr: dma_addr_t, offset: number, size: number, dir: DmaDataDirection): void {
  dma_sync_single_for_device(dev, addr + BigInt(offset), size, dir);
}

export function dma_sync_sg_for_cpu(dev: Device, sg: Scatterlist[], nelems: number, dir: DmaDataDirection): void {
  for (let i = 0; i < nelems; i++) {
    const s = sg[i]!;
    if (s.dma_length === 0) break;
    dma_sync_single_for_cpu(dev, s.dma_address, s.dma_length, dir);
  }
}

export function dma_sync_sg_for_device(dev: Device, sg: Scatterlist[], nelems: number, dir: DmaDataDirection): void {
  for (let i = 0; i < nelems; i++) {
    const s = sg[i]!;
    if (s.dma_length === 0) break;
    dma_sync_single_for_device(dev, s.dma_address, s.dma_length, dir);
  }
}

// ---- scatter-gather ---------------------------------------------------------------------------

/** The original pieces behind a DMA segment, for dma-debug's CPU-side checks. */
function segPieces(dev: Device, sg: Scatterlist[], nents: number, count: number): { dma_address: bigint; dma_length: number; paddr: bigint; pieces: PhysPiece[] }[] {
  const out: { dma_address: bigint; dma_length: number; paddr: bigint; pieces: PhysPiece[] }[] = [];
  if (!dev.usesIommuDma) {
    for (let i = 0; i < count; i++) {
      const s = sg[i]!;
      out.push({ dma_address: s.dma_address, dma_length: s.dma_length, paddr: s.phys, pieces: [{ devOff: 0, pa: s.phys, len: s.dma_length }] });
    }
    return out;
  }
  // dma-iommu may have merged entries: walk the I/O page table for each DMA segment.
  const iommu = dev.host.iommu!;
  const domain = dev.iommu_domain!;
  for (let i = 0; i < count && i < nents; i++) {
    const s = sg[i]!;
    const pieces: PhysPiece[] = [];
    let off = 0;
    while (off < s.dma_length) {
      const a = s.dma_address + BigInt(off);
      const n = Math.min(PAGE_SIZE - Number(a % BigInt(PAGE_SIZE)), s.dma_length - off);
      const pa = iommu.iommu_iova_to_phys(domain, a);
      const last = pieces[pieces.length - 1];
      if (last !== undefined && last.pa + BigInt(last.len) === pa) pieces[pieces.length - 1] = { devOff: last.devOff, pa: last.pa, len: last.len + n };
      else pieces.push({ devOff: off, pa, len: n });
      off += n;
    }
    out.push({ dma_address: s.dma_address, dma_length: s.dma_length, paddr: pieces[0]?.pa ?? 0n, pieces });
  }
  return out;
}

/** __dma_map_sg_attrs: the mapped count, or a negative errno. */
function __dma_map_sg_attrs(dev: Device, sg: Scatterlist[], nents: number, dir: DmaDataDirection, attrs: number): number {
  checkDir(dev, dir);
  if (dev.dma_mask === null) return -EIO;
  let ents = dev.usesIommuDma ? iommu_dma_map_sg(dev, sg, nents, dir) : dma_direct_map_sg(dev, sg, nents, dir, attrs);
  if (ents > 0) {
    for (let i = 0; i < ents; i++) noteBounce(dev, sg[i]!.dma_address);
    dev.host.debug?.debug_dma_map_sg(dev, segPieces(dev, sg, nents, ents), nents, dir);
  } else if (ents !== -EINVAL && ents !== -ENOMEM && ents !== -EIO) ents = -EIO;
  return ents;
}

/** dma_map_sg_attrs: the number of DMA segments, 0 on failure (never negative). */
export function dma_map_sg_attrs(dev: Device, sg: Scatterlist[], nents: number, dir: DmaDataDirection, attrs = 0): number {
  const ents = __dma_map_sg_attrs(dev, sg, nents, dir, attrs);
  return ents < 0 ? 0 : ents;
}

export function dma_map_sg(dev: Device, sg: Scatterlist[], nents: number, dir: DmaDataDirection): number {
  return dma_map_sg_attrs(dev, sg, nents, dir, 0);
}

/** struct sg_table. */
export interface SgTable {
  sgl: Scatterlist[];
  orig_nents: number;
  nents: number;
}

/** dma_map_sgtable: 0, or -EINVAL / -ENOMEM (retry may succeed) / -EIO. */
export function dma_map_sgtable(dev: Device, sgt: SgTable, dir: DmaDataDirection, attrs = 0): number {
  const nents = __dma_map_sg_attrs(dev, sgt.sgl, sgt.orig_nents, dir, attrs);
  if (nents < 0) return nents;
  sgt.nents = nents;
  return 0;
}

/** dma_unmap_sg_attrs: nents is the count passed to dma_map_sg, not the one it returned. */
export function dma_unmap_sg_attrs(dev: Device, sg: Scatterlist[], nents: number, dir: DmaDataDirection, attrs = 0): void {
  checkDir(dev, dir);
  const segs: { dma_address: bigint; dma_length: number }[] = [];
  for (let i = 0; i < nents; i++) {
    const s = sg[i]!;
    if (s.dma_length === 0) break;
    segs.push({ dma_address: s.dma_address, dma_length: s.dma_length });
  }
  if (dev.usesIommuDma) iommu_dma_unmap_sg(dev, sg, nents);
  else dma_direct_unmap_sg(dev, sg, nents, dir, attrs);
  dev.host.debug?.debug_dma_unmap_sg(dev, segs, nents, dir, attrs);
}

export function dma_unmap_sg(dev: Device, sg: Scatterlist[], nents: number, dir: DmaDataDirection): void {
  dma_unmap_sg_attrs(dev, sg, nents, dir, 0);
}

export function dma_unmap_sgtable(dev: Device, sgt: SgTable, dir: DmaDataDirection, attrs = 0): void {
  dma_unmap_sg_attrs(dev, sgt.sgl, sgt.orig_nents, dir, attrs);
}

// ---- coherent allocations ---------------------------------------------------------------------

export interface DmaCoherent {
  /** What the CPU uses to reach the buffer (physical: the model has no virtual memory). */
  readonly cpu_addr: bigint;
  readonly dma_handle: dma_addr_t;
}

/** dma_alloc_coherent: zeroed memory both sides see; null on failure. */
export function dma_alloc_coherent(dev: Device, size: number, gfp: Gfp): DmaCoherent | null {
  if (dev.coherent_dma_mask === 0n) dev.host.klog.warnOnce('dma_alloc_attrs:mask', `WARNING: ${dev.name}: dma_alloc_coherent with coherent_dma_mask 0`);
  const a = dev.usesIommuDma ? iommu_dma_alloc(dev, size, gfp) : dma_direct_alloc(dev, size, gfp);
  if (a === null) return null;
  dev.host.debug?.debug_dma_alloc_coherent(dev, size, a.dma_handle, a.cpu_addr);
  return { cpu_addr: a.cpu_addr, dma_handle: a.dma_handle };
}

export function dma_free_coherent(dev: Device, size: number, cpu_addr: bigint, dma_handle: dma_addr_t): void {
  dev.host.debug?.debug_dma_free_coherent(dev, size, dma_handle);
  const page = dev.host.pages.pfn_to_page(Number(cpu_addr / BigInt(PAGE_SIZE)));
  if (page === null) {
    dev.host.klog.warnOnce('dma_free_coherent', `WARNING: ${dev.name}: dma_free_coherent of ${hex(cpu_addr)} which is not an allocation`);
    return;
  }
  if (dev.usesIommuDma) iommu_dma_free(dev, size, page, dma_handle);
  else dma_direct_free(dev, page);
}

