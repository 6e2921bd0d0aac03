// page_pool, after net/core/page_pool.c and include/net/page_pool/{types,helpers}.h (v6.15):
// pages DMA-mapped once when they enter the pool and recycled through a 128-entry LIFO alloc
// cache (NAPI context only) and a ptr_ring (any context), with the kernel's stats, in-flight
// accounting, fragment API and deferred shutdown. Function and field names are the kernel's, so
// each function can be held against its Linux counterpart.
//
// Deliberate differences (see docs/net-core.md): BIAS_MAX is 2^52-1, not LONG_MAX>>1 (JS numbers
// are exact only to 2^53; only differences against it matter); one NUMA node (page_to_nid() is
// 0); memory providers reduced to struct pages a provider owns and maps (src/net/core/zcrx.ts:
// alloc_netmems, release_netmem, destroy; no net_iov without a page); no percpu pools, no pfmemalloc; the ptr_ring frees a slot as soon as
// it is consumed (the kernel's batched consumer may keep up to 16 slots busy a little longer).
// The fast paths (cached alloc, direct recycle) allocate nothing and do no bigint arithmetic.

import { dma_dev_need_sync, dma_map_page_attrs, dma_mapping_error, dma_sync_single_for_device, dma_sync_single_range_for_cpu, dma_unmap_page_attrs } from '../../dma/mapping.js';
import type { Device } from '../../dma/device.js';
import {
  DMA_ATTR_SKIP_CPU_SYNC,
  DMA_ATTR_WEAK_ORDERING,
  DMA_BIDIRECTIONAL,
  DMA_FROM_DEVICE,
  EINVAL,
  type DmaDataDirection,
  type dma_addr_t,
} from '../../dma/types.js';
import { HostModelError, type ErrorContext } from '../../mem/errors.js';
import { GFP_ATOMIC, GFP_KERNEL, MAX_PAGE_ORDER, __GFP_DMA, __GFP_DMA32, __GFP_NOWARN, __GFP_ZERO, type Gfp, type Page } from '../../mem/page_alloc.js';
import { PAGE_SIZE } from '../../mem/phys.js';
import type { DelayedWork, HostPlatform } from '../../platform/host.js';

// ---- constants (include/net/page_pool/types.h, net/core/page_pool.c) ---------------------------

export const PP_FLAG_DMA_MAP = 1 << 0;
export const PP_FLAG_DMA_SYNC_DEV = 1 << 1;
export const PP_FLAG_SYSTEM_POOL = 1 << 2;
export const PP_FLAG_ALLOW_UNREADABLE_NETMEM = 1 << 3;
export const PP_FLAG_ALL = PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV | PP_FLAG_SYSTEM_POOL | PP_FLAG_ALLOW_UNREADABLE_NETMEM;

export const PP_ALLOC_CACHE_SIZE = 128;
export const PP_ALLOC_CACHE_REFILL = 64;
/** Default ptr_ring size, and the clamp of pool_size. */
export const PP_RING_DEFAULT = 1024;
export const PP_RING_MAX = 16384;
/** The kernel's is LONG_MAX >> 1; ours stays exact in a double (see the header). */
export const BIAS_MAX = 2 ** 52 - 1;
/** DEFER_TIME (1 s) and DEFER_WARN_INTERVAL (60 s), in simulated ns. */
export const DEFER_TIME_NS = 1e9;
export const DEFER_WARN_INTERVAL_NS = 60e9;
export const NUMA_NO_NODE = -1;
/** dma_get_cache_alignment(): 1 on x86 (no ARCH_HAS_DMA_MINALIGN). */
export const DMA_CACHE_ALIGNMENT = 1;

// ---- parameters, errors ------------------------------------------------------------------------

/** What page_pool needs of a napi_struct: true while its poll runs (softirq on the owning CPU). */
export interface NapiLike {
  readonly in_poll: boolean;
}

/** struct page_pool_params (fast and slow groups in one), plus the model's `gfp`. */
export interface PagePoolParams {
  readonly order?: number;
  /** ptr_ring size: min(pool_size, 16384), 1024 when 0. */
  readonly pool_size?: number;
  readonly nid?: number;
  /** The device the pages are DMA-mapped for. */
  readonly dev: Device;
  readonly napi?: NapiLike | null;
  /** Default DMA_BIDIRECTIONAL (0), the value of a zeroed struct as in the kernel. */
  readonly dma_dir?: DmaDataDirection;
  /** Bytes synced for the device at map time and at recycle (PP_FLAG_DMA_SYNC_DEV). */
  readonly max_len?: number;
  /** Where the device starts writing in the page (the syncs start there). */
  readonly offset?: number;
  readonly flags?: number;
  /**
   * Model extension: zone and zeroing modifiers (__GFP_DMA32, __GFP_ZERO) ORed into every page
   * allocation. GFP_KERNEL (default): pages come from above 4 GiB first, so a 32-bit device needs
   * the IOMMU or swiotlb; GFP_DMA32: pages below 4 GiB that such a device reaches directly.
   */
  readonly gfp?: Gfp;
  /** slow.netdev: the interface name, when the pool is visible through netlink (no stall warning). */
  readonly netdev?: string | null;
  readonly queue_idx?: number;
  /** rxq->mp_params.mp_ops: the queue's buffers come from a memory provider, not the page allocator. */
  readonly mp_ops?: MemoryProviderOps | null;
}

