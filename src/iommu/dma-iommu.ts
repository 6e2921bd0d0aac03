// The DMA API on top of an IOMMU domain, after drivers/iommu/dma-iommu.c: IOVAs allocated below
// the device's limit (32-bit first for wider masks), whole pages mapped with permissions from the
// direction, and two invalidation policies. Strict: unmap invalidates the IOTLB and frees the IOVA
// before returning. Lazy (DMA_FQ): unmap clears the PTEs but leaves the IOTLB alone and queues the
// IOVA; the queue is flushed when full (256 entries, one slot kept empty) or 10 ms after the first
// unmap of a burst, and only then are the IOVAs reused.

import type { Device } from '../dma/device.js';
import { dma_get_mask, dma_get_max_seg_size, dma_get_seg_boundary } from '../dma/device.js';
import type { Scatterlist } from '../dma/scatterlist.js';
import {
  DMA_BIDIRECTIONAL,
  DMA_FROM_DEVICE,
  DMA_MAPPING_ERROR,
  DMA_TO_DEVICE,
  DMA_BIT_MASK,
  EINVAL,
  ENOMEM,
  min_not_zero,
  type DmaDataDirection,
  type dma_addr_t,
} from '../dma/types.js';
import { hex } from '../lib/hex.js';
import { __GFP_DMA, __GFP_DMA32, __GFP_HIGHMEM, __GFP_ZERO, get_order, type Gfp, type Page } from '../mem/page_alloc.js';
import { PAGE_SHIFT, PAGE_SIZE } from '../mem/phys.js';
import { IovaDomain } from './iova.js';
import {
  IOMMU_CACHE,
  IOMMU_DOMAIN_DMA_FQ,
  IOMMU_READ,
  IOMMU_WRITE,
  iommu_iotlb_gather_init,
  type Iommu,
  type IommuDomain,
} from './iommu.js';

interface FqEntry {
  iova_pfn: number;
  pages: number;
  counter: number;
}

export interface IommuDmaStats {
  maps: number;
  unmaps: number;
  mapErrors: number;
  /** IOVAs put on the flush queue. */
  queued: number;
  /** Flush-queue flushes because the queue was full. */
  fqFullFlushes: number;
  /** Flush-queue flushes by the timer. */
  fqTimerFlushes: number;
}

/** struct iommu_dma_cookie with its single (one CPU) flush queue. */
export class IommuDmaCookie {
  readonly iovad: IovaDomain;
  /** The ring; null in strict mode (no flush queue). */
  readonly fq: FqEntry[] | null;
  fq_head = 0;
  fq_tail = 0;
  fq_flush_start_cnt = 0;
  fq_flush_finish_cnt = 0;
  /** fq_timer_on with its expiry in simulated ns; null when the timer is off. */
  fq_timer_deadline_ns: number | null = null;
  readonly fqTimeoutNs: number;
  readonly stats: IommuDmaStats = { maps: 0, unmaps: 0, mapErrors: 0, queued: 0, fqFullFlushes: 0, fqTimerFlushes: 0 };

  constructor(
    readonly iommu: Iommu,
    readonly domain: IommuDomain,
    private readonly nowNs: () => number,
  ) {
    this.iovad = new IovaDomain(PAGE_SIZE, 1, { nowNs });
    const fq = domain.type === IOMMU_DOMAIN_DMA_FQ;
    this.fq = fq ? Array.from({ length: iommu.options.fqSize }, () => ({ iova_pfn: 0, pages: 0, counter: 0 })) : null;
    this.fqTimeoutNs = iommu.options.fqTimeoutMs * 1e6;
  }

  get fq_domain(): boolean {
    return this.fq !== null;
  }

  /** Entries waiting on the flush queue. */
  get fqLength(): number {
    if (this.fq === null) return 0;
    return (this.fq_tail - this.fq_head + this.fq.length) % this.fq.length;
  }

  private fqFull(): boolean {
    return this.fq !== null && (this.fq_tail + 1) % this.fq.length === this.fq_head;
  }

  /** fq_ring_free_locked: free every entry whose flush has completed. */
  private fqRingFree(): void {
    const fq = this.fq;
    if (fq === null) return;
    while (this.fq_head !== this.fq_tail) {
      const e = fq[this.fq_head]!;
      if (e.counter >= this.fq_flush_finish_cnt) break;
      this.iovad.free_iova_fast(e.iova_pfn, e.pages);
      this.fq_head = (this.fq_head + 1) % fq.length;
    }
  }

