// The page allocator: a buddy allocator per zone (mm/page_alloc.c) with the zonelist fallback of
// x86: GFP_KERNEL takes NORMAL (above 4 GiB) first and falls back to DMA32; __GFP_DMA32 takes only
// DMA32. Deterministic: free lists are LIFO like the kernel's, seeded so the lowest block of a zone
// comes out first (boot frees to the tail, FPI_TO_TAIL). Freed pages are poisoned with PAGE_POISON
// and checked on reallocation (CONFIG_PAGE_POISONING), so writes after free are caught.

import { hex } from '../lib/hex.js';
import type { KernelLog } from './klog.js';
import { MemError, PAGE_POISON, PAGE_SHIFT, PAGE_SIZE, type PhysMem, type ZoneType } from './phys.js';

/** include/linux/mmzone.h: MAX_PAGE_ORDER (4 MiB blocks with 4 KiB pages). */
export const MAX_PAGE_ORDER = 10;
export const NR_PAGE_ORDERS = MAX_PAGE_ORDER + 1;

/** gfp flags (bit values of include/linux/gfp_types.h before the v6.0 renumbering). */
export const __GFP_DMA = 0x01;
export const __GFP_HIGHMEM = 0x02;
export const __GFP_DMA32 = 0x04;
export const __GFP_ZERO = 0x100;
export const __GFP_NOWARN = 0x200;
export const GFP_KERNEL = 0xcc0;
export const GFP_ATOMIC = 0xa20;
export const GFP_DMA32 = __GFP_DMA32;
export type Gfp = number;

/** struct page, reduced to what the model needs. One object per allocated (head) page. */
export class Page {
  /** page_ref_count(); the allocation holds one reference. */
  refcount = 1;
  /**
   * page_pool ownership (struct page's pp, dma_addr, pp_ref_count), set and cleared only by
   * net/core/page_pool.ts. `pp` is the owning pool (typed there), null for any other page.
   */
  pp: object | null = null;
  dma_addr = 0n;
  pp_ref_count = 0;
  constructor(
    readonly pfn: number,
    readonly order: number,
    readonly zone: ZoneType,
  ) {}

  get phys(): bigint {
    return BigInt(this.pfn) << BigInt(PAGE_SHIFT);
  }
}

export function page_to_phys(page: Page): bigint {
  return page.phys;
}
export function page_to_pfn(page: Page): number {
  return page.pfn;
}
export function page_ref_count(page: Page): number {
  return page.refcount;
}
export function get_page(page: Page): void {
  if (page.refcount <= 0) throw new MemError('E_BAD_FREE', `get_page on a free page (pfn ${hex(page.pfn)})`, { addr: page.phys });
  page.refcount++;
}
/** get_order(size): the order of the smallest block holding `size` bytes. */
export function get_order(size: number): number {
  let order = 0;
  while (PAGE_SIZE * 2 ** order < size) order++;
  return order;
}

interface FreeArea {
  /** LIFO list with lazy deletion: `set` says what is really free at this order. */
  stack: number[];
  set: Set<number>;
}

class Zone {
  readonly freeArea: FreeArea[] = [];
  nrFree = 0;
  managed = 0;
  constructor(readonly type: ZoneType) {
    for (let o = 0; o < NR_PAGE_ORDERS; o++) this.freeArea.push({ stack: [], set: new Set() });
  }

  add(pfn: number, order: number): void {
    const fa = this.freeArea[order]!;
    fa.set.add(pfn);
    fa.stack.push(pfn);
  }

  del(pfn: number, order: number): void {
    const fa = this.freeArea[order]!;
    fa.set.delete(pfn);
    // Stale entries are skipped on pop; compact when they dominate.
    if (fa.stack.length > 2 * fa.set.size + 64) {
      // Keep the top-most entry of each free pfn (its real list position), in order.
      const seen = new Set<number>();
      const kept: number[] = [];
      for (let i = fa.stack.length - 1; i >= 0; i--) {
        const p = fa.stack[i]!;
        if (fa.set.has(p) && !seen.has(p)) {
          seen.add(p);
          kept.push(p);
        }
      }
      fa.stack = kept.reverse();
    }
  }

  pop(order: number): number | null {
    const fa = this.freeArea[order]!;
    while (fa.stack.length > 0) {
      const pfn = fa.stack.pop()!;
      if (fa.set.has(pfn)) {
        fa.set.delete(pfn);
        return pfn;
      }
    }
    return null;
  }
}

