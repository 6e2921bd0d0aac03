// UDP (net/ipv4/udp.c, ip_output.c's __ip_append_data, reduced): datagram send with
// MSG_ZEROCOPY as Linux does it, receive queues charged against SO_RCVBUF, and the error queue.
// A zero-copy send is real only when the datagram fits the route's MTU and the device has
// scatter-gather and checksum offload (CHECKSUM_PARTIAL): its payload goes to the NIC as frags
// of the user's own pages, held by reference (FOLL_GET) until the TX completion frees the skb.
// Otherwise the data is copied and the notification says COPIED.

import { inet_hashinfo, type InetHashtables } from './inet_hashtables.js';
import type { MmStruct } from '../../mm/mm.js';
import { get_page, type Page } from '../../mem/page_alloc.js';
import type { ZcPool } from '../socket/zc_pool.js';
import { zc_check_areas, zc_check_data, type ZcPair } from '../socket/zc.js';
import { netmem_get_pp } from '../core/page_pool.js';
import { zcrx_sk_check } from '../core/zcrx.js';
import { get_user_pages, put_user_page_ref } from '../../mm/gup.js';
import { PAGE_SIZE } from '../../mem/phys.js';
import { ETH_HLEN, IPPROTO_UDP, IP_DF, be16, csum_fold, csum_partial, put16 } from '../../lib/proto.js';
import {
  CHECKSUM_NONE, CHECKSUM_PARTIAL, MAX_SKB_FRAGS, SKB_TRUESIZE, alloc_skb, kfree_skb, skb_fill_page_desc, skb_fill_premapped_desc, skb_headlen, skb_put_data, skb_reserve,
  type SkBuff,
} from '../core/skbuff.js';
import { NETIF_F_IP_CSUM, NETIF_F_SG, NET_XMIT_DROP } from '../core/dev.js';
import { Sock } from '../core/sock.js';
import { msg_zerocopy_alloc, msg_zerocopy_realloc, skb_zcopy_attach, type UbufInfoMsgzc } from '../core/msg_zerocopy.js';
import {
  EAFNOSUPPORT, EAGAIN, EDESTADDRREQ, EFAULT, EINVAL, EMSGSIZE, ENOBUFS, ENOSPC, EOPNOTSUPP, EPIPE, AF_INET, MSG_DONTWAIT, MSG_ERRQUEUE,
  MSG_MORE, MSG_PEEK, MSG_TRUNC, MSG_ZEROCOPY, POLLERR, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM, type Cmsg, type Iovec, type Msghdr, type SockaddrIn,
} from '../socket/uapi.js';
import {
  IPV4_HLEN, MAX_TCP_HEADER, csum_tcpudp_nofold, eth_build_header, inet_copy_bits, inet_packet_free, inet_packet_skb, ip_build_header,
  ip_fragment_plan, type InetPacket,
} from './ip.js';
import type { Net, Route } from '../core/net.js';
import { ip_recv_error, iov_total, sock_recv_cmsgs } from '../socket/common.js';

export const UDP_HLEN = 8;
/** The largest UDP payload: 65,535 - 20 - 8. */
export const UDP_MAX_PAYLOAD = 0xffff - IPV4_HLEN - UDP_HLEN;

interface Datagram {
  readonly pkt: InetPacket;
  readonly from: SockaddrIn;
}

/** A piece of received payload RX zero copy hands over: bytes [off, off + len) of `skb`. */
export interface ZcChunk {
  readonly skb: SkBuff;
  readonly off: number;
  readonly len: number;
  /** The last piece of its record (datagram). */
  readonly eor: boolean;
}

