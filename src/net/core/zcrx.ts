// RX zero copy on page_pool: seed 004's "safe RX zero-copy memory model", in the shape Linux later
// built (io_uring zcrx: io_uring/zcrx.c, net/core/page_pool.c). A process binds one RX queue of the NIC to an
// area of pages; the queue's page_pool takes its buffers from that area (a memory provider), and
// the payloads of the process's flow reach it by reference, with no copy.
//
// The memory model, and why each rule:
// - A page is cleared when it enters the pool: from the page allocator when the area is made, and
//   again whenever a frame of another trust domain was written into it. Not on every recycle: a
//   page in the area only ever holds zeros or bytes of the binding's own domain, so what a
//   recycled page still carries beyond a shorter frame is the domain's own.
// - A page is visible to a process only while it holds it: mapped read-only into the area's
//   view when delivered (the zero page elsewhere), unmapped when returned. (Seed 004 maps the
//   whole area from the start to save those page-table updates; that is safe only while no other
//   domain's frame can land in the area, which single-user mode cannot promise.)
// - Headers never enter the area: header split puts them in the queue's header buffer, and the
//   skb is built in the read-only packet-page mode (headers copied into its head, metadata there).
// - A frame landing on the queue that is not the binding's flow is another domain's: it is copied
//   to ordinary pages before the stack sees it ("copied, never mapped") and its page is cleared;
//   in exclusive mode it is dropped instead. A page reaching a socket of another domain is copied
//   out the same way (the trust-domain ids must match).
// - Modes: shared (several processes of the domain may map the area), single (one process, the
//   stack may still deliver other traffic from the queue), exclusive (one process owns the queue,
//   nothing else is delivered from it). Shared and single need CAP_NET_ADMIN: in both, the NIC
//   shares the queue with traffic the process has no claim to.
// - Returns go through a refill ring, io_uring zcrx's: the process publishes entries {off}; the
//   page_pool's alloc path takes them when its cache is empty. Bad entries are skipped silently
//   and counted: a double return, an unknown index or area, a buffer the returning process does
//   not hold. Chosen over devmem's SO_DEVMEM_DONTNEED tokens: returns batch without a call per
//   buffer, and the ring's misuse rules are the kernel's own.
// - Buffers not returned exhaust the area: the queue's refill finds no page, the NIC runs out of
//   descriptors and drops (STAT_RX_DROP_NODESC); a buffer a process holds is never posted, so
//   the device never writes it.

import type { Page } from '../../mem/page_alloc.js';
import { GFP_KERNEL, __GFP_DMA32 } from '../../mem/page_alloc.js';
import { PAGE_SHIFT, PAGE_SIZE } from '../../mem/phys.js';
import { account_locked_vm, unaccount_locked_vm, zero_page, type MmStruct } from '../../mm/mm.js';
import type { Process } from '../../mm/process.js';
import {
  DMA_FROM_DEVICE, dma_map_page_unbounced, dma_unmap_page, type Device as DmaDevice, type HostPlatform,
} from '../../platform/host.js';
import { ETH_HLEN, ETH_P_IP, IP_OFFSET, be16, be32 } from '../../lib/proto.js';
import { EBUSY, EINVAL, ENOMEM, EOPNOTSUPP, EPERM } from '../socket/uapi.js';
import {
  net_mp_netmem_place_in_cache, page_pool_put_full_page, page_pool_put_unrefed_page, page_pool_ref_page, page_pool_unref_page, type MemoryProviderOps, type PagePool,
} from './page_pool.js';
import { kfree_skb, skb_copy_bits, skb_headlen, type SkBuff } from './skbuff.js';

export type ZcrxMode = 'shared' | 'single' | 'exclusive';

/** The application's flow: what the NIC's filter steers to the queue (and what counts as its domain's). */
export interface ZcrxFlow {
  readonly protocol: number;
  readonly dport: number;
  /** IPv4 destination (0 or absent: any of the host's). */
  readonly daddr?: number;
}

/** One delivered buffer (io_uring_zcrx_cqe): `off` is niov_idx << PAGE_SHIFT | offset in the page. */
export interface ZcrxCqe {
  readonly off: number;
  readonly len: number;
  /** The last piece of its datagram (UDP's record boundary; TCP ignores it). */
  readonly eor: boolean;
}

/** io_uring_zcrx_rqe: a buffer given back. */
export interface ZcrxRqe {
  readonly off: number;
  readonly len: number;
  readonly __pad: number;
}

/** rq_entries limit without IORING_SETUP_CLAMP. */
export const ZCRX_RQ_MAX = 32768;
/** The model's largest area. */
export const ZCRX_AREA_MAX = 64 << 20;

