import { describe, expect, it } from 'vitest';
import { KernelLog } from '../../../src/mem/klog.js';
import {
  GFP_DMA32,
  GFP_KERNEL,
  MAX_PAGE_ORDER,
  PageAllocator,
  __GFP_NOWARN,
  __GFP_ZERO,
  get_order,
  get_page,
  page_ref_count,
} from '../../../src/mem/page_alloc.js';
import { PAGE_POISON, PhysMem, SZ_4G } from '../../../src/mem/phys.js';
import { ManualClock } from '../../../src/platform/clock.js';

const MiB = 1n << 20n;

function small(): { mem: PhysMem; pa: PageAllocator; log: KernelLog } {
  // 1 MiB of DMA32 (256 pages) and 1 MiB of NORMAL.
  const mem = new PhysMem({ regions: [{ base: MiB, end: 2n * MiB, zone: 'DMA32' }, { base: SZ_4G, end: SZ_4G + MiB, zone: 'NORMAL' }] });
  const log = new KernelLog(new ManualClock());
  return { mem, pa: new PageAllocator(mem, { klog: log }), log };
}

describe('alloc_pages zones', () => {
  it('GFP_KERNEL prefers memory above 4 GiB, lowest first; GFP_DMA32 stays below', () => {
    const pa = new PageAllocator(new PhysMem());
    const a = pa.alloc_pages(GFP_KERNEL, 0)!;
    const b = pa.alloc_pages(GFP_KERNEL, 0)!;
    // __rmqueue_smallest takes the smallest free block: NORMAL is 4 GiB..16 GiB+1 MiB, and its
    // 1 MiB tail at 16 GiB is the only block below MAX_PAGE_ORDER.
    expect(a.phys).toBe(0x4_0000_0000n);
    expect(b.phys).toBe(0x4_0000_1000n);
    expect(a.zone).toBe('NORMAL');
    const d = pa.alloc_pages(GFP_KERNEL | GFP_DMA32, 0)!;
    expect(d.phys).toBe(0x10_0000n);
    expect(d.zone).toBe('DMA32');
  });

  it('aligns a block to its order', () => {
    const pa = new PageAllocator(new PhysMem({ totalBytes: 8n << 30n, lowEnd: 0x8010_0000n }));
    expect(pa.alloc_pages(GFP_KERNEL, 0)!.phys).toBe(0x1_0000_0000n);
    const p = pa.alloc_pages(GFP_KERNEL, 3)!;
    expect(p.pfn % 8).toBe(0);
    expect(p.phys).toBe(0x1_0000_8000n);
    expect(pa.alloc_pages(GFP_KERNEL, 0)!.phys).toBe(0x1_0000_1000n);
    expect(get_order(4096)).toBe(0);
    expect(get_order(4097)).toBe(1);
    expect(get_order(65536)).toBe(4);
  });

  it('falls back from NORMAL to DMA32 when NORMAL is exhausted, and GFP_DMA32 never goes high', () => {
    const { pa } = small();
    for (let i = 0; i < 256; i++) expect(pa.alloc_pages(GFP_KERNEL, 0)!.zone).toBe('NORMAL');
    expect(pa.alloc_pages(GFP_KERNEL, 0)!.zone).toBe('DMA32');
    expect(pa.nr_free_pages('NORMAL')).toBe(0);
    expect(pa.nr_free_pages('DMA32')).toBe(255);
  });

  it('keeps memblock reservations out of the free lists', () => {
    const mem = new PhysMem({ regions: [{ base: MiB, end: 2n * MiB, zone: 'DMA32' }] });
    const pa = new PageAllocator(mem, { reserved: [{ base: MiB, size: 0x8000n }] });
    expect(pa.nr_free_pages('DMA32')).toBe(256 - 8);
    expect(pa.alloc_pages(GFP_DMA32, 0)!.phys).toBe(MiB + 0x8000n);
  });
});

describe('out of memory', () => {
  it('returns null (never throws), counts it and warns unless __GFP_NOWARN', () => {
    const { pa, log } = small();
    for (let i = 0; i < 256; i++) expect(pa.alloc_pages(GFP_DMA32, 0)).not.toBeNull();
    expect(pa.alloc_pages(GFP_DMA32, 0)).toBeNull();
    expect(pa.allocFailures).toBe(1);
    expect(log.count('page allocation failure: order:0')).toBe(1);
    expect(pa.alloc_pages(GFP_DMA32 | __GFP_NOWARN, 0)).toBeNull();
    expect(log.count('page allocation failure')).toBe(1);
    expect(pa.alloc_pages(GFP_KERNEL, MAX_PAGE_ORDER + 1)).toBeNull();
  });
});

describe('free, buddy merge and poison', () => {
  it('merges buddies back so the largest block is available again', () => {
    const { pa } = small();
    const pages = Array.from({ length: 256 }, () => pa.alloc_pages(GFP_DMA32, 0)!);
    expect(pa.alloc_pages(GFP_DMA32 | __GFP_NOWARN, 8)).toBeNull();
    for (const p of pages) pa.__free_pages(p, 0);
    expect(pa.nr_free_pages('DMA32')).toBe(256);
    const big = pa.alloc_pages(GFP_DMA32, 8)!;
    expect(big.phys).toBe(MiB);
  });

  it('poisons freed pages with 0xaa and marks them freed until reallocated', () => {
    const { pa, mem } = small();
    const p = pa.alloc_pages(GFP_KERNEL | __GFP_ZERO, 1)!;
    mem.write(p.phys, Uint8Array.of(1, 2, 3));
    pa.__free_pages(p, 1);
    expect([...mem.read(p.phys, 3)]).toEqual([PAGE_POISON, PAGE_POISON, PAGE_POISON]);
    expect(mem.read(p.phys + 4096n, 4096).every((b) => b === PAGE_POISON)).toBe(true);
    expect(pa.isFreedPage(p.pfn)).toBe(true);
    expect(pa.isFreedPage(p.pfn + 1)).toBe(true);
    const q = pa.alloc_pages(GFP_KERNEL, 0)!;
    expect(q.pfn).toBe(p.pfn);
    expect(pa.isFreedPage(q.pfn)).toBe(false);
    expect(pa.corruptions).toEqual([]);
  });

  it('detects a write after free when the page is handed out again', () => {
    const { pa, mem, log } = small();
    const p = pa.alloc_pages(GFP_KERNEL, 0)!;
    pa.__free_pages(p, 0);
    mem.write(p.phys + 100n, Uint8Array.of(0x42)); // e.g. a device through a stale IOTLB entry
    const q = pa.alloc_pages(GFP_KERNEL, 0)!;
    expect(q.pfn).toBe(p.pfn);
    expect(pa.corruptions).toEqual([{ pfn: p.pfn, cycle: null }]);
    expect(log.count('pagealloc: memory corruption')).toBe(1);
  });

  it('counts references and rejects double frees and wrong orders', () => {
    const { pa } = small();
    const p = pa.alloc_pages(GFP_KERNEL, 2)!;
    get_page(p);
    expect(page_ref_count(p)).toBe(2);
    pa.__free_pages(p, 2);
    expect(pa.isFreedPage(p.pfn)).toBe(false); // one reference left
    expect(() => pa.__free_pages(p, 0)).toThrowError(expect.objectContaining({ code: 'E_BAD_ORDER' }));
    pa.__free_pages(p, 2);
    expect(pa.isFreedPage(p.pfn)).toBe(true);
    expect(() => pa.__free_pages(p, 2)).toThrowError(expect.objectContaining({ code: 'E_BAD_FREE' }));
  });
});
