// MSG_ZEROCOPY's completion side (net/core/skbuff.c: msg_zerocopy_alloc/realloc, the callback
// and notification coalescing; Documentation/networking/msg_zerocopy.rst). A ubuf_info_msgzc is
// one or more consecutive send calls of a socket: ids [id, id + len). Every skb holding its data
// holds a reference; when the last goes, the pages charged to locked memory are uncharged and a
// notification [ee_info = id, ee_data = id + len - 1] goes on the error queue, or extends the
// one at its tail. The notification is the uarg's own skb, charged to optmem until it is read.

import { account_locked_vm, unaccount_locked_vm, type MmStruct } from '../../mm/mm.js';
import { PAGE_SHIFT } from '../../mem/phys.js';
import { SO_EE_CODE_ZEROCOPY_COPIED, SO_EE_ORIGIN_ZEROCOPY } from '../socket/uapi.js';
import { skb_zcopy_set, type SkBuff, type UbufInfo } from './skbuff.js';
import { ErrQueueSkb, ZC_NOTIFICATION_TRUESIZE, type Sock } from './sock.js';

/** Coalescing limits of msg_zerocopy_realloc. */
export const MSG_ZC_MAX_LEN = 0xffff - 1;
export const MSG_ZC_MAX_BYTELEN = 1 << 19;

/** struct mmpin: whose locked_vm is charged, and how many pages. */
interface MmPin {
  readonly mm: MmStruct;
  num_pg: number;
}

/** struct ubuf_info_msgzc. */
export class UbufInfoMsgzc implements UbufInfo {
  len = 1;
  /** False once any of its data was copied (the notification then says COPIED). */
  zerocopy = true;
  refcnt = 1;
  /** Simulated cycle of the send, and of the notification (for the scenario's latency figure). */
  readonly sentAt: number;
  notifiedAt: number | null = null;
  /** Told first when the last skb lets go, even for a dead socket (zc_writev returns its pages). */
  onRelease: (() => void) | null = null;

  constructor(
    readonly sk: Sock,
    readonly id: number,
    public bytelen: number,
    private readonly mmp: MmPin,
    /** Told when the notification is generated (the scenario's figures). */
    private readonly onNotify: ((u: UbufInfoMsgzc) => void) | null,
  ) {
    this.sentAt = sk.host.clock.cycle;
  }

  /** msg_zerocopy_complete(). */
  complete(skb: SkBuff, success: boolean): void {
    // a deferred copy (skb_copy_ubufs): the bytes the stack copied after all
    if (!success) this.sk.zcStats.deferred_copy_bytes += skb.data_len;
    this.zerocopy &&= success;
    this.put();
  }

  /** net_zcopy_get(). */
  get(): void {
    this.refcnt++;
  }

  /** net_zcopy_put(): the callback runs at the last reference. */
  put(): void {
    if (--this.refcnt === 0) this.callback();
  }

  /** msg_zerocopy_put_abort(): a send that queued nothing gives its id back. */
  put_abort(have_uref: boolean): void {
    if (have_uref) {
      this.sk.sk_zckey = (this.sk.sk_zckey - 1) >>> 0;
      this.len--;
    }
    this.put();
  }

  /** msg_zerocopy_realloc's extension of this uarg by one more call of `size` bytes. */
  extend(size: number): 'ok' | 'limit' | 'not_latest' | 'nomem' {
    if (this.len === MSG_ZC_MAX_LEN || this.bytelen + size > MSG_ZC_MAX_BYTELEN) return 'limit';
    if (((this.id + this.len) >>> 0) !== this.sk.sk_zckey) return 'not_latest';
    const num_pg = (size >> PAGE_SHIFT) + 2;
    if (!account_locked_vm(this.mmp.mm, num_pg)) return 'nomem';
    this.mmp.num_pg += this.mmp.mm.cap_ipc_lock ? 0 : num_pg;
    this.len++;
    this.bytelen += size;
    this.sk.sk_zckey = (this.sk.sk_zckey + 1) >>> 0;
    return 'ok';
  }

