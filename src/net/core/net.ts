// One host's network namespace (struct net, reduced): its devices (the zcnic netdev and lo),
// IPv4 addresses, a static neighbour table (no ARP on the wire: both hosts are configured), the
// IPv4 receive path and the UDP port table. Programs reach it through the socket calls in
// src/net/socket/socket.ts, each with its own process (src/mm/process.ts).

import type { HostPlatform } from '../../platform/host.js';
import { IPPROTO_TCP, IPPROTO_UDP, be16, be32 } from '../../lib/proto.js';
import { Ipv4Input, inet_copy_bits, inet_packet_free, type InetPacket } from '../ipv4/ip.js';
import { UDP_HLEN, UdpSock } from '../ipv4/udp.js';
import { TCPHDR_ACK, TCPHDR_RST, TcpSock, tcp_parse } from '../ipv4/tcp.js';
import { EADDRINUSE, EADDRNOTAVAIL, EAGAIN, EINVAL, ENETUNREACH, INADDR_ANY } from '../socket/uapi.js';
import { LoopbackDevice, type NetDevice } from './dev.js';
import type { ZcrxIfq } from './zcrx.js';
import type { UbufInfoMsgzc } from './msg_zerocopy.js';
import { CHECKSUM_UNNECESSARY, type SkBuff } from './skbuff.js';
import { OPTMEM_MAX_DEFAULT, type NetSysctl } from './sock.js';

/** ip_route_output's answer: the device, the source address, the next hop's MAC, the MTU. */
export interface Route {
  readonly dev: NetDevice;
  readonly saddr: number;
  readonly neigh: Uint8Array;
  readonly mtu: number;
}

interface InIfaddr {
  readonly dev: NetDevice;
  readonly addr: number;
  readonly prefixlen: number;
}

/** The ephemeral port range (net.ipv4.ip_local_port_range). */
export const LOCAL_PORT_LOW = 32768;
export const LOCAL_PORT_HIGH = 60999;

const mask = (prefixlen: number): number => (prefixlen === 0 ? 0 : (~0 << (32 - prefixlen)) >>> 0);

export class Net {
  readonly sysctl: NetSysctl = { optmem_max: OPTMEM_MAX_DEFAULT };
  readonly lo: LoopbackDevice;
  readonly devs: NetDevice[] = [];
  private readonly ifaddrs: InIfaddr[] = [];
  private readonly neigh = new Map<number, Uint8Array>();
  readonly ipv4: Ipv4Input;
  private readonly udpPorts = new Map<number, UdpSock[]>();
  private nextPort = LOCAL_PORT_LOW;
  private ipId = 0;
  /** Told of every zero-copy notification generated on this host (figures). */
  onZcNotify: ((u: UbufInfoMsgzc) => void) | null = null;
  readonly udpStats = { NoPorts: 0 };
  readonly tcpStats = { InErrs: 0, OutRsts: 0, NoSocket: 0 };
  private readonly tcpListen = new Map<number, TcpSock>();
  private readonly tcpEstab = new Map<string, TcpSock>();
  private readonly tcpBound = new Map<number, Set<TcpSock>>();
  private isn = 0x1000;
  private sleep: ((cycles: number) => Promise<void>) | null = null;
  /** RX zero-copy bindings by id (a shared area is attached to by id). */
  readonly zcrx = new Map<number, ZcrxIfq>();
  private zcrxNext = 1;
  /** Device work a synchronous call started (a binding's close restarts its queue): waited for by flush_work. */
  private readonly work = new Set<Promise<void>>();

  constructor(readonly host: HostPlatform) {
    this.lo = new LoopbackDevice((dev, skb) => this.netif_receive_skb(dev, skb));
    this.devs.push(this.lo);
    this.ifaddrs.push({ dev: this.lo, addr: 0x7f000001, prefixlen: 8 });
    this.ipv4 = new Ipv4Input(
      (a) => this.isLocal(a),
      (p) => this.ip_local_deliver(p),
      (ns, fn) => {
        const w = host.queue_delayed_work(ns, fn);
        return { cancel: () => void host.cancel_delayed_work(w) };
      },
    );
  }

