// A small but real TCP (net/ipv4/tcp*.c, reduced; docs/net-stack.md says where it differs):
// three-way handshake with the MSS option, in-order byte streams with cumulative ACKs (an
// out-of-order segment is dropped and answered with a duplicate ACK, so a loss is repaired by
// go-back-N retransmission), a retransmission timer on simulated time with exponential backoff,
// FIN in both directions, RST for a closed port (ECONNREFUSED), and a fixed congestion window.
//
// The retransmit queue holds each segment's payload pages until the segment is acknowledged:
// kernel pages for copied data, the user's own pages (FOLL_GET references) for MSG_ZEROCOPY.
// Every transmission is a new skb whose frags take their own page references and which holds a
// reference on the send's ubuf_info, so a MSG_ZEROCOPY notification comes only when the data is
// acknowledged *and* every transmission of it has completed on the NIC, as tcp.c's clones do.
// The TCP checksum is computed by the stack (the NIC's offload covers IPv4 and UDP only).

import { inet_hashinfo } from './inet_hashtables.js';
import { get_page, type Page } from '../../mem/page_alloc.js';
import { PAGE_SIZE } from '../../mem/phys.js';
import type { MmStruct } from '../../mm/mm.js';
import { get_user_pages, put_user_page_ref } from '../../mm/gup.js';
import { IPPROTO_TCP, be16, be32, csum_fold, csum_partial, put16, put32 } from '../../lib/proto.js';
import {
  CHECKSUM_NONE, SKB_TRUESIZE, alloc_skb, skb_fill_page_desc, skb_put_data, skb_reserve, type SkBuff,
} from '../core/skbuff.js';
import { NETIF_F_IP_CSUM, NETIF_F_SG } from '../core/dev.js';
import { Sock } from '../core/sock.js';
import { msg_zerocopy_realloc, skb_zcopy_attach, type UbufInfoMsgzc } from '../core/msg_zerocopy.js';
import type { Net, Route } from '../core/net.js';
import {
  EAGAIN, ECONNREFUSED, ECONNRESET, EFAULT, EINVAL, ENOBUFS, ENOTCONN, EPIPE, ETIMEDOUT, MSG_DONTWAIT, MSG_ERRQUEUE,
  MSG_PEEK, MSG_ZEROCOPY, POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDHUP, POLLRDNORM, POLLWRNORM, EISCONN, EALREADY, EINPROGRESS,
  type Cmsg, type Msghdr, type SockaddrIn,
} from '../socket/uapi.js';
import { iov_total, ip_recv_error } from '../socket/common.js';
import { zcrx_sk_check } from '../core/zcrx.js';
import { raw_smp_processor_id } from '../core/napi.js';
import type { ZcChunk } from './udp.js';
import { IPV4_HLEN, MAX_TCP_HEADER, csum_tcpudp_nofold, eth_build_header, inet_copy_bits, inet_packet_free, inet_packet_skb, ip_build_header, type InetPacket } from './ip.js';
import { IP_DF } from '../../lib/proto.js';

export const TCP_HLEN = 20;
const TCPOLEN_MSS = 4;
export const TCPHDR_FIN = 0x01;
export const TCPHDR_SYN = 0x02;
export const TCPHDR_RST = 0x04;
export const TCPHDR_PSH = 0x08;
export const TCPHDR_ACK = 0x10;

/** Initial RTO: 200 us of simulated time (50,000 cycles at 250 MHz); doubled per retry. */
export const TCP_RTO_INIT_CYCLES = 50_000;
export const TCP_RTO_MAX_CYCLES = 3_200_000;
/** tcp_retries2's spirit: give up (ETIMEDOUT) after this many retransmissions of one segment. */
export const TCP_RETRIES = 10;
/** The fixed congestion window, in segments. */
export const TCP_CWND_SEGS = 16;
export const TCP_SYN_RETRIES = 6;

export type TcpState =
  | 'CLOSED' | 'LISTEN' | 'SYN_SENT' | 'SYN_RECV' | 'ESTABLISHED' | 'FIN_WAIT1' | 'FIN_WAIT2' | 'CLOSING' | 'TIME_WAIT'
  | 'CLOSE_WAIT' | 'LAST_ACK';

const seqLt = (a: number, b: number): boolean => ((a - b) | 0) < 0;
const seqLeq = (a: number, b: number): boolean => ((a - b) | 0) <= 0;

