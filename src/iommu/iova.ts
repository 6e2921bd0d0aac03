// IOVA allocator, after drivers/iommu/iova.c (v6.7+): a sorted set of allocated ranges walked
// top-down first-fit from a cached node (the kernel's rbtree, kept here as a sorted array), plus
// the per-CPU range caches ("rcache" magazines) that make a freed IOVA of the same order the next
// one handed out (LIFO). Page frame numbers are JS numbers: exact up to 2^53.

/** The anchor node sits above every possible pfn (the kernel's IOVA_ANCHOR ~0UL). */
export const IOVA_ANCHOR = Number.MAX_SAFE_INTEGER;
/** log2 of the largest cached size + 1: sizes 1..32 pages are cached (and rounded up to 2^n). */
export const IOVA_RANGE_CACHE_MAX_SIZE = 6;
export const IOVA_MAG_SIZE = 127;
/** IOVA_DEPOT_DELAY: the depot gives one magazine back to the tree every 100 ms. */
export const IOVA_DEPOT_DELAY_NS = 100e6;

export interface Iova {
  pfn_lo: number;
  pfn_hi: number;
}

/** fls_long: 1-based index of the highest set bit (0 for 0). */
export function fls(x: number): number {
  if (x <= 0) return 0;
  return x < 2 ** 32 ? 32 - Math.clz32(x) : Math.floor(x).toString(2).length;
}
export function roundup_pow_of_two(x: number): number {
  return x <= 1 ? 1 : 2 ** fls(x - 1);
}
export function order_base_2(x: number): number {
  return x <= 1 ? 0 : fls(x - 1);
}

class IovaMagazine {
  size = 0;
  readonly pfns: number[] = [];

  full(): boolean {
    return this.size === IOVA_MAG_SIZE;
  }
  empty(): boolean {
    return this.size === 0;
  }
  push(pfn: number): void {
    this.pfns[this.size++] = pfn;
  }
  /** iova_magazine_pop: the most recent pfn not above limit_pfn, swapped out of its slot. */
  pop(limit_pfn: number): number {
    let i = this.size - 1;
    for (; this.pfns[i]! > limit_pfn; i--) if (i === 0) return 0;
    const pfn = this.pfns[i]!;
    this.pfns[i] = this.pfns[--this.size]!;
    return pfn;
  }
}

interface CpuRcache {
  loaded: IovaMagazine;
  prev: IovaMagazine;
}

interface IovaRcache {
  /** iova_depot_push/pop work on the head: a stack. */
  depot: IovaMagazine[];
  readonly cpu: CpuRcache[];
  /** Pending delayed work (schedule_delayed_work does not re-arm a pending one). */
  workDeadlineNs: number | null;
}

export interface IovaStats {
  /** alloc_iova_fast calls answered from the rcache. */
  rcacheHits: number;
  /** Tree allocations (alloc_iova). */
  treeAllocs: number;
  /** Allocations that failed (after any rcache flush). */
  failures: number;
  /** free_iova_fast calls absorbed by the rcache. */
  rcacheFrees: number;
  /** Ranges returned to the tree. */
  treeFrees: number;
}

export interface IovaDomainOptions {
  /** Online CPUs (each has its own loaded/prev magazines). Default 1. */
  readonly ncpus?: number;
  /** Simulated time in ns, for the depot's delayed work. */
  readonly nowNs?: () => number;
}

export class IovaDomain {
  readonly shift: number;
  /** dma_32bit_pfn: 1 << (32 - shift). */
  readonly dma_32bit_pfn: number;
  /** A 32-bit-limited request of at least this many pages fails without searching. */
  max32_alloc_size: number;
  /** The CPU the caller runs on (the model is single-threaded; tests may switch it). */
  cpu = 0;
  readonly stats: IovaStats = { rcacheHits: 0, treeAllocs: 0, failures: 0, rcacheFrees: 0, treeFrees: 0 };

