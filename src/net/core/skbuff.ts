// Packet buffers after net/core/skbuff.c and include/linux/skbuff.h: a linear part (head, data,
// tail, end as offsets from the head's physical address; the model has no virtual memory) and up
// to MAX_SKB_FRAGS page fragments, with page_pool recycling of frag and head pages
// (skb_mark_for_recycle). All CPU access to packet bytes goes through the HostPlatform, so
// dma-debug sees it.
//
// The two skb modes of the page_pool memory model (seeds/004, "Memory Model for Networking"):
//  * writable packet page (skb_build_writable: napi_build_skb on the page): the headers stay in
//    the page_pool page; skb->head points into it, after the driver's headroom.
//  * read-only packet page (skb_build_readonly: napi_alloc_skb + copy): the headers are copied
//    into a separate kmalloc-like head (never a page_pool page); the payload stays in the page
//    as a frag and no CPU ever writes that page. skb_store_bits refuses to write such frags.
//
// skb_shared_info is host metadata kept in a TS object (SkbSharedInfo), never in packet memory.
// The kernel puts it at the end of the head buffer (in writable mode: inside the packet page);
// here the bytes of a page that could reach a user mapping never hold kernel pointers (design
// principle 8). The layout arithmetic (end = frag_size - SKB_DATA_ALIGN(sizeof shinfo),
// truesize) is the kernel's, so buffer sizing in drivers is unchanged.

import { HostModelError } from '../../mem/errors.js';
import { hex } from '../../lib/hex.js';
import { GFP_ATOMIC, GFP_KERNEL, get_order, type Gfp, type Page } from '../../mem/page_alloc.js';
import { PAGE_SIZE } from '../../mem/phys.js';
import type { HostPlatform } from '../../platform/host.js';
import { netmem_get_pp, page_pool_put_full_page } from './page_pool.js';
import { put_user_page_ref } from '../../mm/gup.js';

// ---- constants (x86-64, CONFIG_MAX_SKB_FRAGS=17) ------------------------------------------------

export const MAX_SKB_FRAGS = 17;
export const SMP_CACHE_BYTES = 64;
/** SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) and SKB_DATA_ALIGN(sizeof(struct sk_buff)). */
export const SKB_SHINFO_SIZE = 320;
export const SKB_STRUCT_SIZE = 256;
/** NET_SKB_PAD = max(32, L1_CACHE_BYTES); NET_IP_ALIGN is 0 on x86. */
export const NET_SKB_PAD = 64;
export const NET_IP_ALIGN = 0;

export const SKB_DATA_ALIGN = (x: number): number => Math.ceil(x / SMP_CACHE_BYTES) * SMP_CACHE_BYTES;
export const SKB_TRUESIZE = (x: number): number => x + SKB_STRUCT_SIZE + SKB_SHINFO_SIZE;
export const SKB_WITH_OVERHEAD = (x: number): number => x - SKB_SHINFO_SIZE;

/** skb->ip_summed. */
export const CHECKSUM_NONE = 0;
export const CHECKSUM_UNNECESSARY = 1;
export const CHECKSUM_COMPLETE = 2;
export const CHECKSUM_PARTIAL = 3;
/** SKB_MAX_CSUM_LEVEL: CHECKSUM_UNNECESSARY for up to 4 nested checksums. */
export const SKB_MAX_CSUM_LEVEL = 3;

/** enum pkt_hash_types. */
export const PKT_HASH_TYPE_NONE = 0;
export const PKT_HASH_TYPE_L2 = 1;
export const PKT_HASH_TYPE_L3 = 2;
export const PKT_HASH_TYPE_L4 = 3;
export type PktHashType = typeof PKT_HASH_TYPE_NONE | typeof PKT_HASH_TYPE_L2 | typeof PKT_HASH_TYPE_L3 | typeof PKT_HASH_TYPE_L4;

const EFAULT = 14;

