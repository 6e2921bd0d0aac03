import { describe, expect, it } from 'vitest';
import { IOVA_DEPOT_DELAY_NS, IOVA_MAG_SIZE, IovaDomain, fls, order_base_2, roundup_pow_of_two } from '../../../src/iommu/iova.js';

const LIMIT32 = 0xfffff; // DMA_BIT_MASK(32) >> PAGE_SHIFT

function domain(now = { ns: 0 }): IovaDomain {
  return new IovaDomain(4096, 1, { nowNs: () => now.ns });
}

describe('bit helpers', () => {
  it('match the kernel for small and large values', () => {
    expect([fls(0), fls(1), fls(3), fls(4), fls(2 ** 40)]).toEqual([0, 1, 2, 3, 41]);
    expect([roundup_pow_of_two(1), roundup_pow_of_two(3), roundup_pow_of_two(17)]).toEqual([1, 4, 32]);
    expect([order_base_2(1), order_base_2(3), order_base_2(4), order_base_2(5)]).toEqual([0, 2, 2, 3]);
  });
});

describe('IOVA allocation (iova.c)', () => {
  it('hands out 1-page IOVAs top-down from just below 4 GiB', () => {
    const d = domain();
    const got = [0, 1, 2, 3].map(() => d.alloc_iova_fast(1, LIMIT32, true));
    expect(got).toEqual([0xfffff, 0xffffe, 0xffffd, 0xffffc]);
  });

  it('rounds 3 pages up to a 4-page, 4-page-aligned range', () => {
    const d = domain();
    expect(d.alloc_iova_fast(1, LIMIT32, true)).toBe(0xfffff);
    expect(d.alloc_iova_fast(3, LIMIT32, true)).toBe(0xffff8);
    expect(d.ranges()).toEqual([
      { pfn_lo: 0xffff8, pfn_hi: 0xffffb },
      { pfn_lo: 0xfffff, pfn_hi: 0xfffff },
    ]);
  });

  it('does not round sizes of 32 pages or more, but still aligns them', () => {
    const d = domain();
    expect(d.alloc_iova_fast(33, LIMIT32, true)).toBe(0xfffc0); // aligned to 64 pages
    expect(d.ranges()).toEqual([{ pfn_lo: 0xfffc0, pfn_hi: 0xfffc0 + 32 }]);
  });

  it('reuses a freed IOVA of the same order first (rcache, LIFO)', () => {
    const d = domain();
    const a = d.alloc_iova_fast(1, LIMIT32, true);
    const b = d.alloc_iova_fast(1, LIMIT32, true);
    d.free_iova_fast(a, 1);
    d.free_iova_fast(b, 1);
    expect(d.alloc_iova_fast(1, LIMIT32, true)).toBe(b);
    expect(d.alloc_iova_fast(1, LIMIT32, true)).toBe(a);
    expect(d.stats.rcacheHits).toBe(2);
    // A different order does not take them.
    expect(d.alloc_iova_fast(2, LIMIT32, true)).toBe(0xffffc);
  });

  it('skips reserved ranges such as the MSI window', () => {
    const d = domain();
    d.reserve_iova(0xfee00, 0xfeeff);
    let last = 0;
    for (let i = 0; i < 0x1100; i++) last = d.alloc_iova_fast(1, LIMIT32, true);
    expect(last).toBe(0xfef00);
    expect(d.alloc_iova_fast(1, LIMIT32, true)).toBe(0xfedff);
  });

  it('moves the cached node up when an IOVA at or above it returns to the tree', () => {
    const d = domain();
    const a = d.alloc_iova(1, LIMIT32, true)!;
    const b = d.alloc_iova(1, LIMIT32, true)!;
    expect([a.pfn_lo, b.pfn_lo]).toEqual([0xfffff, 0xffffe]);
    d.free_iova(0xfffff);
    expect(d.alloc_iova(1, LIMIT32, true)!.pfn_lo).toBe(0xfffff);
  });

  it('remembers a failed size under the 32-bit limit until a 32-bit IOVA is freed', () => {
    const d = domain();
    // Fill pfns 1..15 (limit 15 inclusive) with tree allocations.
    for (let i = 0; i < 15; i++) expect(d.alloc_iova(1, 15, true)).not.toBeNull();
    expect(d.alloc_iova(1, 15, true)).toBeNull();
    expect(d.max32_alloc_size).toBe(1);
    // Now even a request with a wider 32-bit limit fails without searching.
    expect(d.alloc_iova(1, LIMIT32, true)).toBeNull();
    d.free_iova(7);
    expect(d.max32_alloc_size).toBe(d.dma_32bit_pfn);
    // The walk restarts from the node above the freed one (next-fit), so the hole is found first.
    expect(d.alloc_iova(1, LIMIT32, true)!.pfn_lo).toBe(7);
    expect(d.alloc_iova(1, LIMIT32, true)!.pfn_lo).toBe(0xfffff);
  });

  it('fails with 0 when the space is full, after flushing the rcaches once', () => {
    const d = domain();
    for (let i = 0; i < 8; i++) expect(d.alloc_iova_fast(1, 8, true)).not.toBe(0);
    expect(d.alloc_iova_fast(1, 8, true)).toBe(0);
    expect(d.stats.failures).toBe(1);
    // Cached 1-page IOVAs are no use for 2 pages until the rcache is flushed back to the tree.
    d.free_iova_fast(4, 1);
    d.free_iova_fast(5, 1);
    expect(d.cachedCount()).toBe(2);
    expect(d.alloc_iova_fast(2, 8, false)).toBe(0);
    expect(d.alloc_iova_fast(2, 8, true)).toBe(4);
    expect(d.cachedCount()).toBe(0);
  });

  it('trims the rcache depot to one magazine per CPU every 100 ms of simulated time', () => {
    const now = { ns: 0 };
    const d = domain(now);
    const n = IOVA_MAG_SIZE * 4;
    const pfns = Array.from({ length: n }, () => d.alloc_iova_fast(1, LIMIT32, true));
    for (const p of pfns) d.free_iova_fast(p, 1);
    // loaded + prev hold 2 magazines; the depot got 2 full ones, and the last free started a new one.
    expect(d.cachedCount()).toBe(n);
    const inTree = d.ranges().length;
    d.runTimers(IOVA_DEPOT_DELAY_NS - 1);
    expect(d.ranges().length).toBe(inTree);
    d.runTimers(IOVA_DEPOT_DELAY_NS);
    expect(d.ranges().length).toBe(inTree - IOVA_MAG_SIZE);
    d.runTimers(10 * IOVA_DEPOT_DELAY_NS);
    expect(d.ranges().length).toBe(inTree - IOVA_MAG_SIZE); // one magazine per CPU stays
  });
});
