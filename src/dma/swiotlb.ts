// swiotlb bounce buffering, after kernel/dma/swiotlb.c (v6.x): a pool below 4 GiB cut into 2 KiB
// slots, grouped in 128-slot segments (so at most 256 KiB per mapping), searched next-fit from a
// per-area index. Each slot remembers the original address so syncs of part of a buffer copy the
// right bytes. Copies happen where Linux makes them: map always copies original -> bounce;
// sync_for_device copies original -> bounce for TO_DEVICE/BIDIR; sync_for_cpu and unmap (unless
// DMA_ATTR_SKIP_CPU_SYNC) copy bounce -> original for FROM_DEVICE/BIDIR.

import { hex } from '../lib/hex.js';
import type { KernelLog, LogDevice } from '../mem/klog.js';
import { PAGE_SIZE, type PhysMem } from '../mem/phys.js';
import { dma_get_seg_boundary, type Device } from './device.js';
import {
  DMA_ATTR_NO_WARN,
  DMA_ATTR_SKIP_CPU_SYNC,
  DMA_BIDIRECTIONAL,
  DMA_FROM_DEVICE,
  DMA_MAPPING_ERROR,
  DMA_TO_DEVICE,
  DmaApiError,
  min_not_zero,
  type DmaDataDirection,
  type dma_addr_t,
} from './types.js';

export const IO_TLB_SHIFT = 11;
export const IO_TLB_SIZE = 1 << IO_TLB_SHIFT;
export const IO_TLB_SEGSIZE = 128;
/** IO_TLB_DEFAULT_SIZE: 64 MiB. */
export const IO_TLB_DEFAULT_SIZE = 64 << 20;
/** IO_TLB_MIN_SLABS: 1 MiB worth of slots. */
export const IO_TLB_MIN_SLABS = (1 << 20) >> IO_TLB_SHIFT;

const INVALID_PHYS_ADDR = -1;

export interface SwiotlbOptions {
  /** swiotlb=<nslabs>: slots in the pool, rounded up to a multiple of 128 (default 32768 = 64 MiB). */
  readonly nslabs?: number;
  /** swiotlb=,<nareas>: search areas (default roundup_pow_of_two(CPUs) = 1). */
  readonly nareas?: number;
  /** swiotlb=force: bounce every dma-direct mapping, capable or not. */
  readonly force?: boolean;
}

export interface SwiotlbStats {
  maps: number;
  unmaps: number;
  /** Bytes copied original -> bounce (map, sync_for_device). */
  bouncedToDevice: number;
  /** Bytes copied bounce -> original (sync_for_cpu, unmap). */
  bouncedFromDevice: number;
  /** "swiotlb buffer is full" failures. */
  full: number;
}

/** Bytes a pool of `nslabs` slots occupies. */
export function swiotlbPoolBytes(nslabs: number): number {
  return nslabs * IO_TLB_SIZE;
}

/** nslabs as swiotlb= would set it: rounded up to a segment, at least IO_TLB_MIN_SLABS. */
export function swiotlbAdjustNslabs(nslabs: number): number {
  const n = Math.max(nslabs, IO_TLB_MIN_SLABS);
  return Math.ceil(n / IO_TLB_SEGSIZE) * IO_TLB_SEGSIZE;
}

const nr_slots = (val: number): number => Math.ceil(val / IO_TLB_SIZE);
const io_tlb_offset = (i: number): number => i & (IO_TLB_SEGSIZE - 1);

/** struct io_tlb_mem with its single default pool. */
export class Swiotlb {
  readonly start: bigint;
  readonly end: bigint;
  readonly nslabs: number;
  readonly nareas: number;
  readonly area_nslabs: number;
  readonly force: boolean;
  readonly stats: SwiotlbStats = { maps: 0, unmaps: 0, bouncedToDevice: 0, bouncedFromDevice: 0, full: 0 };
  /** Current CPU (picks the first area searched). */
  cpu = 0;
  used = 0;
  used_hiwater = 0;

  private readonly startNum: number;
  /** Free contiguous slots from here to the end of the segment (0 = in use). */
  private readonly list: Int32Array;
  private readonly orig_addr: Float64Array;
  private readonly alloc_size: Int32Array;
  private readonly areas: { index: number; used: number }[] = [];

