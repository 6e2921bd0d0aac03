// IPv4 over Ethernet (net/ipv4/ip_output.c, ip_input.c, ip_fragment.c, net/ethernet/eth.c,
// reduced): header build and checks, fragmentation of datagrams larger than the route's MTU,
// reassembly, and delivery to the transport protocols. A received packet is kept as the skbs it
// arrived in and the byte ranges of its payload in them; nothing is copied until a socket reads
// it, so a queued datagram holds its page_pool pages as it does in Linux.

import { ETH_HLEN, ETH_P_IP, IP_DF, IP_MF, IP_OFFSET, be16, be32, csum_fold, csum_partial, put16, put32 } from '../../lib/proto.js';
import { CHECKSUM_UNNECESSARY, kfree_skb, skb_copy_bits, type SkBuff } from '../core/skbuff.js';
import type { NetDevice } from '../core/dev.js';

export const IPV4_HLEN = 20;
export const IPDEFTTL = 64;
/** IP_MAX_MTU-sized datagrams: 65,535 bytes of IPv4 total length. */
export const IP_MAX_PACKET = 0xffff;
/** ipfrag_time: 30 s. */
export const IPFRAG_TIME_NS = 30e9;
/** ipfrag_high_thresh's spirit: at most this many reassembly queues per host. */
export const IPFRAG_MAX_QUEUES = 256;
/** Headroom every transmitted skb reserves for Ethernet + IPv4 + the transport header (MAX_HEADER-ish). */
export const MAX_TCP_HEADER = 128 + 64;

/** One byte range of a packet's payload: `len` bytes at `off` of `skb`. */
export interface Seg {
  readonly skb: SkBuff;
  readonly off: number;
  readonly len: number;
}

/** An IPv4 packet after ip_rcv (and reassembly): its payload (the L4 header and data). */
export interface InetPacket {
  readonly dev: NetDevice;
  readonly saddr: number;
  readonly daddr: number;
  readonly protocol: number;
  /** The L4 bytes, in order, over one skb or several (fragments). */
  readonly segs: readonly Seg[];
  readonly len: number;
  /** The skbs holding it (each freed once, when the packet is). */
  readonly skbs: readonly SkBuff[];
  /** The device verified the L4 checksum (CHECKSUM_UNNECESSARY of a whole datagram). */
  readonly csum_unnecessary: boolean;
  /** Sum of the skbs' truesize (what a receive queue is charged). */
  readonly truesize: number;
}

/**
 * The skb whose metadata the packet carries up (napi_id, rx queue, rx_cycle): the one holding its
 * first bytes, as ip_frag_reasm keeps the offset-0 fragment's header fields for the whole datagram.
 */
export function inet_packet_skb(p: InetPacket): SkBuff {
  return p.segs[0]!.skb;
}

/** Free every skb of a packet (consume_skb of its frag list). */
export function inet_packet_free(p: InetPacket): void {
  for (const s of p.skbs) kfree_skb(s);
}

/** Copy `len` bytes from `off` of a packet's payload; null past its end. */
export function inet_copy_bits(p: InetPacket, off: number, len: number): Uint8Array | null {
  if (off < 0 || len < 0 || off + len > p.len) return null;
  const out = new Uint8Array(len);
  let at = 0;
  let skip = off;
  for (const s of p.segs) {
    if (at === len) break;
    if (skip >= s.len) {
      skip -= s.len;
      continue;
    }
    const n = Math.min(s.len - skip, len - at);
    const b = skb_copy_bits(s.skb, s.off + skip, n);
    if (b === null) return null;
    out.set(b, at);
    at += n;
    skip = 0;
  }
  return out;
}

/** The 20-byte IPv4 header (no options) with its checksum filled in. */
export function ip_build_header(o: {
  readonly tot_len: number; readonly id: number; readonly frag_off: number; readonly protocol: number;
  readonly saddr: number; readonly daddr: number; readonly ttl?: number;
}): Uint8Array {
  const h = new Uint8Array(IPV4_HLEN);
  h[0] = 0x45;
  put16(h, 2, o.tot_len);
  put16(h, 4, o.id & 0xffff);
  put16(h, 6, o.frag_off);
  h[8] = o.ttl ?? IPDEFTTL;
  h[9] = o.protocol;
  put32(h, 12, o.saddr);
  put32(h, 16, o.daddr);
  put16(h, 10, csum_fold(csum_partial(h, 0, IPV4_HLEN)));
  return h;
}