/**
 * struct memory_provider_ops (include/net/page_pool/memory_provider.h), reduced: the provider
 * owns its buffers and their DMA mappings (page.dma_addr set, never in the pool's own map set).
 */
export interface MemoryProviderOps {
  /** One buffer for the pool (called when its cache and ring are empty), or null. */
  alloc_netmems(pool: PagePool, gfp: Gfp): Page | null;
  /** A buffer leaves the pool; true if the pool should put_page it (false: the provider keeps it). */
  release_netmem(pool: PagePool, page: Page): boolean;
  /** The pool is freed (every buffer back). */
  destroy(pool: PagePool): void;
}

export type PagePoolErrorCode =
  | 'E_PP_FLAGS'
  | 'E_PP_DMA_DIR'
  | 'E_PP_SYNC_WITHOUT_MAP'
  | 'E_PP_SYNC_MAX_LEN'
  | 'E_PP_ORDER'
  | 'E_PP_PARAM'
  | 'E_PP_NOT_OWNER'
  | 'E_PP_USER_CNT';

/** page_pool_create's ERR_PTR (errno negative) and the misuse the kernel would BUG or corrupt on. */
export class PagePoolError extends HostModelError<PagePoolErrorCode> {
  constructor(
    code: PagePoolErrorCode,
    readonly errno: number,
    message: string,
    context: ErrorContext = {},
  ) {
    super(code, message, context);
  }
}

// ---- stats (CONFIG_PAGE_POOL_STATS) ---------------------------------------------------------------

export interface PagePoolAllocStats {
  fast: number;
  slow: number;
  slow_high_order: number;
  empty: number;
  refill: number;
  waive: number;
}

export interface PagePoolRecycleStats {
  cached: number;
  cache_full: number;
  ring: number;
  ring_full: number;
  released_refcnt: number;
}

export interface PagePoolStats {
  alloc_stats: PagePoolAllocStats;
  recycle_stats: PagePoolRecycleStats;
}

export type PagePoolState = 'active' | 'detached' | 'freed';

/** Pool ids per host, from 1 (the kernel's page_pools xarray ids). */
const nextPoolId = new WeakMap<HostPlatform, number>();

/** struct page_pool. Fields are public for inspection; only this module changes them. */
export class PagePool {
  readonly id: number;
  /** The fast params; napi is cleared by page_pool_disable_direct_recycling. */
  readonly p: {
    readonly order: number;
    readonly pool_size: number;
    nid: number;
    readonly dev: Device;
    napi: NapiLike | null;
    readonly dma_dir: DmaDataDirection;
    readonly max_len: number;
    readonly offset: number;
  };
  readonly slow: { netdev: string | null; readonly queue_idx: number; readonly flags: number };
  /** Zone/zero modifiers ORed into page allocations (PagePoolParams.gfp). */
  readonly gfp_mask: Gfp;
  readonly dma_map: boolean;
  dma_sync: boolean;
  readonly ring_qsize: number;

  /** pool->alloc: the LIFO cache, used only in NAPI context. */
  readonly alloc_cache: Page[] = new Array<Page>(PP_ALLOC_CACHE_SIZE);
  alloc_count = 0;
  /** pool->ring (ptr_ring): a circular buffer of ring_qsize slots. */
  private readonly ring: (Page | null)[];
  private ring_producer = 0;
  private ring_consumer = 0;
  ring_count = 0;

  readonly alloc_stats: PagePoolAllocStats = { fast: 0, slow: 0, slow_high_order: 0, empty: 0, refill: 0, waive: 0 };
  readonly recycle_stats: PagePoolRecycleStats = { cached: 0, cache_full: 0, ring: 0, ring_full: 0, released_refcnt: 0 };
  /** u32 counters; inflight is their s32 distance. */
  pages_state_hold_cnt = 0;
  pages_state_release_cnt = 0;
  /** pool->dma_mapped (v6.15 xarray): every page whose mapping the pool still owns. */
  readonly dma_mapped = new Set<Page>();

  frag_page: Page | null = null;
  frag_offset = 0;
  frag_users = 0;

  user_cnt = 1;
  destroy_cnt = 0;
  state: PagePoolState = 'active';
  /** netlink detach-time (simulated ns), set when destroy had to defer. */
  detach_time_ns: number | null = null;
  defer_start_ns = 0;
  defer_warn_ns = 0;
  release_dw: DelayedWork | null = null;
  /** page_pool_use_xdp_mem's disconnect callback, run when the pool is freed. */
  disconnect: ((pool: PagePool) => void) | null = null;
  readonly mp_ops: MemoryProviderOps | null;

  /** Scratch for the bulk allocation (pool->alloc.cache is filled in place in the kernel). */
  readonly bulk: (Page | null)[] = new Array<Page | null>(PP_ALLOC_CACHE_REFILL).fill(null);
  readonly offset_dma: bigint;

