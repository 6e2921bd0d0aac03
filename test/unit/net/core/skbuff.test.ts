// sk_buff-like packet buffers: the linear part, frags, page_pool recycling, and the two modes of
// the page_pool memory model (seeds/004): writable packet page and read-only packet page.

import { describe, expect, it } from 'vitest';
import {
  PP_FLAG_DMA_MAP,
  PP_FLAG_DMA_SYNC_DEV,
  page_pool_create,
  page_pool_destroy,
  page_pool_dev_alloc_pages,
  page_pool_dma_sync_for_cpu,
  page_pool_get_dma_addr,
  page_pool_inflight,
  page_pool_put_full_page,
  page_pool_ref_page,
  type PagePool,
} from '../../../../src/net/core/page_pool.js';
import {
  CHECKSUM_UNNECESSARY,
  MAX_SKB_FRAGS,
  NET_SKB_PAD,
  PKT_HASH_TYPE_L3,
  PKT_HASH_TYPE_L4,
  SKB_SHINFO_SIZE,
  SKB_TRUESIZE,
  alloc_skb,
  build_skb,
  consume_skb,
  kfree_skb,
  napi_alloc_skb,
  napi_consume_skb,
  skb_add_rx_frag,
  skb_build_readonly,
  skb_build_writable,
  skb_copy_bits,
  skb_fill_page_desc,
  skb_get,
  skb_get_rx_queue,
  skb_head_cache,
  skb_headlen,
  skb_headroom,
  skb_is_nonlinear,
  skb_linear_phys,
  skb_pull,
  skb_push,
  skb_put,
  skb_put_data,
  skb_record_rx_queue,
  skb_reserve,
  skb_set_hash,
  skb_store_bits,
  skb_tailroom,
  type SkBuff,
} from '../../../../src/net/core/skbuff.js';
import { DMA_FROM_DEVICE, GFP_KERNEL, dma_alloc_coherent, dma_free_coherent, type Page } from '../../../../src/platform/host.js';
import { bytes, rig, type Rig } from '../../dma/fixtures.js';

/** XDP_PACKET_HEADROOM: where drivers let the device start writing. */
const HEADROOM = 256;
const FRAME = 1000;

interface RxRig extends Rig {
  readonly pool: PagePool;
  readonly napi: { in_poll: boolean };
}

/** No IOMMU: the pool's GFP_KERNEL pages bounce through swiotlb, so a missing sync shows. */
function rxRig(): RxRig {
  const r = rig();
  const napi = { in_poll: true };
  const pool = page_pool_create(r.p, {
    dev: r.dev, napi, dma_dir: DMA_FROM_DEVICE, flags: PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV,
    offset: HEADROOM, max_len: 4096 - HEADROOM - SKB_SHINFO_SIZE,
  });
  return { ...r, pool, napi };
}

/** The device writes a frame into a fresh pool page; the driver syncs it for the CPU. */
function receive(r: RxRig, frame: Uint8Array): Page {
  const page = page_pool_dev_alloc_pages(r.pool)!;
  expect(r.port.write(page_pool_get_dma_addr(page) + BigInt(HEADROOM), frame, r.clock.cycle)).toEqual({ ok: true });
  page_pool_dma_sync_for_cpu(r.pool, page, 0, frame.length);
  return page;
}

function finish(r: RxRig): void {
  page_pool_destroy(r.pool);
  expect(r.pool.state).toBe('freed');
  r.p.driverUnbind(r.dev);
  r.p.debug!.assertClean(true);
}

const inPage = (pa: bigint, page: Page): boolean => pa >= page.phys && pa < page.phys + 4096n;