export interface ZcrxStats {
  /** Pages cleared, and why: entering the pool from the page allocator, or after a foreign frame. */
  pages_cleared: number;
  entry_clears: number;
  reentry_clears: number;
  /** Payload buffers delivered by reference, and by a copy into a free area buffer (copy fallback). */
  delivered: number;
  delivered_bytes: number;
  copy_fallback: number;
  /** Frames of another trust domain that landed on the queue: copied out, or dropped (exclusive). */
  foreign_copied: number;
  foreign_dropped: number;
  /** Refill entries taken, and skipped by reason. */
  returned: number;
  skipped_bad_entry: number;
  skipped_bad_index: number;
  skipped_not_held: number;
  skipped_wrong_process: number;
  /** Buffers reclaimed from a process that detached or exited holding them. */
  scrubbed: number;
}

/** An io_zcrx_ifq: the binding of one RX queue to an area, and the area's memory provider. */
export class ZcrxIfq implements MemoryProviderOps {
  /** The area's buffers (net_iovs), one page each, and their bus addresses. */
  private readonly pages: Page[] = [];
  private readonly dma: bigint[] = [];
  private readonly index = new Map<Page, number>();
  /** Buffers neither in the pool nor held (io_zcrx_area's freelist). */
  private readonly freelist: number[] = [];
  /** Per buffer: references the holding process has, and which process. */
  private readonly user_refs: number[] = [];
  private readonly holder: (Process | null)[] = [];
  /** The processes that map the area, and where. */
  private readonly views = new Map<Process, number>();
  /** The refill ring: entries published and not yet taken, each with the process that wrote it. */
  private readonly rq: { rqe: ZcrxRqe; proc: Process }[] = [];
  pool: PagePool | null = null;
  /** Set by the device while bound: post returned buffers to a starved queue. */
  kick: (() => void) | null = null;
  private unbound = false;
  private freed = false;
  readonly stats: ZcrxStats = {
    pages_cleared: 0, entry_clears: 0, reentry_clears: 0, delivered: 0, delivered_bytes: 0, copy_fallback: 0, foreign_copied: 0,
    foreign_dropped: 0, returned: 0, skipped_bad_entry: 0, skipped_bad_index: 0, skipped_not_held: 0, skipped_wrong_process: 0, scrubbed: 0,
  };
  /** Test-only mutation: skip the clear on pool entry (the leak tests must then fail). */
  static skipEntryClear = false;

  private constructor(
    readonly host: HostPlatform,
    readonly pdev: DmaDevice,
    readonly id: number,
    readonly queue: number,
    readonly mode: ZcrxMode,
    readonly domain: number,
    readonly owner: Process,
    readonly flow: ZcrxFlow,
    readonly rq_entries: number,
    /** The filter slot steering the flow here. */
    readonly filterLocation: number,
  ) {}

  /**
   * The area: `n` pages, each cleared as it enters and mapped once for the device (FROM_DEVICE),
   * charged to the owner's locked memory. -ENOMEM past RLIMIT_MEMLOCK or out of pages; -EOPNOTSUPP
   * when the 32-bit NIC could reach a page only through a bounce buffer (never silently).
   */
  static create(
    host: HostPlatform, pdev: DmaDevice, o: {
      readonly id: number; readonly queue: number; readonly mode: ZcrxMode; readonly owner: Process; readonly flow: ZcrxFlow;
      readonly pages: number; readonly rq_entries: number; readonly filterLocation: number;
    },
  ): ZcrxIfq | number {
    const mm = o.owner.mm;
    if (!account_locked_vm(mm, o.pages)) return -ENOMEM;
    const ifq = new ZcrxIfq(host, pdev, o.id, o.queue, o.mode, o.owner.domain, o.owner, o.flow, o.rq_entries, o.filterLocation);
    const gfp = pdev.usesIommuDma ? GFP_KERNEL : __GFP_DMA32;
    for (let k = 0; k < o.pages; k++) {
      const p = host.pages.alloc_pages(gfp, 0);
      const a = p === null ? 'nomap' : dma_map_page_unbounced(pdev, p, DMA_FROM_DEVICE);
      if (p === null || typeof a !== 'bigint') {
        if (p !== null) host.pages.put_page(p);
        ifq.free_area();
        unaccount_locked_vm(mm, o.pages - k);
        return p === null ? -ENOMEM : -EOPNOTSUPP;
      }
      ifq.pages.push(p);
      ifq.dma.push(a);
      ifq.index.set(p, k);
      ifq.user_refs.push(0);
      ifq.holder.push(null);
      ifq.freelist.push(k);
      ifq.clear(p, 'entry');
    }
    // hand them out lowest index first
    ifq.freelist.reverse();
    return ifq;
  }