  constructor(
    readonly host: HostPlatform,
    params: PagePoolParams,
  ) {
    const id = nextPoolId.get(host) ?? 1;
    nextPoolId.set(host, id + 1);
    this.id = id;
    this.p = {
      order: params.order ?? 0,
      pool_size: params.pool_size ?? 0,
      nid: params.nid ?? NUMA_NO_NODE,
      dev: params.dev,
      napi: params.napi ?? null,
      dma_dir: params.dma_dir ?? DMA_BIDIRECTIONAL,
      max_len: params.max_len ?? 0,
      offset: params.offset ?? 0,
    };
    const flags = params.flags ?? 0;
    this.slow = { netdev: params.netdev ?? null, queue_idx: params.queue_idx ?? 0, flags };
    this.gfp_mask = (params.gfp ?? GFP_KERNEL) & (__GFP_DMA | __GFP_DMA32 | __GFP_ZERO);
    this.dma_map = (flags & PP_FLAG_DMA_MAP) !== 0;
    this.dma_sync = (flags & PP_FLAG_DMA_SYNC_DEV) !== 0;
    this.ring_qsize = this.p.pool_size ? Math.min(this.p.pool_size, PP_RING_MAX) : PP_RING_DEFAULT;
    this.ring = new Array<Page | null>(this.ring_qsize).fill(null);
    this.offset_dma = BigInt(this.p.offset);
    this.mp_ops = params.mp_ops ?? null;
  }

  /** Where messages about this pool come from. */
  get where(): string {
    return `page_pool ${this.id} (${this.slow.netdev ?? this.p.dev.name} rxq ${this.slow.queue_idx})`;
  }

  /** __ptr_ring_produce: false when full. */
  ring_produce(page: Page): boolean {
    if (this.ring_count === this.ring_qsize) return false;
    this.ring[this.ring_producer] = page;
    if (++this.ring_producer === this.ring_qsize) this.ring_producer = 0;
    this.ring_count++;
    return true;
  }

  /** __ptr_ring_consume: null when empty. */
  ring_consume(): Page | null {
    if (this.ring_count === 0) return null;
    const page = this.ring[this.ring_consumer]!;
    this.ring[this.ring_consumer] = null;
    if (++this.ring_consumer === this.ring_qsize) this.ring_consumer = 0;
    this.ring_count--;
    return page;
  }

  warn(msg: string): void {
    this.host.klog.printk('warn', `WARNING: ${msg}`, true);
  }
}

// ---- create ------------------------------------------------------------------------------------

function isCount(v: number): boolean {
  return Number.isInteger(v) && v >= 0;
}

/** page_pool_init's checks: the errno and code of the first rule broken, or null. */
function page_pool_check(params: PagePoolParams): { errno: number; code: PagePoolErrorCode; why: string } | null {
  const flags = params.flags ?? 0;
  const order = params.order ?? 0;
  const bad = (code: PagePoolErrorCode, why: string, errno = -EINVAL) => ({ errno, code, why });
  for (const [k, v] of [['order', order], ['pool_size', params.pool_size ?? 0], ['max_len', params.max_len ?? 0], ['offset', params.offset ?? 0], ['queue_idx', params.queue_idx ?? 0]] as const) {
    if (!isCount(v)) return bad('E_PP_PARAM', `${k} ${v} is not a count`);
  }
  if (!Number.isInteger(flags) || flags & ~PP_FLAG_ALL) return bad('E_PP_FLAGS', `unknown flags 0x${(flags & ~PP_FLAG_ALL).toString(16)}`);
  const dir = params.dma_dir ?? DMA_BIDIRECTIONAL;
  if (flags & PP_FLAG_DMA_MAP && dir !== DMA_FROM_DEVICE && dir !== DMA_BIDIRECTIONAL) {
    return bad('E_PP_DMA_DIR', `PP_FLAG_DMA_MAP needs DMA_FROM_DEVICE or DMA_BIDIRECTIONAL, not ${dir}`);
  }
  if (flags & PP_FLAG_DMA_SYNC_DEV) {
    if (!(flags & PP_FLAG_DMA_MAP)) return bad('E_PP_SYNC_WITHOUT_MAP', 'PP_FLAG_DMA_SYNC_DEV without PP_FLAG_DMA_MAP');
    if (!params.max_len) return bad('E_PP_SYNC_MAX_LEN', 'PP_FLAG_DMA_SYNC_DEV with max_len 0');
  }
  if (order > MAX_PAGE_ORDER) return bad('E_PP_ORDER', `order ${order} > MAX_PAGE_ORDER ${MAX_PAGE_ORDER}`);
  return null;
}

/**
 * page_pool_create(): a pool, or a thrown PagePoolError carrying the kernel's ERR_PTR errno
 * (after logging "page_pool_create_percpu() gave up with errno %d", as the kernel does).
 */
export function page_pool_create(host: HostPlatform, params: PagePoolParams): PagePool {
  const err = page_pool_check(params);
  if (err !== null) {
    host.klog.printk('warn', `page_pool_create_percpu() gave up with errno ${err.errno}`);
    throw new PagePoolError(err.code, err.errno, `page_pool_create: ${err.why} (errno ${err.errno})`, { device: params.dev.name });
  }
  return new PagePool(host, params);
}

/** page_pool_use_xdp_mem(): xdp_rxq_info_reg_mem_model takes a user; destroy once per user. */
export function page_pool_use_xdp_mem(pool: PagePool, disconnect: ((pool: PagePool) => void) | null = null): void {
  pool.user_cnt++;
  pool.disconnect = disconnect;
}