export interface PhysRange {
  readonly base: bigint;
  readonly size: bigint;
}

export interface PageAllocatorOptions {
  /** memblock reservations taken before the buddy allocator is seeded (e.g. the swiotlb pool). */
  readonly reserved?: readonly PhysRange[];
  readonly klog?: KernelLog;
}

export class PageAllocator {
  private readonly zones = new Map<ZoneType, Zone>();
  private readonly allocated = new Map<number, Page>();
  /** Pages freed (and poisoned) since their last allocation. */
  private readonly freed = new Set<number>();
  private readonly klog: KernelLog | null;
  /** Called with (pfn, npages) after a block is freed and poisoned (dma-debug listens). */
  readonly freeHooks: ((pfn: number, npages: number) => void)[] = [];
  /** Poison found broken when a freed page was handed out again: someone wrote after free. */
  readonly corruptions: { readonly pfn: number; readonly cycle: number | null }[] = [];
  allocFailures = 0;

  constructor(
    readonly mem: PhysMem,
    opts: PageAllocatorOptions = {},
  ) {
    this.klog = opts.klog ?? null;
    const reserved = (opts.reserved ?? []).map((r) => [Number(r.base / BigInt(PAGE_SIZE)), Number((r.base + r.size + BigInt(PAGE_SIZE) - 1n) / BigInt(PAGE_SIZE))] as const);
    for (const region of mem.regions) {
      let zone = this.zones.get(region.zone);
      if (zone === undefined) {
        zone = new Zone(region.zone);
        this.zones.set(region.zone, zone);
      }
      // Cut the reservations out, then seed each remaining range.
      let ranges: [number, number][] = [[Number(region.base) / PAGE_SIZE, Number(region.end) / PAGE_SIZE]];
      for (const [rlo, rhi] of reserved) {
        ranges = ranges.flatMap(([lo, hi]): [number, number][] => {
          if (rhi <= lo || rlo >= hi) return [[lo, hi]];
          const out: [number, number][] = [];
          if (rlo > lo) out.push([lo, rlo]);
          if (rhi < hi) out.push([rhi, hi]);
          return out;
        });
      }
      for (const [lo, hi] of ranges) this.seed(zone, lo, hi);
    }
    // Push order: highest first so that pops (LIFO) start with the lowest block of each order.
    for (const zone of this.zones.values()) {
      for (const fa of zone.freeArea) fa.stack.sort((a, b) => b - a);
    }
  }

  private seed(zone: Zone, lo: number, hi: number): void {
    let pfn = lo;
    while (pfn < hi) {
      let order = MAX_PAGE_ORDER;
      while (order > 0 && (pfn % 2 ** order !== 0 || pfn + 2 ** order > hi)) order--;
      zone.add(pfn, order);
      zone.nrFree += 2 ** order;
      zone.managed += 2 ** order;
      pfn += 2 ** order;
    }
  }

  /** alloc_pages(gfp, order): a 2^order block, or null when the zonelist has none (never throws). */
  alloc_pages(gfp: Gfp, order: number): Page | null {
    if (!Number.isInteger(order) || order < 0 || order > MAX_PAGE_ORDER) {
      // The kernel WARNs and fails orders above MAX_PAGE_ORDER.
      this.klog?.warnOnce('alloc_pages:order', `WARNING: alloc_pages order ${order} > MAX_PAGE_ORDER`);
      this.allocFailures++;
      return null;
    }
    const zonelist: ZoneType[] = gfp & (__GFP_DMA32 | __GFP_DMA) ? ['DMA32'] : ['NORMAL', 'DMA32'];
    for (const zt of zonelist) {
      const zone = this.zones.get(zt);
      if (zone === undefined) continue;
      const pfn = this.rmqueueSmallest(zone, order);
      if (pfn === null) continue;
      const page = new Page(pfn, order, zt);
      this.allocated.set(pfn, page);
      this.checkPoison(pfn, 2 ** order);
      if (gfp & __GFP_ZERO) this.mem.fill(page.phys, PAGE_SIZE * 2 ** order, 0);
      return page;
    }
    this.allocFailures++;
    if (!(gfp & __GFP_NOWARN)) {
      this.klog?.ratelimited('warn_alloc', 'warn', `zcnic: page allocation failure: order:${order}, mode:${hex(gfp)}`);
    }
    return null;
  }