describe('the linear part', () => {
  it('skb_reserve / skb_put / skb_push / skb_pull move data and tail as the kernel does', () => {
    const { p } = rig();
    const skb = alloc_skb(p, 200)!;
    expect([skb.end, skb_headroom(skb), skb_tailroom(skb), skb.truesize]).toEqual([256, 0, 256, SKB_TRUESIZE(256)]);
    skb_reserve(skb, 64);
    const at = skb_put_data(skb, bytes(100));
    expect(at).toBe(skb.head + 64n);
    expect([skb.len, skb_headlen(skb), skb_headroom(skb), skb_tailroom(skb)]).toEqual([100, 100, 64, 92]);
    expect(skb_push(skb, 14)).toBe(skb.head + 50n);
    expect(skb.len).toBe(114);
    expect(skb_pull(skb, 14)).toBe(skb.head + 64n);
    expect(skb_pull(skb, 101)).toBeNull();
    expect(skb_copy_bits(skb, 0, 100)).toEqual(bytes(100));
    expect(skb_copy_bits(skb, 50, 51)).toBeNull(); // -EFAULT
    expect(() => skb_put(skb, 93)).toThrowError(expect.objectContaining({ code: 'E_SKB_OVER' }));
    expect(() => skb_push(skb, 65)).toThrowError(expect.objectContaining({ code: 'E_SKB_UNDER' }));
    kfree_skb(skb);
  });

  it('napi_alloc_skb reserves NET_SKB_PAD; heads are carved from the head cache, whose pages go back when empty', () => {
    const { p } = rig();
    const free0 = p.pages.nr_free_pages();
    const a = napi_alloc_skb(p, 128)!;
    const b = napi_alloc_skb(p, 128)!;
    expect([skb_headroom(a), a.end]).toEqual([NET_SKB_PAD, 256]);
    expect(b.head - a.head).toBe(256n); // two objects of one slab
    expect(p.pages.pfn_to_page(Number(a.head >> 12n))!.pp).toBeNull(); // not a page_pool page
    expect([skb_head_cache(p).slabs, p.pages.nr_free_pages()]).toEqual([1, free0 - 1]);
    const big = alloc_skb(p, 9000)!; // beyond the caches: its own pages
    expect(big.end).toBe(16384);
    for (const s of [a, b, big]) consume_skb(s);
    expect([skb_head_cache(p).slabs, skb_head_cache(p).objects, p.pages.nr_free_pages()]).toEqual([0, 0, free0]);
  });

  it('counts users, and refuses a freed skb', () => {
    const { p } = rig();
    const skb = alloc_skb(p, 64)!;
    skb_get(skb);
    kfree_skb(skb);
    expect(skb.freed).toBe(false);
    kfree_skb(skb);
    expect(skb.freed).toBe(true);
    expect(() => kfree_skb(skb)).toThrowError(expect.objectContaining({ code: 'E_SKB_FREED' }));
    expect(() => skb_put(skb, 1)).toThrowError(expect.objectContaining({ code: 'E_SKB_FREED' }));
    kfree_skb(null);
  });

  it('sets the metadata drivers set', () => {
    const { p } = rig();
    const skb = alloc_skb(p, 64)!;
    skb_set_hash(skb, 0xdeadbeef, PKT_HASH_TYPE_L4);
    expect([skb.hash, skb.l4_hash, skb.sw_hash]).toEqual([0xdeadbeef, true, false]);
    skb_set_hash(skb, 7, PKT_HASH_TYPE_L3);
    expect(skb.l4_hash).toBe(false);
    skb_record_rx_queue(skb, 3);
    expect([skb.queue_mapping, skb_get_rx_queue(skb)]).toEqual([4, 3]);
    skb.ip_summed = CHECKSUM_UNNECESSARY;
    skb.protocol = 0x0800;
    skb.dev = 'eth0';
    expect(skb.where).toContain('dev eth0');
    kfree_skb(skb);
  });
});

describe('frags', () => {
  it('accounts len, data_len and truesize; at most MAX_SKB_FRAGS (17)', () => {
    const { p } = rig();
    const skb = alloc_skb(p, 64)!;
    skb_put_data(skb, bytes(64));
    const pages = Array.from({ length: MAX_SKB_FRAGS }, (_, i) => {
      const page = p.pages.alloc_pages(GFP_KERNEL, 0)!;
      p.cpuWrite(page.phys + 100n, bytes(10, i));
      skb_add_rx_frag(skb, i, page, 100, 10, 4096);
      return page;
    });
    expect([skb.nr_frags, skb.len, skb.data_len, skb_headlen(skb), skb_is_nonlinear(skb)]).toEqual([17, 64 + 170, 170, 64, true]);
    expect(skb.truesize).toBe(SKB_TRUESIZE(64) + 17 * 4096);
    expect(skb_copy_bits(skb, 60, 18)).toEqual(Uint8Array.from([...bytes(64).subarray(60), ...bytes(10, 0), ...bytes(4, 1)]));
    expect(() => skb_add_rx_frag(skb, 17, pages[0]!, 0, 1, 1)).toThrowError(expect.objectContaining({ code: 'E_SKB_FRAGS' }));
    expect(() => skb_put(skb, 1)).toThrowError(expect.objectContaining({ code: 'E_SKB_NONLINEAR' }));
    expect(skb_tailroom(skb)).toBe(0);
    kfree_skb(skb); // not marked for recycle: put_page frees them
    expect(pages.every((pg) => p.pages.isFreedPage(pg.pfn))).toBe(true);
  });

  it('skb_fill_page_desc sets the frag only; the caller accounts the lengths', () => {
    const { p } = rig();
    const skb = alloc_skb(p, 64)!;
    const page = p.pages.alloc_pages(GFP_KERNEL, 0)!;
    skb_fill_page_desc(skb, 0, page, 0, 500);
    expect([skb.nr_frags, skb.len, skb.data_len]).toEqual([1, 0, 0]);
    expect(() => skb_fill_page_desc(skb, 2, page, 0, 1)).toThrowError(expect.objectContaining({ code: 'E_SKB_FRAGS' }));
    kfree_skb(skb);
  });
});