  /** ip addr add addr/prefixlen dev. */
  /** register_netdev() with an address (ip addr add): a driver's device joins the stack. */
  register_netdev(dev: NetDevice, addr: number, prefixlen: number): void {
    if (!this.devs.includes(dev)) this.devs.push(dev);
    this.ifaddrs.push({ dev, addr: addr >>> 0, prefixlen });
  }

  /** ip neigh add addr lladdr mac (permanent). */
  neigh_add(addr: number, mac: Uint8Array): void {
    this.neigh.set(addr >>> 0, mac);
  }

  isLocal(addr: number): boolean {
    return this.ifaddrs.some((i) => i.addr === addr >>> 0) || addr >>> 24 === 127;
  }

  /** ip_route_output_key: local addresses through lo, a connected subnet through its device. */
  ip_route_output(daddr: number, saddr = 0): Route | number {
    const d = daddr >>> 0;
    if (d === INADDR_ANY) return -EINVAL;
    if (this.isLocal(d)) {
      const src = saddr || (d >>> 24 === 127 ? 0x7f000001 : d);
      return { dev: this.lo, saddr: src, neigh: new Uint8Array(6), mtu: this.lo.mtu };
    }
    const ifa = this.ifaddrs.find((i) => i.dev !== this.lo && ((i.addr ^ d) & mask(i.prefixlen)) === 0);
    if (!ifa) return -ENETUNREACH;
    const mac = this.neigh.get(d);
    // no neighbour: the packet would wait for ARP that never answers; the kernel's send succeeds
    // and the packet is lost, the model refuses it so the mistake is seen
    if (!mac) return -ENETUNREACH;
    return { dev: ifa.dev, saddr: saddr || ifa.addr, neigh: mac, mtu: ifa.dev.mtu };
  }

  /** ip_select_ident (one counter per host: deterministic). */
  ip_select_ident(): number {
    this.ipId = (this.ipId + 1) & 0xffff;
    return this.ipId;
  }

  /** skb_tx_hash on the flow: one flow, one TX queue (so it stays in order). */
  tx_queue(saddr: number, daddr: number, sport: number, dport: number, dev: NetDevice): number {
    let h = (saddr ^ daddr ^ ((sport << 16) | dport)) >>> 0;
    h = Math.imul(h ^ (h >>> 16), 0x45d9f3b) >>> 0;
    return ((h ^ (h >>> 16)) >>> 0) % dev.num_tx_queues;
  }

  /** __netif_receive_skb: what a device received (a driver's RX queue, or lo), all it knew in the skb. */
  netif_receive_skb(dev: NetDevice, skb: SkBuff): void {
    dev.stats.rx_packets++;
    if (dev === this.lo) skb.ip_summed = CHECKSUM_UNNECESSARY;
    this.ipv4.eth_rcv(dev, skb);
  }

  /** ip_local_deliver_finish: by protocol; false if none takes it. */
  private ip_local_deliver(p: InetPacket): boolean {
    if (p.protocol === IPPROTO_UDP) {
      this.udp_rcv(p);
      return true;
    }
    if (p.protocol === IPPROTO_TCP) {
      this.tcp_v4_rcv(p);
      return true;
    }
    return false;
  }

  /** The host's clock for protocol timers (the device's sleep: simulated time on either backend). */
  setSleep(sleep: (cycles: number) => Promise<void>): void {
    this.sleep = sleep;
  }

  /** A one-shot timer `cycles` from now. */
  timer(cycles: number, fn: () => void): { cancel(): void } {
    let live = true;
    if (!this.sleep) throw new RangeError('Net.timer: no clock (setSleep) on this host');
    void this.sleep(cycles).then(() => {
      if (live) fn();
    });
    return { cancel: () => void (live = false) };
  }