/** page_pool_napi_local(): direct recycling is safe while the owning NAPI poll runs. */
export function page_pool_napi_local(pool: PagePool): boolean {
  return pool.p.napi?.in_poll === true;
}

/** page_pool_nid_changed(): the driver's NAPI moved to another node. */
export function page_pool_nid_changed(pool: PagePool, new_nid: number): void {
  if (pool.p.nid !== new_nid) pool.p.nid = new_nid;
}

// ---- page info, DMA ----------------------------------------------------------------------------

/** The pool that owns `page`, or null (page->pp of a page_pool page). */
export function netmem_get_pp(page: Page): PagePool | null {
  const pp = page.pp;
  return pp instanceof PagePool ? pp : null;
}

/** page_pool_page_is_pp(): true for a page that belongs to a pool. */
export function page_pool_page_is_pp(page: Page): boolean {
  return page.pp instanceof PagePool;
}

export function page_pool_get_dma_addr(page: Page): dma_addr_t {
  return page.dma_addr;
}

export function page_pool_get_dma_dir(pool: PagePool): DmaDataDirection {
  return pool.p.dma_dir;
}

/** The model has one node: numa_mem_id() and page_to_nid() are 0. */
const numa_mem_id = (): number => 0;
const page_to_nid = (_page: Page): number => 0;

function page_pool_set_pp_info(pool: PagePool, page: Page): void {
  page.pp = pool;
  page.pp_ref_count = 1; // page_pool_fragment_netmem(netmem, 1)
}

function page_pool_clear_pp_info(page: Page): void {
  page.pp = null;
  page.pp_ref_count = 0;
}

/** page_pool_dma_sync_for_device(): only max_len (or less) bytes from p.offset, and only if needed. */
function page_pool_dma_sync_for_device(pool: PagePool, page: Page, dma_sync_size: number): void {
  if (!pool.dma_sync || !dma_dev_need_sync(pool.p.dev)) return;
  const size = Math.min(dma_sync_size >>> 0, pool.p.max_len); // u32: -1 means "all of max_len"
  dma_sync_single_for_device(pool.p.dev, page.dma_addr + pool.offset_dma, size, pool.p.dma_dir);
}

/** page_pool_dma_map(): map the whole page at pool entry, then sync max_len for the device. */
function page_pool_dma_map(pool: PagePool, page: Page): boolean {
  const dev = pool.p.dev;
  const dma = dma_map_page_attrs(dev, page, 0, PAGE_SIZE << pool.p.order, pool.p.dma_dir, DMA_ATTR_SKIP_CPU_SYNC | DMA_ATTR_WEAK_ORDERING);
  if (dma_mapping_error(dev, dma)) return false;
  page.dma_addr = dma;
  pool.dma_mapped.add(page);
  page_pool_dma_sync_for_device(pool, page, pool.p.max_len);
  return true;
}

/** __page_pool_release_netmem_dma(): unmap unless scrub already did (the page is then untracked). */
function __page_pool_release_page_dma(pool: PagePool, page: Page): void {
  if (!pool.dma_map || !pool.dma_mapped.delete(page)) return;
  dma_unmap_page_attrs(pool.p.dev, page.dma_addr, PAGE_SIZE << pool.p.order, pool.p.dma_dir, DMA_ATTR_SKIP_CPU_SYNC | DMA_ATTR_WEAK_ORDERING);
  page.dma_addr = 0n;
}

/** page_pool_return_netmem(): the page leaves the pool: unmap (or back to its provider), count, put_page. */
function page_pool_return_page(pool: PagePool, page: Page): void {
  let put = true;
  if (pool.mp_ops) put = pool.mp_ops.release_netmem(pool, page);
  else __page_pool_release_page_dma(pool, page);
  pool.pages_state_release_cnt = (pool.pages_state_release_cnt + 1) >>> 0;
  page_pool_clear_pp_info(page);
  if (put) pool.host.pages.put_page(page);
}

/** page_pool_dma_sync_for_cpu(): the driver's job before the CPU reads what the device wrote. */
export function page_pool_dma_sync_for_cpu(pool: PagePool, page: Page, offset: number, size: number): void {
  dma_sync_single_range_for_cpu(pool.p.dev, page.dma_addr, offset + pool.p.offset, size, pool.p.dma_dir);
}

// ---- allocation --------------------------------------------------------------------------------

/** page_pool_refill_alloc_cache(): up to 64 pages from the ring; a wrong-node page is waived. */
function page_pool_refill_alloc_cache(pool: PagePool): Page | null {
  if (pool.ring_count === 0) {
    pool.alloc_stats.empty++;
    return null;
  }
  const pref_nid = pool.p.nid === NUMA_NO_NODE ? numa_mem_id() : pool.p.nid;
  do {
    const page = pool.ring_consume();
    if (page === null) break;
    if (page_to_nid(page) === pref_nid) {
      pool.alloc_cache[pool.alloc_count++] = page;
    } else {
      // NUMA mismatch: release one page and let the slow path allocate on the right node.
      page_pool_return_page(pool, page);
      pool.alloc_stats.waive++;
      break;
    }
  } while (pool.alloc_count < PP_ALLOC_CACHE_REFILL);
  if (pool.alloc_count > 0) {
    pool.alloc_stats.refill++;
    return pool.alloc_cache[--pool.alloc_count]!;
  }
  return null;
}