  constructor(
    private readonly mem: PhysMem,
    private readonly klog: KernelLog,
    start: bigint,
    opts: SwiotlbOptions = {},
  ) {
    this.nslabs = swiotlbAdjustNslabs(opts.nslabs ?? IO_TLB_DEFAULT_SIZE >> IO_TLB_SHIFT);
    let nareas = opts.nareas ?? 1;
    if (nareas < 1 || (nareas & (nareas - 1)) !== 0) throw new RangeError(`swiotlb nareas ${nareas} must be a power of two`);
    // swiotlb_adjust_nareas: an area holds at least one segment.
    while (nareas > 1 && nareas > this.nslabs / IO_TLB_SEGSIZE) nareas >>= 1;
    this.nareas = nareas;
    this.area_nslabs = this.nslabs / nareas;
    this.force = opts.force ?? false;
    this.start = start;
    this.end = start + BigInt(this.nslabs * IO_TLB_SIZE);
    this.startNum = Number(start);
    if (!mem.isRam(start, this.nslabs * IO_TLB_SIZE)) throw new RangeError(`swiotlb pool at ${hex(start)} is not RAM`);
    this.list = new Int32Array(this.nslabs);
    this.orig_addr = new Float64Array(this.nslabs).fill(INVALID_PHYS_ADDR);
    this.alloc_size = new Int32Array(this.nslabs);
    for (let i = 0; i < this.nslabs; i++) this.list[i] = IO_TLB_SEGSIZE - io_tlb_offset(i);
    for (let a = 0; a < nareas; a++) this.areas.push({ index: 0, used: 0 });
    const mb = Math.floor((this.nslabs * IO_TLB_SIZE) >> 20);
    klog.printk('info', `software IO TLB: mapped [mem ${hex(start, 16)}-${hex(this.end - 1n, 16)}] (${mb}MB)`);
  }

  /** debugfs io_tlb_nslabs / io_tlb_used / io_tlb_used_hiwater. */
  get io_tlb_nslabs(): number {
    return this.nslabs;
  }
  get io_tlb_used(): number {
    return this.used;
  }
  get io_tlb_used_hiwater(): number {
    return this.used_hiwater;
  }
  /** Writing 0 to io_tlb_used_hiwater (the only value accepted). */
  resetHiwater(): void {
    this.used_hiwater = 0;
  }

  is_swiotlb_buffer(pa: bigint): boolean {
    return pa >= this.start && pa < this.end;
  }

  /** swiotlb_max_mapping_size: one segment (no min_align_mask in this model). */
  swiotlb_max_mapping_size(): number {
    return IO_TLB_SIZE * IO_TLB_SEGSIZE;
  }

  /** swiotlb_search_pool_area. Returns the first slot index or -1. */
  private searchArea(dev: Device, areaIndex: number, alloc_size: number): number {
    const area = this.areas[areaIndex]!;
    const boundary_mask = dma_get_seg_boundary(dev);
    const tbl_dma_addr = Number(BigInt(this.startNum) & boundary_mask);
    const max_slots = Number(boundary_mask >> BigInt(IO_TLB_SHIFT)) + 1;
    const nslots = nr_slots(alloc_size);
    // Mappings of a page or more are page aligned in the pool (historical guarantee).
    let alloc_align_mask = alloc_size >= PAGE_SIZE ? PAGE_SIZE - 1 : 0;
    alloc_align_mask |= IO_TLB_SIZE - 1;
    const stride = (alloc_align_mask >> IO_TLB_SHIFT) + 1;
    if (nslots > this.area_nslabs - area.used) return -1;
    const slot_base = areaIndex * this.area_nslabs;
    let index = area.index;
    const wrap = (i: number): number => (i >= this.area_nslabs ? i - this.area_nslabs : i);
    for (let checked = 0; checked < this.area_nslabs; ) {
      const slot_index = slot_base + index;
      const tlb_addr = tbl_dma_addr + slot_index * IO_TLB_SIZE;
      if (tlb_addr % (alloc_align_mask + 1) !== 0) {
        index = wrap(index + 1);
        checked++;
        continue;
      }
      // iommu_is_span_boundary: the run must not cross the device's segment boundary.
      const shift = (nr_slots(tbl_dma_addr) + slot_index) % max_slots;
      if (!(shift + nslots > max_slots) && this.list[slot_index]! >= nslots) {
        for (let i = slot_index; i < slot_index + nslots; i++) {
          this.list[i] = 0;
          this.alloc_size[i] = alloc_size - (i - slot_index) * IO_TLB_SIZE;
        }
        let count = 0;
        for (let i = slot_index - 1; i >= 0 && io_tlb_offset(i) !== IO_TLB_SEGSIZE - 1 && this.list[i]! !== 0; i--) this.list[i] = ++count;
        area.index = wrap(index + nslots);
        area.used += nslots;
        this.used += nslots;
        if (this.used > this.used_hiwater) this.used_hiwater = this.used;
        return slot_index;
      }
      index = wrap(index + stride);
      checked += stride;
    }
    return -1;
  }