/** One piece of a segment's payload: a page it holds a reference on. */
interface Piece {
  readonly page: Page;
  readonly off: number;
  readonly len: number;
  /** A get_user_pages reference (zero copy), else a kernel page of a copy. */
  readonly gup: boolean;
}

/** A segment in the write / retransmit queue. */
interface TxSeg {
  readonly seq: number;
  readonly len: number;
  readonly pieces: Piece[];
  readonly flags: number;
  readonly uarg: UbufInfoMsgzc | null;
  sent: boolean;
  retries: number;
}

/** Received bytes waiting for recv: a range of a packet's payload. */
interface RxChunk {
  readonly pkt: InetPacket;
  off: number;
  readonly end: number;
}

type Timer = { cancel(): void };

export class TcpSock extends Sock {
  state: TcpState = 'CLOSED';
  saddr = 0;
  sport = 0;
  daddr = 0;
  dport = 0;
  mss = 536;
  private iss = 0;
  snd_una = 0;
  snd_nxt = 0;
  /** The peer's advertised window (no scaling). */
  snd_wnd = 0xffff;
  rcv_nxt = 0;
  private readonly wq_tx: TxSeg[] = [];
  private readonly rxq: RxChunk[] = [];
  private rx_bytes = 0;
  /** A FIN was received (reads return 0 once the queue is empty). */
  private fin_rcvd = false;
  private fin_queued = false;
  private rto = TCP_RTO_INIT_CYCLES;
  private timer: Timer | null = null;
  /** Listening: connections that completed the handshake, waiting for accept(). */
  readonly accept_queue: TcpSock[] = [];
  backlog = 0;
  parent: TcpSock | null = null;
  /** Closed by the process; the stack finishes sending and frees it. */
  orphan = false;
  readonly mib = { OutSegs: 0, InSegs: 0, RetransSegs: 0, OutRsts: 0, InErrs: 0, OfoDrops: 0, DupAcks: 0 };
  /** Payload bytes accepted by send calls, by zero copy and by copy (the stack's own view). */
  readonly tx = { bytes: 0, zc_bytes: 0, copied_bytes: 0 };

  constructor(readonly net: Net) {
    super(net.host, net.sysctl);
  }

  // ---- user calls -----------------------------------------------------------------------------

  /** tcp_v4_connect + wait for the handshake; 0 or -errno (EINPROGRESS when non-blocking). */
  async connect(to: SockaddrIn, nonblock: boolean): Promise<number> {
    if (this.state === 'ESTABLISHED') return -EISCONN;
    if (this.state === 'SYN_SENT') return nonblock ? -EALREADY : this.waitConnected();
    if (this.state !== 'CLOSED') return -EINVAL;
    const rt = this.net.ip_route_output(to.addr, this.saddr);
    if (typeof rt === 'number') return rt;
    this.daddr = to.addr >>> 0;
    this.dport = to.port;
    this.saddr ||= rt.saddr;
    if (!this.sport && inet_hashinfo(this.net).tcp_autobind(this) < 0) return -EAGAIN;
    this.mss = rt.mtu - IPV4_HLEN - TCP_HLEN;
    inet_hashinfo(this.net).tcp_hash(this);
    this.iss = inet_hashinfo(this.net).tcp_isn();
    this.snd_una = this.iss;
    this.snd_nxt = this.iss;
    this.state = 'SYN_SENT';
    this.queue(TCPHDR_SYN, [], 0, null);
    this.push();
    if (nonblock) return -EINPROGRESS;
    return this.waitConnected();
  }

  private async waitConnected(): Promise<number> {
    while (this.state === 'SYN_SENT' || this.state === 'SYN_RECV') await this.wq.wait();
    if (this.state === 'ESTABLISHED' || this.state === 'CLOSE_WAIT') return 0;
    const e = this.sk_err || ECONNREFUSED;
    this.sk_err = 0;
    return -e;
  }

  /** inet_csk_accept: a connection from the accept queue (blocking unless nonblock). */
  async accept(nonblock: boolean): Promise<TcpSock | number> {
    if (this.state !== 'LISTEN') return -EINVAL;
    while (!this.accept_queue.length) {
      if (nonblock) return -EAGAIN;
      await this.wq.wait();
      if (this.state !== 'LISTEN') return -EINVAL;
    }
    return this.accept_queue.shift()!;
  }