/** __page_pool_alloc_page_order(): one compound page, mapped; slow_high_order. */
function __page_pool_alloc_page_order(pool: PagePool, gfp: Gfp): Page | null {
  const page = pool.host.pages.alloc_pages(gfp, pool.p.order); // __GFP_COMP: our blocks are compound
  if (page === null) return null;
  if (pool.dma_map && !page_pool_dma_map(pool, page)) {
    pool.host.pages.put_page(page);
    return null;
  }
  pool.alloc_stats.slow_high_order++;
  page_pool_set_pp_info(pool, page);
  pool.pages_state_hold_cnt = (pool.pages_state_hold_cnt + 1) >>> 0;
  return page;
}

/** __page_pool_alloc_netmems_slow(): a bulk of 64 order-0 pages; those that fail to map are dropped. */
function __page_pool_alloc_pages_slow(pool: PagePool, gfp0: Gfp): Page | null {
  let gfp = gfp0 | pool.gfp_mask;
  // Unconditionally NOWARN from NAPI: OOM reports on packet RX are useless.
  if ((gfp & GFP_ATOMIC) === GFP_ATOMIC) gfp |= __GFP_NOWARN;
  if (pool.p.order) return __page_pool_alloc_page_order(pool, gfp);
  if (pool.alloc_count > 0) return pool.alloc_cache[--pool.alloc_count]!;

  const bulk = pool.bulk;
  const nr_pages = pool.host.pages.alloc_pages_bulk(gfp, PP_ALLOC_CACHE_REFILL, bulk);
  for (let i = 0; i < nr_pages; i++) {
    const page = bulk[i]!;
    bulk[i] = null;
    if (pool.dma_map && !page_pool_dma_map(pool, page)) {
      pool.host.pages.put_page(page);
      continue;
    }
    page_pool_set_pp_info(pool, page);
    pool.alloc_cache[pool.alloc_count++] = page;
    pool.pages_state_hold_cnt = (pool.pages_state_hold_cnt + 1) >>> 0;
  }
  if (pool.alloc_count > 0) {
    pool.alloc_stats.slow++;
    return pool.alloc_cache[--pool.alloc_count]!;
  }
  return null;
}

/** page_pool_alloc_pages(): the cache (fast), else a ring refill, else the page allocator. */
export function page_pool_alloc_pages(pool: PagePool, gfp: Gfp): Page | null {
  if (pool.alloc_count > 0) {
    pool.alloc_stats.fast++;
    return pool.alloc_cache[--pool.alloc_count]!;
  }
  return page_pool_refill_alloc_cache(pool) ?? (pool.mp_ops ? page_pool_mp_alloc(pool, gfp) : __page_pool_alloc_pages_slow(pool, gfp));
}

/** The provider's alloc_netmems, with net_mp_niov_set_page_pool's accounting. */
function page_pool_mp_alloc(pool: PagePool, gfp: Gfp): Page | null {
  const page = pool.mp_ops!.alloc_netmems(pool, gfp);
  if (page === null) return null;
  if (page.pp !== pool) net_mp_niov_set_page_pool(pool, page);
  return page;
}

/** net_mp_niov_set_page_pool(): a provider's buffer joins the pool (hold_cnt++). */
export function net_mp_niov_set_page_pool(pool: PagePool, page: Page): void {
  page_pool_set_pp_info(pool, page);
  pool.pages_state_hold_cnt = (pool.pages_state_hold_cnt + 1) >>> 0;
}

/**
 * net_mp_netmem_place_in_cache(): a provider hands a buffer (already the pool's, last pp
 * reference dropped) straight to the alloc cache; false if the cache is full.
 */
export function net_mp_netmem_place_in_cache(pool: PagePool, page: Page): boolean {
  if (pool.alloc_count >= PP_ALLOC_CACHE_SIZE) return false;
  page_pool_dma_sync_for_device(pool, page, -1);
  pool.alloc_cache[pool.alloc_count++] = page;
  return true;
}

/** page_pool_dev_alloc_pages(): GFP_ATOMIC | __GFP_NOWARN, as from NAPI. */
export function page_pool_dev_alloc_pages(pool: PagePool): Page | null {
  return page_pool_alloc_pages(pool, GFP_ATOMIC | __GFP_NOWARN);
}

// ---- pp_ref_count and the fragment API -------------------------------------------------------------

/** page_pool_fragment_page(): set pp_ref_count to nr (the driver splits the page itself). */
export function page_pool_fragment_page(page: Page, nr: number): void {
  page.pp_ref_count = nr;
}

/** page_pool_ref_page(): one more pp reference (e.g. a socket keeps the frag). */
export function page_pool_ref_page(page: Page): void {
  page.pp_ref_count++;
}

/**
 * page_pool_unref_page(): drop nr pp references, returning what remains (0: the caller was the
 * last and the count is back at 1). Underflow WARNs.
 */
export function page_pool_unref_page(page: Page, nr: number): number {
  if (page.pp_ref_count === nr) {
    if (nr !== 1) page.pp_ref_count = 1;
    return 0;
  }
  const ret = (page.pp_ref_count -= nr);
  if (ret < 0) {
    const where = netmem_get_pp(page);
    const msg = `page_pool_unref_netmem: pp_ref_count underflow (${ret}) on pfn 0x${page.pfn.toString(16)}`;
    if (where !== null) where.warn(msg);
    else throw new PagePoolError('E_PP_NOT_OWNER', -EINVAL, `${msg}, which belongs to no pool`, { addr: page.phys });
  }
  if (ret === 0) page.pp_ref_count = 1;
  return ret;
}