  /**
   * alloc_pages_bulk(gfp, nr_pages, page_array): fill the empty (null/undefined) slots of
   * page_array[0..nr_pages) with order-0 pages, stopping at the first failure. Returns how many of
   * those slots hold a page, as the kernel does (pre-filled slots count).
   */
  alloc_pages_bulk(gfp: Gfp, nr_pages: number, page_array: (Page | null | undefined)[]): number {
    let n = 0;
    for (let i = 0; i < nr_pages; i++) {
      if (page_array[i]) {
        n++;
        continue;
      }
      const page = this.alloc_pages(gfp, 0);
      if (page === null) break;
      page_array[i] = page;
      n++;
    }
    return n;
  }

  /** __rmqueue_smallest + expand(): split a larger block, keep the low half, free the upper halves. */
  private rmqueueSmallest(zone: Zone, order: number): number | null {
    for (let cur = order; cur < NR_PAGE_ORDERS; cur++) {
      const pfn = zone.pop(cur);
      if (pfn === null) continue;
      for (let high = cur; high > order; ) {
        high--;
        zone.add(pfn + 2 ** high, high);
      }
      zone.nrFree -= 2 ** order;
      return pfn;
    }
    return null;
  }

  private checkPoison(pfn: number, npages: number): void {
    for (let i = 0; i < npages; i++) {
      const p = pfn + i;
      if (!this.freed.delete(p)) continue;
      if (!this.mem.pageIsAll(p, PAGE_POISON)) {
        this.corruptions.push({ pfn: p, cycle: null });
        this.klog?.printk('err', `pagealloc: memory corruption at pfn ${hex(p)} (phys ${hex(BigInt(p) << BigInt(PAGE_SHIFT))})`);
      }
    }
  }

  /** __free_pages(page, order): drop a reference; the block is freed when it was the last. */
  __free_pages(page: Page, order: number): void {
    if (order !== page.order) {
      throw new MemError('E_BAD_ORDER', `__free_pages of an order-${page.order} page with order ${order}`, { addr: page.phys });
    }
    this.put_page(page);
  }

  /** put_page(): frees the block when the last reference goes. */
  put_page(page: Page): void {
    if (page.refcount <= 0 || this.allocated.get(page.pfn) !== page) {
      throw new MemError('E_BAD_FREE', `BUG: Bad page state: freeing pfn ${hex(page.pfn)} which is not allocated`, { addr: page.phys });
    }
    if (--page.refcount > 0) return;
    this.allocated.delete(page.pfn);
    this.freeBlock(page.zone, page.pfn, page.order);
  }

  private freeBlock(zt: ZoneType, pfn0: number, order0: number): void {
    const npages = 2 ** order0;
    const zone = this.zones.get(zt)!;
    // Poison first: a stale device access through a lazy IOTLB entry then reads 0xaa.
    this.mem.fill(BigInt(pfn0) << BigInt(PAGE_SHIFT), npages * PAGE_SIZE, PAGE_POISON);
    for (let i = 0; i < npages; i++) this.freed.add(pfn0 + i);
    let pfn = pfn0;
    let order = order0;
    while (order < MAX_PAGE_ORDER) {
      const b = xorPow2(pfn, order); // the buddy: pfn ^ (1 << order)
      if (!zone.freeArea[order]!.set.has(b)) break;
      zone.del(b, order);
      pfn = Math.min(pfn, b);
      order++;
    }
    zone.add(pfn, order);
    zone.nrFree += npages;
    for (const hook of this.freeHooks) hook(pfn0, npages);
  }

  /** nr_free_pages() for a zone or in total. */
  nr_free_pages(zone?: ZoneType): number {
    if (zone !== undefined) return this.zones.get(zone)?.nrFree ?? 0;
    let n = 0;
    for (const z of this.zones.values()) n += z.nrFree;
    return n;
  }

  managedPages(zone: ZoneType): number {
    return this.zones.get(zone)?.managed ?? 0;
  }

  /** The allocated head page at `pfn`, if any (pfn_to_page for heads). */
  pfn_to_page(pfn: number): Page | null {
    return this.allocated.get(pfn) ?? null;
  }

  /** True if the page was freed (and poisoned) and not handed out since. */
  isFreedPage(pfn: number): boolean {
    return this.freed.has(pfn);
  }
}

/** pfn ^ (1 << order) without 32-bit truncation. */
function xorPow2(pfn: number, order: number): number {
  const bit = 2 ** order;
  return Math.floor(pfn / bit) % 2 === 0 ? pfn + bit : pfn - bit;
}