  /** tcp_sendmsg_locked(); bytes queued or -errno. */
  async sendmsg(mm: MmStruct, msg: Msghdr, flags: number, nonblock: boolean): Promise<number> {
    const len = iov_total(msg.iov);
    if (len < 0) return -EINVAL;
    while (this.state === 'SYN_SENT' || this.state === 'SYN_RECV') await this.wq.wait();
    if (this.sk_err) return -this.sock_error();
    if (this.fin_queued || (this.state === 'CLOSED' && this.snd_nxt !== 0)) return -EPIPE;
    // sk_stream_wait_connect: any state but a handshake in progress is EPIPE
    if (this.state !== 'ESTABLISHED' && this.state !== 'CLOSE_WAIT') return -EPIPE;
    for (const v of msg.iov) if (!mm.range_ok(v.base, v.len)) return -EFAULT;
    if (len === 0) return 0;
    const rt = this.net.ip_route_output(this.daddr, this.saddr);
    if (typeof rt === 'number') return rt;
    let uarg: UbufInfoMsgzc | null = null;
    let zc = false;
    if (flags & MSG_ZEROCOPY && this.sock_zerocopy) {
      const tail = this.wq_tx.at(-1)?.uarg ?? null;
      const r = msg_zerocopy_realloc(this, len, tail && !tail_sent(this.wq_tx) ? tail : null, mm, true, this.net.onZcNotify);
      if (!r) return -ENOBUFS;
      uarg = r.uarg;
      zc = (rt.dev.features & NETIF_F_SG) !== 0;
      if (!zc) uarg.zerocopy = false;
    }
    // flatten the iovecs into [user address, length] runs and cut them into MSS segments
    let copied = 0;
    const runs = msg.iov.filter((v) => v.len > 0).map((v) => ({ base: v.base, len: v.len }));
    let ri = 0;
    let roff = 0;
    while (copied < len) {
      if (this.sk_err) break;
      if (!this.wmem_room(SKB_TRUESIZE(MAX_TCP_HEADER) + this.mss)) {
        if (nonblock || flags & MSG_DONTWAIT) break;
        // sk_stream_wait_memory: send what is queued, wait for ACKs to free room
        this.push();
        await this.wq.wait();
        if (this.state !== 'ESTABLISHED' && this.state !== 'CLOSE_WAIT') break;
        continue;
      }
      const n = Math.min(this.mss, len - copied);
      const pieces: Piece[] = [];
      let need = n;
      while (need > 0) {
        const r = runs[ri]!;
        const k = Math.min(need, r.len - roff);
        const got = zc ? get_user_pages(mm, r.base + roff, k) : copyPieces(this.net, mm, r.base + roff, k);
        if (got === null) {
          for (const p of pieces) releasePiece(this.net, p);
          if (copied === 0) {
            uarg?.put_abort(true);
            return -EFAULT;
          }
          break;
        }
        pieces.push(...got.map((g) => ({ page: g.page, off: g.off, len: g.len, gup: zc })));
        need -= k;
        roff += k;
        if (roff === r.len) {
          ri++;
          roff = 0;
        }
      }
      if (need > 0) break;
      this.queue(TCPHDR_ACK | TCPHDR_PSH, pieces, n, uarg);
      copied += n;
    }
    if (copied === 0) {
      uarg?.put_abort(true);
      if (this.sk_err) return -this.sock_error();
      return -EAGAIN;
    }
    uarg?.put();
    this.tx.bytes += copied;
    if (zc) this.tx.zc_bytes += copied;
    else this.tx.copied_bytes += copied;
    this.push();
    return copied;
  }

  /** RX zero copy: the in-order bytes at the head of the receive queue (one segment's). */
  zc_next(): ZcChunk | null {
    const c = this.rxq[0];
    if (!c) return null;
    const sg = c.pkt.segs[0]!;
    return { skb: sg.skb, off: sg.off + c.off, len: c.end - c.off, eor: false };
  }

  /** RX zero copy took `len` bytes: tcp_recvmsg's consume, and the window update. */
  zc_consume(len: number): void {
    const c = this.rxq[0]!;
    c.off += len;
    this.rx_bytes -= len;
    if (c.off === c.end) {
      this.rxq.shift();
      this.sk_rmem_alloc -= c.pkt.truesize;
      inet_packet_free(c.pkt);
    }
    if (this.state === 'ESTABLISHED' || this.state === 'FIN_WAIT1' || this.state === 'FIN_WAIT2') this.send_ack();
  }