  /** __msg_zerocopy_callback(). */
  private callback(): void {
    const sk = this.sk;
    this.onRelease?.();
    unaccount_locked_vm(this.mmp.mm, this.mmp.num_pg);
    this.mmp.num_pg = 0;
    this.notifiedAt = sk.host.clock.cycle;
    if (this.len === 0 || sk.dead) {
      if (this.len !== 0) sk.zcStats.dropped_dead++;
      sk.sock_ofree(ZC_NOTIFICATION_TRUESIZE);
      return;
    }
    this.onNotify?.(this);
    const lo = this.id;
    const hi = (this.id + this.len - 1) >>> 0;
    const tail = sk.sk_error_queue.at(-1);
    sk.zcStats.notifications++;
    if (tail && tail.zerocopy && skb_zerocopy_notify_extend(tail, lo, this.len)) {
      // the newer skb is freed at once; the tail keeps its own ee_code (kernel behaviour)
      sk.zcStats.extended++;
      sk.sock_ofree(ZC_NOTIFICATION_TRUESIZE);
      sk.sk_error_report();
      return;
    }
    sk.sock_queue_err_skb(new ErrQueueSkb({
      ee_errno: 0, ee_origin: SO_EE_ORIGIN_ZEROCOPY, ee_type: 0,
      ee_code: this.zerocopy ? 0 : SO_EE_CODE_ZEROCOPY_COPIED, ee_info: lo, ee_data: hi,
    }, ZC_NOTIFICATION_TRUESIZE, true));
  }
}

/** skb_zerocopy_notify_extend(): [lo, lo + len) follows the tail's range and the sum fits u32. */
function skb_zerocopy_notify_extend(tail: ErrQueueSkb, lo: number, len: number): boolean {
  const s = tail.serr;
  const old_lo = s.ee_info;
  const old_hi = s.ee_data;
  const sum_len = ((old_hi - old_lo) >>> 0) + 1 + len;
  if (lo !== ((old_hi + 1) >>> 0) || sum_len >= 2 ** 32) return false;
  s.ee_data = (s.ee_data + len) >>> 0;
  return true;
}

/**
 * msg_zerocopy_alloc(): a new uarg for a send of `size` bytes, charged to optmem (its skb) and
 * to locked memory ((size >> PAGE_SHIFT) + 2 pages); null is ENOBUFS.
 */
export function msg_zerocopy_alloc(
  sk: Sock, size: number, mm: MmStruct, onNotify: ((u: UbufInfoMsgzc) => void) | null = null,
  /** False for memory already charged (a socket's pool, which zc_writev sends from). */
  charge = true,
): UbufInfoMsgzc | null {
  if (!sk.sock_omalloc(ZC_NOTIFICATION_TRUESIZE)) return null;
  const num_pg = charge ? (size >> PAGE_SHIFT) + 2 : 0;
  if (!account_locked_vm(mm, num_pg)) {
    sk.sock_ofree(ZC_NOTIFICATION_TRUESIZE);
    return null;
  }
  const id = sk.sk_zckey;
  sk.sk_zckey = (sk.sk_zckey + 1) >>> 0;
  return new UbufInfoMsgzc(sk, id, size, { mm, num_pg: mm.cap_ipc_lock ? 0 : num_pg }, onNotify);
}

/**
 * msg_zerocopy_realloc(): extend `prev` (the uarg of the socket's last, still open skb: TCP's
 * write-queue tail, a UDP cork) by one call when it is the socket's latest, else allocate.
 * Returns the uarg and whether it is new (the caller holds its first reference then); null is
 * ENOBUFS. At a coalescing limit a stream socket starts a new uarg and a datagram one fails.
 */
export function msg_zerocopy_realloc(
  sk: Sock, size: number, prev: UbufInfoMsgzc | null, mm: MmStruct, stream: boolean, onNotify: ((u: UbufInfoMsgzc) => void) | null = null,
): { uarg: UbufInfoMsgzc; fresh: boolean } | null {
  if (prev !== null) {
    const r = prev.extend(size);
    if (r === 'ok') {
      prev.get();
      return { uarg: prev, fresh: false };
    }
    if (r === 'nomem' || (r === 'limit' && !stream)) return null;
  }
  const uarg = msg_zerocopy_alloc(sk, size, mm, onNotify);
  return uarg ? { uarg, fresh: true } : null;
}

/** skb_zcopy_set with net_zcopy_get: the skb holds its own reference. */
export function skb_zcopy_attach(skb: SkBuff, uarg: UbufInfoMsgzc): void {
  uarg.get();
  skb_zcopy_set(skb, uarg);
}
