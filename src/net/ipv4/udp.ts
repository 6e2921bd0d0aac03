// UDP (net/ipv4/udp.c, ip_output.c's __ip_append_data, reduced): datagram send with
// MSG_ZEROCOPY as Linux does it, receive queues charged against SO_RCVBUF, and the error queue.
// A zero-copy send is real only when the datagram fits the route's MTU and the device has
// scatter-gather and checksum offload (CHECKSUM_PARTIAL): its payload goes to the NIC as frags
// of the user's own pages, held by reference (FOLL_GET) until the TX completion frees the skb.
// Otherwise the data is copied and the notification says COPIED.

import type { MmStruct } from '../../mm/mm.js';
import { get_user_pages, put_user_page_ref } from '../../mm/gup.js';
import { PAGE_SIZE } from '../../mem/phys.js';
import { IPPROTO_UDP, be16, csum_fold, csum_partial, put16 } from '../proto.js';
import {
  CHECKSUM_NONE, CHECKSUM_PARTIAL, MAX_SKB_FRAGS, SKB_TRUESIZE, alloc_skb, kfree_skb, skb_fill_page_desc, skb_put_data, skb_reserve,
  type SkBuff,
} from '../core/skbuff.js';
import { NETIF_F_IP_CSUM, NETIF_F_SG, NET_XMIT_DROP } from '../core/dev.js';
import { Sock } from '../core/sock.js';
import { msg_zerocopy_realloc, skb_zcopy_attach, type UbufInfoMsgzc } from '../core/msg_zerocopy.js';
import {
  EAFNOSUPPORT, EAGAIN, EDESTADDRREQ, EFAULT, EINVAL, EMSGSIZE, ENOBUFS, EPIPE, AF_INET, MSG_DONTWAIT, MSG_ERRQUEUE,
  MSG_PEEK, MSG_TRUNC, MSG_ZEROCOPY, POLLERR, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM, type Msghdr, type SockaddrIn,
} from '../socket/uapi.js';
import {
  IPV4_HLEN, MAX_TCP_HEADER, csum_tcpudp_nofold, eth_build_header, inet_copy_bits, inet_packet_free, ip_build_header,
  ip_fragment_plan, type InetPacket,
} from './ip.js';
import type { Net, Route } from '../core/net.js';
import { ip_recv_error, iov_total } from '../socket/common.js';

export const UDP_HLEN = 8;
/** The largest UDP payload: 65,535 - 20 - 8. */
export const UDP_MAX_PAYLOAD = 0xffff - IPV4_HLEN - UDP_HLEN;

interface Datagram {
  readonly pkt: InetPacket;
  readonly from: SockaddrIn;
}

/** What the sender's figures need to know of each send (the scenario's "cycles to notification"). */
export interface ZcSendInfo {
  readonly uarg: UbufInfoMsgzc;
}

export class UdpSock extends Sock {
  /** inet_sock: bound and connected addresses (0: none). */
  saddr = 0;
  sport = 0;
  daddr = 0;
  dport = 0;
  readonly rxq: Datagram[] = [];
  /** Counters as /proc/net/snmp's Udp: line has them. */
  readonly mib = { InDatagrams: 0, OutDatagrams: 0, RcvbufErrors: 0, SndbufErrors: 0, InCsumErrors: 0, NoPorts: 0 };
  /** Bytes of payload sent by copy and by zero copy (the stack's own view: swiotlb is below it). */
  readonly tx = { bytes: 0, zc_bytes: 0, copied_bytes: 0 };

  constructor(readonly net: Net) {
    super(net.host, net.sysctl);
  }

  /** udp_poll(). */
  poll(): number {
    let m = 0;
    if (this.rxq.length) m |= POLLIN | POLLRDNORM;
    if (this.sk_error_queue.length || this.sk_err) m |= POLLERR;
    if (this.sock_writeable()) m |= POLLOUT | POLLWRNORM;
    return m;
  }