  /** What zcrx_recv waits on: 0 when data is queued, 1 at end of stream, or -errno. */
  zc_ready(): number {
    if (this.rxq.length) return 0;
    if (this.sk_err) return -this.sock_error();
    if (this.state === 'LISTEN') return -ENOTCONN;
    return this.fin_rcvd || this.state === 'CLOSED' ? 1 : -EAGAIN;
  }

  /** tcp_recvmsg(); bytes copied, 0 at end of stream, or -errno. */
  async recvmsg(mm: MmStruct, msg: Msghdr<Cmsg>, flags: number, nonblock: boolean): Promise<number> {
    if (flags & MSG_ERRQUEUE) return ip_recv_error(this, msg);
    if (this.state === 'LISTEN' || (this.state === 'CLOSED' && !this.rxq.length && !this.fin_rcvd && !this.sk_err)) return -ENOTCONN;
    const room = iov_total(msg.iov);
    if (room < 0) return -EINVAL;
    while (!this.rxq.length) {
      if (this.sk_err) return -this.sock_error();
      if (this.fin_rcvd || this.state === 'CLOSED') return 0;
      if (nonblock || flags & MSG_DONTWAIT) return -EAGAIN;
      await this.wq.wait();
    }
    let done = 0;
    let vi = 0;
    let voff = 0;
    let ci = 0;
    let coff = this.rxq[0]!.off;
    while (done < room && ci < this.rxq.length) {
      const c = this.rxq[ci]!;
      const v = msg.iov[vi]!;
      const n = Math.min(c.end - coff, v.len - voff);
      const bytes = inet_copy_bits(c.pkt, coff, n)!;
      if (!mm.copy_to_user(v.base + voff, bytes)) return done || -EFAULT;
      done += n;
      coff += n;
      voff += n;
      if (voff === v.len) {
        vi++;
        voff = 0;
      }
      if (coff === c.end) {
        ci++;
        coff = this.rxq[ci]?.off ?? 0;
      }
    }
    if (!(flags & MSG_PEEK)) {
      let left = done;
      while (left > 0) {
        const c = this.rxq[0]!;
        const n = Math.min(left, c.end - c.off);
        c.off += n;
        left -= n;
        if (c.off === c.end) {
          this.rxq.shift();
          this.sk_rmem_alloc -= c.pkt.truesize;
          inet_packet_free(c.pkt);
        }
      }
      this.rx_bytes -= done;
      // the window opened: tell the peer (tcp_cleanup_rbuf)
      if (this.state === 'ESTABLISHED' || this.state === 'FIN_WAIT1' || this.state === 'FIN_WAIT2') this.send_ack();
    }
    return done;
  }

  poll(): number {
    let m = 0;
    if (this.state === 'LISTEN') return this.accept_queue.length ? POLLIN | POLLRDNORM : 0;
    if (this.rxq.length || this.fin_rcvd) m |= POLLIN | POLLRDNORM;
    if (this.fin_rcvd) m |= POLLRDHUP;
    if (this.sk_error_queue.length || this.sk_err) m |= POLLERR;
    if ((this.state === 'ESTABLISHED' || this.state === 'CLOSE_WAIT') && this.sock_writeable()) m |= POLLOUT | POLLWRNORM;
    if (this.state === 'CLOSED' && this.snd_nxt !== 0) m |= POLLHUP;
    return m;
  }

  /** close(): a FIN after what is queued; the stack keeps the socket until the exchange ends. */
  release(): void {
    this.orphan = true;
    this.dead = true;
    for (const c of this.rxq.splice(0)) inet_packet_free(c.pkt);
    this.sk_rmem_alloc = 0;
    while (this.sock_dequeue_err_skb()) {
      /* notifications of a closed socket are dropped */
    }
    switch (this.state) {
      case 'LISTEN':
        for (const c of this.accept_queue.splice(0)) c.release();
        inet_hashinfo(this.net).tcp_unhash(this);
        this.state = 'CLOSED';
        break;
      case 'SYN_SENT':
      case 'CLOSED':
        this.destroy();
        break;
      case 'SYN_RECV':
      case 'ESTABLISHED':
        this.state = 'FIN_WAIT1';
        this.queueFin();
        break;
      case 'CLOSE_WAIT':
        this.state = 'LAST_ACK';
        this.queueFin();
        break;
      default:
        break;
    }
    this.wq.wake_up();
  }

  /** shutdown(SHUT_WR): send a FIN, keep reading. */
  shutdown_wr(): number {
    if (this.state === 'ESTABLISHED') this.state = 'FIN_WAIT1';
    else if (this.state === 'CLOSE_WAIT') this.state = 'LAST_ACK';
    else return -ENOTCONN;
    this.queueFin();
    return 0;
  }

