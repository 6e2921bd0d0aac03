// One host's network namespace (struct net, reduced): its devices (a driver's, registered with
// register_netdev, and lo), IPv4 addresses and routes, a static neighbour table (no ARP on the
// wire: both hosts are configured), sysctls, timers and work, and the packet types received
// frames go to. The protocols register themselves (src/net/ipv4/af_inet.ts); this file imports
// none of them. Programs reach it through the socket calls in
// src/net/socket/socket.ts, each with its own process (src/mm/process.ts).

import type { HostPlatform } from '../../platform/host.js';
import { EINVAL, ENETUNREACH, INADDR_ANY } from '../socket/uapi.js';
import { LoopbackDevice, type NetDevice } from './dev.js';
import type { ZcrxIfq } from './zcrx.js';
import type { UbufInfoMsgzc } from './msg_zerocopy.js';
import { CHECKSUM_UNNECESSARY, kfree_skb, type SkBuff } from './skbuff.js';
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

/** struct packet_type: a protocol's receive handler for frames, and its teardown. */
export interface PacketType {
  func(dev: NetDevice, skb: SkBuff): void;
  /** The stack going down (incomplete reassemblies freed). */
  flush(): void;
}

const mask = (prefixlen: number): number => (prefixlen === 0 ? 0 : (~0 << (32 - prefixlen)) >>> 0);

export class Net {
  readonly sysctl: NetSysctl = { optmem_max: OPTMEM_MAX_DEFAULT };
  readonly lo: LoopbackDevice;
  readonly devs: NetDevice[] = [];
  private readonly ifaddrs: InIfaddr[] = [];
  private readonly neigh = new Map<number, Uint8Array>();
  /** dev_add_pack(): the packet types frames are handed to (IPv4, registered by inet_init). */
  private readonly ptypes: PacketType[] = [];
  private ipId = 0;
  /** Told of every zero-copy notification generated on this host (figures). */
  onZcNotify: ((u: UbufInfoMsgzc) => void) | null = null;
  readonly udpStats = { NoPorts: 0 };
  readonly tcpStats = { InErrs: 0, OutRsts: 0, NoSocket: 0 };
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
  }

  /** dev_add_pack(): frames received from here on are handed to `pt` too. */
  dev_add_pack(pt: PacketType): void {
    this.ptypes.push(pt);
  }

  /** A one-shot timer of the host's delayed work, `ns` from now. */
  delayed_work(ns: number, fn: () => void): { cancel(): void } {
    const w = this.host.queue_delayed_work(ns, fn);
    return { cancel: () => void this.host.cancel_delayed_work(w) };
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
    const pt = this.ptypes[0];
    if (pt) pt.func(dev, skb);
    else kfree_skb(skb);
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

  /** The stack going down: incomplete reassemblies freed. */
  shutdown(): void {
    for (const pt of this.ptypes) pt.flush();
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