function page_pool_unref_and_test(page: Page): boolean {
  return page_pool_unref_page(page, 1) === 0;
}

function page_pool_page_can_be_recycled(page: Page): boolean {
  return page.refcount === 1; // && !page_is_pfmemalloc: not modelled
}

/** page_pool_drain_frag(): the frag page is full; reuse it if nobody else holds a piece. */
function page_pool_drain_frag(pool: PagePool, page: Page): Page | null {
  if (page_pool_unref_page(page, BIAS_MAX - pool.frag_users)) return null;
  if (page_pool_page_can_be_recycled(page)) {
    page_pool_dma_sync_for_device(pool, page, -1);
    return page;
  }
  page_pool_return_page(pool, page);
  return null;
}

/** page_pool_free_frag(): drop the pool's bias on its current frag page. */
function page_pool_free_frag(pool: PagePool): void {
  const page = pool.frag_page;
  pool.frag_page = null;
  if (page === null || page_pool_unref_page(page, BIAS_MAX - pool.frag_users)) return;
  page_pool_return_page(pool, page);
}

export interface PagePoolFrag {
  readonly page: Page;
  readonly offset: number;
}

/** page_pool_alloc_frag(): `size` bytes (aligned to the cache alignment) of a shared page. */
export function page_pool_alloc_frag(pool: PagePool, size0: number, gfp: Gfp): PagePoolFrag | null {
  const max_size = PAGE_SIZE << pool.p.order;
  if (size0 > max_size) {
    pool.warn(`page_pool_alloc_frag: size ${size0} > ${max_size} (${pool.where})`);
    return null;
  }
  const size = Math.ceil(size0 / DMA_CACHE_ALIGNMENT) * DMA_CACHE_ALIGNMENT;
  let page = pool.frag_page;
  const offset = pool.frag_offset;
  if (page !== null && offset + size > max_size) {
    page = page_pool_drain_frag(pool, page);
    if (page !== null) {
      // The same page again: a recycle into the cache and a fast alloc, without the cache.
      pool.recycle_stats.cached++;
      pool.alloc_stats.fast++;
      return page_pool_frag_reset(pool, page, size);
    }
  }
  if (page === null) {
    page = page_pool_alloc_pages(pool, gfp);
    pool.frag_page = page;
    if (page === null) return null;
    return page_pool_frag_reset(pool, page, size);
  }
  pool.frag_users++;
  pool.frag_offset = offset + size;
  return { page, offset };
}

function page_pool_frag_reset(pool: PagePool, page: Page, size: number): PagePoolFrag {
  pool.frag_page = page;
  pool.frag_users = 1;
  pool.frag_offset = size;
  page_pool_fragment_page(page, BIAS_MAX);
  return { page, offset: 0 };
}

export function page_pool_dev_alloc_frag(pool: PagePool, size: number): PagePoolFrag | null {
  return page_pool_alloc_frag(pool, size, GFP_ATOMIC | __GFP_NOWARN);
}

export interface PagePoolBuf extends PagePoolFrag {
  /** The truesize to account: the whole page, or the frag grown to the end of the page. */
  readonly size: number;
}

/**
 * page_pool_alloc(): a whole page when size*2 exceeds it, else a frag; a frag that leaves too
 * little room for another of its size takes the rest of the page (the truesize fix).
 */
export function page_pool_alloc(pool: PagePool, size: number, gfp: Gfp): PagePoolBuf | null {
  const max_size = PAGE_SIZE << pool.p.order;
  if (size * 2 > max_size) {
    const page = page_pool_alloc_pages(pool, gfp);
    return page === null ? null : { page, offset: 0, size: max_size };
  }
  const f = page_pool_alloc_frag(pool, size, gfp);
  if (f === null) return null;
  if (pool.frag_offset + size > max_size) {
    pool.frag_offset = max_size;
    return { page: f.page, offset: f.offset, size: max_size - f.offset };
  }
  return { page: f.page, offset: f.offset, size };
}

export function page_pool_dev_alloc(pool: PagePool, size: number): PagePoolBuf | null {
  return page_pool_alloc(pool, size, GFP_ATOMIC | __GFP_NOWARN);
}

// ---- recycling ---------------------------------------------------------------------------------

function page_pool_recycle_in_cache(pool: PagePool, page: Page): boolean {
  if (pool.alloc_count === PP_ALLOC_CACHE_SIZE) {
    pool.recycle_stats.cache_full++;
    return false;
  }
  pool.alloc_cache[pool.alloc_count++] = page;
  pool.recycle_stats.cached++;
  return true;
}

/**
 * __page_pool_put_page(): a page only the pool references is synced for the device and goes
 * to the cache (direct) or back to the caller for the ring; one with extra page references
 * leaves the pool (released_refcnt). Returns the page the ring should take, or null.
 */