/** A corked datagram: its route and destination, the data so far, the one uarg of its calls. */
interface Cork {
  readonly daddr: number;
  readonly dport: number;
  readonly rt: Route;
  readonly chunks: Uint8Array[];
  len: number;
  uarg: UbufInfoMsgzc | null;
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
  /** UDP_CORK. */
  corkflag = false;
  /** up->pending: the corked datagram being appended to. */
  pending: Cork | null = null;
  /** Counters as /proc/net/snmp's Udp: line has them. */
  readonly mib = { InDatagrams: 0, OutDatagrams: 0, RcvbufErrors: 0, SndbufErrors: 0, InCsumErrors: 0, NoPorts: 0 };
  /** Bytes of payload sent by copy and by zero copy (the stack's own view: swiotlb is below it). */
  readonly tx = { bytes: 0, zc_bytes: 0, copied_bytes: 0 };
  /** zc_readv: payloads delivered by their page and by copy, and bytes zeroed around them. */
  readonly zc = { rx_flipped: 0, rx_copied: 0, zeroed_bytes: 0 };

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
    const corkreq = this.corkflag || (flags & MSG_MORE) !== 0;
    // a corked datagram goes on to where it started (the kernel ignores msg_name then)
    if (this.pending) return this.append(mm, msg, len, flags, corkreq);
    let daddr = this.daddr;
    let dport = this.dport;
    if (msg.name) {
      if (msg.name.family !== AF_INET) return -EAFNOSUPPORT;
      daddr = msg.name.addr;
      dport = msg.name.port;
    } else if (!this.dport) return -EDESTADDRREQ;
    const rt = this.net.ip_route_output(daddr, this.saddr);
    if (typeof rt === 'number') return rt;
    if (!this.sport && inet_hashinfo(this.net).udp_autobind(this) < 0) return -EAGAIN;
    for (const v of msg.iov) if (!mm.range_ok(v.base, v.len)) return -EFAULT;
    if (corkreq) {
      this.pending = { daddr, dport, rt, chunks: [], len: 0, uarg: null };
      return this.append(mm, msg, len, flags, corkreq);
    }
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

  /**
   * __ip_append_data for a corked datagram (UDP_CORK or MSG_MORE). The data is copied now: with
   * MSG_MORE on a scatter-gather device ip_append_data never uses CHECKSUM_PARTIAL, so a corked
   * MSG_ZEROCOPY send is a copy, its notification says COPIED, and each call extends the cork's
   * one uarg (one range for the whole datagram). msg_zerocopy_realloc failing there (a coalescing
   * limit, which a datagram fails at, or the locked-memory charge) is ENOBUFS, and any failure
   * discards the whole cork (udp_flush_pending_frames). Bytes appended, or -errno.
   */
  private append(mm: MmStruct, msg: Msghdr, len: number, flags: number, corkreq: boolean): number {
    const c = this.pending!;
    const fail = (e: number): number => {
      this.udp_flush_pending_frames();
      return e;
    };
    if (c.len + len > UDP_MAX_PAYLOAD) return fail(-EMSGSIZE);
    for (const v of msg.iov) if (!mm.range_ok(v.base, v.len)) return fail(-EFAULT);
    if (flags & MSG_ZEROCOPY && len && this.sock_zerocopy) {
      const r = msg_zerocopy_realloc(this, len, c.uarg, mm, false, this.net.onZcNotify);
      if (!r) return fail(-ENOBUFS);
      r.uarg.zerocopy = false;
      // the cork holds one reference; a fresh uarg beside an older one (not the socket's latest)
      // lets the older go: its data is copied, so its pages are already free
      if (!r.fresh) r.uarg.put();
      else {
        c.uarg?.put();
        c.uarg = r.uarg;
      }
    }
    for (const v of msg.iov) c.chunks.push(mm.copy_from_user(v.base, v.len)!);
    c.len += len;
    if (corkreq) return len;
    const e = this.udp_push_pending_frames();
    return e < 0 ? e : len;
  }