export type SkbErrorCode =
  | 'E_SKB_OVER' // skb_over_panic
  | 'E_SKB_UNDER' // skb_under_panic
  | 'E_SKB_NONLINEAR' // SKB_LINEAR_ASSERT
  | 'E_SKB_FRAGS' // more than MAX_SKB_FRAGS, or a hole in frags[]
  | 'E_SKB_FREED' // use or free of a freed skb
  | 'E_SKB_FRAG_READONLY' // a write into a read-only packet page
  | 'E_SKB_PARAM';

/** What the kernel BUGs on (and the read-only-page rule), as typed errors with the skb's place. */
export class SkbError extends HostModelError<SkbErrorCode> {}

// ---- the head allocator (skb_small_head_cache / kmalloc, reduced) -------------------------------

/** Object sizes of the head caches; bigger heads take whole pages. */
const HEAD_SIZES = [64, 128, 256, 512, 1024, 2048] as const;

interface Slab {
  readonly page: Page;
  readonly free: number[]; // object offsets, LIFO
  inuse: number;
}

export interface SkbHeadObject {
  readonly pa: bigint;
  readonly size: number;
  /** The slab it came from; null for a page-sized head (its own page). */
  readonly slab: Slab | null;
  readonly page: Page | null;
}

/**
 * kmalloc-like heads for skbs: per size class, slabs carved from order-0 pages of the host's
 * page allocator (GFP_KERNEL zones: mostly above 4 GiB; heads are never DMA targets of the RX
 * path). A slab's page goes back to the allocator when its last object is freed.
 */
export class SkbHeadCache {
  private readonly partial = new Map<number, Slab[]>();
  objects = 0;
  slabs = 0;

  constructor(private readonly host: HostPlatform) {
    for (const s of HEAD_SIZES) this.partial.set(s, []);
  }

  alloc(size: number, gfp: Gfp): SkbHeadObject | null {
    const cls = HEAD_SIZES.find((s) => s >= size);
    if (cls === undefined) {
      const order = get_order(size);
      const page = this.host.pages.alloc_pages(gfp, order);
      if (page === null) return null;
      this.objects++;
      return { pa: page.phys, size: PAGE_SIZE << order, slab: null, page };
    }
    const list = this.partial.get(cls)!;
    let slab = list[list.length - 1];
    if (slab === undefined) {
      const page = this.host.pages.alloc_pages(gfp, 0);
      if (page === null) return null;
      // Pushed highest first, so the first object is at the start of the page.
      const free: number[] = [];
      for (let off = PAGE_SIZE - cls; off >= 0; off -= cls) free.push(off);
      slab = { page, free, inuse: 0 };
      list.push(slab);
      this.slabs++;
    }
    const off = slab.free.pop()!;
    slab.inuse++;
    if (slab.free.length === 0) list.pop();
    this.objects++;
    return { pa: slab.page.phys + BigInt(off), size: cls, slab, page: null };
  }

  free(obj: SkbHeadObject): void {
    this.objects--;
    const slab = obj.slab;
    if (slab === null) {
      this.host.pages.put_page(obj.page!);
      return;
    }
    const list = this.partial.get(obj.size)!;
    if (slab.free.length === 0) list.push(slab);
    slab.free.push(Number(obj.pa - slab.page.phys));
    if (--slab.inuse > 0) return;
    list.splice(list.indexOf(slab), 1);
    this.slabs--;
    this.host.pages.put_page(slab.page);
  }
}

const headCaches = new WeakMap<HostPlatform, SkbHeadCache>();

/** The host's skb head cache. */
export function skb_head_cache(host: HostPlatform): SkbHeadCache {
  let c = headCaches.get(host);
  if (c === undefined) {
    c = new SkbHeadCache(host);
    headCaches.set(host, c);
  }
  return c;
}

// ---- sk_buff ------------------------------------------------------------------------------------

/** skb_frag_t: a piece of a page. */
export interface SkbFrag {
  readonly page: Page;
  offset: number;
  size: number;
  /** Model: a user page held by get_user_pages (MSG_ZEROCOPY); its release is counted as such. */
  readonly gup?: boolean;
  /**
   * Bus address of `offset`, for memory mapped for the device once, ahead of time (a socket's
   * DMA-able pool, like devmem TX's net_iov): the driver posts it as is and never unmaps it.
   */
  readonly dma?: bigint;
}