function __page_pool_put_page(pool: PagePool, page: Page, dma_sync_size: number, allow_direct: boolean): Page | null {
  if (page_pool_page_can_be_recycled(page)) {
    page_pool_dma_sync_for_device(pool, page, dma_sync_size);
    if (allow_direct && page_pool_recycle_in_cache(pool, page)) return null;
    return page;
  }
  pool.recycle_stats.released_refcnt++;
  page_pool_return_page(pool, page);
  return null;
}

function checkOwner(pool: PagePool, page: Page): void {
  if (page.pp !== pool) {
    const owner = netmem_get_pp(page);
    throw new PagePoolError('E_PP_NOT_OWNER', -EINVAL,
      `page_pool_put_page: pfn 0x${page.pfn.toString(16)} ${owner === null ? 'belongs to no pool' : `belongs to pool ${owner.id}`}, not to ${pool.where}`,
      { device: pool.p.dev.name, addr: page.phys });
  }
}

/** page_pool_put_unrefed_page(): the caller held the last pp reference. */
export function page_pool_put_unrefed_page(pool: PagePool, page: Page, dma_sync_size: number, allow_direct: boolean): void {
  const direct = allow_direct || page_pool_napi_local(pool);
  const p = __page_pool_put_page(pool, page, dma_sync_size, direct);
  if (p === null) return;
  if (pool.ring_produce(p)) {
    pool.recycle_stats.ring++;
    return;
  }
  pool.recycle_stats.ring_full++;
  page_pool_return_page(pool, p);
}

/**
 * page_pool_put_page(pool, page, dma_sync_size, allow_direct): give back one pp reference;
 * the last one recycles. dma_sync_size -1 syncs max_len. allow_direct requires NAPI context.
 */
export function page_pool_put_page(pool: PagePool, page: Page, dma_sync_size: number, allow_direct: boolean): void {
  checkOwner(pool, page);
  if (!page_pool_unref_and_test(page)) return;
  page_pool_put_unrefed_page(pool, page, dma_sync_size, allow_direct);
}

export function page_pool_put_full_page(pool: PagePool, page: Page, allow_direct: boolean): void {
  page_pool_put_page(pool, page, -1, allow_direct);
}

/** page_pool_recycle_direct(): from the owning NAPI poll only. */
export function page_pool_recycle_direct(pool: PagePool, page: Page): void {
  page_pool_put_page(pool, page, -1, true);
}

/**
 * page_pool_put_page_bulk(pool, data, count): full pages back at once (XDP_REDIRECT's
 * xdp_return_frame_bulk). The ring takes what fits: ring += inserted, ring_full at most once.
 */
export function page_pool_put_page_bulk(pool: PagePool, data: readonly Page[], count = data.length): void {
  const allow_direct = page_pool_napi_local(pool);
  const toRing: Page[] = [];
  for (let i = 0; i < count; i++) {
    const page = data[i]!;
    checkOwner(pool, page);
    if (!page_pool_unref_and_test(page)) continue; // not the last user of a frag page
    const p = __page_pool_put_page(pool, page, -1, allow_direct);
    if (p !== null) toRing.push(p);
  }
  let i = 0;
  for (; i < toRing.length; i++) {
    if (!pool.ring_produce(toRing[i]!)) {
      pool.recycle_stats.ring_full++;
      break;
    }
  }
  pool.recycle_stats.ring += i;
  for (; i < toRing.length; i++) page_pool_return_page(pool, toRing[i]!);
}

// ---- in-flight, stats ---------------------------------------------------------------------------

/**
 * page_pool_inflight(): hold - release as u32 serial numbers (s32 result). Pages in the cache
 * and the ring count as held. strict: WARN on a negative count; else clamp at 0.
 */
export function page_pool_inflight(pool: PagePool, strict = false): number {
  const inflight = (pool.pages_state_hold_cnt - pool.pages_state_release_cnt) | 0;
  if (!strict) return Math.max(0, inflight);
  if (inflight < 0) pool.warn(`Negative(${inflight}) inflight packet-pages (${pool.where})`);
  return inflight;
}

/** page_pool_get_stats(): adds the pool's counters to `stats` (zeroed when not given). */
export function page_pool_get_stats(pool: PagePool, stats: PagePoolStats = zeroStats()): PagePoolStats {
  const a = stats.alloc_stats;
  const r = stats.recycle_stats;
  for (const k of ALLOC_KEYS) a[k] += pool.alloc_stats[k];
  for (const k of RECYCLE_KEYS) r[k] += pool.recycle_stats[k];
  return stats;
}

const ALLOC_KEYS = ['fast', 'slow', 'slow_high_order', 'empty', 'refill', 'waive'] as const;
const RECYCLE_KEYS = ['cached', 'cache_full', 'ring', 'ring_full', 'released_refcnt'] as const;

function zeroStats(): PagePoolStats {
  return {
    alloc_stats: { fast: 0, slow: 0, slow_high_order: 0, empty: 0, refill: 0, waive: 0 },
    recycle_stats: { cached: 0, cache_full: 0, ring: 0, ring_full: 0, released_refcnt: 0 },
  };
}

/** pp_stats[]: the ethtool -S names, in the kernel's order. */
export const PP_ETHTOOL_STATS = [
  'rx_pp_alloc_fast',
  'rx_pp_alloc_slow',
  'rx_pp_alloc_slow_ho',
  'rx_pp_alloc_empty',
  'rx_pp_alloc_refill',
  'rx_pp_alloc_waive',
  'rx_pp_recycle_cached',
  'rx_pp_recycle_cache_full',
  'rx_pp_recycle_ring',
  'rx_pp_recycle_ring_full',
  'rx_pp_recycle_released_ref',
] as const;
export type PagePoolEthtoolStat = (typeof PP_ETHTOOL_STATS)[number];