  private readonly nodes: Iova[];
  private readonly anchor: Iova = { pfn_lo: IOVA_ANCHOR, pfn_hi: IOVA_ANCHOR };
  private cached_node: Iova;
  private cached32_node: Iova;
  private readonly rcaches: IovaRcache[] = [];
  private readonly ncpus: number;
  private readonly nowNs: () => number;

  /** init_iova_domain(iovad, granule, start_pfn) + iova_domain_init_rcaches. */
  constructor(
    readonly granule: number,
    readonly start_pfn: number,
    opts: IovaDomainOptions = {},
  ) {
    if (granule <= 0 || (granule & (granule - 1)) !== 0) throw new RangeError(`IOVA granule ${granule} is not a power of two`);
    this.shift = Math.log2(granule);
    this.dma_32bit_pfn = 2 ** (32 - this.shift);
    this.max32_alloc_size = this.dma_32bit_pfn;
    this.nodes = [this.anchor];
    this.cached_node = this.anchor;
    this.cached32_node = this.anchor;
    this.ncpus = opts.ncpus ?? 1;
    this.nowNs = opts.nowNs ?? (() => 0);
    for (let i = 0; i < IOVA_RANGE_CACHE_MAX_SIZE; i++) {
      const cpu: CpuRcache[] = [];
      for (let c = 0; c < this.ncpus; c++) cpu.push({ loaded: new IovaMagazine(), prev: new IovaMagazine() });
      this.rcaches.push({ depot: [], cpu, workDeadlineNs: null });
    }
  }

  /** Allocated ranges (reserved ones included, the anchor excluded), lowest first. */
  ranges(): readonly Readonly<Iova>[] {
    return this.nodes.slice(0, -1).map((n) => ({ ...n }));
  }

  // ---- the sorted "rbtree" -----------------------------------------------------------------

  /** Index of the first node with pfn_lo >= pfn. */
  private lowerBound(pfn: number): number {
    let lo = 0;
    let hi = this.nodes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.nodes[mid]!.pfn_lo < pfn) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private indexOf(node: Iova): number {
    const i = this.lowerBound(node.pfn_lo);
    if (this.nodes[i] !== node) throw new Error('iova: node not in tree');
    return i;
  }

  private insert(node: Iova): void {
    this.nodes.splice(this.lowerBound(node.pfn_lo), 0, node);
  }

  /** private_find_iova: the range containing pfn. */
  find_iova(pfn: number): Iova | null {
    const i = this.lowerBound(pfn + 1) - 1;
    const n = i >= 0 ? this.nodes[i] : undefined;
    return n !== undefined && n !== this.anchor && n.pfn_lo <= pfn && pfn <= n.pfn_hi ? n : null;
  }

  private getCachedNode(limit_pfn: number): Iova {
    return limit_pfn <= this.dma_32bit_pfn ? this.cached32_node : this.cached_node;
  }

  private cachedInsertUpdate(n: Iova): void {
    if (n.pfn_hi < this.dma_32bit_pfn) this.cached32_node = n;
    else this.cached_node = n;
  }

  /** __cached_rbnode_delete_update: called before `free` leaves the tree. */
  private cachedDeleteUpdate(free: Iova): void {
    const next = this.nodes[this.indexOf(free) + 1]!; // rb_next: the anchor at worst
    let cached = this.cached32_node;
    if (free === cached || (free.pfn_hi < this.dma_32bit_pfn && free.pfn_lo >= cached.pfn_lo)) this.cached32_node = next;
    if (free.pfn_lo < this.dma_32bit_pfn) this.max32_alloc_size = this.dma_32bit_pfn;
    cached = this.cached_node;
    if (free.pfn_lo >= cached.pfn_lo) this.cached_node = next;
  }