/** SKBFL_* (include/linux/skbuff.h). */
export const SKBFL_ZEROCOPY_ENABLE = 1 << 0;
export const SKBFL_SHARED_FRAG = 1 << 1;
export const SKBFL_PURE_ZEROCOPY = 1 << 2;
export const SKBFL_DONT_ORPHAN = 1 << 3;

/** struct ubuf_info: told once per skb holding it when that skb's data is released. */
export interface UbufInfo {
  /** ubuf_info_ops.complete: `success` false when the data was copied after all. */
  complete(skb: SkBuff, success: boolean): void;
}

/** struct skb_shared_info, as host metadata (see the header). */
export class SkbSharedInfo {
  /** frags[0..nr_frags); the array holds exactly nr_frags entries. */
  readonly frags: SkbFrag[] = [];
  /** Who to tell when the data is released: a MSG_ZEROCOPY ubuf_info (skb_zcopy). */
  destructor_arg: UbufInfo | null = null;
  /** SKBFL_* flags for the socket layer. */
  flags = 0;

  get nr_frags(): number {
    return this.frags.length;
  }
}

export class SkBuff {
  /** Physical address of the head buffer; data/tail/end are offsets from it. */
  readonly head: bigint;
  data: number;
  tail: number;
  end: number;
  len = 0;
  data_len = 0;
  truesize: number;
  users = 1;
  readonly shinfo = new SkbSharedInfo();
  /** The head is a page fragment (build_skb) rather than a kmalloc object. */
  readonly head_frag: boolean;
  /** skb_mark_for_recycle(): frag and head pages of a page_pool go back to their pool. */
  pp_recycle = false;
  /** Model: the frags are read-only packet pages; skb helpers never write them. */
  frags_readonly = false;

  // metadata the driver and the stack set
  protocol = 0;
  ip_summed = CHECKSUM_NONE;
  csum_level = 0;
  csum = 0;
  hash = 0;
  l4_hash = false;
  sw_hash = false;
  queue_mapping = 0;
  /**
   * skb->napi_id: the NAPI instance that received it (skb_mark_napi_id), 0 if none. (In the
   * kernel it shares a union with TX's sender_cpu, hence the ids below MIN_NAPI_ID.)
   */
  napi_id = 0;
  /**
   * Model: the device cycle at which the driver took this frame's completion (RxMeta.cycle), -1
   * for an skb no NIC queue received; what SO_ZCNIC_RXINFO reports.
   */
  rx_cycle = -1;
  dev: string | null = null;
  /** The owning socket's release hook (sock_wfree, sock_rfree), run before the data goes. */
  destructor: ((skb: SkBuff) => void) | null = null;
  /** Whose memory the truesize is charged to (opaque here: the socket layer's). */
  sk: object | null = null;

  freed = false;

  constructor(
    readonly host: HostPlatform,
    head: bigint,
    size: number,
    /** The page holding the head when head_frag, else the head cache object. */
    readonly headPage: Page | null,
    readonly headObj: SkbHeadObject | null,
  ) {
    this.head = head;
    this.data = 0;
    this.tail = 0;
    this.end = size;
    this.head_frag = headPage !== null;
    this.truesize = SKB_TRUESIZE(size);
  }

  get frags(): readonly SkbFrag[] {
    return this.shinfo.frags;
  }

  get nr_frags(): number {
    return this.shinfo.frags.length;
  }

  /** "skb at 0x... (len N)" for messages. */
  get where(): string {
    return `skb head ${hex(this.head)} len ${this.len}${this.dev ? ` dev ${this.dev}` : ''}`;
  }
}

function live(skb: SkBuff, what: string): void {
  if (skb.freed) throw new SkbError('E_SKB_FREED', `${what}: ${skb.where} was freed`, { addr: skb.head });
}

