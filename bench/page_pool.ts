// page_pool benchmarks: alloc + recycle pairs per second on the fast path (a warm alloc cache,
// direct recycling from NAPI context) and on the ring path (pages recycled from outside NAPI go
// through the ptr_ring and come back by refills of 64). One run, so compare the ratio.
// Usage: npx tsx bench/page_pool.ts [--ms=400]

import { pathToFileURL } from 'node:url';
import { ManualClock } from '../src/platform/clock.js';
import { DMA_FROM_DEVICE, HostPlatform } from '../src/platform/host.js';
import type { Page } from '../src/mem/page_alloc.js';
import {
  PP_FLAG_DMA_MAP,
  PP_FLAG_DMA_SYNC_DEV,
  page_pool_create,
  page_pool_destroy,
  page_pool_dev_alloc_pages,
  page_pool_put_full_page,
  page_pool_recycle_direct,
  type PagePool,
} from '../src/net/core/page_pool.js';
import { rate, type BenchFigure } from './host.js';

const BATCH = 64;

/** A driver-like pool: strict IOMMU (a coherent device needs no syncs), DMA_MAP | SYNC_DEV. */
function pool(): { pool: PagePool; napi: { in_poll: boolean } } {
  const host = new HostPlatform({ clock: new ManualClock(), iommu: { mode: 'strict' }, dmaDebug: false });
  const dev = host.createDevice({ driver: 'bench' });
  const napi = { in_poll: true };
  const pp = page_pool_create(host, { dev, napi, pool_size: 1024, dma_dir: DMA_FROM_DEVICE, max_len: 2048, flags: PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV });
  return { pool: pp, napi };
}

function check(what: string, stat: number, expected: number): void {
  if (stat !== expected) throw new Error(`page_pool bench is not measuring what it says: ${what} ${stat}, expected ${expected}`);
}

/** page_pool_dev_alloc_pages + page_pool_recycle_direct pairs/s with a warm cache. */
export function benchFastPath(ms: number): BenchFigure {
  const { pool: pp } = pool();
  const held: Page[] = new Array<Page>(BATCH);
  // Alloc a batch, recycle it: the cache (128) holds it, so every alloc after warm-up is fast.
  const body = (): void => {
    for (let i = 0; i < BATCH; i++) held[i] = page_pool_dev_alloc_pages(pp)!;
    for (let i = 0; i < BATCH; i++) page_pool_recycle_direct(pp, held[i]!);
  };
  let fast0 = 0;
  let slow0 = 0;
  const v = rate(ms, BATCH, body, () => {
    fast0 = pp.alloc_stats.fast;
    slow0 = pp.alloc_stats.slow + pp.alloc_stats.refill;
  });
  check('fast path: slow allocs and refills after warm-up', pp.alloc_stats.slow + pp.alloc_stats.refill - slow0, 0);
  if (pp.alloc_stats.fast === fast0) throw new Error('page_pool bench: no fast allocations');
  page_pool_destroy(pp);
  return { name: 'page_pool_fast_alloc_recycle_pairs_per_s', value: v, unit: 'pairs/s' };
}

/** The same pairs when recycling is not NAPI-local: ptr_ring produce, refill of 64 on alloc. */
export function benchRingPath(ms: number): BenchFigure {
  const { pool: pp, napi } = pool();
  napi.in_poll = false;
  const held: Page[] = new Array<Page>(BATCH);
  const body = (): void => {
    for (let i = 0; i < BATCH; i++) held[i] = page_pool_dev_alloc_pages(pp)!;
    for (let i = 0; i < BATCH; i++) page_pool_put_full_page(pp, held[i]!, false);
  };
  let refill0 = 0;
  let ring0 = 0;
  let n0 = 0;
  let ops = 0;
  const v = rate(ms, BATCH, () => {
    body();
    ops++;
  }, () => {
    refill0 = pp.alloc_stats.refill;
    ring0 = pp.recycle_stats.ring;
    n0 = ops;
  });
  check('ring path: refills', pp.alloc_stats.refill - refill0, ops - n0);
  check('ring path: ring recycles', pp.recycle_stats.ring - ring0, (ops - n0) * BATCH);
  page_pool_destroy(pp);
  return { name: 'page_pool_ring_alloc_recycle_pairs_per_s', value: v, unit: 'pairs/s' };
}

export function runPagePoolBench(ms = 400): BenchFigure[] {
  const fast = benchFastPath(ms);
  const ring = benchRingPath(ms);
  return [fast, ring, { name: 'page_pool_fast_to_ring_speed_ratio', value: fast.value / ring.value, unit: 'x' }];
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = process.argv.find((a) => a.startsWith('--ms='));
  const ms = arg === undefined ? 400 : Number(arg.slice(5));
  for (const f of runPagePoolBench(ms)) console.log(`${f.name} ${f.value >= 100 ? Math.round(f.value) : f.value.toFixed(2)} ${f.unit}`);
}