export function page_pool_ethtool_stats_get_count(): number {
  return PP_ETHTOOL_STATS.length;
}

/** page_pool_ethtool_stats_get(): the values in PP_ETHTOOL_STATS order. */
export function page_pool_ethtool_stats_get(stats: PagePoolStats): number[] {
  return [...ALLOC_KEYS.map((k) => stats.alloc_stats[k]), ...RECYCLE_KEYS.map((k) => stats.recycle_stats[k])];
}

/** name -> value in kernel order (the driver's ethtool -S rows), of a pool or of summed stats. */
export function page_pool_ethtool_stats(src: PagePool | PagePoolStats): Record<PagePoolEthtoolStat, number> {
  const v = page_pool_ethtool_stats_get(src instanceof PagePool ? page_pool_get_stats(src) : src);
  return Object.fromEntries(PP_ETHTOOL_STATS.map((n, i) => [n, v[i]!])) as Record<PagePoolEthtoolStat, number>;
}

// ---- shutdown ----------------------------------------------------------------------------------

/** page_pool_disable_direct_recycling(): no more NAPI-local recycling into the cache. */
export function page_pool_disable_direct_recycling(pool: PagePool): void {
  pool.p.napi = null;
}

function page_pool_empty_alloc_cache_once(pool: PagePool): void {
  if (pool.destroy_cnt) return;
  while (pool.alloc_count > 0) page_pool_return_page(pool, pool.alloc_cache[--pool.alloc_count]!);
}

function page_pool_empty_ring(pool: PagePool): void {
  for (let page = pool.ring_consume(); page !== null; page = pool.ring_consume()) {
    if (page.refcount !== 1) pool.host.klog.printk('err', `page_pool_empty_ring() page_pool refcnt ${page.refcount} violation`);
    page_pool_return_page(pool, page);
  }
}

/**
 * page_pool_scrub(): empty the cache once; on the first pass stop syncing and (v6.15+) unmap
 * every page the pool still has mapped, in-flight ones included, so their later return does not
 * unmap again and the device loses access now; then empty the ring.
 */
function page_pool_scrub(pool: PagePool): void {
  page_pool_empty_alloc_cache_once(pool);
  if (!pool.destroy_cnt++ && pool.dma_map) {
    pool.dma_sync = false;
    for (const page of [...pool.dma_mapped]) __page_pool_release_page_dma(pool, page);
  }
  page_pool_empty_ring(pool);
}

function __page_pool_destroy(pool: PagePool): void {
  pool.mp_ops?.destroy(pool);
  pool.disconnect?.(pool);
  pool.state = 'freed';
}

/** page_pool_release(): scrub, and free the pool if nothing is in flight. Returns inflight. */
function page_pool_release(pool: PagePool): number {
  page_pool_scrub(pool);
  const inflight = page_pool_inflight(pool, true);
  if (!inflight) __page_pool_destroy(pool);
  return inflight;
}

/**
 * page_pool_release_retry(): every DEFER_TIME until the last page is back. The v6.8+ warning,
 * every 60 s from 60 s on, only for pools netlink cannot show (no slow.netdev).
 */
function page_pool_release_retry(pool: PagePool, nowNs: number): void {
  pool.release_dw = null;
  const inflight = page_pool_release(pool);
  if (inflight <= 0) return; // freed, or negative: never recovers, no reschedule
  if (nowNs >= pool.defer_warn_ns && pool.slow.netdev === null) {
    const sec = Math.trunc((nowNs - pool.defer_start_ns) / 1e9);
    pool.host.klog.printk('warn', `page_pool_release_retry() stalled pool shutdown: id ${pool.id}, ${inflight} inflight ${sec} sec`);
    pool.defer_warn_ns = nowNs + DEFER_WARN_INTERVAL_NS;
  }
  pool.release_dw = pool.host.queue_delayed_work(DEFER_TIME_NS, (t) => page_pool_release_retry(pool, t));
}

/**
 * page_pool_destroy(): drop a user; the last one stops direct recycling, frees the frag page,
 * scrubs, and frees the pool now or detaches it and retries every second (simulated time).
 */
export function page_pool_destroy(pool: PagePool | null): void {
  if (pool === null) return;
  if (pool.user_cnt <= 0) {
    throw new PagePoolError('E_PP_USER_CNT', -EINVAL, `page_pool_destroy: ${pool.where} has no users left (refcount_t: underflow; use-after-free)`, { device: pool.p.dev.name });
  }
  if (--pool.user_cnt > 0) return;
  page_pool_disable_direct_recycling(pool);
  page_pool_free_frag(pool);
  if (!page_pool_release(pool)) return;
  const now = pool.host.ktime_get_ns();
  pool.state = 'detached';
  pool.detach_time_ns = now;
  pool.defer_start_ns = now;
  pool.defer_warn_ns = now + DEFER_WARN_INTERVAL_NS;
  pool.release_dw = pool.host.queue_delayed_work(DEFER_TIME_NS, (t) => page_pool_release_retry(pool, t));
}