// ---- allocation ---------------------------------------------------------------------------------

/** __alloc_skb(): a linear skb with a kmalloc-like head of SKB_DATA_ALIGN(size) bytes; null on OOM. */
export function alloc_skb(host: HostPlatform, size: number, gfp: Gfp = GFP_ATOMIC): SkBuff | null {
  if (!Number.isInteger(size) || size < 0) throw new SkbError('E_SKB_PARAM', `alloc_skb: bad size ${size}`);
  const bytes = SKB_DATA_ALIGN(size);
  const obj = skb_head_cache(host).alloc(bytes, gfp);
  if (obj === null) return null;
  // The kernel hands out ksize() of the object; so do we (end = the object's size).
  const skb = new SkBuff(host, obj.pa, obj.size, null, obj);
  skb.truesize = SKB_TRUESIZE(bytes);
  return skb;
}

/** __napi_alloc_skb(): len bytes of room after NET_SKB_PAD + NET_IP_ALIGN of headroom. */
export function napi_alloc_skb(host: HostPlatform, len: number): SkBuff | null {
  const skb = alloc_skb(host, len + NET_SKB_PAD + NET_IP_ALIGN, GFP_ATOMIC);
  if (skb !== null) skb_reserve(skb, NET_SKB_PAD + NET_IP_ALIGN);
  return skb;
}

/** __netdev_alloc_skb(), process context (GFP_KERNEL). */
export function netdev_alloc_skb(host: HostPlatform, len: number): SkBuff | null {
  const skb = alloc_skb(host, len + NET_SKB_PAD, GFP_KERNEL);
  if (skb !== null) skb_reserve(skb, NET_SKB_PAD);
  return skb;
}

/**
 * build_skb() / napi_build_skb(): an skb whose head is `frag_size` bytes of `page` from
 * `offset` (the buffer the device wrote). end leaves SKB_SHINFO_SIZE at the tail as the kernel
 * does, but nothing is ever written there (the shared info is a TS object).
 */
export function build_skb(host: HostPlatform, page: Page, offset: number, frag_size: number): SkBuff {
  if (frag_size <= SKB_SHINFO_SIZE || offset < 0 || offset + frag_size > PAGE_SIZE << page.order) {
    throw new SkbError('E_SKB_PARAM', `build_skb: frag_size ${frag_size} at offset ${offset} does not fit the page (order ${page.order}) with the shared info`, { addr: page.phys });
  }
  const size = SKB_WITH_OVERHEAD(frag_size);
  return new SkBuff(host, page.phys + BigInt(offset), size, page, null);
}

export const napi_build_skb = build_skb;

// ---- the linear part ----------------------------------------------------------------------------

export function skb_headlen(skb: SkBuff): number {
  return skb.len - skb.data_len;
}

export function skb_is_nonlinear(skb: SkBuff): boolean {
  return skb.data_len !== 0;
}

export function skb_headroom(skb: SkBuff): number {
  return skb.data;
}

export function skb_tailroom(skb: SkBuff): number {
  return skb_is_nonlinear(skb) ? 0 : skb.end - skb.tail;
}

/** skb->data as a physical address (what the driver maps for TX). */
export function skb_linear_phys(skb: SkBuff): bigint {
  return skb.head + BigInt(skb.data);
}

export function skb_tail_pointer(skb: SkBuff): bigint {
  return skb.head + BigInt(skb.tail);
}

/** skb_reserve(): headroom on an empty skb. */
export function skb_reserve(skb: SkBuff, len: number): void {
  if (skb.tail + len > skb.end) throw new SkbError('E_SKB_OVER', `skb_reserve(${len}) past the end: ${skb.where}`, { addr: skb.head });
  skb.data += len;
  skb.tail += len;
}