  private queueFin(): void {
    this.fin_queued = true;
    this.queue(TCPHDR_ACK | TCPHDR_FIN, [], 0, null);
    this.push();
  }

  // ---- output ---------------------------------------------------------------------------------

  /** Append a segment (SYN and FIN take one sequence number). */
  private queue(flags: number, pieces: Piece[], len: number, uarg: UbufInfoMsgzc | null): void {
    const seq = (this.iss + this.queuedSeqLen()) >>> 0;
    if (uarg) uarg.get();
    this.wq_tx.push({ seq, len, pieces, flags, uarg, sent: false, retries: 0 });
    for (const p of pieces) this.sk_wmem_alloc += p.len;
    this.sk_wmem_alloc += SKB_TRUESIZE(MAX_TCP_HEADER);
  }

  /** Sequence space used by everything queued so far (from the ISS). */
  private queuedSeqLen(): number {
    const last = this.wq_tx.at(-1);
    if (!last) return (this.snd_nxt - this.iss) >>> 0;
    return ((last.seq - this.iss) >>> 0) + segSeqLen(last);
  }

  /** tcp_write_xmit: send what the window allows. */
  private push(): void {
    const rt = this.route();
    if (rt === null) return;
    const wnd = Math.min(this.snd_wnd, TCP_CWND_SEGS * this.mss);
    for (const s of this.wq_tx) {
      if (s.sent) continue;
      if (s.len && ((s.seq + s.len - this.snd_una) >>> 0) > wnd) break;
      this.transmit(s, rt);
      s.sent = true;
      const end = (s.seq + segSeqLen(s)) >>> 0;
      if (seqLt(this.snd_nxt, end)) this.snd_nxt = end;
    }
    if (this.wq_tx.some((s) => s.sent)) this.arm();
  }

  private route(): Route | null {
    const rt = this.net.ip_route_output(this.daddr, this.saddr);
    return typeof rt === 'number' ? null : rt;
  }

  /** One transmission of a segment: a new skb, its frags holding their own page references. */
  private transmit(s: TxSeg, rt: Route): void {
    const opt = s.flags & TCPHDR_SYN ? TCPOLEN_MSS : 0;
    const skb = this.build(rt, s.seq, s.flags, opt, s.pieces, s.len);
    if (skb === null) return;
    if (s.uarg) skb_zcopy_attach(skb, s.uarg);
    this.mib.OutSegs++;
    rt.dev.dev_queue_xmit([skb], { csumIp: (rt.dev.features & NETIF_F_IP_CSUM) !== 0 }, this.net.tx_queue(this.saddr, this.daddr, this.sport, this.dport, rt.dev));
  }

  /** A segment as an skb: headers in the linear part (software TCP checksum), payload as frags. */
  private build(rt: Route, seq: number, flags: number, optLen: number, pieces: readonly Piece[], len: number): SkBuff | null {
    const skb = alloc_skb(this.host, MAX_TCP_HEADER);
    if (skb === null) return null;
    skb_reserve(skb, MAX_TCP_HEADER - 14 - IPV4_HLEN - TCP_HLEN - 4);
    const th = new Uint8Array(TCP_HLEN + optLen);
    put16(th, 0, this.sport);
    put16(th, 2, this.dport);
    put32(th, 4, seq);
    put32(th, 8, flags & TCPHDR_ACK ? this.rcv_nxt : 0);
    th[12] = ((TCP_HLEN + optLen) / 4) << 4;
    th[13] = flags;
    put16(th, 14, this.rcv_wnd());
    if (optLen) {
      th[20] = 2;
      th[21] = 4;
      put16(th, 22, this.mss);
    }
    // checksum over the pseudo-header, the header and the payload (read from its pages)
    let sum = csum_tcpudp_nofold(this.saddr, this.daddr, th.length + len, IPPROTO_TCP);
    sum = csum_partial(th, 0, th.length, sum);
    let odd = false;
    for (const p of pieces) {
      const b = this.host.cpuRead(p.page.phys + BigInt(p.off), p.len);
      sum = odd ? swap16(csum_partial(b, 0, b.length, swap16(sum))) : csum_partial(b, 0, b.length, sum);
      odd = odd !== (b.length % 2 === 1);
    }
    put16(th, 16, csum_fold(sum));
    skb_put_data(skb, eth_build_header(rt.neigh, rt.dev.dev_addr));
    skb_put_data(skb, ip_build_header({ tot_len: IPV4_HLEN + th.length + len, id: this.net.ip_select_ident(), frag_off: IP_DF, protocol: IPPROTO_TCP, saddr: this.saddr, daddr: this.daddr }));
    skb_put_data(skb, th);
    skb.ip_summed = CHECKSUM_NONE;
    pieces.forEach((p, i) => {
      get_page(p.page);
      skb_fill_page_desc(skb, i, p.page, p.off, p.len);
      skb.len += p.len;
      skb.data_len += p.len;
    });
    return skb;
  }