  get nr_pages(): number {
    return this.pages.length;
  }

  /** Refill entries published and not yet taken (the pool takes them when its cache runs dry). */
  get rq_pending(): number {
    return this.rq.length;
  }

  /** Buffers processes hold now. */
  get held(): number {
    return this.user_refs.reduce((a, r) => a + (r > 0 ? 1 : 0), 0);
  }

  /** Buffer k's page (tests and the leak checker read it through the process's view). */
  page(k: number): Page {
    return this.pages[k]!;
  }

  /** Buffer k's bus address (where the device writes it). */
  bus_addr(k: number): bigint {
    return this.dma[k]!;
  }

  /** True if `page` is one of this area's. */
  owns(page: Page): boolean {
    return this.index.has(page);
  }

  private clear(p: Page, why: 'entry' | 'reentry'): void {
    this.stats.pages_cleared++;
    if (why === 'entry') this.stats.entry_clears++;
    else this.stats.reentry_clears++;
    if (!ZcrxIfq.skipEntryClear) this.host.cpuFill(p.phys, PAGE_SIZE, 0);
  }

  // ---- the memory provider (page_pool's side) --------------------------------------------------

  /** io_pp_zc_alloc_netmems: the refill ring first, then the freelist. */
  alloc_netmems(pool: PagePool): Page | null {
    this.pool = pool;
    if (pool.alloc_count === 0) this.ring_refill(pool);
    if (pool.alloc_count > 0) return pool.alloc_cache[--pool.alloc_count]!;
    const k = this.freelist.pop();
    if (k === undefined) return null;
    const p = this.pages[k]!;
    p.dma_addr = this.dma[k]!;
    return p;
  }

  /** io_pp_zc_release_netmem: a buffer leaving the pool goes back to the freelist. */
  release_netmem(_pool: PagePool, page: Page): boolean {
    const k = this.index.get(page);
    if (k === undefined) throw new RangeError(`zcrx ifq ${this.id}: pfn 0x${page.pfn.toString(16)} is not in its area`);
    this.freelist.push(k);
    return false;
  }

  /** io_pp_zc_destroy: the queue's pool is gone; the area goes once the binding is closed too. */
  destroy(_pool: PagePool): void {
    this.pool = null;
    if (this.unbound) this.free_area();
  }

  /** io_zcrx_ring_refill: take published returns, skipping the bad ones (counted, never an error). */
  private ring_refill(pool: PagePool): void {
    while (this.rq.length) {
      const { rqe, proc } = this.rq.shift()!;
      const k = rqe.off >>> PAGE_SHIFT;
      if (rqe.__pad !== 0 || Math.floor(rqe.off / 2 ** 48) !== 0 || rqe.off < 0) {
        this.stats.skipped_bad_entry++;
        continue;
      }
      if (!Number.isInteger(rqe.off) || k >= this.pages.length) {
        this.stats.skipped_bad_index++;
        continue;
      }
      if (this.user_refs[k] === 0) {
        this.stats.skipped_not_held++;
        continue;
      }
      if (this.holder[k] !== proc) {
        this.stats.skipped_wrong_process++;
        continue;
      }
      this.stats.returned++;
      this.put_user_ref(k);
      if (pool.alloc_count >= 64) break; // PP_ALLOC_CACHE_REFILL per call
    }
  }

  /**
   * A process's reference on buffer k goes; at the last, the page is unmapped and its pp reference
   * goes back to the pool it belongs to (straight to the cache of the live one; a detached pool
   * after the binding was closed takes it the usual way), or to the freelist if it never joined one.
   */
  private put_user_ref(k: number): void {
    if (--this.user_refs[k]! > 0) return;
    this.holder[k] = null;
    const p = this.pages[k]!;
    this.unmap_everywhere(k);
    const pool = p.pp as PagePool | null;
    if (pool === null) {
      // a copy-fallback buffer
      this.freelist.push(k);
      return;
    }
    if (page_pool_unref_page(p, 1) !== 0) return;
    if (pool === this.pool && net_mp_netmem_place_in_cache(pool, p)) return;
    page_pool_put_unrefed_page(pool, p, -1, false);
  }

  // ---- the process's side ------------------------------------------------------------------------