/** skb_put(): extend the linear data by len; returns where the new bytes go. */
export function skb_put(skb: SkBuff, len: number): bigint {
  live(skb, 'skb_put');
  if (skb_is_nonlinear(skb)) throw new SkbError('E_SKB_NONLINEAR', `skb_put on a nonlinear ${skb.where}`, { addr: skb.head });
  const at = skb_tail_pointer(skb);
  if (skb.tail + len > skb.end) {
    throw new SkbError('E_SKB_OVER', `skb_over_panic: put:${len} len:${skb.len} tail:${skb.tail} end:${skb.end} (${skb.where})`, { addr: skb.head, size: len });
  }
  skb.tail += len;
  skb.len += len;
  return at;
}

/** skb_put_data(): skb_put and copy `bytes` there (a CPU write). */
export function skb_put_data(skb: SkBuff, bytes: Uint8Array): bigint {
  const at = skb_put(skb, bytes.length);
  skb.host.cpuWrite(at, bytes);
  return at;
}

/** skb_push(): prepend len bytes of headroom to the data; returns the new skb->data. */
export function skb_push(skb: SkBuff, len: number): bigint {
  live(skb, 'skb_push');
  if (len > skb.data) {
    throw new SkbError('E_SKB_UNDER', `skb_under_panic: push:${len} headroom:${skb.data} (${skb.where})`, { addr: skb.head, size: len });
  }
  skb.data -= len;
  skb.len += len;
  return skb_linear_phys(skb);
}

/** skb_pull(): drop len bytes from the front of the linear data; null if there are not that many. */
export function skb_pull(skb: SkBuff, len: number): bigint | null {
  live(skb, 'skb_pull');
  if (len > skb_headlen(skb)) return null; // len > skb->len, or would pull into the frags
  skb.len -= len;
  skb.data += len;
  return skb_linear_phys(skb);
}

// ---- frags --------------------------------------------------------------------------------------

function checkFrag(skb: SkBuff, i: number, page: Page, off: number, size: number): void {
  const n = skb.shinfo.frags.length;
  if (!Number.isInteger(i) || i < 0 || i >= MAX_SKB_FRAGS || i > n) {
    throw new SkbError('E_SKB_FRAGS', `frag ${i} of ${skb.where} (nr_frags ${n}, MAX_SKB_FRAGS ${MAX_SKB_FRAGS})`, { addr: page.phys });
  }
  if (off < 0 || size < 0 || off + size > PAGE_SIZE << page.order) {
    throw new SkbError('E_SKB_PARAM', `frag ${i}: [${off}, ${off + size}) outside the page`, { addr: page.phys });
  }
}

/** skb_add_rx_frag(): page[off, off+size) as frag i (i ≤ nr_frags), accounting truesize. */
export function skb_add_rx_frag(skb: SkBuff, i: number, page: Page, off: number, size: number, truesize: number): void {
  skb_fill_page_desc(skb, i, page, off, size);
  skb.len += size;
  skb.data_len += size;
  skb.truesize += truesize;
}

/**
 * skb_fill_page_desc(): set frag i and nr_frags = i + 1. Like the kernel's it does not touch
 * len, data_len or truesize: the caller accounts them (skb_add_rx_frag does both).
 */
export function skb_fill_page_desc(skb: SkBuff, i: number, page: Page, off: number, size: number, gup = false): void {
  live(skb, 'skb_fill_page_desc');
  checkFrag(skb, i, page, off, size);
  const frags = skb.shinfo.frags;
  frags[i] = gup ? { page, offset: off, size, gup } : { page, offset: off, size };
  frags.length = i + 1;
}

/** A frag of premapped memory (see SkbFrag.dma); the caller holds the page reference it passes. */
export function skb_fill_premapped_desc(skb: SkBuff, i: number, page: Page, off: number, size: number, dma: bigint): void {
  live(skb, 'skb_fill_premapped_desc');
  checkFrag(skb, i, page, off, size);
  const frags = skb.shinfo.frags;
  frags[i] = { page, offset: off, size, dma };
  frags.length = i + 1;
}

/** skb_frag_address as a physical address. */
export function skb_frag_phys(frag: SkbFrag): bigint {
  return frag.page.phys + BigInt(frag.offset);
}