  private rcv_wnd(): number {
    return Math.max(0, Math.min(0xffff, this.sk_rcvbuf - this.sk_rmem_alloc));
  }

  /** A bare ACK (or RST) outside the queue. */
  send_ack(flags = TCPHDR_ACK, seq = this.snd_nxt): void {
    const rt = this.route();
    if (rt === null) return;
    const skb = this.build(rt, seq, flags, 0, [], 0);
    if (skb === null) return;
    this.mib.OutSegs++;
    rt.dev.dev_queue_xmit([skb], { csumIp: (rt.dev.features & NETIF_F_IP_CSUM) !== 0 }, this.net.tx_queue(this.saddr, this.daddr, this.sport, this.dport, rt.dev));
  }

  // ---- timers ---------------------------------------------------------------------------------

  private arm(): void {
    this.timer?.cancel();
    this.timer = this.net.timer(this.rto, () => this.retransmit_timer());
  }

  /** tcp_retransmit_timer: resend from snd_una (go-back-N), back off. */
  private retransmit_timer(): void {
    this.timer = null;
    const first = this.wq_tx.find((s) => s.sent);
    if (!first) return;
    if (++first.retries > (first.flags & TCPHDR_SYN ? TCP_SYN_RETRIES : TCP_RETRIES)) {
      this.abort(ETIMEDOUT);
      return;
    }
    this.rto = Math.min(this.rto * 2, TCP_RTO_MAX_CYCLES);
    const rt = this.route();
    if (rt === null) return;
    for (const s of this.wq_tx) {
      if (!s.sent) break;
      this.mib.RetransSegs++;
      this.transmit(s, rt);
    }
    this.arm();
  }

  /** The connection is gone (RST, timeout): wake everyone with the error, free what is held. */
  abort(err: number): void {
    this.sk_err = err;
    this.state = 'CLOSED';
    this.flushQueue();
    this.timer?.cancel();
    this.timer = null;
    this.sk_error_report();
    inet_hashinfo(this.net).tcp_unhash(this);
    if (this.orphan) this.destroy();
  }

  private flushQueue(): void {
    for (const s of this.wq_tx.splice(0)) this.freeSeg(s);
  }

  private freeSeg(s: TxSeg): void {
    for (const p of s.pieces) {
      releasePiece(this.net, p);
      this.sk_wmem_alloc -= p.len;
    }
    this.sk_wmem_alloc -= SKB_TRUESIZE(MAX_TCP_HEADER);
    s.uarg?.put();
  }

  private destroy(): void {
    this.flushQueue();
    this.timer?.cancel();
    this.timer = null;
    this.state = 'CLOSED';
    inet_hashinfo(this.net).tcp_unhash(this);
  }

  // ---- input ----------------------------------------------------------------------------------

