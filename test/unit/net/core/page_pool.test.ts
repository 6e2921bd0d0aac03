// page_pool against Linux's net/core/page_pool.c with the kernel's exact numbers (docs/net-core.md),
// plus create-time validation, the fragment API, the sync-for-device byte counts and the
// deferred shutdown on simulated time.

import { describe, expect, it } from 'vitest';
import { runPagePoolBench } from '../../../../bench/page_pool.js';
import {
  BIAS_MAX,
  PP_ETHTOOL_STATS,
  PP_FLAG_DMA_MAP,
  PP_FLAG_DMA_SYNC_DEV,
  PagePoolError,
  page_pool_alloc,
  page_pool_alloc_frag,
  page_pool_create,
  page_pool_destroy,
  page_pool_dev_alloc_frag,
  page_pool_dev_alloc_pages,
  page_pool_dma_sync_for_cpu,
  page_pool_ethtool_stats,
  page_pool_ethtool_stats_get,
  page_pool_ethtool_stats_get_count,
  page_pool_fragment_page,
  page_pool_get_dma_addr,
  page_pool_get_stats,
  page_pool_inflight,
  page_pool_put_full_page,
  page_pool_put_page,
  page_pool_put_page_bulk,
  page_pool_recycle_direct,
  page_pool_unref_page,
  page_pool_use_xdp_mem,
  type PagePool,
  type PagePoolParams,
} from '../../../../src/net/core/page_pool.js';
import {
  DMA_BIDIRECTIONAL,
  DMA_FROM_DEVICE,
  DMA_TO_DEVICE,
  GFP_ATOMIC,
  GFP_DMA32,
  GFP_KERNEL,
  SZ_4G,
  dma_map_single,
  dma_mapping_error,
  dma_unmap_single,
  get_page,
  type HostPlatformOptions,
  type Page,
} from '../../../../src/platform/host.js';
import { hex } from '../../../../src/lib/hex.js';
import { bytes, msCycles, rig, type Rig } from '../../dma/fixtures.js';

const MAP = PP_FLAG_DMA_MAP;
const MAP_SYNC = PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV;

function mkpool(r: Rig, params: Omit<PagePoolParams, 'dev'> = {}): PagePool {
  return page_pool_create(r.p, { dev: r.dev, dma_dir: DMA_FROM_DEVICE, flags: MAP, ...params });
}

/** A strict IOMMU: every mapping succeeds, and a coherent device needs no syncs. */
function iommuRig(opts: Omit<HostPlatformOptions, 'clock'> = {}): Rig {
  return rig({ iommu: { mode: 'strict' }, ...opts });
}

const allocN = (pool: PagePool, n: number): Page[] => Array.from({ length: n }, () => page_pool_dev_alloc_pages(pool)!);

/** Destroy, unbind, and require dma-debug to be clean with no live mapping. */
function finish(r: Rig, ...pools: PagePool[]): void {
  for (const pool of pools) page_pool_destroy(pool);
  r.p.driverUnbind(r.dev);
  r.p.debug!.assertClean(true);
}