  /**
   * Map the area for `proc`: a read-only view, the zero page wherever the process holds nothing.
   * -EBUSY for a second process unless shared; -EPERM for another domain.
   */
  attach(proc: Process): number {
    const have = this.views.get(proc);
    if (have !== undefined) return have;
    if (this.unbound) return -EINVAL;
    if (proc !== this.owner) {
      if (this.mode !== 'shared') return -EBUSY;
      if (proc.domain !== this.domain || !proc.cap_net_admin) return -EPERM;
    }
    const va = proc.mm.map_zero_pages(this.pages.length);
    this.views.set(proc, va);
    return va;
  }

  /** The area's address in `proc`, or null if it has not mapped it. */
  view(proc: Process): number | null {
    return this.views.get(proc) ?? null;
  }

  /** A process stops using the area (close, exit): what it holds comes back (io_zcrx_scrub). */
  detach(proc: Process): void {
    if (!this.views.has(proc)) return;
    for (let k = 0; k < this.pages.length; k++) {
      if (this.holder[k] !== proc) continue;
      this.stats.scrubbed++;
      this.user_refs[k] = 1;
      this.put_user_ref(k);
    }
    this.views.delete(proc);
  }

  /** Publish returns on the refill ring; how many fit (rq_entries at most outstanding). */
  refill(proc: Process, rqes: readonly ZcrxRqe[]): number {
    let n = 0;
    for (const rqe of rqes) {
      if (this.rq.length >= this.rq_entries) break;
      this.rq.push({ rqe, proc });
      n++;
    }
    if (n) this.kick?.();
    return n;
  }

  /**
   * Deliver skb bytes [off, off + len) to `proc` by reference: each piece must be a whole frag in
   * one of this area's pages. Returns the CQEs, or null (nothing taken) if a piece is not.
   */
  deliver(proc: Process, skb: SkBuff, off: number, len: number): ZcrxCqe[] | null {
    if (!this.views.has(proc) || len === 0) return null;
    const pieces: { k: number; off: number; len: number }[] = [];
    let at = skb_headlen(skb);
    let want = off;
    const end = off + len;
    for (const f of skb.frags) {
      const fEnd = at + f.size;
      if (want < fEnd && want >= at) {
        const k = this.index.get(f.page);
        if (k === undefined || f.page.pp === null) return null;
        const n = Math.min(end, fEnd) - want;
        pieces.push({ k, off: f.offset + (want - at), len: n });
        want += n;
        if (want === end) break;
      }
      at = fEnd;
    }
    if (want !== end) return null;
    return pieces.map((pc, i) => {
      page_pool_ref_page(this.pages[pc.k]!);
      this.hold(proc, pc.k);
      this.stats.delivered++;
      this.stats.delivered_bytes += pc.len;
      return { off: pc.k * PAGE_SIZE + pc.off, len: pc.len, eor: i === pieces.length - 1 };
    });
  }