/** Ethernet II header. */
export function eth_build_header(dst: Uint8Array, src: Uint8Array, proto = ETH_P_IP): Uint8Array {
  const h = new Uint8Array(ETH_HLEN);
  h.set(dst, 0);
  h.set(src, 6);
  put16(h, 12, proto);
  return h;
}

/** Pseudo-header sum (saddr, daddr, protocol, L4 length), unfolded, for csum_partial's `sum`. */
export function csum_tcpudp_nofold(saddr: number, daddr: number, len: number, proto: number): number {
  return (saddr >>> 16) + (saddr & 0xffff) + (daddr >>> 16) + (daddr & 0xffff) + proto + len;
}

/** What a fragment carries: payload bytes [off, off + len) of the datagram, MF or not. */
export interface FragPlan {
  readonly off: number;
  readonly len: number;
  readonly frag_off: number;
}

/**
 * ip_fragment's cut of an L4 datagram of `len` bytes for a route MTU: one piece with DF when it
 * fits, else pieces of (mtu - 20) & ~7 bytes, MF on all but the last.
 */
export function ip_fragment_plan(len: number, mtu: number, df: boolean): FragPlan[] {
  if (len + IPV4_HLEN <= mtu) return [{ off: 0, len, frag_off: df ? IP_DF : 0 }];
  const step = (mtu - IPV4_HLEN) & ~7;
  const out: FragPlan[] = [];
  for (let off = 0; off < len; off += step) {
    const n = Math.min(step, len - off);
    out.push({ off, len: n, frag_off: (off >> 3) | (off + n < len ? IP_MF : 0) });
  }
  return out;
}

/** Why ip_rcv dropped a packet (the kernel's SKB_DROP_REASON_* names, shortened). */
export type IpDrop = 'not_ipv4' | 'hdr_error' | 'csum' | 'too_short' | 'other_host' | 'not_local' | 'no_proto' | 'frag_limit';

/** One fragment as received. */
interface FragPiece {
  readonly off: number;
  readonly len: number;
  readonly seg: Seg;
  readonly more: boolean;
}

interface FragQueue {
  readonly pieces: FragPiece[];
  readonly skbs: SkBuff[];
  total: number | null;
  csum: boolean;
  readonly timer: { cancel(): void };
}

/**
 * The IPv4 receive side of one host: header checks (ip_rcv_core), reassembly (ip_defrag),
 * local delivery (ip_local_deliver) to `deliver`.
 */
export class Ipv4Input {
  readonly drops: Record<IpDrop, number> = {
    not_ipv4: 0, hdr_error: 0, csum: 0, too_short: 0, other_host: 0, not_local: 0, no_proto: 0, frag_limit: 0,
  };
  readonly frags = { reassembled: 0, timeouts: 0 };
  private readonly queues = new Map<string, FragQueue>();

  constructor(
    private readonly isLocal: (addr: number) => boolean,
    private readonly deliver: (p: InetPacket) => boolean,
    private readonly timer: (ns: number, fn: () => void) => { cancel(): void },
  ) {}

  /** eth_type_trans + ip_rcv for a frame from `dev` (the Ethernet header at offset 0). */
  eth_rcv(dev: NetDevice, skb: SkBuff): void {
    const eh = skb_copy_bits(skb, 0, Math.min(ETH_HLEN + IPV4_HLEN, skb.len));
    if (eh === null || eh.length < ETH_HLEN + IPV4_HLEN) return this.drop(skb, 'too_short');
    const toUs = eh.subarray(0, 6).every((b, i) => b === dev.dev_addr[i]) || eh.subarray(0, 6).every((b) => b === 0xff);
    if (!toUs) return this.drop(skb, 'other_host');
    if (be16(eh, 12) !== ETH_P_IP) return this.drop(skb, 'not_ipv4');
    this.ip_rcv(dev, skb, ETH_HLEN);
  }

  private drop(skb: SkBuff, why: IpDrop): void {
    this.drops[why]++;
    kfree_skb(skb);
  }

