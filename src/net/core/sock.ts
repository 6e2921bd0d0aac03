// struct sock reduced to what the model's UDP and TCP need (net/core/sock.c): send and receive
// buffer accounting by truesize (sk_wmem_alloc, sk_rmem_alloc against SO_SNDBUF/SO_RCVBUF),
// option memory (sk_omem_alloc against net.core.optmem_max, which MSG_ZEROCOPY's notifications
// are charged to), the error queue, the zero-copy key, where received packets came in
// (sk_napi_id, sk_incoming_cpu), and a wait queue that blocking calls sleep on. Wake-ups run host
// code at the simulated time of the event that caused them (a TX completion, a received frame), so
// a run stays a function of its seed.

import { WaitQueue } from '../../lib/wait.js';
import type { HostPlatform } from '../../platform/host.js';
import type { SockExtendedErr } from '../socket/uapi.js';
import { SKB_TRUESIZE, type SkBuff } from './skbuff.js';
import { raw_smp_processor_id } from './napi.js';

/** net.core.wmem_default / rmem_default (212,992 on Linux). */
export const SK_WMEM_DEFAULT = 212_992;
export const SK_RMEM_DEFAULT = 212_992;
/** net.core.wmem_max / rmem_max: what SO_SNDBUF/SO_RCVBUF may ask for (doubled, as Linux does). */
export const SK_WMEM_MAX = 212_992;
export const SK_RMEM_MAX = 212_992;
/** SOCK_MIN_SNDBUF / SOCK_MIN_RCVBUF as on 64-bit Linux (2 * SKB_TRUESIZE(256)-ish). */
export const SOCK_MIN_SNDBUF = 4608;
export const SOCK_MIN_RCVBUF = 2304;
/** net.core.optmem_max from v6.8 (commit 4944566706b2): 128 KiB. */
export const OPTMEM_MAX_DEFAULT = 128 << 10;

/** Per-host sysctls the sockets read (net.core.*). */
export interface NetSysctl {
  optmem_max: number;
}

/** One entry of the error queue: an skb whose cb holds a sock_exterr_skb. */
export class ErrQueueSkb {
  constructor(
    readonly serr: SockExtendedErr,
    /** Charged to sk_omem_alloc until read (zero-copy notifications) or 0. */
    readonly truesize: number,
    /** A zero-copy notification (the tail it may extend). */
    readonly zerocopy: boolean,
  ) {}
}

export class Sock {
  sk_sndbuf = SK_WMEM_DEFAULT;
  sk_rcvbuf = SK_RMEM_DEFAULT;
  /** Truesize of this socket's skbs not yet freed (sock_wfree releases it). */
  sk_wmem_alloc = 0;
  /** Truesize of the skbs queued for reading. */
  sk_rmem_alloc = 0;
  sk_omem_alloc = 0;
  /** The next MSG_ZEROCOPY id (u32). */
  sk_zckey = 0;
  /** SOCK_ZEROCOPY (SO_ZEROCOPY on). */
  sock_zerocopy = false;
  /** The trust domain of the process that made it (RX zero copy maps pages only within one). */
  domain = 0;
  /** SOCK_DEAD: closed; zero-copy completions for it are dropped silently. */
  dead = false;
  /** sk_napi_id: the NAPI id of a received skb, as sk_mark_napi_id(_once) left it (SO_INCOMING_NAPI_ID). */
  sk_napi_id = 0;
  /** sk_incoming_cpu: -1 (sock_init_data) until a receive path records its CPU, or SO_INCOMING_CPU's value. */
  sk_incoming_cpu = -1;
  /** Model: SO_ZCNIC_RXINFO on (a test-only per-datagram control message: src/net/socket/common.ts). */
  sock_zcnic_rxinfo = false;
  /** sk_err: a pending error (SO_ERROR reads and clears it). */
  sk_err = 0;
  readonly sk_error_queue: ErrQueueSkb[] = [];
  readonly wq = new WaitQueue();
  /** Notifications made, coalesced and dropped (socket closed); bytes copied by skb_copy_ubufs. */
  readonly zcStats = { notifications: 0, extended: 0, dropped_dead: 0, deferred_copy_bytes: 0 };

  constructor(
    readonly host: HostPlatform,
    readonly sysctl: NetSysctl,
  ) {}

  /** sock_error(): the pending error, cleared as it is read (0 if none). */
  sock_error(): number {
    const e = this.sk_err;
    this.sk_err = 0;
    return e;
  }

  /** sock_omalloc(sk, size): charge option memory; false when optmem_max would be passed. */
  sock_omalloc(size: number): boolean {
    if (this.sk_omem_alloc + size > this.sysctl.optmem_max) return false;
    this.sk_omem_alloc += size;
    return true;
  }

  sock_ofree(size: number): void {
    this.sk_omem_alloc -= size;
  }

  /** sock_wmalloc's charge: the skb's truesize is this socket's until the skb is freed. */
  skb_set_owner_w(skb: SkBuff): void {
    skb.sk = this;
    this.sk_wmem_alloc += skb.truesize;
    const n = skb.truesize;
    skb.destructor = () => this.sock_wfree(n);
  }

  /** sock_wfree(): the send buffer space comes back; writers may go on. */
  private sock_wfree(n: number): void {
    this.sk_wmem_alloc -= n;
    this.sk_write_space();
  }

  /** sock_writeable(): less than half the send buffer in use. */
  sock_writeable(): boolean {
    return this.sk_wmem_alloc < this.sk_sndbuf >> 1;
  }

  /** sock_wspace() room for one more skb of `truesize` (sock_alloc_send_skb's test). */
  wmem_room(truesize: number): boolean {
    return this.sk_wmem_alloc + truesize <= this.sk_sndbuf || this.sk_wmem_alloc === 0;
  }

  sk_write_space(): void {
    this.wq.wake_up();
  }

  sk_data_ready(): void {
    this.wq.wake_up();
  }

  /** sk_error_report(): POLLERR may have changed. */
  sk_error_report(): void {
    this.wq.wake_up();
  }

  /** sk_mark_napi_id() (include/net/busy_poll.h): the socket follows every skb it is given. */
  sk_mark_napi_id(skb: SkBuff): void {
    this.sk_napi_id = skb.napi_id;
  }

  /** sk_mark_napi_id_once(): only the first NAPI id sticks (an unconnected UDP socket). */
  sk_mark_napi_id_once(skb: SkBuff): void {
    if (!this.sk_napi_id) this.sk_napi_id = skb.napi_id;
  }

  /** sk_incoming_cpu_update() (include/net/sock.h): the CPU the receive path runs on. */
  sk_incoming_cpu_update(): void {
    this.sk_incoming_cpu = raw_smp_processor_id();
  }

  /** sock_queue_err_skb(). */
  sock_queue_err_skb(e: ErrQueueSkb): void {
    this.sk_error_queue.push(e);
    this.sk_error_report();
  }

  /** sock_dequeue_err_skb(): the head, its option memory released. */
  sock_dequeue_err_skb(): ErrQueueSkb | undefined {
    const e = this.sk_error_queue.shift();
    if (e) this.sock_ofree(e.truesize);
    return e;
  }
}

/** SKB_TRUESIZE(0): what one notification skb costs in option memory. */
export const ZC_NOTIFICATION_TRUESIZE = SKB_TRUESIZE(0);