  /** fq_flush_iotlb: one flush_iotlb_all, bracketed by the start/finish counters. */
  private fqFlushIotlb(): void {
    this.fq_flush_start_cnt++;
    this.iommu.flush_iotlb_all(this.domain);
    this.fq_flush_finish_cnt++;
  }

  /** queue_iova. */
  queueIova(pfn: number, pages: number): void {
    const fq = this.fq!;
    this.fqRingFree();
    if (this.fqFull()) {
      this.stats.fqFullFlushes++;
      this.fqFlushIotlb();
      this.fqRingFree();
    }
    const idx = this.fq_tail;
    this.fq_tail = (idx + 1) % fq.length;
    fq[idx] = { iova_pfn: pfn, pages, counter: this.fq_flush_start_cnt };
    this.stats.queued++;
    if (this.fq_timer_deadline_ns === null) this.fq_timer_deadline_ns = this.nowNs() + this.fqTimeoutNs;
  }

  /** fq_flush_timeout (and the IOVA depot work) when their simulated time has come. */
  runTimers(nowNs: number): void {
    if (this.fq_timer_deadline_ns !== null && nowNs >= this.fq_timer_deadline_ns) {
      this.fq_timer_deadline_ns = null;
      this.stats.fqTimerFlushes++;
      this.fqFlushIotlb();
      this.fqRingFree();
    }
    this.iovad.runTimers(nowNs);
  }
}

/** iommu_dma_init_domain: the IOVA space (granule 4 KiB, start_pfn 1) minus reserved regions. */
export function iommu_dma_init_domain(iommu: Iommu, domain: IommuDomain, nowNs: () => number): IommuDmaCookie {
  const cookie = new IommuDmaCookie(iommu, domain, nowNs);
  // iova_reserve_iommu_regions: e.g. the x86 MSI window, which interrupt writes hit.
  for (const r of iommu.options.reservedRegions) {
    cookie.iovad.reserve_iova(Number(r.start >> BigInt(PAGE_SHIFT)), Number(r.end >> BigInt(PAGE_SHIFT)));
  }
  domain.iova_cookie = cookie;
  return cookie;
}

function cookieOf(dev: Device): { domain: IommuDomain; cookie: IommuDmaCookie; iommu: Iommu } {
  const domain = dev.iommu_domain;
  const cookie = domain?.iova_cookie;
  if (domain === null || cookie === null || cookie === undefined) throw new Error(`${dev.name}: no IOMMU DMA domain`);
  return { domain, cookie, iommu: cookie.iommu };
}

/** dma_info_to_prot: TO_DEVICE is read-only for the device, FROM_DEVICE write-only. */
export function dma_info_to_prot(dir: DmaDataDirection, coherent: boolean): number {
  const prot = coherent ? IOMMU_CACHE : 0;
  switch (dir) {
    case DMA_BIDIRECTIONAL:
      return prot | IOMMU_READ | IOMMU_WRITE;
    case DMA_TO_DEVICE:
      return prot | IOMMU_READ;
    case DMA_FROM_DEVICE:
      return prot | IOMMU_WRITE;
    default:
      return 0;
  }
}

const iovaAlign = (size: number): number => Math.ceil(size / PAGE_SIZE) * PAGE_SIZE;

/** iommu_dma_alloc_iova: bytes (granule-aligned) below dma_limit; 0n on failure. */
export function iommu_dma_alloc_iova(dev: Device, size: number, dma_limit0: bigint): bigint {
  const { domain, cookie, iommu } = cookieOf(dev);
  const iovad = cookie.iovad;
  const iova_len = size / PAGE_SIZE;
  let dma_limit = min_not_zero(dma_limit0, dev.bus_dma_limit);
  if (domain.geometry.force_aperture && dma_limit > domain.geometry.aperture_end) dma_limit = domain.geometry.aperture_end;
  const shift = BigInt(PAGE_SHIFT);
  // Use all the 32-bit PCI addresses first; on the first failure, give up on that for good.
  if (dma_limit > DMA_BIT_MASK(32) && dev.pci_32bit_workaround && !iommu.options.forcedac) {
    const pfn = iovad.alloc_iova_fast(iova_len, Number(DMA_BIT_MASK(32) >> shift), false);
    if (pfn !== 0) return BigInt(pfn) << shift;
    dev.pci_32bit_workaround = false;
    dev.host.klog.dev_printk('notice', dev, `Using ${dma_limit.toString(2).length}-bit DMA addresses`);
  }
  const pfn = iovad.alloc_iova_fast(iova_len, Number(dma_limit >> shift), true);
  return BigInt(pfn) << shift;
}