  /** swiotlb_find_slots: areas from the current CPU's, wrapping. */
  private findSlots(dev: Device, alloc_size: number): number {
    if (alloc_size > IO_TLB_SEGSIZE * IO_TLB_SIZE) return -1;
    const start = this.cpu & (this.nareas - 1);
    for (let i = 0; i < this.nareas; i++) {
      const idx = this.searchArea(dev, (start + i) & (this.nareas - 1), alloc_size);
      if (idx >= 0) return idx;
    }
    return -1;
  }

  /**
   * swiotlb_tbl_map_single: reserve slots for [orig_addr, +mapping_size) and copy the original in
   * (always, whatever the direction: a partial device write must leave the rest as it was).
   * Returns the bounce address, or DMA_MAPPING_ERROR.
   */
  swiotlb_tbl_map_single(dev: Device, orig_addr: bigint, mapping_size: number, attrs: number): bigint {
    const size = mapping_size;
    const index = this.findSlots(dev, size);
    if (index === -1) {
      this.stats.full++;
      if (!(attrs & DMA_ATTR_NO_WARN)) {
        this.klog.ratelimited(
          'swiotlb_tbl_map_single',
          'warn',
          `${prefix(dev)}swiotlb buffer is full (sz: ${size} bytes), total ${this.nslabs} (slots), used ${this.used} (slots)`,
        );
      }
      return DMA_MAPPING_ERROR;
    }
    const orig = Number(orig_addr);
    for (let i = 0; i < nr_slots(size); i++) this.orig_addr[index + i] = orig + i * IO_TLB_SIZE;
    const tlb_addr = BigInt(this.startNum + index * IO_TLB_SIZE);
    this.stats.maps++;
    this.bounce(dev, tlb_addr, mapping_size, DMA_TO_DEVICE);
    return tlb_addr;
  }

  /** swiotlb_tbl_unmap_single: copy back for FROM_DEVICE/BIDIR unless SKIP_CPU_SYNC, free the slots. */
  swiotlb_tbl_unmap_single(dev: Device, tlb_addr: bigint, mapping_size: number, dir: DmaDataDirection, attrs: number): void {
    if (!(attrs & DMA_ATTR_SKIP_CPU_SYNC) && (dir === DMA_FROM_DEVICE || dir === DMA_BIDIRECTIONAL)) {
      this.bounce(dev, tlb_addr, mapping_size, DMA_FROM_DEVICE);
    }
    this.releaseSlots(tlb_addr);
  }

  /** swiotlb_release_slots: the size comes from the slot, not from the caller. */
  private releaseSlots(tlb_addr: bigint): void {
    const index = Math.floor((Number(tlb_addr) - this.startNum) / IO_TLB_SIZE);
    const nslots = nr_slots(this.alloc_size[index]!);
    // A second unmap finds alloc_size 0 and frees nothing, as in the kernel.
    if (nslots === 0) return;
    const area = this.areas[Math.floor(index / this.area_nslabs)]!;
    let count = index + nslots < Math.ceil((index + 1) / IO_TLB_SEGSIZE) * IO_TLB_SEGSIZE ? this.list[index + nslots]! : 0;
    for (let i = index + nslots - 1; i >= index; i--) {
      this.list[i] = ++count;
      this.orig_addr[i] = INVALID_PHYS_ADDR;
      this.alloc_size[i] = 0;
    }
    for (let i = index - 1; i >= 0 && io_tlb_offset(i) !== IO_TLB_SEGSIZE - 1 && this.list[i]! !== 0; i--) this.list[i] = ++count;
    area.used -= nslots;
    this.used -= nslots;
    this.stats.unmaps++;
  }