/** skb_mark_for_recycle(): page_pool pages of this skb go back to their pool when it is freed. */
export function skb_mark_for_recycle(skb: SkBuff): void {
  skb.pp_recycle = true;
}

/** Walk [offset, offset+len) of the skb as (physical address, bytes, frag or null) pieces. */
function skb_walk(skb: SkBuff, offset: number, len: number, fn: (pa: bigint, n: number, frag: SkbFrag | null, at: number) => void): boolean {
  if (offset < 0 || len < 0 || offset > skb.len - len) return false;
  let pos = 0;
  let done = 0;
  const visit = (pa: bigint, size: number, frag: SkbFrag | null): void => {
    const lo = Math.max(offset + done, pos);
    const hi = Math.min(offset + len, pos + size);
    if (lo < hi) {
      fn(pa + BigInt(lo - pos), hi - lo, frag, done);
      done += hi - lo;
    }
    pos += size;
  };
  visit(skb_linear_phys(skb), skb_headlen(skb), null);
  for (const f of skb.shinfo.frags) visit(skb_frag_phys(f), f.size, f);
  return true;
}

/** skb_copy_bits(): len bytes from offset (linear part, then frags); null is -EFAULT. */
export function skb_copy_bits(skb: SkBuff, offset: number, len: number): Uint8Array | null {
  live(skb, 'skb_copy_bits');
  const out = new Uint8Array(len);
  const ok = skb_walk(skb, offset, len, (pa, n, _f, at) => out.set(skb.host.cpuRead(pa, n), at));
  return ok ? out : null;
}

/**
 * skb_store_bits(): write bytes at offset; 0 or -EFAULT. Writing into a frag of a read-only
 * packet page throws E_SKB_FRAG_READONLY (nothing is written, not even the linear part).
 */
export function skb_store_bits(skb: SkBuff, offset: number, bytes: Uint8Array): number {
  live(skb, 'skb_store_bits');
  if (skb.frags_readonly) {
    skb_walk(skb, offset, bytes.length, (pa, n, f) => {
      if (f !== null) throw new SkbError('E_SKB_FRAG_READONLY', `skb_store_bits: ${n} bytes at ${hex(pa)} are in a read-only packet page (${skb.where})`, { addr: pa, size: n });
    });
  }
  const ok = skb_walk(skb, offset, bytes.length, (pa, n, _f, at) => skb.host.cpuWrite(pa, bytes.subarray(at, at + n)));
  return ok ? 0 : -EFAULT;
}

// ---- metadata -----------------------------------------------------------------------------------

/** skb_set_hash(): the device's hash; l4_hash for a 4-tuple (PKT_HASH_TYPE_L4). */
export function skb_set_hash(skb: SkBuff, hash: number, type: PktHashType): void {
  skb.l4_hash = type === PKT_HASH_TYPE_L4;
  skb.sw_hash = false;
  skb.hash = hash >>> 0;
}

export function skb_get_hash_raw(skb: SkBuff): number {
  return skb.hash;
}

/** skb_record_rx_queue(): queue_mapping = rx_queue + 1 (0 means "not recorded"). */
export function skb_record_rx_queue(skb: SkBuff, rx_queue: number): void {
  skb.queue_mapping = rx_queue + 1;
}

export function skb_get_rx_queue(skb: SkBuff): number {
  return skb.queue_mapping - 1;
}

export function skb_rx_queue_recorded(skb: SkBuff): boolean {
  return skb.queue_mapping !== 0;
}

/** skb_mark_napi_id() (include/net/busy_poll.h): the receiving NAPI's id, for the socket to record. */
export function skb_mark_napi_id(skb: SkBuff, napi: { readonly napi_id: number }): void {
  skb.napi_id = napi.napi_id;
}

/** skb_get_queue_mapping() / skb_set_queue_mapping() (TX side). */
export function skb_get_queue_mapping(skb: SkBuff): number {
  return skb.queue_mapping;
}

export function skb_set_queue_mapping(skb: SkBuff, queue: number): void {
  skb.queue_mapping = queue;
}