  /** secure_tcp_seq's role: a deterministic initial sequence number per connection. */
  tcp_isn(): number {
    this.isn = (Math.imul(this.isn, 1103515245) + 12345) >>> 0;
    return this.isn;
  }

  private tcpKey(laddr: number, lport: number, raddr: number, rport: number): string {
    return `${laddr >>> 0}:${lport}>${raddr >>> 0}:${rport}`;
  }

  /** inet_hash of a connected (or connecting) socket. */
  tcp_hash(sk: TcpSock): void {
    this.tcpEstab.set(this.tcpKey(sk.saddr, sk.sport, sk.daddr, sk.dport), sk);
  }

  tcp_unhash(sk: TcpSock): void {
    const k = this.tcpKey(sk.saddr, sk.sport, sk.daddr, sk.dport);
    if (this.tcpEstab.get(k) === sk) this.tcpEstab.delete(k);
    if (this.tcpListen.get(sk.sport) === sk) this.tcpListen.delete(sk.sport);
    const owners = this.tcpBound.get(sk.sport);
    if (owners?.delete(sk) && owners.size === 0) this.tcpBound.delete(sk.sport);
  }

  /** inet_csk_get_port for bind(); 0 or -errno. */
  tcp_bind(sk: TcpSock, addr: number, port: number): number {
    if (addr !== INADDR_ANY && !this.isLocal(addr)) return -EADDRNOTAVAIL;
    sk.saddr = addr >>> 0;
    if (port === 0) return this.tcp_autobind(sk);
    if (this.tcpBound.has(port)) return -EADDRINUSE;
    this.tcpBound.set(port, new Set([sk]));
    sk.sport = port;
    return 0;
  }

  tcp_autobind(sk: TcpSock): number {
    for (let i = 0; i <= LOCAL_PORT_HIGH - LOCAL_PORT_LOW; i++) {
      const port = this.nextPort;
      this.nextPort = port === LOCAL_PORT_HIGH ? LOCAL_PORT_LOW : port + 1;
      if (!this.tcpBound.has(port) && !this.udpPorts.has(port)) {
        this.tcpBound.set(port, new Set([sk]));
        sk.sport = port;
        return 0;
      }
    }
    return -EAGAIN;
  }

  tcp_listen(sk: TcpSock): number {
    if (this.tcpListen.has(sk.sport)) return -EADDRINUSE;
    this.tcpListen.set(sk.sport, sk);
    return 0;
  }

  /** Connections still open or closing (their retransmit queues may hold pages). */
  get tcp_active(): number {
    return this.tcpEstab.size;
  }

  /** tcp_v4_rcv: checksum, lookup, the socket's state machine, or a RST. */
  private tcp_v4_rcv(p: InetPacket): void {
    const t = tcp_parse(p);
    if (t === null) {
      this.tcpStats.InErrs++;
      inet_packet_free(p);
      return;
    }
    const { th } = t;
    const sport = be16(th, 0);
    const dport = be16(th, 2);
    const flags = th[13]!;
    const sk = this.tcpEstab.get(this.tcpKey(p.daddr, dport, p.saddr, sport));
    if (sk) return sk.rcv(p, th, t.payOff, t.payLen);
    const l = this.tcpListen.get(dport);
    if (l && flags & 0x02 && !(flags & TCPHDR_ACK)) {
      TcpSock.passive(l, p, th);
      inet_packet_free(p);
      return;
    }
    inet_packet_free(p);
    if (flags & TCPHDR_RST) return;
    // tcp_v4_send_reset: no socket for this segment
    this.tcpStats.NoSocket++;
    this.tcpStats.OutRsts++;
    const rst = new TcpSock(this);
    rst.saddr = p.daddr;
    rst.sport = dport;
    rst.daddr = p.saddr;
    rst.dport = sport;
    const seg = (t.payLen + (flags & 0x03 ? 1 : 0)) >>> 0;
    if (flags & TCPHDR_ACK) rst.send_ack(TCPHDR_RST, be32(th, 8));
    else {
      rst.rcv_nxt = (be32(th, 4) + seg) >>> 0;
      rst.send_ack(TCPHDR_RST | TCPHDR_ACK, 0);
    }
  }