  /**
   * io_zcrx_copy_chunk: bytes that are not in the area (or not whole frags of it) copied into
   * free area buffers, which the process returns like any other. Null if the freelist runs dry
   * (-ENOMEM for the caller), nothing taken.
   */
  deliver_copy(proc: Process, bytes: Uint8Array): ZcrxCqe[] | null {
    if (!this.views.has(proc)) return null;
    const need = Math.max(1, Math.ceil(bytes.length / PAGE_SIZE));
    if (this.freelist.length < need) return null;
    const out: ZcrxCqe[] = [];
    for (let i = 0; i < need; i++) {
      const k = this.freelist.pop()!;
      const p = this.pages[k]!;
      const chunk = bytes.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE);
      this.host.cpuWrite(p.phys, chunk);
      // the rest of the page: it may hold the domain's older bytes, but a copy leaves it exact
      this.host.cpuFill(p.phys + BigInt(chunk.length), PAGE_SIZE - chunk.length, 0);
      this.hold(proc, k);
      this.stats.copy_fallback++;
      out.push({ off: k * PAGE_SIZE, len: chunk.length, eor: i === need - 1 });
    }
    return out;
  }

  private hold(proc: Process, k: number): void {
    this.user_refs[k]!++;
    this.holder[k] = proc;
    this.map_everywhere(k);
  }

  /** The views that may see buffer k: the holder's, and in shared mode every mapper's. */
  private viewsOf(k: number): [Process, number][] {
    return [...this.views].filter(([p]) => this.mode === 'shared' || p === this.holder[k]);
  }

  private map_everywhere(k: number): void {
    for (const [p, va] of this.viewsOf(k)) swap(p.mm, va + k * PAGE_SIZE, this.pages[k]!);
  }

  private unmap_everywhere(k: number): void {
    for (const [p, va] of this.views) if (p.mm.follow_page(va + k * PAGE_SIZE)?.page !== zero_page(this.host)) swap(p.mm, va + k * PAGE_SIZE, zero_page(this.host));
  }

  // ---- the driver's side: frames landing on the queue ----------------------------------------------

  /** True if the frame (headers in the skb's head) is the binding's flow. */
  matches(skb: SkBuff): boolean {
    const h = skb_copy_bits(skb, 0, Math.min(skb.len, ETH_HLEN + 24));
    if (h === null || h.length < ETH_HLEN + 20 || be16(h, 12) !== ETH_P_IP) return false;
    const ihl = (h[ETH_HLEN]! & 0xf) * 4;
    if (h[ETH_HLEN + 9] !== this.flow.protocol) return false;
    if (this.flow.daddr && be32(h, ETH_HLEN + 16) !== this.flow.daddr) return false;
    if (be16(h, ETH_HLEN + 6) & IP_OFFSET) return false; // a later fragment carries no port
    const l4 = skb_copy_bits(skb, ETH_HLEN + ihl, 4);
    return l4 !== null && be16(l4, 2) === this.flow.dport;
  }

  /**
   * The RX hook of a bound queue (before the stack sees the frame): the binding's flow goes up as
   * it is; anything else is another domain's: copied out (exclusive: dropped), its pages cleared.
   */
  rx_frame(skb: SkBuff): SkBuff | null {
    if (this.matches(skb)) return skb;
    if (this.mode === 'exclusive') {
      this.stats.foreign_dropped++;
      this.scrub_frags(skb, false);
      kfree_skb(skb);
      return null;
    }
    this.stats.foreign_copied++;
    return this.scrub_frags(skb, true) ? skb : (kfree_skb(skb), null);
  }

  /**
   * Take the area's pages out of `skb`: each frag in one is copied to an ordinary page (if
   * `copy`), the area page cleared (re-entry) and its pp reference dropped. False if a copy
   * could not get a page (the caller drops the skb; the area pages are already clean).
   */
  scrub_frags(skb: SkBuff, copy: boolean): boolean {
    const frags = skb.shinfo.frags;
    for (let i = 0; i < frags.length; i++) {
      const f = frags[i]!;
      if (!this.index.has(f.page)) continue;
      let np: Page | null = null;
      if (copy) {
        np = this.host.pages.alloc_pages(GFP_KERNEL, 0);
        if (np !== null) this.host.cpuWrite(np.phys + BigInt(f.offset), this.host.cpuRead(f.page.phys + BigInt(f.offset), f.size));
      }
      const old = f.page;
      this.clear(old, 'reentry');
      if (np === null) {
        if (copy) return false;
        continue;
      }
      frags[i] = { page: np, offset: f.offset, size: f.size };
      page_pool_put_full_page(old.pp as PagePool, old, false);
    }
    return true;
  }

  /** Close of the binding: no more frames (the caller restarts the queue), views reclaimed, area freed once the pool lets go. */
  unbind(): void {
    if (this.unbound) return;
    this.unbound = true;
    for (const p of [...this.views.keys()]) this.detach(p);
    this.rq.length = 0;
    if (this.pool === null) this.free_area();
  }

  /** Every buffer back: DMA mappings, pages and the locked-memory charge go. */
  private free_area(): void {
    if (this.freed) return;
    this.freed = true;
    this.pages.forEach((p, k) => {
      dma_unmap_page(this.pdev, this.dma[k]!, PAGE_SIZE, DMA_FROM_DEVICE);
      p.dma_addr = 0n;
      this.host.pages.put_page(p);
    });
    unaccount_locked_vm(this.owner.mm, this.pages.length);
  }
}

/** Map `page` read-only at `va` in place of what is there (dropping that page's mapping reference). */
function swap(mm: MmStruct, va: number, page: Page): void {
  if (mm.dead) return;
  const old = mm.replace_page(va, page, true);
  if (old) mm.host.pages.put_page(old);
}

/**
 * A packet reaching a socket of trust domain `domain`: frags in an area of another domain are
 * copied out (and their pages cleared) before the socket may see them. False if a copy could
 * not be made (the caller drops the packet).
 */
export function zcrx_sk_check(domain: number, skbs: readonly SkBuff[]): boolean {
  for (const skb of skbs) {
    for (const f of skb.frags) {
      const mp = (f.page.pp as PagePool | null)?.mp_ops;
      if (mp instanceof ZcrxIfq && mp.owns(f.page) && mp.domain !== domain) {
        mp.stats.foreign_copied++;
        if (!mp.scrub_frags(skb, true)) return false;
        break;
      }
    }
  }
  return true;
}