  /** udp_push_pending_frames(): the corked datagram goes out; 0 or -errno. */
  udp_push_pending_frames(): number {
    const c = this.pending;
    if (!c) return 0;
    this.pending = null;
    const payload = new Uint8Array(c.len);
    let at = 0;
    for (const b of c.chunks) {
      payload.set(b, at);
      at += b.length;
    }
    const plan = ip_fragment_plan(UDP_HLEN + c.len, c.rt.mtu, true);
    const skbs = this.build(null, { iov: [] }, c.len, c.rt, plan, c.daddr, c.dport, false, false, c.uarg, payload);
    if (typeof skbs === 'number') {
      c.uarg?.put();
      return skbs;
    }
    this.tx.bytes += c.len;
    this.tx.copied_bytes += c.len;
    const r = c.rt.dev.dev_queue_xmit(skbs, { csumIp: (c.rt.dev.features & NETIF_F_IP_CSUM) !== 0, csumL4: false }, this.net.tx_queue(this.saddr || c.rt.saddr, c.daddr, this.sport, c.dport, c.rt.dev));
    if (r === NET_XMIT_DROP) this.mib.SndbufErrors++;
    else this.mib.OutDatagrams++;
    c.uarg?.put();
    return 0;
  }

  /** udp_flush_pending_frames(): the corked datagram is discarded. */
  udp_flush_pending_frames(): void {
    const c = this.pending;
    this.pending = null;
    c?.uarg?.put();
  }