/** iommu_dma_free_iova: onto the flush queue in lazy mode, else straight back to the allocator. */
function iommu_dma_free_iova(cookie: IommuDmaCookie, iova: bigint, size: number, queued: boolean): void {
  const pfn = Number(iova >> BigInt(PAGE_SHIFT));
  if (queued) cookie.queueIova(pfn, size / PAGE_SIZE);
  else cookie.iovad.free_iova_fast(pfn, size / PAGE_SIZE);
}

/** __iommu_dma_map: the handle keeps phys's offset in the page; whole pages become visible. */
export function __iommu_dma_map(dev: Device, phys: bigint, size0: number, prot: number, dma_mask: bigint): dma_addr_t {
  const { domain, cookie, iommu } = cookieOf(dev);
  const iova_off = Number(phys & BigInt(PAGE_SIZE - 1));
  const size = iovaAlign(size0 + iova_off);
  const iova = iommu_dma_alloc_iova(dev, size, dma_mask);
  if (iova === 0n) {
    cookie.stats.mapErrors++;
    return DMA_MAPPING_ERROR;
  }
  if (iommu.iommu_map(domain, iova, phys - BigInt(iova_off), size, prot) !== 0) {
    iommu_dma_free_iova(cookie, iova, size, false);
    cookie.stats.mapErrors++;
    return DMA_MAPPING_ERROR;
  }
  cookie.stats.maps++;
  return iova + BigInt(iova_off);
}

/** __iommu_dma_unmap. */
export function __iommu_dma_unmap(dev: Device, dma_addr0: dma_addr_t, size0: number): void {
  const { domain, cookie, iommu } = cookieOf(dev);
  const iova_off = Number(dma_addr0 & BigInt(PAGE_SIZE - 1));
  const dma_addr = dma_addr0 - BigInt(iova_off);
  const size = iovaAlign(size0 + iova_off);
  const gather = iommu_iotlb_gather_init();
  gather.queued = cookie.fq_domain;
  const unmapped = iommu.iommu_unmap_fast(domain, dma_addr, size, gather);
  cookie.stats.unmaps++;
  if (unmapped !== size) {
    dev.host.klog.warnOnce(
      '__iommu_dma_unmap',
      `WARNING: __iommu_dma_unmap: unmapped ${unmapped} of ${size} bytes at ${hex(dma_addr)} (${dev.name})`,
    );
    // The kernel frees the IOVA anyway and so corrupts its allocator on a double unmap; the
    // model refuses that when nothing was mapped (dma-debug reports the driver's bug).
    if (unmapped === 0) return;
  }
  if (!gather.queued) iommu.iommu_iotlb_sync(domain, gather);
  iommu_dma_free_iova(cookie, dma_addr, size, gather.queued);
}

export function iommu_dma_map_page(dev: Device, phys: bigint, size: number, dir: DmaDataDirection): dma_addr_t {
  dev.host.poll();
  return __iommu_dma_map(dev, phys, size, dma_info_to_prot(dir, dev.dma_coherent), dma_get_mask(dev));
}

export function iommu_dma_unmap_page(dev: Device, dma_handle: dma_addr_t, size: number): void {
  dev.host.poll();
  __iommu_dma_unmap(dev, dma_handle, size);
}

/**
 * iommu_dma_map_sg: one IOVA range for the whole list, segments laid out back to back (page
 * aligned), then merged into as few DMA segments as max_seg_size allows (__finalise_sg).
 * Returns the number of DMA segments, or a negative errno.
 */
export function iommu_dma_map_sg(dev: Device, sg: Scatterlist[], nents: number, dir: DmaDataDirection): number {
  dev.host.poll();
  const { domain, cookie, iommu } = cookieOf(dev);
  const prot = dma_info_to_prot(dir, dev.dma_coherent);
  const mask = dma_get_seg_boundary(dev);
  const U64 = (1n << 64n) - 1n;
  // Per segment: offset in its first page and the page-aligned length it occupies in IOVA space.
  const offs: number[] = [];
  const lens: number[] = [];
  let iova_len = 0;
  for (let i = 0; i < nents; i++) {
    const s = sg[i]!;
    const s_iova_off = Number(s.phys & BigInt(PAGE_SIZE - 1));
    const s_length = iovaAlign(s.length + s_iova_off);
    const pad = Number((mask - BigInt(iova_len) + 1n) & mask & U64);
    // Pad so a segment does not straddle the device's segment boundary.
    if (i > 0 && pad !== 0 && pad < s_length - 1) {
      lens[i - 1] = lens[i - 1]! + pad;
      iova_len += pad;
    }
    offs.push(s_iova_off);
    lens.push(s_length);
    iova_len += s_length;
  }
  if (iova_len === 0) return 0;
  const iova = iommu_dma_alloc_iova(dev, iova_len, dma_get_mask(dev));
  if (iova === 0n) {
    cookie.stats.mapErrors++;
    return -ENOMEM;
  }
  // iommu_map_sg: each segment's pages, consecutively.
  let at = iova;
  for (let i = 0; i < nents; i++) {
    const s = sg[i]!;
    const rc = iommu.iommu_map(domain, at, s.phys - BigInt(offs[i]!), lens[i]!, prot);
    if (rc !== 0) {
      const gather = iommu_iotlb_gather_init();
      iommu.iommu_unmap_fast(domain, iova, Number(at - iova), gather);
      iommu.iommu_iotlb_sync(domain, gather);
      iommu_dma_free_iova(cookie, iova, iova_len, false);
      cookie.stats.mapErrors++;
      return -EINVAL;
    }
    at += BigInt(lens[i]!);
  }
  cookie.stats.maps++;
  return finaliseSg(dev, sg, nents, iova, offs, lens);
}