describe('page_pool_create (page_pool_init)', () => {
  const cases: [string, Omit<PagePoolParams, 'dev'>, string][] = [
    ['unknown flag bits', { flags: 1 << 4 }, 'E_PP_FLAGS'],
    ['DMA_MAP with DMA_TO_DEVICE', { flags: MAP, dma_dir: DMA_TO_DEVICE }, 'E_PP_DMA_DIR'],
    ['DMA_SYNC_DEV without DMA_MAP', { flags: PP_FLAG_DMA_SYNC_DEV, max_len: 4096 }, 'E_PP_SYNC_WITHOUT_MAP'],
    ['DMA_SYNC_DEV with max_len 0', { flags: MAP_SYNC, max_len: 0 }, 'E_PP_SYNC_MAX_LEN'],
    ['order > MAX_PAGE_ORDER', { order: 11 }, 'E_PP_ORDER'],
  ];
  for (const [what, params, code] of cases) {
    it(`refuses ${what} with -EINVAL and logs it`, () => {
      const r = iommuRig();
      let err: unknown;
      try {
        page_pool_create(r.p, { dev: r.dev, dma_dir: DMA_FROM_DEVICE, ...params });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(PagePoolError);
      expect(err).toMatchObject({ code, errno: -22, context: { device: '0000:01:00.0' } });
      expect(r.p.klog.count('page_pool_create_percpu() gave up with errno -22')).toBe(1);
    });
  }

  it('accepts the valid combinations; ring size min(pool_size, 16384), default 1024; ids from 1 per host', () => {
    const r = iommuRig();
    const a = mkpool(r, { dma_dir: DMA_BIDIRECTIONAL, flags: MAP_SYNC, max_len: 4096 });
    const b = mkpool(r, { pool_size: 20000 });
    const c = page_pool_create(r.p, { dev: r.dev, pool_size: 256, order: 10 });
    expect([a.ring_qsize, b.ring_qsize, c.ring_qsize]).toEqual([1024, 16384, 256]);
    expect([a.id, b.id, c.id]).toEqual([1, 2, 3]);
    expect(mkpool(iommuRig()).id).toBe(1);
    expect([a.user_cnt, a.dma_map, a.dma_sync, b.dma_sync]).toEqual([1, true, true, false]);
    finish(r, a, b, c);
  });
});

describe('allocation path and alloc stats (page_pool_alloc_netmems)', () => {
  it('#1: empty=1 slow=1 hold=64 cache=63; #2..#64: fast=63; #65: empty=2 slow=2 hold=128', () => {
    const r = iommuRig();
    const pool = mkpool(r);
    const first = page_pool_dev_alloc_pages(pool)!;
    expect(pool.alloc_stats).toMatchObject({ empty: 1, slow: 1, fast: 0 });
    expect([pool.pages_state_hold_cnt, pool.alloc_count]).toEqual([64, 63]);
    // The bulk filled cache[0..63]; the LIFO pop returns the 64th page, mapped at its IOVA.
    expect(page_pool_get_dma_addr(first)).toBe(0xfffc0000n);
    const more = allocN(pool, 63);
    expect(pool.alloc_stats).toMatchObject({ empty: 1, slow: 1, fast: 63 });
    expect(pool.alloc_count).toBe(0);
    expect(new Set([first, ...more].map((p) => p.pfn)).size).toBe(64);
    page_pool_dev_alloc_pages(pool);
    expect(pool.alloc_stats).toMatchObject({ empty: 2, slow: 2, fast: 63, refill: 0 });
    expect(pool.pages_state_hold_cnt).toBe(128);
    expect(page_pool_inflight(pool)).toBe(128);
    finish(r, pool);
  });

  it('k of 64 mappings failing (swiotlb exhausted): hold grows by 64-k, the pages go back to the allocator', () => {
    const k = 5;
    const r = rig({ swiotlb: { nslabs: 512 } }); // the smallest pool; GFP_KERNEL pages above 4 GiB bounce
    const sw = r.p.swiotlb!;
    // Leave exactly 64-k page-sized (2-slot) holes: 1-slot buffers fill the pool from the start.
    const fill = Array.from({ length: 512 - 2 * (64 - k) }, (_, i) => {
      const d = dma_map_single(r.dev, SZ_4G + 0x1000_0000n + BigInt(i) * 2048n, 2048, DMA_TO_DEVICE);
      expect(dma_mapping_error(r.dev, d)).toBe(0);
      return d;
    });
    const free0 = r.p.pages.nr_free_pages();
    const pool = mkpool(r);
    expect(page_pool_dev_alloc_pages(pool)).not.toBeNull();
    expect(pool.pages_state_hold_cnt).toBe(64 - k);
    expect(pool.alloc_stats).toMatchObject({ slow: 1, empty: 1 });
    expect(sw.stats.full).toBe(k);
    expect(r.p.klog.count('swiotlb buffer is full (sz: 4096 bytes), total 512 (slots), used 512 (slots)')).toBe(k);
    expect(r.p.pages.nr_free_pages()).toBe(free0 - (64 - k));
    page_pool_destroy(pool);
    for (const d of fill) dma_unmap_single(r.dev, d, 2048, DMA_TO_DEVICE);
    finish(r);
    expect(sw.io_tlb_used).toBe(0);
  });

  it('all 64 failing (no IOMMU, no swiotlb, GFP_KERNEL pages above 4 GiB): NULL, slow unchanged, empty+1', () => {
    const r = rig({ swiotlb: 'off' });
    const free0 = r.p.pages.nr_free_pages();
    const pool = mkpool(r);
    expect(page_pool_dev_alloc_pages(pool)).toBeNull();
    expect(pool.alloc_stats).toMatchObject({ slow: 0, empty: 1, fast: 0 });
    expect(pool.pages_state_hold_cnt).toBe(0);
    expect(r.p.pages.nr_free_pages()).toBe(free0);
    expect(r.p.klog.count('DMA addr 0x0000000400000000+4096 overflow (mask ffffffff, bus limit 0).')).toBe(1);
    expect(page_pool_dev_alloc_pages(pool)).toBeNull();
    expect(pool.alloc_stats.empty).toBe(2);
    finish(r, pool);
  });

  it('order > 0: one compound page per slow call, slow_high_order', () => {
    const r = iommuRig();
    const pool = mkpool(r, { order: 2 });
    const page = page_pool_dev_alloc_pages(pool)!;
    expect([page.order, pool.alloc_stats.slow_high_order, pool.alloc_stats.slow, pool.pages_state_hold_cnt]).toEqual([2, 1, 0, 1]);
    expect(r.p.debug!.liveEntries(r.dev)[0]!.size).toBe(16384);
    page_pool_recycle_direct(pool, page);
    expect(page_pool_dev_alloc_pages(pool)).toBe(page);
    expect(pool.alloc_stats.fast).toBe(1);
    page_pool_recycle_direct(pool, page);
    finish(r, pool);
  });

  it('refill from the ring: 64 at most, one refill event; a page of another node is waived', () => {
    const r = iommuRig();
    const pool = mkpool(r);
    const pages = allocN(pool, 64 + 16); // cache empty after 64, then 48 left after the 80th
    for (const pg of pages.slice(0, 70)) page_pool_put_full_page(pool, pg, false); // not NAPI: ring
    expect(pool.ring_count).toBe(70);
    allocN(pool, 48); // drain the cache
    expect(pool.alloc_count).toBe(0);
    page_pool_dev_alloc_pages(pool);
    expect(pool.alloc_stats.refill).toBe(1);
    expect([pool.alloc_count, pool.ring_count]).toEqual([63, 6]);

    const w = mkpool(r, { nid: 1 }); // the model has node 0 only
    const wp = allocN(w, 64);
    for (const pg of wp.slice(0, 3)) page_pool_put_full_page(w, pg, false);
    page_pool_dev_alloc_pages(w);
    expect(w.alloc_stats).toMatchObject({ waive: 1, refill: 0, slow: 2, empty: 1 });
    expect([w.ring_count, w.pages_state_release_cnt]).toEqual([2, 1]);
    finish(r, pool, w);
  });
});

describe('recycling and recycle stats (page_pool_put_page)', () => {
  it('the 129th direct recycle: cache_full=1, ring=1 for the same page', () => {
    const r = iommuRig();
    const pool = mkpool(r);
    const pages = allocN(pool, 192); // three bulks: the cache is empty again
    expect(pool.alloc_count).toBe(0);
    for (const pg of pages.slice(0, 128)) page_pool_recycle_direct(pool, pg);
    expect(pool.recycle_stats).toMatchObject({ cached: 128, cache_full: 0, ring: 0 });
    page_pool_recycle_direct(pool, pages[128]!);
    expect(pool.recycle_stats).toMatchObject({ cached: 128, cache_full: 1, ring: 1, ring_full: 0 });
    expect([pool.alloc_count, pool.ring_count]).toEqual([128, 1]);
    finish(r, pool);
  });

  it('ring size N accepts N non-direct recycles; the (N+1)th: ring_full=1, release+1, unmapped', () => {
    const r = iommuRig();
    const N = 16;
    const pool = mkpool(r, { pool_size: N });
    const pages = allocN(pool, 64);
    for (const pg of pages.slice(0, N)) page_pool_put_full_page(pool, pg, false);
    expect(pool.recycle_stats).toMatchObject({ ring: N, ring_full: 0 });
    const last = pages[N]!;
    const dma = page_pool_get_dma_addr(last);
    page_pool_put_full_page(pool, last, false);
    expect(pool.recycle_stats).toMatchObject({ ring: N, ring_full: 1 });
    expect(pool.pages_state_release_cnt).toBe(1);
    expect(page_pool_inflight(pool)).toBe(63);
    expect([last.pp, last.refcount, page_pool_get_dma_addr(last)]).toEqual([null, 0, 0n]);
    expect(r.p.debug!.liveEntries(r.dev).some((e) => e.dev_addr === dma)).toBe(false);
    finish(r, pool);
  });

  it('page_pool_put_page_bulk: ring += inserted, ring_full once, the rest released', () => {
    const r = iommuRig();
    const pool = mkpool(r, { pool_size: 8 });
    const pages = allocN(pool, 12);
    page_pool_put_page_bulk(pool, pages);
    expect(pool.recycle_stats).toMatchObject({ ring: 8, ring_full: 1 });
    expect(pool.pages_state_release_cnt).toBe(4);
    finish(r, pool);
  });

  it('get_page() before the put: released_refcnt=1, unmapped, inflight-1; the holder frees it later', () => {
    const r = iommuRig();
    const pool = mkpool(r);
    const page = page_pool_dev_alloc_pages(pool)!;
    const inflight = page_pool_inflight(pool);
    get_page(page); // e.g. a TCP_ZEROCOPY_RECEIVE mapping
    page_pool_put_full_page(pool, page, true);
    expect(pool.recycle_stats).toMatchObject({ released_refcnt: 1, cached: 0, ring: 0 });
    expect(page_pool_inflight(pool)).toBe(inflight - 1);
    expect([page.pp, page.refcount, page_pool_get_dma_addr(page)]).toEqual([null, 1, 0n]);
    expect(r.p.debug!.liveEntries(r.dev)).toHaveLength(63);
    r.p.pages.put_page(page);
    expect(r.p.pages.isFreedPage(page.pfn)).toBe(true);
    finish(r, pool);
  });

  it('recycles directly when the owning NAPI poll runs (page_pool_napi_local), to the ring otherwise', () => {
    const r = iommuRig();
    const napi = { in_poll: false };
    const pool = mkpool(r, { napi });
    const [a, b] = allocN(pool, 2);
    page_pool_put_full_page(pool, a!, false);
    napi.in_poll = true;
    page_pool_put_full_page(pool, b!, false);
    expect(pool.recycle_stats).toMatchObject({ ring: 1, cached: 1 });
    finish(r, pool);
  });

  it('refuses a page of another pool (the kernel would corrupt both)', () => {
    const r = iommuRig();
    const a = mkpool(r);
    const b = mkpool(r);
    const page = page_pool_dev_alloc_pages(a)!;
    expect(() => page_pool_put_full_page(b, page, true)).toThrowError(expect.objectContaining({ code: 'E_PP_NOT_OWNER' }));
    page_pool_recycle_direct(a, page);
    finish(r, a, b);
  });
});

describe('DMA inside page_pool (map at entry, sync for device)', () => {
  const MAX_LEN = 1500;
  const OFFSET = 256;

  function entryHistory(r: Rig, dma: bigint): string[] {
    return r.p.debug!.liveEntries(r.dev).find((e) => e.dev_addr === dma)!.history.map((h) => `${h.op} ${h.detail}`);
  }

  it('syncs only min(dma_sync_size, max_len) bytes from p.offset for the device (BIDIRECTIONAL bounces them)', () => {
    const r = rig(); // no IOMMU: GFP_KERNEL pages bounce through swiotlb
    const sw = r.p.swiotlb!;
    const pool = mkpool(r, { dma_dir: DMA_BIDIRECTIONAL, flags: MAP_SYNC, max_len: MAX_LEN, offset: OFFSET });
    const page = page_pool_dev_alloc_pages(pool)!;
    // map copies the whole page in (always), then the entry sync copies max_len
    expect(sw.stats.bouncedToDevice).toBe(64 * (4096 + MAX_LEN));
    const dma = page_pool_get_dma_addr(page);
    expect(entryHistory(r, dma)).toEqual([`map DMA_BIDIRECTIONAL pa ${hex(page.phys)}`, `sync_for_device +${OFFSET} ${MAX_LEN}`]);
    const base = sw.stats.bouncedToDevice;
    page_pool_put_page(pool, page, 100, true);
    expect(sw.stats.bouncedToDevice - base).toBe(100);
    page_pool_dev_alloc_pages(pool);
    page_pool_put_page(pool, page, 3000, true); // clamped to max_len
    expect(sw.stats.bouncedToDevice - base).toBe(100 + MAX_LEN);
    page_pool_dev_alloc_pages(pool);
    page_pool_recycle_direct(pool, page); // -1: max_len
    expect(sw.stats.bouncedToDevice - base).toBe(100 + 2 * MAX_LEN);
    expect(entryHistory(r, dma).slice(-3)).toEqual([`sync_for_device +${OFFSET} 100`, `sync_for_device +${OFFSET} ${MAX_LEN}`, `sync_for_device +${OFFSET} ${MAX_LEN}`]);
    finish(r, pool);
    expect(sw.io_tlb_used).toBe(0);
  });

  it('FROM_DEVICE: the sync for the device copies nothing; the device data reaches the CPU only after sync_for_cpu', () => {
    const r = rig();
    const sw = r.p.swiotlb!;
    const pool = mkpool(r, { flags: MAP_SYNC, max_len: MAX_LEN, offset: OFFSET });
    const page = page_pool_dev_alloc_pages(pool)!;
    expect(sw.stats.bouncedToDevice).toBe(64 * 4096);
    const dma = page_pool_get_dma_addr(page);
    expect(sw.is_swiotlb_buffer(dma)).toBe(true);
    expect(r.port.write(dma + BigInt(OFFSET), bytes(64, 9), 10)).toEqual({ ok: true });
    // unsynced: the original page still holds what was there (zeros)
    expect(r.p.mem.read(page.phys + BigInt(OFFSET), 64)).toEqual(new Uint8Array(64));
    page_pool_dma_sync_for_cpu(pool, page, 0, 64);
    expect(sw.stats.bouncedFromDevice).toBe(64);
    expect(r.p.cpuRead(page.phys + BigInt(OFFSET), 64)).toEqual(bytes(64, 9));
    page_pool_recycle_direct(pool, page);
    expect(sw.stats.bouncedToDevice).toBe(64 * 4096);
    finish(r, pool);
  });

  it('GFP_DMA32 pools without an IOMMU bounce nothing; GFP_KERNEL pools under dma-direct bounce every page', () => {
    const r = rig();
    const sw = r.p.swiotlb!;
    const low = mkpool(r, { gfp: GFP_DMA32, flags: MAP_SYNC, max_len: 4096 });
    const lp = page_pool_dev_alloc_pages(low)!;
    expect(lp.zone).toBe('DMA32');
    expect(page_pool_get_dma_addr(lp)).toBe(lp.phys);
    expect([sw.io_tlb_used, sw.stats.bouncedToDevice]).toEqual([0, 0]);
    // a coherent device that never bounced needs no sync: none is made
    expect(r.p.debug!.liveEntries(r.dev).every((e) => e.history.every((h) => !h.op.startsWith('sync')))).toBe(true);

    const high = mkpool(r, { gfp: GFP_KERNEL });
    const hp = page_pool_dev_alloc_pages(high)!;
    expect(hp.zone).toBe('NORMAL');
    expect(sw.is_swiotlb_buffer(page_pool_get_dma_addr(hp))).toBe(true);
    expect(sw.io_tlb_used).toBe(128); // 64 pages x 2 slots, for as long as they stay in the pool
    finish(r, low, high);
    expect(sw.io_tlb_used).toBe(0);
  });

  it('a coherent device behind a strict IOMMU needs no syncs at all', () => {
    const r = iommuRig();
    const pool = mkpool(r, { flags: MAP_SYNC, max_len: 4096 });
    const page = page_pool_dev_alloc_pages(pool)!;
    page_pool_recycle_direct(pool, page);
    expect(r.p.debug!.liveEntries(r.dev).flatMap((e) => e.history.map((h) => h.op))).not.toContain('sync_for_device');
    finish(r, pool);
  });
});

describe('fragment API (pp_ref_count)', () => {
  it('hands out offsets with alignment 1, drains a full page to a fresh one while frags are out', () => {
    const r = iommuRig();
    const pool = mkpool(r);
    const f = [1000, 1000, 1000, 1000].map(() => page_pool_dev_alloc_frag(pool, 1000)!);
    expect(f.map((x) => x.offset)).toEqual([0, 1000, 2000, 3000]);
    const page = f[0]!.page;
    expect(f.every((x) => x.page === page)).toBe(true);
    expect([pool.frag_users, page.pp_ref_count]).toEqual([4, BIAS_MAX]);
    const next = page_pool_dev_alloc_frag(pool, 1000)!; // 4000 + 1000 > 4096
    expect([next.offset, next.page === page, pool.frag_users]).toEqual([0, false, 1]);
    expect(page.pp_ref_count).toBe(4); // the bias is gone, the 4 users remain
    for (let i = 0; i < 3; i++) page_pool_put_full_page(pool, page, true);
    expect(pool.recycle_stats.cached).toBe(0);
    page_pool_put_full_page(pool, page, true); // the last frag recycles the page
    expect([pool.recycle_stats.cached, page.pp_ref_count]).toEqual([1, 1]);
    const odd = page_pool_alloc_frag(pool, 33, GFP_ATOMIC)!;
    expect([odd.offset, page_pool_alloc_frag(pool, 33, GFP_ATOMIC)!.offset]).toEqual([1000, 1033]);
    finish(r, pool);
  });

  it('reuses the same page when nothing is outstanding: cached++ and fast++, offset back to 0', () => {
    const r = iommuRig();
    const pool = mkpool(r);
    const a = page_pool_dev_alloc_frag(pool, 2048)!;
    const b = page_pool_dev_alloc_frag(pool, 2048)!;
    page_pool_put_full_page(pool, a.page, true);
    page_pool_put_full_page(pool, b.page, true);
    const before = page_pool_get_stats(pool);
    const c = page_pool_dev_alloc_frag(pool, 2048)!;
    expect([c.page === a.page, c.offset]).toEqual([true, 0]);
    const after = page_pool_get_stats(pool);
    expect(after.recycle_stats.cached - before.recycle_stats.cached).toBe(1);
    expect(after.alloc_stats.fast - before.alloc_stats.fast).toBe(1);
    page_pool_put_full_page(pool, c.page, true);
    finish(r, pool);
  });

  it('page_pool_alloc: a whole page when size*2 > max, else a frag that takes the rest when the next would not fit', () => {
    const r = iommuRig();
    const pool = mkpool(r);
    const whole = page_pool_alloc(pool, 3000, GFP_ATOMIC)!;
    expect([whole.offset, whole.size]).toEqual([0, 4096]);
    const x = page_pool_alloc(pool, 1500, GFP_ATOMIC)!;
    const y = page_pool_alloc(pool, 1500, GFP_ATOMIC)!;
    expect([x.offset, x.size, y.offset, y.size]).toEqual([0, 1500, 1500, 4096 - 1500]);
    expect(pool.frag_offset).toBe(4096);
    const z = page_pool_alloc(pool, 1500, GFP_ATOMIC)!;
    expect([z.page === x.page, z.offset]).toEqual([false, 0]);
    for (const p of [whole.page, x.page, y.page, z.page]) page_pool_put_full_page(pool, p, true);
    finish(r, pool);
  });

  it('WARNs on an oversized frag and on pp_ref_count underflow; fragment_page sets the count', () => {
    const r = iommuRig();
    const pool = mkpool(r);
    expect(page_pool_dev_alloc_frag(pool, 4097)).toBeNull();
    expect(r.p.klog.count('WARNING: page_pool_alloc_frag: size 4097 > 4096')).toBe(1);
    const page = page_pool_dev_alloc_pages(pool)!;
    page_pool_fragment_page(page, 3);
    expect(page_pool_unref_page(page, 1)).toBe(2);
    expect(page_pool_unref_page(page, 5)).toBe(-3);
    expect(r.p.klog.grep('pp_ref_count underflow (-3)').map((l) => l.warning)).toEqual([true]);
    page_pool_fragment_page(page, 1);
    page_pool_recycle_direct(pool, page);
    finish(r, pool);
  });
});

describe('in-flight accounting, destroy and deferred release (page_pool_destroy)', () => {
  const S = 1e9;
  const at = (r: Rig, ns: number): void => {
    r.clock.advanceTo(msCycles(ns / 1e6));
    r.p.runTimers(ns);
  };
  const stalled = (r: Rig): { sec: string; cycle: number }[] =>
    r.p.klog.grep('page_pool_release_retry() stalled pool shutdown').map((l) => ({ sec: l.msg, cycle: l.cycle }));

  it('counts with u32 serial arithmetic; cache and ring pages are held', () => {
    const r = iommuRig();
    const pool = mkpool(r);
    const pages = allocN(pool, 2);
    page_pool_recycle_direct(pool, pages[0]!);
    page_pool_put_full_page(pool, pages[1]!, false);
    expect([page_pool_inflight(pool), pool.alloc_count, pool.ring_count]).toEqual([64, 63, 1]);
    const [h, rel] = [pool.pages_state_hold_cnt, pool.pages_state_release_cnt];
    pool.pages_state_hold_cnt = 2;
    pool.pages_state_release_cnt = 0xffffffff;
    expect(page_pool_inflight(pool)).toBe(3);
    [pool.pages_state_hold_cnt, pool.pages_state_release_cnt] = [h, rel];
    finish(r, pool);
  });

  it('destroy with 0 held: freed synchronously, release_cnt == hold_cnt, every page back', () => {
    const r = iommuRig();
    const free0 = r.p.pages.nr_free_pages();
    const pool = mkpool(r);
    const pages = allocN(pool, 100);
    pages.slice(0, 70).forEach((p) => page_pool_recycle_direct(pool, p));
    pages.slice(70).forEach((p) => page_pool_put_full_page(pool, p, false));
    page_pool_destroy(pool);
    expect(pool.state).toBe('freed');
    expect([pool.pages_state_release_cnt, pool.pages_state_hold_cnt]).toEqual([128, 128]);
    expect(r.p.pages.nr_free_pages()).toBe(free0);
    expect(r.p.pendingWork).toBe(0);
    finish(r);
  });

  it('destroy with k held: inflight k, retries every 1 s, first warning at 60 s, freed on the first retry after the last return', () => {
    const r = iommuRig();
    const pool = mkpool(r);
    const held = allocN(pool, 3); // e.g. sitting in socket receive queues
    const dma = page_pool_get_dma_addr(held[0]!);
    page_pool_destroy(pool);
    expect([pool.state, pool.detach_time_ns, page_pool_inflight(pool)]).toEqual(['detached', 0, 3]);
    // v6.15: in-flight pages are unmapped at destroy; the device has lost them
    expect(r.p.debug!.liveEntries(r.dev)).toHaveLength(0);
    expect(r.port.write(dma, bytes(8), msCycles(1))).toMatchObject({ ok: false, fault: { reason: 'not_present' } });
    for (let s = 1; s <= 59; s++) {
      at(r, s * S);
      expect(pool.release_dw!.dueNs).toBe((s + 1) * S); // one retry a second
    }
    expect(stalled(r)).toEqual([]);
    at(r, 60 * S);
    expect(stalled(r)).toEqual([{ sec: 'page_pool_release_retry() stalled pool shutdown: id 1, 3 inflight 60 sec', cycle: msCycles(60_000) }]);
    at(r, 119.5 * S);
    expect(stalled(r)).toHaveLength(1);
    at(r, 120 * S);
    expect(stalled(r)[1]!.sec).toBe('page_pool_release_retry() stalled pool shutdown: id 1, 3 inflight 120 sec');
    // the pages come back from the sockets (not NAPI-local) and sit in the ring
    for (const p of held) page_pool_put_full_page(pool, p, false);
    expect([pool.state, pool.ring_count, pool.alloc_count]).toEqual(['detached', 3, 0]);
    at(r, 120.5 * S);
    expect(pool.state).toBe('detached');
    at(r, 121 * S);
    expect(pool.state).toBe('freed');
    expect([pool.pages_state_release_cnt, pool.pages_state_hold_cnt, r.p.pendingWork]).toEqual([64, 64, 0]);
    finish(r);
  });

  it('keeps the 1 s period and the 60 s warnings when runTimers is called late', () => {
    const r = iommuRig();
    const pool = mkpool(r);
    const held = allocN(pool, 2);
    page_pool_destroy(pool);
    at(r, 200.5 * S);
    expect(stalled(r).map((l) => l.sec.replace(/.*inflight /, ''))).toEqual(['60 sec', '120 sec', '180 sec']);
    expect(pool.release_dw!.dueNs).toBe(201 * S);
    held.forEach((p) => page_pool_put_full_page(pool, p, false));
    at(r, 201 * S);
    expect(pool.state).toBe('freed');
    finish(r);
  });

  it('warns only for pools netlink cannot show (v6.8+: no slow.netdev)', () => {
    const r = iommuRig();
    const pool = mkpool(r, { netdev: 'eth0', queue_idx: 2 });
    const held = allocN(pool, 1);
    page_pool_destroy(pool);
    at(r, 61 * S);
    expect(stalled(r)).toEqual([]);
    page_pool_put_full_page(pool, held[0]!, false);
    at(r, 62 * S);
    expect(pool.state).toBe('freed');
    finish(r);
  });

  it('a negative inflight WARNs and is not rescheduled', () => {
    const r = iommuRig();
    const pool = mkpool(r);
    allocN(pool, 1);
    pool.pages_state_release_cnt = 7; // as after a driver's double frees: 64 - (7 + 63 scrubbed) = -6
    page_pool_destroy(pool);
    expect(r.p.klog.count('WARNING: Negative(-6) inflight packet-pages')).toBe(1);
    at(r, 1 * S);
    expect([r.p.pendingWork, pool.state]).toEqual([0, 'detached']);
    expect(r.p.klog.count('Negative(-6)')).toBe(2);
    r.p.driverUnbind(r.dev);
  });

  it('page_pool_use_xdp_mem adds a user: destroy once per user, and not once more', () => {
    const r = iommuRig();
    const pool = mkpool(r);
    const gone: number[] = [];
    page_pool_use_xdp_mem(pool, (p) => gone.push(p.id));
    page_pool_destroy(pool);
    expect([pool.state, pool.user_cnt]).toEqual(['active', 1]);
    page_pool_destroy(pool);
    expect([pool.state, gone]).toEqual(['freed', [1]]);
    expect(() => page_pool_destroy(pool)).toThrowError(expect.objectContaining({ code: 'E_PP_USER_CNT' }));
    page_pool_destroy(null);
    finish(r);
  });

  it('frees the frag page at destroy', () => {
    const r = iommuRig();
    const pool = mkpool(r);
    page_pool_put_full_page(pool, page_pool_dev_alloc_frag(pool, 512)!.page, true);
    page_pool_destroy(pool);
    expect([pool.state, pool.frag_page]).toEqual(['freed', null]);
    finish(r);
  });
});

describe('HostPlatform delayed work (what the deferred release runs on)', () => {
  it('runs works in time order, ties in queueing order, each at its due time; cancel removes one', () => {
    const r = iommuRig();
    const ran: string[] = [];
    const log = (name: string) => (t: number): void => {
      ran.push(`${name}@${t}`);
      if (name === 'a') r.p.queue_delayed_work(5, log('a2')); // counts from a's due time
    };
    r.p.queue_delayed_work(20, log('c'));
    r.p.queue_delayed_work(10, log('a'));
    r.p.queue_delayed_work(10, log('b'));
    const d = r.p.queue_delayed_work(12, log('d'));
    expect(r.p.cancel_delayed_work(d)).toBe(true);
    expect(r.p.cancel_delayed_work(d)).toBe(false);
    r.p.runTimers(9);
    expect(ran).toEqual([]);
    r.p.runTimers(100);
    expect(ran).toEqual(['a@10', 'b@10', 'a2@15', 'c@20']);
    expect(r.p.pendingWork).toBe(0);
    expect(() => r.p.queue_delayed_work(-1, log('x'))).toThrowError(expect.objectContaining({ code: 'E_BAD_DELAY' }));
  });
});

describe('stats exposure (CONFIG_PAGE_POOL_STATS)', () => {
  it('page_pool_get_stats accumulates; the ethtool strings and values follow the kernel order', () => {
    const r = iommuRig();
    const a = mkpool(r);
    const b = mkpool(r);
    page_pool_recycle_direct(a, page_pool_dev_alloc_pages(a)!);
    page_pool_put_full_page(b, page_pool_dev_alloc_pages(b)!, false);
    const sum = page_pool_get_stats(b, page_pool_get_stats(a));
    expect(sum).toEqual({
      alloc_stats: { fast: 0, slow: 2, slow_high_order: 0, empty: 2, refill: 0, waive: 0 },
      recycle_stats: { cached: 1, cache_full: 0, ring: 1, ring_full: 0, released_refcnt: 0 },
    });
    expect(page_pool_ethtool_stats_get_count()).toBe(11);
    expect(PP_ETHTOOL_STATS.slice(0, 3)).toEqual(['rx_pp_alloc_fast', 'rx_pp_alloc_slow', 'rx_pp_alloc_slow_ho']);
    expect(page_pool_ethtool_stats_get(sum)).toEqual([0, 2, 0, 2, 0, 0, 1, 0, 1, 0, 0]);
    expect(Object.entries(page_pool_ethtool_stats(a))).toEqual(PP_ETHTOOL_STATS.map((n, i) => [n, [0, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0][i]]));
    finish(r, a, b);
  });
});

describe('bench/page_pool.ts', () => {
  it('produces every figure, positive and finite', () => {
    const figs = runPagePoolBench(5);
    expect(figs.map((f) => f.name)).toEqual(['page_pool_fast_alloc_recycle_pairs_per_s', 'page_pool_ring_alloc_recycle_pairs_per_s', 'page_pool_fast_to_ring_speed_ratio']);
    for (const f of figs) expect(Number.isFinite(f.value) && f.value > 0).toBe(true);
  });
});