  /** udp_rcv / __udp4_lib_lookup: a connected socket first, then one bound to the port. */
  private udp_rcv(p: InetPacket): void {
    const uh = inet_copy_bits(p, 0, UDP_HLEN);
    if (uh === null || be16(uh, 4) < UDP_HLEN || be16(uh, 4) > p.len) {
      inet_packet_free(p);
      return;
    }
    const sport = be16(uh, 0);
    const dport = be16(uh, 2);
    const cands = this.udpPorts.get(dport) ?? [];
    const score = (s: UdpSock): number => {
      if (s.saddr && s.saddr !== p.daddr) return -1;
      if (s.daddr && (s.daddr !== p.saddr || s.dport !== sport)) return -1;
      return (s.saddr ? 2 : 0) + (s.daddr ? 4 : 0);
    };
    let best: UdpSock | undefined;
    for (const s of cands) if (score(s) >= 0 && (!best || score(s) > score(best))) best = s;
    if (!best) {
      this.udpStats.NoPorts++;
      inet_packet_free(p);
      return;
    }
    // trim to the UDP length (padding of short frames)
    const ulen = be16(uh, 4);
    const q = ulen === p.len ? p : trim(p, ulen);
    best.queue_rcv(q, uh);
  }

  /** udp_v4_get_port for bind(); 0 or -errno. */
  udp_bind(sk: UdpSock, addr: number, port: number): number {
    if (addr !== INADDR_ANY && !this.isLocal(addr)) return -EADDRNOTAVAIL;
    if (port === 0) {
      sk.saddr = addr >>> 0;
      return this.udp_autobind(sk);
    }
    const users = this.udpPorts.get(port) ?? [];
    if (users.some((s) => s.saddr === INADDR_ANY || addr === INADDR_ANY || s.saddr === addr >>> 0)) return -EADDRINUSE;
    sk.saddr = addr >>> 0;
    sk.sport = port;
    this.udpPorts.set(port, [...users, sk]);
    return 0;
  }

  /** inet_autobind: the next free ephemeral port; 0 or -EAGAIN. */
  udp_autobind(sk: UdpSock): number {
    for (let i = 0; i <= LOCAL_PORT_HIGH - LOCAL_PORT_LOW; i++) {
      const port = this.nextPort;
      this.nextPort = port === LOCAL_PORT_HIGH ? LOCAL_PORT_LOW : port + 1;
      if (!this.udpPorts.has(port)) {
        sk.sport = port;
        this.udpPorts.set(port, [sk]);
        return 0;
      }
    }
    return -EAGAIN;
  }

  udp_unhash(sk: UdpSock): void {
    const users = this.udpPorts.get(sk.sport)?.filter((s) => s !== sk);
    if (!users) return;
    if (users.length) this.udpPorts.set(sk.sport, users);
    else this.udpPorts.delete(sk.sport);
  }

  /** The stack going down: incomplete reassemblies freed. */
  shutdown(): void {
    this.ipv4.flush();
  }

  /** An id for a new RX zero-copy binding. */
  zcrx_id(): number {
    return this.zcrxNext++;
  }

  /** Run `p` in the background (errors surface at flush_work). */
  queue_work(p: Promise<void>): void {
    const w = p.finally(() => this.work.delete(w));
    this.work.add(w);
  }

  /** Wait for background work, including what it queues. */
  async flush_work(): Promise<void> {
    while (this.work.size) await Promise.all([...this.work]);
  }
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