  /**
   * tcp_rcv_state_process for this socket's segment. As tcp_v4_rcv, every segment records the
   * receiving CPU; the NAPI id is recorded by an established socket's fast path (tcp_v4_do_rcv), by
   * tcp_finish_connect and, for the passive side, by the ACK that completes the handshake
   * (tcp_child_process).
   */
  rcv(p: InetPacket, th: Uint8Array, payOff: number, payLen: number): void {
    this.mib.InSegs++;
    this.sk_incoming_cpu_update();
    const skb = inet_packet_skb(p);
    if (this.state === 'ESTABLISHED') this.sk_mark_napi_id(skb);
    const flags = th[13]!;
    const seq = be32(th, 4);
    const ack = be32(th, 8);
    if (flags & TCPHDR_RST) {
      inet_packet_free(p);
      if (this.state === 'SYN_SENT') this.abort(ECONNREFUSED);
      else if (this.state !== 'LISTEN') this.abort(this.orphan ? ECONNRESET : (this.state === 'CLOSE_WAIT' ? EPIPE : ECONNRESET));
      this.wq.wake_up();
      return;
    }
    if (this.state === 'SYN_SENT') {
      const synack = (flags & TCPHDR_SYN) !== 0 && (flags & TCPHDR_ACK) !== 0 && ack === ((this.iss + 1) >>> 0);
      if (synack) this.sk_mark_napi_id(skb); // tcp_finish_connect
      inet_packet_free(p);
      if (!synack) return;
      this.mss = Math.min(this.mss, parseMss(th) ?? 536);
      this.rcv_nxt = (seq + 1) >>> 0;
      this.snd_wnd = be16(th, 14);
      this.ack(ack);
      this.state = 'ESTABLISHED';
      this.send_ack();
      this.wq.wake_up();
      return;
    }
    if (flags & TCPHDR_ACK) {
      this.snd_wnd = be16(th, 14);
      this.ack(ack);
      if (this.state === 'SYN_RECV' && seqLeq((this.iss + 1) >>> 0, this.snd_una)) {
        this.state = 'ESTABLISHED';
        this.sk_mark_napi_id(skb); // tcp_child_process
        if (this.parent && this.parent.state === 'LISTEN') {
          this.parent.accept_queue.push(this);
          this.parent.wq.wake_up();
        }
        this.wq.wake_up();
      }
    }
    const fin = (flags & TCPHDR_FIN) !== 0;
    if (payLen > 0 || fin) {
      if (seq !== this.rcv_nxt || (this.fin_rcvd && (payLen > 0 || fin))) {
        // out of order or already received: drop, repeat the ACK (the sender goes back)
        this.mib.OfoDrops++;
        inet_packet_free(p);
        this.send_ack();
        return;
      }
      if (payLen > 0) {
        if (this.orphan || this.sk_rmem_alloc + p.truesize > this.sk_rcvbuf) {
          inet_packet_free(p);
          if (!this.orphan) {
            this.send_ack();
            return;
          }
        } else if (this.net.zcrx.size && !zcrx_sk_check(this.domain, p.skbs)) {
          inet_packet_free(p);
          this.send_ack();
          return;
        } else {
          this.rxq.push({ pkt: p, off: payOff, end: payOff + payLen });
          this.sk_rmem_alloc += p.truesize;
          this.rx_bytes += payLen;
        }
        this.rcv_nxt = (this.rcv_nxt + payLen) >>> 0;
      } else inet_packet_free(p);
      if (fin) {
        this.rcv_nxt = (this.rcv_nxt + 1) >>> 0;
        this.fin_rcvd = true;
        if (this.state === 'ESTABLISHED' || this.state === 'SYN_RECV') this.state = 'CLOSE_WAIT';
        else if (this.state === 'FIN_WAIT1') this.state = 'CLOSING';
        else if (this.state === 'FIN_WAIT2') this.time_wait();
      }
      this.send_ack();
      this.sk_data_ready();
    } else inet_packet_free(p);
    if (this.state === 'CLOSE_WAIT' && this.orphan) {
      this.state = 'LAST_ACK';
      this.queueFin();
    }
  }

  /** Cumulative ACK: free what it covers, restart or stop the timer, send more. */
  private ack(ack: number): void {
    if (!seqLt(this.snd_una, ack) || seqLt(this.snd_nxt, ack)) {
      if (ack === this.snd_una && this.wq_tx.some((s) => s.sent)) this.mib.DupAcks++;
      return;
    }
    this.snd_una = ack;
    while (this.wq_tx.length) {
      const s = this.wq_tx[0]!;
      if (!s.sent || !seqLeq((s.seq + segSeqLen(s)) >>> 0, ack)) break;
      this.wq_tx.shift();
      if (s.flags & TCPHDR_FIN) this.finAcked();
      this.freeSeg(s);
    }
    this.rto = TCP_RTO_INIT_CYCLES;
    this.timer?.cancel();
    this.timer = null;
    this.push();
    this.sk_write_space();
  }

  private finAcked(): void {
    if (this.state === 'FIN_WAIT1') this.state = 'FIN_WAIT2';
    else if (this.state === 'CLOSING') this.time_wait();
    else if (this.state === 'LAST_ACK') this.destroy();
  }

  /** TIME_WAIT ends at once in the model (no 2MSL: no old duplicates to outlive on the wire). */
  private time_wait(): void {
    this.state = 'TIME_WAIT';
    this.destroy();
    this.wq.wake_up();
  }