  private ip_rcv(dev: NetDevice, skb: SkBuff, l3: number): void {
    const h0 = skb_copy_bits(skb, l3, IPV4_HLEN)!;
    const ihl = (h0[0]! & 15) * 4;
    if (h0[0]! >> 4 !== 4 || ihl < IPV4_HLEN) return this.drop(skb, 'hdr_error');
    const tot = be16(h0, 2);
    if (tot < ihl || skb.len - l3 < tot) return this.drop(skb, 'too_short');
    const hdr = skb_copy_bits(skb, l3, ihl)!;
    // the NIC's verdict covers the IPv4 header; without it, ip_fast_csum
    const devOk = skb.ip_summed === CHECKSUM_UNNECESSARY;
    if (!devOk && csum_partial(hdr, 0, ihl) !== 0xffff) return this.drop(skb, 'csum');
    const saddr = be32(hdr, 12);
    const daddr = be32(hdr, 16);
    if (!this.isLocal(daddr)) return this.drop(skb, 'not_local');
    const frag = be16(hdr, 6);
    const seg: Seg = { skb, off: l3 + ihl, len: tot - ihl };
    if (frag & (IP_MF | IP_OFFSET)) {
      this.ip_defrag(dev, hdr, seg, (frag & IP_OFFSET) * 8, (frag & IP_MF) !== 0, devOk);
      return;
    }
    const p: InetPacket = {
      dev, saddr, daddr, protocol: hdr[9]!, segs: [seg], len: seg.len, skbs: [skb], csum_unnecessary: devOk, truesize: skb.truesize,
    };
    if (!this.deliver(p)) {
      this.drops.no_proto++;
      inet_packet_free(p);
    }
  }

  private ip_defrag(dev: NetDevice, hdr: Uint8Array, seg: Seg, off: number, more: boolean, csum: boolean): void {
    const key = `${be32(hdr, 12)}>${be32(hdr, 16)}#${be16(hdr, 4)}/${hdr[9]}`;
    let q = this.queues.get(key);
    if (!q) {
      if (this.queues.size >= IPFRAG_MAX_QUEUES) return this.drop(seg.skb, 'frag_limit');
      const timer = this.timer(IPFRAG_TIME_NS, () => {
        this.frags.timeouts++;
        this.purge(key);
      });
      q = { pieces: [], skbs: [], total: null, csum: true, timer };
      this.queues.set(key, q);
    }
    // an overlap or a duplicate: RFC 5722 drops the whole datagram
    if (q.pieces.some((p) => off < p.off + p.len && p.off < off + seg.len) || (!more && q.total !== null)) {
      kfree_skb(seg.skb);
      this.purge(key);
      this.drops.hdr_error++;
      return;
    }
    q.pieces.push({ off, len: seg.len, seg, more });
    q.skbs.push(seg.skb);
    q.csum &&= csum;
    if (!more) q.total = off + seg.len;
    if (q.total === null) return;
    q.pieces.sort((a, b) => a.off - b.off);
    let end = 0;
    for (const p of q.pieces) {
      if (p.off !== end) return;
      end += p.len;
    }
    if (end !== q.total) return;
    this.queues.delete(key);
    q.timer.cancel();
    this.frags.reassembled++;
    const p: InetPacket = {
      dev, saddr: be32(hdr, 12), daddr: be32(hdr, 16), protocol: hdr[9]!, segs: q.pieces.map((x) => x.seg), len: end,
      skbs: q.skbs, csum_unnecessary: false, truesize: q.skbs.reduce((a, s) => a + s.truesize, 0),
    };
    if (!this.deliver(p)) {
      this.drops.no_proto++;
      inet_packet_free(p);
    }
  }

  private purge(key: string): void {
    const q = this.queues.get(key);
    if (!q) return;
    this.queues.delete(key);
    q.timer.cancel();
    for (const s of q.skbs) kfree_skb(s);
  }

  /** Reassembly queues pending. */
  get pending(): number {
    return this.queues.size;
  }

  /** Free every incomplete datagram (the stack going down). */
  flush(): void {
    for (const k of [...this.queues.keys()]) this.purge(k);
  }
}