describe('writable packet page (napi_build_skb on the page_pool page)', () => {
  it('keeps the headers in the page: skb->head is the page, data after the headroom, bytes read from the page', () => {
    const r = rxRig();
    const frame = bytes(FRAME, 3);
    const page = receive(r, frame);
    const skb = skb_build_writable(r.p, { page, offset: HEADROOM, len: FRAME, truesize: 4096 }, 0, 4096);
    expect([skb.head, skb_linear_phys(skb)]).toEqual([page.phys, page.phys + BigInt(HEADROOM)]);
    expect([skb.head_frag, skb.pp_recycle, skb.frags_readonly, skb_headroom(skb)]).toEqual([true, true, false, HEADROOM]);
    expect(skb.end).toBe(4096 - SKB_SHINFO_SIZE);
    expect(skb_tailroom(skb)).toBe(4096 - SKB_SHINFO_SIZE - HEADROOM - FRAME);
    expect(skb_copy_bits(skb, 0, FRAME)).toEqual(frame);
    // The stack may edit headers in place (a TTL decrement) in this mode.
    expect(skb_store_bits(skb, 22, Uint8Array.of(63))).toBe(0);
    expect(r.p.cpuRead(page.phys + BigInt(HEADROOM + 22), 1)).toEqual(Uint8Array.of(63));
    // Principle 8: no shared info in the page; its tail is as the allocator gave it.
    expect(r.p.mem.read(page.phys + BigInt(4096 - SKB_SHINFO_SIZE), SKB_SHINFO_SIZE)).toEqual(new Uint8Array(SKB_SHINFO_SIZE));
    const cached = r.pool.recycle_stats.cached;
    kfree_skb(skb); // in the NAPI poll: straight back to the alloc cache
    expect(r.pool.recycle_stats.cached).toBe(cached + 1);
    expect(page.pp).toBe(r.pool);
    finish(r);
  });

  it('a frame over two buffers: the second page is a frag, recycled with the head page', () => {
    const r = rxRig();
    const a = receive(r, bytes(3000, 1));
    const b = receive(r, bytes(700, 2));
    const skb = skb_build_writable(r.p, { page: a, offset: HEADROOM, len: 3000, truesize: 4096 }, 0, 4096, [{ page: b, offset: HEADROOM, len: 700, truesize: 4096 }]);
    expect([skb.len, skb.data_len, skb.nr_frags]).toEqual([3700, 700, 1]);
    expect(skb_copy_bits(skb, 2990, 20)).toEqual(Uint8Array.from([...bytes(3000, 1).subarray(2990), ...bytes(10, 2)]));
    r.napi.in_poll = false; // freed later, from a socket: through the ring
    kfree_skb(skb);
    expect(r.pool.recycle_stats.ring).toBe(2);
    finish(r);
  });

  it('build_skb refuses a buffer that cannot hold the shared info', () => {
    const { p } = rig();
    const page = p.pages.alloc_pages(GFP_KERNEL, 0)!;
    expect(() => build_skb(p, page, 0, 200)).toThrowError(expect.objectContaining({ code: 'E_SKB_PARAM' }));
    expect(() => build_skb(p, page, 2048, 4096)).toThrowError(expect.objectContaining({ code: 'E_SKB_PARAM' }));
  });
});