// ---- freeing ------------------------------------------------------------------------------------

/** napi_pp_put_page(): a page_pool page goes back to its pool (direct if NAPI-local). */
function napi_pp_put_page(page: Page): boolean {
  const pp = netmem_get_pp(page);
  if (pp === null) return false;
  page_pool_put_full_page(pp, page, false);
  return true;
}

/** __skb_frag_unref / skb_free_frag: recycle when marked and the page is a pool's, else put_page. */
function skb_page_unref(skb: SkBuff, page: Page): void {
  if (skb.pp_recycle && napi_pp_put_page(page)) return;
  skb.host.pages.put_page(page);
}

/** skb_zcopy(): the ubuf_info of a zero-copy skb, or null. */
export function skb_zcopy(skb: SkBuff): UbufInfo | null {
  return skb.shinfo.flags & SKBFL_ZEROCOPY_ENABLE ? skb.shinfo.destructor_arg : null;
}

/** skb_zcopy_set(): attach a ubuf_info (the caller has taken the reference this skb holds). */
export function skb_zcopy_set(skb: SkBuff, uarg: UbufInfo): void {
  skb.shinfo.destructor_arg = uarg;
  skb.shinfo.flags |= SKBFL_ZEROCOPY_ENABLE;
}

/** skb_zcopy_clear(): tell the ubuf_info this skb is done with the data. */
export function skb_zcopy_clear(skb: SkBuff, success: boolean): void {
  const uarg = skb_zcopy(skb);
  if (uarg === null) return;
  skb.shinfo.destructor_arg = null;
  skb.shinfo.flags &= ~(SKBFL_ZEROCOPY_ENABLE | SKBFL_SHARED_FRAG | SKBFL_PURE_ZEROCOPY | SKBFL_DONT_ORPHAN);
  uarg.complete(skb, success);
}

/** skb_release_head_state() + skb_release_data() + skb_free_head(). */
function skb_release_all(skb: SkBuff): void {
  const d = skb.destructor;
  skb.destructor = null;
  d?.(skb);
  // the notification is built before the frags go (skb_release_data's order)
  skb_zcopy_clear(skb, true);
  for (const f of skb.shinfo.frags) {
    if (f.gup) put_user_page_ref(skb.host, f.page);
    else skb_page_unref(skb, f.page);
  }
  skb.shinfo.frags.length = 0;
  if (skb.headPage !== null) skb_page_unref(skb, skb.headPage);
  else skb_head_cache(skb.host).free(skb.headObj!);
  skb.freed = true;
}

/** skb_get(): one more user. */
export function skb_get(skb: SkBuff): SkBuff {
  live(skb, 'skb_get');
  skb.users++;
  return skb;
}

function skb_unref(skb: SkBuff): boolean {
  live(skb, 'kfree_skb');
  return --skb.users === 0;
}

/** kfree_skb(): drop a reference (a drop); the last frees the data. */
export function kfree_skb(skb: SkBuff | null): void {
  if (skb === null || !skb_unref(skb)) return;
  skb_release_all(skb);
}

/** consume_skb(): the same, for an skb that was used (not dropped). */
export function consume_skb(skb: SkBuff | null): void {
  kfree_skb(skb);
}

/**
 * napi_consume_skb(): TX completion from NAPI; budget 0 means not from NAPI (netpoll). Whether
 * a pool page is recycled directly is page_pool_napi_local()'s call, as in v6.9+.
 */
export function napi_consume_skb(skb: SkBuff | null, budget: number): void {
  void budget;
  consume_skb(skb);
}

/** dev_kfree_skb_any(): from any context (the model has no hard-IRQ deferral). */
export function dev_kfree_skb_any(skb: SkBuff | null): void {
  kfree_skb(skb);
}

export function dev_consume_skb_any(skb: SkBuff | null): void {
  consume_skb(skb);
}

// ---- the two page_pool packet-page modes --------------------------------------------------------