  /** udp_sendmsg(); bytes sent or -errno. */
  async sendmsg(mm: MmStruct, msg: Msghdr, flags: number, nonblock: boolean): Promise<number> {
    const len = iov_total(msg.iov);
    if (len < 0) return -EINVAL;
    if (len > UDP_MAX_PAYLOAD) return -EMSGSIZE;
    let daddr = this.daddr;
    let dport = this.dport;
    if (msg.name) {
      if (msg.name.family !== AF_INET) return -EAFNOSUPPORT;
      daddr = msg.name.addr;
      dport = msg.name.port;
    } else if (!this.dport) return -EDESTADDRREQ;
    const rt = this.net.ip_route_output(daddr, this.saddr);
    if (typeof rt === 'number') return rt;
    if (!this.sport && this.net.udp_autobind(this) < 0) return -EAGAIN;
    for (const v of msg.iov) if (!mm.range_ok(v.base, v.len)) return -EFAULT;
    const plan = ip_fragment_plan(UDP_HLEN + len, rt.mtu, true);
    // CHECKSUM_PARTIAL only for a datagram that fits (ip_append_data's csummode)
    const partial = plan.length === 1 && (rt.dev.features & NETIF_F_IP_CSUM) !== 0;
    let uarg: UbufInfoMsgzc | null = null;
    let zc = false;
    if (flags & MSG_ZEROCOPY && len && this.sock_zerocopy) {
      const r = msg_zerocopy_realloc(this, len, null, mm, false, this.net.onZcNotify);
      if (!r) return -ENOBUFS;
      uarg = r.uarg;
      zc = (rt.dev.features & NETIF_F_SG) !== 0 && partial;
      if (!zc) uarg.zerocopy = false;
    }
    // sock_alloc_send_skb: wait for send buffer room (the whole datagram's truesize)
    const need = plan.reduce((a, p) => a + skbTruesizeFor(p.len, zc), 0);
    while (!this.wmem_room(need)) {
      if (nonblock || flags & MSG_DONTWAIT) {
        uarg?.put_abort(true);
        return -EAGAIN;
      }
      await this.wq.wait();
      if (this.dead) return -EPIPE;
    }
    const skbs = this.build(mm, msg, len, rt, plan, daddr, dport, partial, zc, uarg);
    if (typeof skbs === 'number') {
      uarg?.put_abort(true);
      return skbs;
    }
    this.tx.bytes += len;
    if (uarg && zc) this.tx.zc_bytes += len;
    else this.tx.copied_bytes += len;
    const r = rt.dev.dev_queue_xmit(skbs, { csumIp: (rt.dev.features & NETIF_F_IP_CSUM) !== 0, csumL4: partial }, this.net.tx_queue(this.saddr || rt.saddr, daddr, this.sport, dport, rt.dev));
    if (r === NET_XMIT_DROP) this.mib.SndbufErrors++;
    else this.mib.OutDatagrams++;
    uarg?.put();
    return len;
  }

  /** The datagram's skbs, one per IP fragment; -errno with nothing held. */
  private build(
    mm: MmStruct, msg: Msghdr, len: number, rt: Route, plan: ReturnType<typeof ip_fragment_plan>, daddr: number, dport: number,
    partial: boolean, zc: boolean, uarg: UbufInfoMsgzc | null,
  ): SkBuff[] | number {
    const saddr = this.saddr || rt.saddr;
    const uh = new Uint8Array(UDP_HLEN);
    put16(uh, 0, this.sport);
    put16(uh, 2, dport);
    put16(uh, 4, UDP_HLEN + len);
    const id = this.net.ip_select_ident();
    const skbs: SkBuff[] = [];
    const fail = (e: number): number => {
      for (const s of skbs) kfree_skb(s);
      return e;
    };
    // the whole L4 datagram, for a copy or a software checksum
    let data: Uint8Array | null = null;
    if (!zc) {
      data = new Uint8Array(UDP_HLEN + len);
      data.set(uh, 0);
      let at = UDP_HLEN;
      for (const v of msg.iov) {
        const b = mm.copy_from_user(v.base, v.len);
        if (b === null) return -EFAULT;
        data.set(b, at);
        at += v.len;
      }
      if (!partial) {
        const c = csum_fold(csum_partial(data, 0, data.length, csum_tcpudp_nofold(saddr, daddr, data.length, IPPROTO_UDP)));
        put16(data, 6, c === 0 ? 0xffff : c);
      }
    }
    for (const p of plan) {
      const skb = alloc_skb(this.host, MAX_TCP_HEADER + (zc ? UDP_HLEN : p.len));
      if (skb === null) return fail(-ENOBUFS);
      skbs.push(skb);
      skb_reserve(skb, MAX_TCP_HEADER - 14 - IPV4_HLEN);
      skb_put_data(skb, eth_build_header(rt.neigh, rt.dev.dev_addr));
      skb_put_data(skb, ip_build_header({ tot_len: IPV4_HLEN + p.len, id, frag_off: p.frag_off, protocol: IPPROTO_UDP, saddr, daddr }));
      skb.ip_summed = partial ? CHECKSUM_PARTIAL : CHECKSUM_NONE;
      if (zc) {
        // the header in the linear part, the payload as frags of the user's pages
        skb_put_data(skb, uh);
        const held = zerocopy_sg_from_iter(mm, skb, msg);
        if (held < 0) return fail(held);
      } else {
        skb_put_data(skb, data!.subarray(p.off, p.off + p.len));
      }
      if (uarg) skb_zcopy_attach(skb, uarg);
      this.skb_set_owner_w(skb);
    }
    return skbs;
  }

