// The IOTLB: a translation cache of configurable size, tagged by domain id (VT-d's DID) and IOVA
// page, with LRU replacement. A hit is used as is: in lazy mode that is exactly how a device keeps
// reaching a page after dma_unmap until the flush queue invalidates.

export interface IotlbStats {
  hits: number;
  misses: number;
  evictions: number;
  /** Entries dropped by page-selective invalidation (strict unmap). */
  invalidated: number;
  /** Domain-selective or global flushes (flush_iotlb_all, lazy-mode flush queue). */
  flushes: number;
}

// Keys pack (domain id, IOVA pfn): pfn < 2^37 (IOVAs below 2^49), domain ids < 2^15.
const PFN_SPAN = 2 ** 37;

export class Iotlb {
  private readonly map = new Map<number, number>();
  readonly stats: IotlbStats = { hits: 0, misses: 0, evictions: 0, invalidated: 0, flushes: 0 };

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`IOTLB capacity ${capacity} must be a positive integer`);
  }

  get size(): number {
    return this.map.size;
  }

  /** The cached PTE value, or undefined (counts a hit or a miss). */
  lookup(did: number, pfn: number): number | undefined {
    const key = did * PFN_SPAN + pfn;
    const v = this.map.get(key);
    if (v === undefined) {
      this.stats.misses++;
      return undefined;
    }
    this.stats.hits++;
    // LRU: move to the most-recent end.
    this.map.delete(key);
    this.map.set(key, v);
    return v;
  }

  /** True if a translation for the page is cached (no stats, no LRU update). */
  has(did: number, pfn: number): boolean {
    return this.map.has(did * PFN_SPAN + pfn);
  }

  insert(did: number, pfn: number, pte: number): void {
    const key = did * PFN_SPAN + pfn;
    if (!this.map.delete(key) && this.map.size >= this.capacity) {
      const oldest = this.map.keys().next().value;
      if (oldest !== undefined) this.map.delete(oldest);
      this.stats.evictions++;
    }
    this.map.set(key, pte);
  }

  /** Page-selective invalidation of [pfnLo, pfnHi]. */
  invalidateRange(did: number, pfnLo: number, pfnHi: number): void {
    if (pfnHi - pfnLo + 1 > this.map.size) {
      for (const key of [...this.map.keys()]) {
        const d = Math.floor(key / PFN_SPAN);
        const p = key - d * PFN_SPAN;
        if (d === did && p >= pfnLo && p <= pfnHi && this.map.delete(key)) this.stats.invalidated++;
      }
      return;
    }
    for (let p = pfnLo; p <= pfnHi; p++) if (this.map.delete(did * PFN_SPAN + p)) this.stats.invalidated++;
  }

  /** Domain-selective flush. */
  flushDomain(did: number): void {
    this.stats.flushes++;
    for (const key of [...this.map.keys()]) if (Math.floor(key / PFN_SPAN) === did) this.map.delete(key);
  }

  flushAll(): void {
    this.stats.flushes++;
    this.map.clear();
  }
}