  /** iova_find_limit: the lowest node reaching limit_pfn (the anchor for limits above 32 bits). */
  private findLimitIndex(limit_pfn: number): number {
    if (limit_pfn > this.dma_32bit_pfn) return this.nodes.length - 1;
    let lo = 0;
    let hi = this.nodes.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.nodes[mid]!.pfn_hi < limit_pfn) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** __alloc_and_insert_iova_range: top-down first-fit below limit_pfn (exclusive). */
  private allocAndInsert(size: number, limit_pfn: number, size_aligned: boolean): Iova | null {
    const align = size_aligned ? 2 ** fls(size - 1) : 1;
    let high_pfn = limit_pfn;
    let low_pfn = this.start_pfn;
    if (limit_pfn <= this.dma_32bit_pfn && size >= this.max32_alloc_size) return null; // iova32_full

    let idx = this.indexOf(this.getCachedNode(limit_pfn));
    let curr: Iova | undefined = this.nodes[idx];
    const retry_pfn = curr!.pfn_hi;
    let new_pfn: number;
    for (;;) {
      do {
        high_pfn = Math.min(high_pfn, curr!.pfn_lo);
        new_pfn = Math.floor((high_pfn - size) / align) * align;
        idx--;
        curr = idx >= 0 ? this.nodes[idx] : undefined;
      } while (curr !== undefined && new_pfn <= curr.pfn_hi && new_pfn >= low_pfn);

      if (high_pfn < size || new_pfn < low_pfn) {
        if (low_pfn === this.start_pfn && retry_pfn < limit_pfn) {
          // Second pass: the space above the cached node, from the limit down.
          high_pfn = limit_pfn;
          low_pfn = retry_pfn + 1;
          idx = this.findLimitIndex(limit_pfn);
          curr = this.nodes[idx];
          continue;
        }
        this.max32_alloc_size = size;
        return null;
      }
      break;
    }
    const n: Iova = { pfn_lo: new_pfn, pfn_hi: new_pfn + size - 1 };
    this.insert(n);
    this.cachedInsertUpdate(n);
    return n;
  }

  /** alloc_iova(iovad, size, limit_pfn (inclusive), size_aligned). */
  alloc_iova(size: number, limit_pfn: number, size_aligned: boolean): Iova | null {
    const n = this.allocAndInsert(size, limit_pfn + 1, size_aligned);
    if (n !== null) this.stats.treeAllocs++;
    return n;
  }

  private removeIova(n: Iova): void {
    this.cachedDeleteUpdate(n);
    this.nodes.splice(this.indexOf(n), 1);
    this.stats.treeFrees++;
  }

  /** free_iova(iovad, pfn): return the range containing pfn to the tree. */
  free_iova(pfn: number): void {
    const n = this.find_iova(pfn);
    if (n !== null) this.removeIova(n);
  }

  /** reserve_iova: mark [pfn_lo, pfn_hi] as never allocatable (merging with overlapping ranges). */
  reserve_iova(pfn_lo: number, pfn_hi: number): Iova | null {
    let lo = pfn_lo;
    const hi = pfn_hi;
    let overlap = false;
    for (const n of this.nodes) {
      if (n === this.anchor) break;
      if (n.pfn_lo <= hi && lo <= n.pfn_hi) {
        // __adjust_overlap_range
        if (lo < n.pfn_lo) n.pfn_lo = lo;
        if (hi > n.pfn_hi) lo = n.pfn_hi + 1;
        if (lo >= n.pfn_lo && hi <= n.pfn_hi) return n;
        overlap = true;
      } else if (overlap) break;
    }
    const n: Iova = { pfn_lo: lo, pfn_hi: hi };
    this.insert(n);
    return n;
  }

  // ---- rcache --------------------------------------------------------------------------------

  /** alloc_iova_fast: returns the pfn, or 0 on failure (as the kernel does). */
  alloc_iova_fast(size0: number, limit_pfn: number, flush_rcache: boolean): number {
    // Non-power-of-two sizes would poison the caches on free, so cacheable sizes are rounded up.
    const size = size0 < 2 ** (IOVA_RANGE_CACHE_MAX_SIZE - 1) ? roundup_pow_of_two(size0) : size0;
    this.runTimers(this.nowNs());
    const cached = this.rcacheGet(size, limit_pfn + 1);
    if (cached !== 0) {
      this.stats.rcacheHits++;
      return cached;
    }
    let flush = flush_rcache;
    for (;;) {
      const n = this.alloc_iova(size, limit_pfn, true);
      if (n !== null) return n.pfn_lo;
      if (!flush) break;
      // Try replenishing IOVAs by flushing the rcache, once.
      flush = false;
      for (let c = 0; c < this.ncpus; c++) this.free_cpu_cached_iovas(c);
      this.free_global_cached_iovas();
    }
    this.stats.failures++;
    return 0;
  }