  /** The datagram's skbs, one per IP fragment; -errno with nothing held. */
  private build(
    mm: MmStruct | null, msg: Msghdr, len: number, rt: Route, plan: ReturnType<typeof ip_fragment_plan>, daddr: number, dport: number,
    partial: boolean, zc: boolean, uarg: UbufInfoMsgzc | null,
    /** The payload, already copied (a corked datagram); else it is read from msg's iovecs. */
    payload: Uint8Array | null = null,
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
      if (payload) data.set(payload, UDP_HLEN);
      let at = UDP_HLEN;
      for (const v of payload ? [] : msg.iov) {
        const b = mm!.copy_from_user(v.base, v.len);
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
        const held = zerocopy_sg_from_iter(mm!, skb, msg);
        if (held < 0) return fail(held);
      } else {
        skb_put_data(skb, data!.subarray(p.off, p.off + p.len));
      }
      if (uarg) skb_zcopy_attach(skb, uarg);
      this.skb_set_owner_w(skb);
    }
    return skbs;
  }

  /**
   * udp_recvmsg(); bytes copied (or the datagram's length with MSG_TRUNC) or -errno. The
   * socket-level control messages follow (sock_recv_cmsgs: SO_ZCNIC_RXINFO's).
   */
  async recvmsg(mm: MmStruct, msg: Msghdr<Cmsg>, flags: number, nonblock: boolean): Promise<number> {
    if (flags & MSG_ERRQUEUE) return ip_recv_error(this, msg);
    const w = await this.wait_datagram(nonblock || (flags & MSG_DONTWAIT) !== 0);
    if (w) return w;
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
    msg.control = [];
    sock_recv_cmsgs(msg, this, inet_packet_skb(d.pkt));
    if (!(flags & MSG_PEEK)) inet_packet_free(this.dequeue().pkt);
    return flags & MSG_TRUNC ? ulen : n;
  }

  /**
   * zc_writev's UDP half (src/net/socket/zc.ts has the call's rules): each element is one
   * datagram whose Ethernet, IPv4 and UDP headers are written into its head room, so the frame
   * goes to the NIC as it lies in the pool, by the bus addresses the pool mapped once. The areas'
   * slots are lent until the call's one notification [id, id]; bytes sent or -errno.
   */
  async zc_writev(pool: ZcPool, pairs: readonly ZcPair[], nonblock: boolean): Promise<number> {
    for (;;) {
      const rt = this.zc_route(pool);
      if (typeof rt === 'number') return rt;
      const e = zc_check_areas(pool, pairs.map((p) => p[0])) || zc_check_data(pairs, UDP_ZC_HEADROOM, rt.dev.needed_tailroom, rt.mtu - IPV4_HLEN - UDP_HLEN);
      if (e) return e;
      if (this.wmem_room(pairs.length * SKB_TRUESIZE(0))) return this.zc_xmit(pool, pairs, rt);
      if (nonblock) return -EAGAIN;
      await this.wq.wait();
      if (this.dead) return -EPIPE;
    }
  }

  /** The connected route, if it leaves through the pool's device and that can take frags. */
  private zc_route(pool: ZcPool): Route | number {
    if (!this.dport) return -EDESTADDRREQ;
    const rt = this.net.ip_route_output(this.daddr, this.saddr);
    if (typeof rt === 'number') return rt;
    // the route's device must be the one the pool is mapped for (its DMA device), with scatter-gather
    if (rt.dev.dma_dev !== pool.pdev || !(rt.dev.features & NETIF_F_SG)) return -EOPNOTSUPP;
    return rt;
  }

  private zc_xmit(pool: ZcPool, pairs: readonly ZcPair[], rt: Route): number {
    if (!this.sport && inet_hashinfo(this.net).udp_autobind(this) < 0) return -EAGAIN;
    const total = pairs.reduce((a, p) => a + p[1].len, 0);
    const uarg = msg_zerocopy_alloc(this, total, pool.mm, this.net.onZcNotify, false);
    if (!uarg) return -ENOBUFS;
    const saddr = this.saddr || rt.saddr;
    const skbs: SkBuff[] = [];
    for (const [, d] of pairs) {
      const skb = alloc_skb(this.host, 0);
      if (skb === null) {
        for (const s of skbs) kfree_skb(s);
        uarg.put_abort(true);
        return -ENOBUFS;
      }
      skbs.push(skb);
      // the headers, written by the kernel into the head room the caller left
      const uh = new Uint8Array(UDP_HLEN);
      put16(uh, 0, this.sport);
      put16(uh, 2, this.dport);
      put16(uh, 4, UDP_HLEN + d.len);
      const start = d.base - UDP_ZC_HEADROOM;
      const hdr = new Uint8Array(UDP_ZC_HEADROOM);
      hdr.set(eth_build_header(rt.neigh, rt.dev.dev_addr), 0);
      hdr.set(ip_build_header({ tot_len: IPV4_HLEN + UDP_HLEN + d.len, id: this.net.ip_select_ident(), frag_off: IP_DF, protocol: IPPROTO_UDP, saddr, daddr: this.daddr }), ETH_HLEN);
      hdr.set(uh, ETH_HLEN + IPV4_HLEN);
      pool.write(start, hdr);
      const len = UDP_ZC_HEADROOM + d.len;
      pool.pieces(start, len).forEach((pc, i) => {
        const page = pool.page(pc.k);
        get_page(page);
        skb_fill_premapped_desc(skb, i, page, pc.off, pc.n, pool.bus_addr(pc.va));
        skb.len += pc.n;
        skb.data_len += pc.n;
        skb.truesize += PAGE_SIZE;
      });
      pool.sync_for_device(start, len);
      // the NIC fills in the UDP checksum: SG implies a checksum offload (netdev_fix_features)
      skb.ip_summed = CHECKSUM_PARTIAL;
    }
    // from here on nothing fails: the slots go to the device, the process sees zeros there
    const lent = pairs.flatMap(([a]) => pool.slots(a.base, a.len));
    for (const k of lent) pool.lend(k);
    uarg.onRelease = () => {
      for (const k of lent) pool.give_back(k);
    };
    const q = this.net.tx_queue(saddr, this.daddr, this.sport, this.dport, rt.dev);
    for (const skb of skbs) {
      skb_zcopy_attach(skb, uarg);
      this.skb_set_owner_w(skb);
      if (rt.dev.dev_queue_xmit([skb], { csumIp: true, csumL4: true }, q) === NET_XMIT_DROP) this.mib.SndbufErrors++;
      else this.mib.OutDatagrams++;
    }
    this.tx.bytes += total;
    this.tx.zc_bytes += total;
    uarg.put();
    return total;
  }

  /**
   * zc_readv's UDP half: each queued datagram goes to the next area, by its page when the NIC
   * put the payload alone in one page_pool page (header split), else by a copy into the area.
   * Either way every byte of the slot's page that is not payload reads zero: a recycled RX page
   * holds an earlier frame's bytes, and the mapped page is the process's to read whole. Returns
   * how many areas were filled (rewritten to {payload, length}) or -errno.
   */
  async zc_readv(pool: ZcPool, iov: Iovec[], mtu: number, nonblock: boolean): Promise<number> {
    const e = zc_check_areas(pool, iov);
    if (e) return e;
    const need = Math.ceil((ETH_HLEN + mtu) / PAGE_SIZE) * PAGE_SIZE;
    if (iov.some((a) => a.len < need)) return -ENOSPC;
    // the areas may have been lent while it waited (by another thread's zc_writev)
    const w = await this.wait_datagram(nonblock, () => zc_check_areas(pool, iov));
    if (w) return w;
    let n = 0;
    while (n < iov.length && this.rxq.length) {
      const d = this.rxq[0]!;
      const area = iov[n]!;
      const len = d.pkt.len - UDP_HLEN;
      if (len > area.len) {
        if (n === 0) return -EMSGSIZE;
        break;
      }
      iov[n++] = this.zc_place(pool, area.base, this.dequeue().pkt, len);
    }
    return n;
  }

  /** One payload into the slot(s) at `base`; the packet is freed. */
  private zc_place(pool: ZcPool, base: number, pkt: InetPacket, len: number): Iovec {
    const host = this.host;
    const k = pool.slot(base);
    const f = payload_page(pkt, UDP_HLEN, len);
    if (f) {
      // the page leaves page_pool (a reference of ours outlives the skb's) and becomes the slot
      get_page(f.page);
      inet_packet_free(pkt);
      host.cpuFill(f.page.phys, f.off, 0);
      host.cpuFill(f.page.phys + BigInt(f.off + len), PAGE_SIZE - f.off - len, 0);
      this.zc.zeroed_bytes += PAGE_SIZE - len;
      if (pool.flip(k, f.page)) {
        this.zc.rx_flipped++;
        return { base: base + f.off, len };
      }
      // the pool cannot take it (a page it could reach only by bouncing): copy, then let it go
      pool.write(base, host.cpuRead(f.page.phys + BigInt(f.off), len));
      host.pages.put_page(f.page);
    } else {
      const bytes = inet_copy_bits(pkt, UDP_HLEN, len)!;
      inet_packet_free(pkt);
      pool.write(base, bytes);
    }
    // a copy fills whole pages too: the rest of the last one is zeroed
    const used = Math.max(PAGE_SIZE, Math.ceil(len / PAGE_SIZE) * PAGE_SIZE);
    pool.zero(base + len, used - len);
    this.zc.rx_copied++;
    return { base, len };
  }

  /** RX zero copy: the next piece of payload to hand over (the head datagram's next IP fragment). */
  zc_next(): ZcChunk | null {
    const d = this.rxq[0];
    if (!d) return null;
    const pos = UDP_HLEN + this.zcDone;
    let at = 0;
    for (const [i, sg] of d.pkt.segs.entries()) {
      if (pos < at + sg.len) return { skb: sg.skb, off: sg.off + (pos - at), len: at + sg.len - pos, eor: i === d.pkt.segs.length - 1 };
      at += sg.len;
    }
    return { skb: d.pkt.segs[0]!.skb, off: 0, len: 0, eor: true };
  }

  /** What the receive calls wait on: 0 when a datagram is queued, or -errno (EAGAIN: nothing yet). */
  zc_ready(): number {
    if (this.rxq.length) return 0;
    const e = this.sock_error();
    return e ? -e : -EAGAIN;
  }

  /**
   * __skb_wait_for_more_packets(): 0 once a datagram is queued, or -errno (the pending error,
   * EAGAIN when non-blocking, or what `recheck` finds after a wait).
   */
  private async wait_datagram(nonblock: boolean, recheck: () => number = () => 0): Promise<number> {
    for (;;) {
      const r = this.zc_ready();
      if (r !== -EAGAIN || nonblock) return r;
      await this.wq.wait();
      const e = recheck();
      if (e) return e;
    }
  }

  /** The head datagram leaves the queue (and its charge against SO_RCVBUF); the caller frees it. */
  private dequeue(): Datagram {
    const d = this.rxq.shift()!;
    this.sk_rmem_alloc -= d.pkt.truesize;
    return d;
  }

  /** RX zero copy took `len` bytes of zc_next's piece; a datagram taken whole leaves the queue. */
  zc_consume(len: number): void {
    const d = this.rxq[0]!;
    this.zcDone += len;
    if (UDP_HLEN + this.zcDone < d.pkt.len) return;
    this.zcDone = 0;
    inet_packet_free(this.dequeue().pkt);
  }

  /** Bytes of the head datagram's payload RX zero copy has handed over. */
  private zcDone = 0;

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
    // __udp_queue_rcv_skb, before the receive buffer's verdict: a connected socket follows every
    // packet (and records its CPU), an unconnected one keeps the first NAPI id it saw
    const skb = inet_packet_skb(p);
    if (this.daddr) {
      this.sk_mark_napi_id(skb);
      this.sk_incoming_cpu_update();
    } else this.sk_mark_napi_id_once(skb);
    if (this.sk_rmem_alloc + p.truesize > this.sk_rcvbuf) {
      this.mib.RcvbufErrors++;
      inet_packet_free(p);
      return;
    }
    if (this.net.zcrx.size && !zcrx_sk_check(this.domain, p.skbs)) {
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
    this.udp_flush_pending_frames();
    this.dead = true;
    for (const d of this.rxq.splice(0)) inet_packet_free(d.pkt);
    this.sk_rmem_alloc = 0;
    while (this.sock_dequeue_err_skb()) {
      /* notifications of a closed socket are dropped */
    }
    this.wq.wake_up();
  }
}