  swiotlb_sync_single_for_device(dev: Device, tlb_addr: bigint, size: number, dir: DmaDataDirection): void {
    if (dir === DMA_TO_DEVICE || dir === DMA_BIDIRECTIONAL) this.bounce(dev, tlb_addr, size, DMA_TO_DEVICE);
    else if (dir !== DMA_FROM_DEVICE) throw new DmaApiError('E_BUG_DIRECTION', `BUG: swiotlb sync_for_device with direction ${dir}`, { device: dev.name, addr: tlb_addr });
  }

  swiotlb_sync_single_for_cpu(dev: Device, tlb_addr: bigint, size: number, dir: DmaDataDirection): void {
    if (dir === DMA_FROM_DEVICE || dir === DMA_BIDIRECTIONAL) this.bounce(dev, tlb_addr, size, DMA_FROM_DEVICE);
    else if (dir !== DMA_TO_DEVICE) throw new DmaApiError('E_BUG_DIRECTION', `BUG: swiotlb sync_for_cpu with direction ${dir}`, { device: dev.name, addr: tlb_addr });
  }

  /** swiotlb_bounce: copy between the original and the slot(s) starting at tlb_addr. */
  private bounce(dev: Device, tlb_addr: bigint, size0: number, dir: DmaDataDirection): void {
    const index = Math.floor((Number(tlb_addr) - this.startNum) / IO_TLB_SIZE);
    const orig0 = this.orig_addr[index]!;
    if (orig0 === INVALID_PHYS_ADDR) return;
    const tlb_offset = Number(tlb_addr) % IO_TLB_SIZE;
    const orig = orig0 + tlb_offset;
    const alloc = this.alloc_size[index]! - tlb_offset;
    let size = size0;
    if (size > alloc) {
      this.klog.warnOnce('swiotlb_bounce', `${prefix(dev)}Buffer overflow detected. Allocation size: ${alloc}. Mapping size: ${size}.`);
      size = alloc;
    }
    if (size <= 0) return;
    if (dir === DMA_TO_DEVICE) {
      this.mem.copy(tlb_addr, BigInt(orig), size);
      this.stats.bouncedToDevice += size;
    } else {
      this.mem.copy(BigInt(orig), tlb_addr, size);
      this.stats.bouncedFromDevice += size;
    }
  }

  /** The original address a bounce address stands for (INVALID: -1n). */
  origOf(tlb_addr: bigint): bigint {
    const index = Math.floor((Number(tlb_addr) - this.startNum) / IO_TLB_SIZE);
    const o = this.orig_addr[index];
    return o === undefined || o === INVALID_PHYS_ADDR ? -1n : BigInt(o) + (tlb_addr % BigInt(IO_TLB_SIZE));
  }
}

function prefix(dev: LogDevice): string {
  return `${dev.driver ?? 'pci'} ${dev.name}: `;
}

/** dma_capable(dev, addr, size, is_ram): the whole range must sit below the mask and bus limit. */
export function dma_capable(dev: Device, addr: dma_addr_t, size: number): boolean {
  if (addr === DMA_MAPPING_ERROR) return false;
  const end = addr + BigInt(size) - 1n;
  return end <= min_not_zero(dev.dma_mask ?? 0n, dev.bus_dma_limit);
}

/** swiotlb_map: bounce, and check the bounce address is itself reachable by the device. */
export function swiotlb_map(dev: Device, paddr: bigint, size: number, dir: DmaDataDirection, attrs: number): dma_addr_t {
  const mem = dev.host.swiotlb;
  if (mem === null) {
    dev.host.klog.ratelimited(
      'swiotlb_tbl_map_single:none',
      'warn',
      `${prefix(dev)}Can not allocate SWIOTLB buffer earlier and can't now provide you with the DMA bounce buffer`,
    );
    return DMA_MAPPING_ERROR;
  }
  const tlb = mem.swiotlb_tbl_map_single(dev, paddr, size, attrs);
  if (tlb === DMA_MAPPING_ERROR) return DMA_MAPPING_ERROR;
  if (!dma_capable(dev, tlb, size)) {
    mem.swiotlb_tbl_unmap_single(dev, tlb, size, dir, attrs | DMA_ATTR_SKIP_CPU_SYNC);
    dev.host.klog.warnOnce(
      'swiotlb_map',
      `${prefix(dev)}swiotlb addr ${hex(tlb, 16)}+${size} overflow (mask ${(dev.dma_mask ?? 0n).toString(16)}, bus limit ${dev.bus_dma_limit.toString(16)}).`,
    );
    return DMA_MAPPING_ERROR;
  }
  return tlb;
}