  /** udp_recvmsg(); bytes copied (or the datagram's length with MSG_TRUNC) or -errno. */
  async recvmsg(mm: MmStruct, msg: Msghdr, flags: number, nonblock: boolean): Promise<number> {
    if (flags & MSG_ERRQUEUE) return ip_recv_error(this, msg);
    while (!this.rxq.length) {
      if (this.sk_err) {
        const e = this.sk_err;
        this.sk_err = 0;
        return -e;
      }
      if (nonblock || flags & MSG_DONTWAIT) return -EAGAIN;
      await this.wq.wait();
    }
    const d = this.rxq[0]!;
    const ulen = d.pkt.len - UDP_HLEN;
    const room = iov_total(msg.iov);
    if (room < 0) return -EINVAL;
    const n = Math.min(ulen, room);
    const bytes = inet_copy_bits(d.pkt, UDP_HLEN, n)!;
    let at = 0;
    for (const v of msg.iov) {
      if (at >= n) break;
      const k = Math.min(v.len, n - at);
      if (!mm.copy_to_user(v.base, bytes.subarray(at, at + k))) return -EFAULT;
      at += k;
    }
    msg.name = d.from;
    msg.flags = n < ulen ? MSG_TRUNC : 0;
    if (!(flags & MSG_PEEK)) {
      this.rxq.shift();
      this.sk_rmem_alloc -= d.pkt.truesize;
      inet_packet_free(d.pkt);
    }
    return flags & MSG_TRUNC ? ulen : n;
  }

  /** udp_queue_rcv_skb(): checksum, then the receive queue if SO_RCVBUF allows. */
  queue_rcv(p: InetPacket, uh: Uint8Array): void {
    if (!p.csum_unnecessary && be16(uh, 6) !== 0) {
      const all = inet_copy_bits(p, 0, p.len)!;
      if (csum_partial(all, 0, all.length, csum_tcpudp_nofold(p.saddr, p.daddr, p.len, IPPROTO_UDP)) !== 0xffff) {
        this.mib.InCsumErrors++;
        inet_packet_free(p);
        return;
      }
    }
    if (this.sk_rmem_alloc + p.truesize > this.sk_rcvbuf) {
      this.mib.RcvbufErrors++;
      inet_packet_free(p);
      return;
    }
    this.sk_rmem_alloc += p.truesize;
    this.rxq.push({ pkt: p, from: { family: AF_INET, addr: p.saddr, port: be16(uh, 0) } });
    this.mib.InDatagrams++;
    this.sk_data_ready();
  }

  /** udp_destroy_sock / inet_release: queued datagrams go back (to page_pool). */
  release(): void {
    this.dead = true;
    for (const d of this.rxq.splice(0)) inet_packet_free(d.pkt);
    this.sk_rmem_alloc = 0;
    while (this.sock_dequeue_err_skb()) {
      /* notifications of a closed socket are dropped */
    }
    this.wq.wake_up();
  }
}

/** truesize of a datagram's skb: its head, plus the data (copied, or the user pages it spans). */
function skbTruesizeFor(len: number, zc: boolean): number {
  return SKB_TRUESIZE(MAX_TCP_HEADER) + (zc ? UDP_HLEN + Math.ceil(len / PAGE_SIZE + 1) * PAGE_SIZE : len);
}

/**
 * __zerocopy_sg_from_iter(): the iovecs' pages as the skb's frags, one reference each
 * (FOLL_GET). More pieces than MAX_SKB_FRAGS is EMSGSIZE; an unmapped page EFAULT.
 */
function zerocopy_sg_from_iter(mm: MmStruct, skb: SkBuff, msg: Msghdr): number {
  let nr = skb.nr_frags;
  const pieces = [];
  for (const v of msg.iov) {
    if (!v.len) continue;
    const ps = get_user_pages(mm, v.base, v.len);
    if (ps === null) {
      for (const p of pieces) put_user_page_ref(mm.host, p.page);
      return -EFAULT;
    }
    pieces.push(...ps);
  }
  if (nr + pieces.length > MAX_SKB_FRAGS) {
    for (const p of pieces) put_user_page_ref(mm.host, p.page);
    return -EMSGSIZE;
  }
  for (const p of pieces) {
    skb_fill_page_desc(skb, nr++, p.page, p.off, p.len, true);
    skb.len += p.len;
    skb.data_len += p.len;
  }
  // the pages count against the send buffer as PAGE_ALIGN(copied + start) does
  skb.truesize += pieces.length * PAGE_SIZE;
  return pieces.length;
}