/** Head room a zc_writev element leaves for the headers UDP writes: Ethernet, IPv4, UDP. */
export const UDP_ZC_HEADROOM = ETH_HLEN + IPV4_HLEN + UDP_HLEN;

/** Where a packet's payload [off, off + len) lies when it is alone in one order-0 page_pool page. */
function payload_page(p: InetPacket, off: number, len: number): { page: Page; off: number } | null {
  if (p.segs.length !== 1 || len === 0) return null;
  const seg = p.segs[0]!;
  const skb = seg.skb;
  let at = skb_headlen(skb);
  const from = seg.off + off;
  for (const fr of skb.frags) {
    if (from >= at && from + len <= at + fr.size) {
      const page = fr.page;
      // only this frame's bytes may be in it: a whole page of the pool, no one else's reference
      if (page.order !== 0 || netmem_get_pp(page) === null || page.refcount !== 1 || page.pp_ref_count > 1) return null;
      return { page, off: fr.offset + (from - at) };
    }
    at += fr.size;
  }
  return null;
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

/** udp_rcv / __udp4_lib_lookup: a connected socket first, then one bound to the port. */
export function udp_rcv(net: Net, t4: InetHashtables, p: InetPacket): void {
  const uh = inet_copy_bits(p, 0, UDP_HLEN);
  if (uh === null || be16(uh, 4) < UDP_HLEN || be16(uh, 4) > p.len) {
    inet_packet_free(p);
    return;
  }
  const sport = be16(uh, 0);
  const dport = be16(uh, 2);
  const cands = t4.udpPorts.get(dport) ?? [];
  const score = (s: UdpSock): number => {
    if (s.saddr && s.saddr !== p.daddr) return -1;
    if (s.daddr && (s.daddr !== p.saddr || s.dport !== sport)) return -1;
    return (s.saddr ? 2 : 0) + (s.daddr ? 4 : 0);
  };
  let best: UdpSock | undefined;
  for (const s of cands) if (score(s) >= 0 && (!best || score(s) > score(best))) best = s;
  if (!best) {
    net.udpStats.NoPorts++;
    inet_packet_free(p);
    return;
  }
  // trim to the UDP length (padding of short frames)
  const ulen = be16(uh, 4);
  const q = ulen === p.len ? p : trim(p, ulen);
  best.queue_rcv(q, uh);
}

/** pskb_trim of a packet to `len` L4 bytes (the segments past it are dropped from the view). */
function trim(p: InetPacket, len: number): InetPacket {
  const segs = [];
  let left = len;
  for (const s of p.segs) {
    if (left === 0) break;
    const n = Math.min(s.len, left);
    segs.push({ ...s, len: n });
    left -= n;
  }
  return { ...p, segs, len };
}