describe('read-only packet page (napi_alloc_skb + header copy)', () => {
  function roSkb(r: RxRig, page: Page, hdr: number): SkBuff {
    return skb_build_readonly(r.p, [{ page, offset: HEADROOM, len: FRAME, truesize: 4096 }], hdr)!;
  }

  it('copies the headers into a non-pool head and leaves the payload in the page, which the CPU never writes', () => {
    const r = rxRig();
    const frame = bytes(FRAME, 5);
    const page = page_pool_dev_alloc_pages(r.pool)!;
    const watch = r.p.watchWrites(page);
    expect(r.port.write(page_pool_get_dma_addr(page) + BigInt(HEADROOM), frame, r.clock.cycle)).toEqual({ ok: true });
    page_pool_dma_sync_for_cpu(r.pool, page, 0, FRAME); // the swiotlb copy-back is not a CPU write
    const before = r.p.mem.read(page.phys, 4096);

    const skb = roSkb(r, page, 64);
    expect(inPage(skb.head, page)).toBe(false);
    expect(r.p.pages.pfn_to_page(Number(skb.head >> 12n))!.pp).toBeNull();
    expect([skb_headlen(skb), skb.nr_frags, skb.frags[0]!.offset, skb.frags[0]!.size]).toEqual([64, 1, HEADROOM + 64, FRAME - 64]);
    expect([skb.pp_recycle, skb.frags_readonly, skb_headroom(skb)]).toEqual([true, true, NET_SKB_PAD]);
    expect(skb.truesize).toBe(SKB_TRUESIZE(128) + 4096);
    expect(skb_copy_bits(skb, 0, FRAME)).toEqual(frame);
    // The stack edits the copied headers, never the page.
    expect(skb_store_bits(skb, 22, Uint8Array.of(63))).toBe(0);
    expect(() => skb_store_bits(skb, 60, bytes(8))).toThrowError(expect.objectContaining({ code: 'E_SKB_FRAG_READONLY' }));
    expect(skb_copy_bits(skb, 60, 4)).toEqual(frame.subarray(60, 64)); // the refused write wrote nothing
    expect(watch.writes).toEqual([]);
    expect(r.p.mem.read(page.phys, 4096)).toEqual(before);

    // The watch would catch any CPU write into the page: a deliberate one shows.
    r.p.cpuWrite(page.phys + 300n, Uint8Array.of(1, 2));
    expect(watch.writes).toEqual([{ pa: page.phys + 300n, len: 2, cycle: r.clock.cycle }]);
    watch.stop();
    r.p.cpuFill(page.phys + 300n, 2, 0);
    expect(watch.writes).toHaveLength(1);

    r.napi.in_poll = false;
    kfree_skb(skb);
    expect([r.pool.recycle_stats.ring, skb_head_cache(r.p).objects]).toEqual([1, 0]);
    finish(r);
  });

  it('with header split, copies the headers from the header buffer: every payload byte stays a frag', () => {
    const r = rxRig();
    const hdr = dma_alloc_coherent(r.dev, 4096, GFP_KERNEL)!;
    r.p.cpuWrite(hdr.cpu_addr, bytes(54, 8));
    const page = receive(r, bytes(FRAME, 9));
    const watch = r.p.watchWrites(page);
    const skb = skb_build_readonly(r.p, [{ page, offset: HEADROOM, len: FRAME, truesize: 4096 }], 54, hdr.cpu_addr)!;
    expect([skb.len, skb_headlen(skb), skb.frags[0]!.offset, skb.frags[0]!.size]).toEqual([54 + FRAME, 54, HEADROOM, FRAME]);
    expect(skb_copy_bits(skb, 50, 8)).toEqual(Uint8Array.from([...bytes(54, 8).subarray(50), ...bytes(4, 9)]));
    expect(watch.writes).toEqual([]);
    napi_consume_skb(skb, 64); // TX-completion style free from the poll: direct recycling
    expect(r.pool.recycle_stats.cached).toBe(1);
    dma_free_coherent(r.dev, 4096, hdr.cpu_addr, hdr.dma_handle);
    finish(r);
  });

  it('a frame that fits in the copied headers returns its page to the pool at once', () => {
    const r = rxRig();
    const page = receive(r, bytes(40, 1));
    const skb = skb_build_readonly(r.p, [{ page, offset: HEADROOM, len: 40, truesize: 4096 }], 64)!;
    expect([skb.len, skb.nr_frags, r.pool.recycle_stats.cached]).toEqual([40, 0, 1]);
    kfree_skb(skb);
    finish(r);
  });

  it('a page another holder references stays out of the pool until the last pp reference goes', () => {
    const r = rxRig();
    const page = receive(r, bytes(FRAME, 2));
    const skb = roSkb(r, page, 64);
    page_pool_ref_page(page); // e.g. a zero-copy reader keeps the frag
    const inflight = page_pool_inflight(r.pool);
    kfree_skb(skb);
    expect([page.pp_ref_count, r.pool.recycle_stats.cached]).toEqual([1, 0]);
    page_pool_destroy(r.pool); // the pool waits for it
    expect([r.pool.state, page_pool_inflight(r.pool)]).toEqual(['detached', 1]);
    expect(inflight).toBe(64);
    r.clock.advanceTo(250_000_000); // 1 s
    r.p.runTimers(1e9);
    expect(r.pool.state).toBe('detached');
    // the holder drops its reference: the page goes to the ring and the next retry frees the pool
    page_pool_put_full_page(r.pool, page, false);
    r.clock.advanceTo(500_000_000);
    r.p.runTimers(2e9);
    expect(r.pool.state).toBe('freed');
    r.p.driverUnbind(r.dev);
    r.p.debug!.assertClean(true);
  });
});