/** __finalise_sg: write the DMA segments into the list, concatenating where allowed. */
function finaliseSg(dev: Device, sg: Scatterlist[], nents: number, dma_addr0: bigint, offs: number[], lens: number[]): number {
  const seg_mask = dma_get_seg_boundary(dev);
  const max_len = dma_get_max_seg_size(dev);
  let dma_addr = dma_addr0;
  let cur = 0;
  let cur_len = 0;
  let count = 0;
  for (let i = 0; i < nents; i++) {
    const s = sg[i]!;
    const s_iova_off = offs[i]!;
    const s_length = s.length;
    const s_iova_len = lens[i]!;
    s.dma_address = DMA_MAPPING_ERROR;
    s.dma_length = 0;
    if (cur_len !== 0 && s_iova_off === 0 && (dma_addr & seg_mask) !== 0n && max_len - cur_len >= s_length) {
      cur_len += s_length;
    } else {
      if (i > 0) cur++;
      cur_len = s_length;
      count++;
      sg[cur]!.dma_address = dma_addr + BigInt(s_iova_off);
    }
    sg[cur]!.dma_length = cur_len;
    dma_addr += BigInt(s_iova_len);
    if (s_length + s_iova_off < s_iova_len) cur_len = 0;
  }
  return count;
}

/** iommu_dma_unmap_sg: one unmap from the first DMA segment to the end of the last. */
export function iommu_dma_unmap_sg(dev: Device, sg: Scatterlist[], nents: number): void {
  dev.host.poll();
  const first = sg[0];
  if (first === undefined) return;
  let last = first;
  for (let i = 1; i < nents; i++) {
    const s = sg[i]!;
    if (s.dma_length === 0) break;
    last = s;
  }
  const start = first.dma_address;
  const end = last.dma_address + BigInt(last.dma_length);
  __iommu_dma_unmap(dev, start, Number(end - start));
}

export interface CoherentAllocation {
  /** The CPU's address of the buffer (physical in this model: there is no virtual memory). */
  readonly cpu_addr: bigint;
  readonly dma_handle: dma_addr_t;
  readonly page: Page;
}

/**
 * iommu_dma_alloc: zeroed, physically contiguous pages from anywhere (so usually above 4 GiB),
 * mapped read/write at an IOVA below the coherent mask. The kernel's blocking path builds the
 * buffer from scattered pages behind a vmap; without virtual memory the model keeps it contiguous.
 */
export function iommu_dma_alloc(dev: Device, size: number, gfp0: Gfp): CoherentAllocation | null {
  dev.host.poll();
  const gfp = (gfp0 & ~(__GFP_DMA | __GFP_DMA32 | __GFP_HIGHMEM)) | __GFP_ZERO;
  const alloc_size = iovaAlign(size);
  const page = dev.host.pages.alloc_pages(gfp, get_order(alloc_size));
  if (page === null) return null;
  const handle = __iommu_dma_map(dev, page.phys, size, dma_info_to_prot(DMA_BIDIRECTIONAL, dev.dma_coherent), dev.coherent_dma_mask);
  if (handle === DMA_MAPPING_ERROR) {
    dev.host.pages.__free_pages(page, page.order);
    return null;
  }
  return { cpu_addr: page.phys, dma_handle: handle, page };
}

export function iommu_dma_free(dev: Device, size: number, page: Page, dma_handle: dma_addr_t): void {
  dev.host.poll();
  __iommu_dma_unmap(dev, dma_handle, size);
  dev.host.pages.__free_pages(page, page.order);
}