  /** The passive side of a handshake: a child socket in SYN_RECV answers the SYN. */
  static passive(listener: TcpSock, p: InetPacket, th: Uint8Array): TcpSock | null {
    if (listener.accept_queue.length >= Math.max(1, listener.backlog)) return null;
    const c = new TcpSock(listener.net);
    c.parent = listener;
    c.saddr = p.daddr;
    c.sport = listener.sport;
    c.daddr = p.saddr;
    c.dport = be16(th, 0);
    c.sock_zerocopy = listener.sock_zerocopy;
    c.sock_zcnic_rxinfo = listener.sock_zcnic_rxinfo;
    c.sk_incoming_cpu = raw_smp_processor_id(); // sk_clone_lock
    c.domain = listener.domain; // sk_clone_lock: the child is the listener's
    c.sk_sndbuf = listener.sk_sndbuf;
    c.sk_rcvbuf = listener.sk_rcvbuf;
    const rt = c.route();
    if (rt === null) return null;
    c.mss = Math.min(rt.mtu - IPV4_HLEN - TCP_HLEN, parseMss(th) ?? 536);
    c.iss = inet_hashinfo(listener.net).tcp_isn();
    c.snd_una = c.iss;
    c.snd_nxt = c.iss;
    c.rcv_nxt = (be32(th, 4) + 1) >>> 0;
    c.snd_wnd = be16(th, 14);
    c.state = 'SYN_RECV';
    inet_hashinfo(listener.net).tcp_hash(c);
    c.queue(TCPHDR_SYN | TCPHDR_ACK, [], 0, null);
    c.push();
    return c;
  }

  /** Pages and bytes still held by the retransmit queue (for tests). */
  get unacked(): number {
    return this.wq_tx.length;
  }
}

function segSeqLen(s: TxSeg): number {
  return s.len + (s.flags & (TCPHDR_SYN | TCPHDR_FIN) ? 1 : 0);
}

/** The write queue's tail has been sent: a new call cannot join its uarg (skb_zcopy of an open tail). */
function tail_sent(q: readonly TxSeg[]): boolean {
  return q.at(-1)?.sent ?? true;
}

function parseMss(th: Uint8Array): number | null {
  const doff = (th[12]! >> 4) * 4;
  for (let i = TCP_HLEN; i + 1 < doff; ) {
    const kind = th[i]!;
    if (kind === 0) break;
    if (kind === 1) {
      i++;
      continue;
    }
    const l = th[i + 1]!;
    if (kind === 2 && l === 4) return be16(th, i + 2);
    if (l < 2) break;
    i += l;
  }
  return null;
}

const swap16 = (s: number): number => ((s & 0xff) << 8) | (s >>> 8);

/** A copy of user bytes into kernel pages (sk_page_frag's role): pieces of at most a page. */
function copyPieces(net: Net, mm: MmStruct, va: number, len: number): { page: Page; off: number; len: number }[] | null {
  const data = mm.copy_from_user(va, len);
  if (data === null) return null;
  const out: { page: Page; off: number; len: number }[] = [];
  for (let at = 0; at < len; at += PAGE_SIZE) {
    const n = Math.min(PAGE_SIZE, len - at);
    const pg = net.host.pages.alloc_pages(0xa20, 0);
    if (pg === null) {
      for (const o of out) net.host.pages.put_page(o.page);
      return null;
    }
    net.host.cpuWrite(pg.phys, data.subarray(at, at + n));
    out.push({ page: pg, off: 0, len: n });
  }
  return out;
}

function releasePiece(net: Net, p: Piece): void {
  if (p.gup) put_user_page_ref(net.host, p.page);
  else net.host.pages.put_page(p.page);
}

/** tcp_v4_rcv's checks: header length and the checksum (the NIC does not verify TCP). */
export function tcp_parse(p: InetPacket): { th: Uint8Array; payOff: number; payLen: number } | null {
  const h = inet_copy_bits(p, 0, Math.min(p.len, 60));
  if (h === null || h.length < TCP_HLEN) return null;
  const doff = (h[12]! >> 4) * 4;
  if (doff < TCP_HLEN || doff > p.len) return null;
  const all = inet_copy_bits(p, 0, p.len)!;
  if (csum_partial(all, 0, all.length, csum_tcpudp_nofold(p.saddr, p.daddr, p.len, IPPROTO_TCP)) !== 0xffff) return null;
  return { th: h.subarray(0, doff), payOff: doff, payLen: p.len - doff };
}