  /** free_iova_fast: into the rcache if it takes it, else back to the tree. */
  free_iova_fast(pfn: number, size: number): void {
    this.runTimers(this.nowNs());
    if (this.rcacheInsert(pfn, size)) {
      this.stats.rcacheFrees++;
      return;
    }
    this.free_iova(pfn);
  }

  private rcacheInsert(pfn: number, size: number): boolean {
    const log_size = order_base_2(size);
    if (log_size >= IOVA_RANGE_CACHE_MAX_SIZE) return false;
    const rcache = this.rcaches[log_size]!;
    const cpu = rcache.cpu[this.cpu]!;
    if (!cpu.loaded.full()) {
      // fall through to the push
    } else if (!cpu.prev.full()) {
      [cpu.prev, cpu.loaded] = [cpu.loaded, cpu.prev];
    } else {
      rcache.depot.push(cpu.loaded);
      if (rcache.workDeadlineNs === null) rcache.workDeadlineNs = this.nowNs() + IOVA_DEPOT_DELAY_NS;
      cpu.loaded = new IovaMagazine();
    }
    cpu.loaded.push(pfn);
    return true;
  }

  /** iova_rcache_get(iovad, size, limit_pfn): a cached pfn with pfn <= limit_pfn - size, or 0. */
  private rcacheGet(size: number, limit_pfn: number): number {
    const log_size = order_base_2(size);
    if (log_size >= IOVA_RANGE_CACHE_MAX_SIZE) return 0;
    const rcache = this.rcaches[log_size]!;
    const cpu = rcache.cpu[this.cpu]!;
    if (!cpu.loaded.empty()) {
      // has_pfn
    } else if (!cpu.prev.empty()) {
      [cpu.prev, cpu.loaded] = [cpu.loaded, cpu.prev];
    } else if (rcache.depot.length > 0) {
      cpu.loaded = rcache.depot.pop()!;
    } else {
      return 0;
    }
    return cpu.loaded.pop(limit_pfn - size);
  }

  private freeMagazinePfns(mag: IovaMagazine): void {
    for (let i = 0; i < mag.size; i++) {
      const n = this.find_iova(mag.pfns[i]!);
      if (n !== null) this.removeIova(n);
    }
    mag.size = 0;
  }

  free_cpu_cached_iovas(cpu: number): void {
    for (const rcache of this.rcaches) {
      const c = rcache.cpu[cpu];
      if (c === undefined) continue;
      this.freeMagazinePfns(c.loaded);
      this.freeMagazinePfns(c.prev);
    }
  }

  free_global_cached_iovas(): void {
    for (const rcache of this.rcaches) {
      while (rcache.depot.length > 0) this.freeMagazinePfns(rcache.depot.pop()!);
    }
  }

  /** iova_depot_work_func on simulated time: trim the depot to one magazine per CPU. */
  runTimers(nowNs: number): void {
    for (const rcache of this.rcaches) {
      while (rcache.workDeadlineNs !== null && rcache.workDeadlineNs <= nowNs) {
        const at = rcache.workDeadlineNs;
        rcache.workDeadlineNs = null;
        if (rcache.depot.length > this.ncpus) {
          this.freeMagazinePfns(rcache.depot.pop()!);
          rcache.workDeadlineNs = at + IOVA_DEPOT_DELAY_NS;
        }
      }
    }
  }

  /** Pfns currently sitting in rcaches (allocated in the tree but free for reuse). */
  cachedCount(): number {
    let n = 0;
    for (const r of this.rcaches) {
      for (const c of r.cpu) n += c.loaded.size + c.prev.size;
      for (const m of r.depot) n += m.size;
    }
    return n;
  }
}