/** One received buffer: `len` bytes at `offset` of a page, accounted as `truesize`. */
export interface RxPagePiece {
  readonly page: Page;
  readonly offset: number;
  readonly len: number;
  readonly truesize: number;
}

/**
 * Writable packet page: napi_build_skb on the first buffer (head = its page from `buf_offset`,
 * `frag_size` bytes, the packet at first.offset), further buffers as frags, marked for recycle.
 * The head's truesize is build_skb's (from frag_size; first.truesize is not used). The caller
 * has synced what the device wrote for the CPU (page_pool_dma_sync_for_cpu).
 */
export function skb_build_writable(host: HostPlatform, first: RxPagePiece, buf_offset: number, frag_size: number, more: readonly RxPagePiece[] = []): SkBuff {
  const headroom = first.offset - buf_offset;
  const skb = build_skb(host, first.page, buf_offset, frag_size);
  skb_mark_for_recycle(skb);
  skb_reserve(skb, headroom);
  skb_put(skb, first.len);
  more.forEach((p, i) => skb_add_rx_frag(skb, i, p.page, p.offset, p.len, p.truesize));
  return skb;
}

/**
 * Read-only packet page (seed 004's four steps): a separate writable head from the head cache,
 * `hdr_len` header bytes copied into it, the shared info set up in host metadata, and the
 * payload left in the pages as frags past the copied headers. The headers come from the first
 * piece, or from `hdr_pa` when the NIC split them into a header buffer. The packet pages are
 * only read; frags_readonly makes skb helpers refuse to write them. A piece left empty once the
 * headers are copied goes straight back to its pool. Null if no head could be allocated.
 */
export function skb_build_readonly(host: HostPlatform, pieces: readonly RxPagePiece[], hdr_len: number, hdr_pa: bigint | null = null): SkBuff | null {
  const skb = napi_alloc_skb(host, hdr_len);
  if (skb === null) return null;
  skb_mark_for_recycle(skb);
  skb.frags_readonly = true;
  const first = pieces[0];
  let skip = 0;
  if (hdr_pa !== null) skb_put_data(skb, host.cpuRead(hdr_pa, hdr_len));
  else if (first !== undefined) {
    skip = Math.min(hdr_len, first.len);
    skb_put_data(skb, host.cpuRead(first.page.phys + BigInt(first.offset), skip));
  }
  let i = 0;
  for (const [k, p] of pieces.entries()) {
    const cut = k === 0 ? skip : 0;
    if (p.len - cut > 0) skb_add_rx_frag(skb, i++, p.page, p.offset + cut, p.len - cut, p.truesize);
    else skb_page_unref(skb, p.page);
  }
  return skb;
}

// ---- zero-copy frags delivered locally ----------------------------------------------------------

/**
 * skb_copy_ubufs(): copy every frag of a zero-copy skb into kernel pages and release the user
 * pages, then skb_zcopy_clear(skb, false): the notification will say COPIED. False (the skb is
 * unchanged) when a page cannot be had.
 */
export function skb_copy_ubufs(skb: SkBuff): boolean {
  live(skb, 'skb_copy_ubufs');
  const frags = skb.shinfo.frags;
  const copies: Page[] = [];
  for (const f of frags) {
    const p = skb.host.pages.alloc_pages(GFP_ATOMIC, 0);
    if (p === null) {
      for (const q of copies) skb.host.pages.put_page(q);
      return false;
    }
    skb.host.cpuWrite(p.phys, skb.host.cpuRead(skb_frag_phys(f), f.size));
    copies.push(p);
  }
  frags.forEach((f, i) => {
    if (f.gup) put_user_page_ref(skb.host, f.page);
    else skb_page_unref(skb, f.page);
    frags[i] = { page: copies[i]!, offset: 0, size: f.size };
  });
  skb_zcopy_clear(skb, false);
  return true;
}

/** skb_orphan_frags_rx(): a zero-copy skb delivered to a local socket gets its own copy. */
export function skb_orphan_frags_rx(skb: SkBuff): boolean {
  return skb_zcopy(skb) === null || skb_copy_ubufs(skb);
}
