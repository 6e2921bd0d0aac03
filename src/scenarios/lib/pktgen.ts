// A seeded frame generator, after Linux's pktgen: frames of 60..9000 bytes over a set of flows
// (UDP, TCP with options, IPv4 options, VLAN tags, IPv4 fragments, ARP, a raw EtherType), with
// and without checksum offload, some with deliberately bad checksums, some to the ports a
// steering filter redirects or drops. Every frame carries its sequence number (32 bits, big
// endian) in its first payload bytes, so a receiver can find what it expected (seqOf).
//
// Each frame comes as the bytes the driver hands the NIC (`sent`, checksum fields junk where
// offload is asked) and the bytes that must appear on the wire and be received (`wire`), built
// independently of the TX model: txCsum(sent, txFlags) must give `wire`.

import { TX_FLAG, STEER } from '../../abi/regs.js';
import { PAGE_SIZE } from '../../mem/phys.js';
import { IP_CSUM_OFF, TCP_CSUM_OFF, UDP_CSUM_OFF, ipHeaderCsum, l4Csum } from '../../model/csum.js';
import {
  ETH_HLEN, ETH_P_8021Q, ETH_P_ARP, ETH_P_IP, ETH_ZLEN, IPPROTO_TCP, IPPROTO_UDP, IP_DF, IP_MF, VLAN_HLEN,
  be16, be32, ipv4Addr, macAddr, parseHeaders, put16, put32,
} from '../../model/parse.js';
import { type SteerTables, NO_FILTER, RSS_CTRL, steerFilter } from '../../model/steer.js';
import { MS_RSS_KEY, RSS_KEY_BYTES } from '../../model/toeplitz.js';
import { Rng } from '../../lib/rng.js';

/** UDP port a steering filter sends to a fixed queue (VXLAN's). */
export const PKTGEN_FILTER_PORT = 4789;
/** UDP port a steering filter drops (discard). */
export const PKTGEN_DROP_PORT = 9;
/** IEEE 802 local experimental EtherType 1: the raw, non-IP frames. */
export const ETH_P_802_EX1 = 0x88b5;
/** The NIC's station address, a second station (for a MAC filter), and the source of every flow. */
export const PKTGEN_DST_MAC = macAddr('02:00:00:00:00:01');
export const PKTGEN_OTHER_MAC = macAddr('02:00:00:00:00:02');
const SRC_MAC_BASE = macAddr('02:aa:bb:cc:dd:00');
const BROADCAST = macAddr('ff:ff:ff:ff:ff:ff');
/** Addresses of the flows: a few private ones and the Microsoft RSS suite's. */
const FLOW_IPS = ['10.0.0.1', '10.0.0.2', '192.168.1.1', '172.16.5.9', '66.9.149.187', '161.142.100.80',
  '199.92.111.2', '65.69.140.83'].map(ipv4Addr);
const SEQ_BYTES = 4;
const ARP_BODY = 28;
/** The largest header the generator builds (tag, IPv4 and TCP with 40 option bytes each) plus the sequence. */
const MAX_HDR = ETH_HLEN + VLAN_HLEN + 60 + 60 + SEQ_BYTES;

export type FlowKind = 'udp' | 'tcp' | 'frag' | 'arp' | 'raw';

export interface Flow {
  readonly id: number;
  readonly kind: FlowKind;
  readonly src_mac: number;
  readonly dst_mac: number;
  /** 802.1Q VID, or null for an untagged flow. */
  readonly vid: number | null;
  /** EtherType after the tag: IPv4, ARP or ETH_P_802_EX1. */
  readonly ethertype: number;
  /** IPv4 addresses (ARP: sender and target protocol addresses); 0 for raw frames. */
  readonly src_ip: number;
  readonly dst_ip: number;
  /** IPv4 protocol (a fragment flow carries UDP); 0 for non-IP. */
  readonly ip_proto: number;
  /** IPv4 option bytes and TCP option bytes, multiples of 4 up to 40. */
  readonly ip_opts: number;
  readonly tcp_opts: number;
  readonly src_port: number;
  readonly dst_port: number;
}

/** The checksums as they are on the wire. */
export type WireCsum = 'good' | 'bad_ip' | 'bad_udp' | 'no_udp_csum' | 'none';

export interface PktgenFrame {
  readonly seq: number;
  readonly txq: number;
  /** What must appear on the wire and be received. */
  readonly wire: Uint8Array;
  /** What the driver hands the NIC. */
  readonly sent: Uint8Array;
  /** TX_FLAG bits of the frame's first descriptor (CSUM_IP, CSUM_UDP; EOP is the driver's). */
  readonly txFlags: number;
  readonly flow: Flow;
  readonly csum: WireCsum;
}

export interface PktgenOptions {
  readonly seed: number | bigint;
  readonly txQueues: number;
  /** Frame length bounds, 60 (ETH_ZLEN, no FCS) .. 9000 by default. */
  readonly minLen?: number;
  readonly maxLen?: number;
  /** Plain UDP/TCP flows besides the special ones (filter port, drop port, other MAC, fragments, ARP, raw). */
  readonly flows?: number;
  readonly firstSeq?: number;
}

const u32 = (rng: Rng): number => Number(rng.next64() & 0xffffffffn);
/** True with probability p. */
export const chance = (rng: Rng, p: number): boolean => u32(rng) < p * 2 ** 32;
export const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[rng.int(0, xs.length - 1)]!;

function weighted<T>(rng: Rng, table: readonly (readonly [T, number])[]): T {
  let r = rng.int(0, table.reduce((a, [, w]) => a + w, 0) - 1);
  for (const [v, w] of table) if ((r -= w) < 0) return v;
  return table[table.length - 1]![0];
}

/** Sizes as in the whole-NIC test: small, up to 1514, page-sized, jumbo, and the extremes. */
function frameSize(rng: Rng, lo: number, hi: number): number {
  const span = (a: number, b: number): number => rng.int(Math.max(lo, Math.min(a, hi)), Math.max(lo, Math.min(b, hi)));
  return weighted<() => number>(rng, [
    [() => span(60, 127), 15], [() => span(128, 1514), 40], [() => span(1515, 4096), 25],
    [() => span(4097, 9000), 17], [() => pick(rng, [lo, hi]), 3],
  ])();
}

/** A flow of `kind` with fixed defaults for whatever `f` leaves out (10.0.0.1:1234 -> 10.0.0.2:5678). */
export function makeFlow(kind: FlowKind, f: Partial<Flow> = {}): Flow {
  const ip = kind !== 'raw';
  const ports = kind === 'udp' || kind === 'tcp';
  return {
    id: 0, kind, src_mac: SRC_MAC_BASE, dst_mac: kind === 'arp' ? BROADCAST : PKTGEN_DST_MAC, vid: null,
    ethertype: kind === 'arp' ? ETH_P_ARP : ip ? ETH_P_IP : ETH_P_802_EX1,
    src_ip: ip ? FLOW_IPS[0]! : 0, dst_ip: ip ? FLOW_IPS[1]! : 0,
    ip_proto: kind === 'tcp' ? IPPROTO_TCP : kind === 'udp' || kind === 'frag' ? IPPROTO_UDP : 0,
    ip_opts: 0, tcp_opts: 0, src_port: ports ? 1234 : 0, dst_port: ports ? 5678 : 0,
    ...f,
  };
}

const l3Of = (flow: Flow): number => ETH_HLEN + (flow.vid === null ? 0 : VLAN_HLEN);
const l4HdrOf = (flow: Flow): number => (flow.kind === 'udp' ? 8 : flow.kind === 'tcp' ? 20 + flow.tcp_opts : 0);

/** Bytes of a flow's frames before the payload (where the sequence number goes). */
export function flowHdrLen(flow: Flow): number {
  const l3 = l3Of(flow);
  if (flow.kind === 'arp') return l3 + ARP_BODY;
  return flow.kind === 'raw' ? l3 : l3 + 20 + flow.ip_opts + l4HdrOf(flow);
}

export interface BuildOptions {
  /** IPv4 flags and fragment offset word (default: DF for TCP, else 0). */
  readonly frag?: number;
  /** Zero padding up to this frame length (a short datagram in a minimum frame). */
  readonly padTo?: number;
  /** 802.1Q priority of the tag. */
  readonly pcp?: number;
  /** IPv4 identification; TCP sequence and acknowledgment numbers. */
  readonly id?: number;
  readonly tcpSeq?: number;
  readonly tcpAck?: number;
}

/**
 * A frame of `flow` carrying `payload` after its headers, every checksum correct (UDP's and
 * TCP's too). IPv4 and TCP options are NOPs; a fragment flow's IPv4 payload has no UDP header
 * (a later fragment); ARP is a request from the flow's source for its destination address.
 */
export function buildFrame(flow: Flow, payload: Uint8Array, o: BuildOptions = {}): Uint8Array {
  const l3 = l3Of(flow);
  const hdr = flowHdrLen(flow);
  const f = new Uint8Array(Math.max(hdr + payload.length, o.padTo ?? 0));
  put16(f, 0, Math.floor(flow.dst_mac / 2 ** 32));
  put32(f, 2, flow.dst_mac % 2 ** 32);
  put16(f, 6, Math.floor(flow.src_mac / 2 ** 32));
  put32(f, 8, flow.src_mac % 2 ** 32);
  if (flow.vid !== null) {
    put16(f, 12, ETH_P_8021Q);
    put16(f, 14, ((o.pcp ?? 0) << 13) | flow.vid);
  }
  put16(f, l3 - 2, flow.ethertype);
  f.set(payload, hdr);
  if (flow.kind === 'arp') {
    f.set([0, 1, 0x08, 0x00, 6, 4, 0, 1], l3);
    f.copyWithin(l3 + 8, 6, 12);
    put32(f, l3 + 14, flow.src_ip);
    put32(f, l3 + 24, flow.dst_ip);
  }
  if (flow.ethertype !== ETH_P_IP) return f;
  const ihl4 = 20 + flow.ip_opts;
  const l4 = l3 + ihl4;
  f[l3] = 0x40 | (ihl4 / 4);
  put16(f, l3 + 2, hdr - l3 + payload.length);
  put16(f, l3 + 4, o.id ?? 0);
  put16(f, l3 + 6, o.frag ?? (flow.kind === 'tcp' ? IP_DF : 0));
  f[l3 + 8] = 64;
  f[l3 + 9] = flow.ip_proto;
  put32(f, l3 + 12, flow.src_ip);
  put32(f, l3 + 16, flow.dst_ip);
  f.fill(1, l3 + 20, l4);
  if (flow.kind === 'udp' || flow.kind === 'tcp') {
    put16(f, l4, flow.src_port);
    put16(f, l4 + 2, flow.dst_port);
  }
  if (flow.kind === 'udp') {
    put16(f, l4 + 4, 8 + payload.length);
    put16(f, l4 + UDP_CSUM_OFF, l4Csum(f, l3, UDP_CSUM_OFF));
  } else if (flow.kind === 'tcp') {
    put32(f, l4 + 4, o.tcpSeq ?? 0);
    put32(f, l4 + 8, o.tcpAck ?? 0);
    f[l4 + 12] = (l4HdrOf(flow) / 4) << 4;
    f[l4 + 13] = 0x18; // PSH, ACK
    put16(f, l4 + 14, 0xffff);
    f.fill(1, l4 + 20, hdr);
    put16(f, l4 + TCP_CSUM_OFF, l4Csum(f, l3, TCP_CSUM_OFF));
  }
  put16(f, l3 + IP_CSUM_OFF, ipHeaderCsum(f, l3, ihl4));
  return f;
}

/** The sequence number a frame carries: after its parsed headers (ARP: after the ARP body). A
 * runt (below ETH_ZLEN) is no frame of ours. */
export function seqOf(frame: Uint8Array): number | null {
  if (frame.length < ETH_ZLEN) return null;
  const rec = parseHeaders(frame);
  const off = rec.ethertype === ETH_P_ARP ? rec.l3_offset + ARP_BODY : rec.hdr_len;
  return frame.length >= off + SEQ_BYTES ? be32(frame, off) : null;
}

/** Special flows after the plain ones, and their weights (the plain ones share 75). */
const SPECIAL_WEIGHTS = [5, 3, 3, 5, 4, 5];

export class Pktgen {
  readonly flows: readonly Flow[];
  private readonly rng: Rng;
  private readonly minLen: number;
  private readonly maxLen: number;
  private seq: number;

  constructor(private readonly o: PktgenOptions) {
    this.rng = new Rng(o.seed);
    this.minLen = o.minLen ?? ETH_ZLEN;
    this.maxLen = o.maxLen ?? 9000;
    if (this.minLen < ETH_ZLEN || this.maxLen < Math.max(this.minLen, MAX_HDR)) {
      throw new RangeError(`frame lengths ${this.minLen}..${this.maxLen}: need ${ETH_ZLEN} <= min <= max, max >= ${MAX_HDR}`);
    }
    if (!(o.txQueues >= 1)) throw new RangeError(`txQueues ${o.txQueues}`);
    this.seq = o.firstSeq ?? 0;
    this.flows = this.makeFlows(o.flows ?? 8);
  }

  private makeFlows(plain: number): Flow[] {
    const r = this.rng;
    const flows: Flow[] = [];
    const add = (kind: FlowKind, f: Partial<Flow> = {}): void => {
      const ip = kind !== 'raw';
      const id = flows.length;
      flows.push(makeFlow(kind, {
        id, src_mac: SRC_MAC_BASE + id, vid: chance(r, 0.25) ? r.int(1, 4094) : null,
        ...(ip ? { src_ip: pick(r, FLOW_IPS), dst_ip: pick(r, FLOW_IPS) } : {}),
        ip_opts: ip && kind !== 'arp' && chance(r, 0.3) ? 4 * r.int(1, 10) : 0,
        ...(kind === 'tcp' ? { tcp_opts: pick(r, [0, 0, 12, 20, 40]), src_port: r.int(1024, 65535), dst_port: pick(r, [22, 80, 443]) } : {}),
        ...(kind === 'udp' ? { src_port: r.int(1024, 65535), dst_port: pick(r, [53, r.int(1024, 65535)]) } : {}),
        ...f,
      }));
    };
    // the first three always with IPv4 options, a tag, TCP options: every mix has them
    const forced: Partial<Flow>[] = [{ ip_opts: 4 * r.int(1, 10) }, { vid: r.int(1, 4094) }, { tcp_opts: 40 }];
    for (let i = 0; i < plain; i++) add(i % 3 === 2 ? 'tcp' : 'udp', forced[i]);
    add('udp', { dst_port: PKTGEN_FILTER_PORT });
    add('udp', { dst_port: PKTGEN_DROP_PORT });
    add('udp', { dst_mac: PKTGEN_OTHER_MAC });
    add('frag');
    add('arp');
    add('raw');
    return flows;
  }

  /** The next frame. */
  next(): PktgenFrame {
    const r = this.rng;
    const seq = this.seq >>> 0;
    this.seq = (this.seq + 1) >>> 0;
    const plain = this.flows.length - SPECIAL_WEIGHTS.length;
    const flow = weighted<Flow>(r, this.flows.map((f, i) => [f, i < plain ? Math.max(1, Math.round(75 / plain)) : SPECIAL_WEIGHTS[i - plain]!] as const));
    const txq = r.int(0, this.o.txQueues - 1);
    const hdr = flowHdrLen(flow);
    const size = flow.kind === 'arp' ? pick(r, [this.minLen, r.int(this.minLen, Math.max(this.minLen, Math.min(this.maxLen, 128)))]) : frameSize(r, this.minLen, this.maxLen);
    // ARP, and now and then a short IPv4 datagram, in a zero-padded frame: padding is never summed
    const padded = flow.kind === 'arp' || (flow.kind !== 'raw' && size < 128 && chance(r, 0.15));
    const payload = padded ? new Uint8Array(SEQ_BYTES + (flow.kind === 'arp' ? 0 : r.int(0, 8))) : r.bytes(Math.max(SEQ_BYTES, size - hdr));
    put32(payload, 0, seq);
    const opts: BuildOptions = {
      padTo: size, pcp: r.int(0, 7), id: seq & 0xffff, tcpSeq: u32(r), tcpAck: u32(r),
      ...(flow.kind === 'frag' ? { frag: pick(r, [IP_MF, IP_MF | r.int(1, 1100), r.int(1, 1100)]) } : {}),
    };
    const wire = buildFrame(flow, payload, opts);
    return { seq, txq, flow, ...this.checksums(flow, wire) };
  }

  take(n: number): PktgenFrame[] {
    return Array.from({ length: n }, () => this.next());
  }

  /** Spoil a checksum on the wire, or not; then what the driver hands the NIC, and the offload it asks. */
  private checksums(flow: Flow, wire: Uint8Array): Pick<PktgenFrame, 'wire' | 'sent' | 'txFlags' | 'csum'> {
    const r = this.rng;
    const ip = flow.ethertype === ETH_P_IP;
    const udp = flow.kind === 'udp';
    const l3 = l3Of(flow);
    const ipField = l3 + IP_CSUM_OFF;
    const udpField = l3 + 20 + flow.ip_opts + UDP_CSUM_OFF;
    const csum = ip ? weighted<WireCsum>(r, [['good', 82], ['bad_ip', 6], ['bad_udp', udp ? 7 : 0], ['no_udp_csum', udp ? 5 : 0]]) : 'none';
    // wrong on the wire: XOR keeps the field nonzero and never turns 0x0000 into 0xFFFF (equal sums)
    if (csum === 'bad_ip') put16(wire, ipField, be16(wire, ipField) ^ 0x5a5a);
    if (csum === 'bad_udp') put16(wire, udpField, be16(wire, udpField) ^ 0x5a00);
    if (csum === 'no_udp_csum') put16(wire, udpField, 0);
    // offload: the NIC fills a field whatever it held (junk or zero), never over a bad or absent one;
    // asking it for a frame it cannot do (TCP, fragment, non-IP) is refused and sends it as it is
    const sent = wire.slice();
    const junk = (off: number): void => put16(sent, off, chance(r, 0.5) ? 0 : r.int(0, 0xffff));
    let txFlags = 0;
    if (ip && csum !== 'bad_ip' && chance(r, 0.5)) {
      txFlags |= TX_FLAG.CSUM_IP;
      junk(ipField);
    } else if (!ip && chance(r, 0.1)) {
      txFlags |= TX_FLAG.CSUM_IP;
    }
    if (udp && csum === 'good' && chance(r, 0.6)) {
      txFlags |= TX_FLAG.CSUM_UDP;
      junk(udpField);
    } else if (!udp && chance(r, 0.1)) {
      txFlags |= TX_FLAG.CSUM_UDP;
    }
    return { wire, sent, txFlags, csum };
  }
}

/** A steering table for pktgen's flows: RSS over a random indirection table, plus its filters. */
export interface PktgenSteerOptions {
  readonly seed: number | bigint;
  readonly rxQueues: number;
  /** FILTERS and RSS_ENTRIES of the build (PARAMS2 does not report them; the STEER window does). */
  readonly filters: number;
  readonly rssEntries: number;
}

/**
 * Filters 0..3 (as many as fit): PKTGEN_FILTER_PORT to the last queue, PKTGEN_DROP_PORT dropped,
 * ARP to a random queue, PKTGEN_OTHER_MAC to a random queue; the key the Microsoft one or random.
 */
export function pktgenSteering(o: PktgenSteerOptions): SteerTables {
  const r = new Rng(o.seed);
  const q = (): number => r.int(0, o.rxQueues - 1);
  const udpPort = STEER.M_IP_PROTO | STEER.M_DST_PORT;
  const plan = [
    steerFilter({ mask: udpPort, ip_proto: IPPROTO_UDP, dst_port: PKTGEN_FILTER_PORT, queue: o.rxQueues - 1 }),
    steerFilter({ mask: udpPort, ip_proto: IPPROTO_UDP, dst_port: PKTGEN_DROP_PORT, drop: true }),
    steerFilter({ mask: STEER.M_ETHERTYPE, ethertype: ETH_P_ARP, queue: q() }),
    steerFilter({ mask: STEER.M_DST_MAC, dst_mac: PKTGEN_OTHER_MAC, queue: q() }),
  ];
  return {
    key: chance(r, 0.5) ? MS_RSS_KEY.slice() : r.bytes(RSS_KEY_BYTES),
    indir: Array.from({ length: o.rssEntries }, q),
    filters: Array.from({ length: o.filters }, (_, i) => plan[i] ?? NO_FILTER),
    default_queue: q(),
    rss_ctrl: RSS_CTRL.TCP_PORTS | RSS_CTRL.UDP_PORTS,
  };
}

/** One scatter-gather piece of a frame: bytes [off, off+len) in a buffer starting `pageOff` into a page. */
export interface SgFrag {
  readonly off: number;
  readonly len: number;
  readonly pageOff: number;
}

/** Largest TX fragment (TX_DESC: 1..4096 bytes, not crossing a 4 KiB boundary). */
export const TX_FRAG_MAX = PAGE_SIZE;

/**
 * A random split of a `length`-byte frame into 1..maxFrags fragments that nic_tx accepts: each
 * 1..4096 bytes and inside one page at its buffer offset (the BAD_DESC rule). Fragments ending
 * exactly at a page boundary, starting at one and 1-byte fragments come up often.
 */
export function sgFragments(rng: Rng, length: number, maxFrags: number): SgFrag[] {
  const least = Math.ceil(length / TX_FRAG_MAX);
  if (length < 1 || least > maxFrags) throw new RangeError(`${length} bytes do not fit ${maxFrags} fragments`);
  const most = Math.min(maxFrags, length);
  let k = pick(rng, [least, least, Math.min(most, least + 1), rng.int(least, most)]);
  const out: SgFrag[] = [];
  for (let off = 0; off < length; k--) {
    const left = length - off;
    // what this fragment must take so that the k-1 after it can hold the rest, and may take
    const lmin = k === 1 ? left : Math.max(1, left - (k - 1) * TX_FRAG_MAX);
    const lmax = k === 1 ? left : Math.min(TX_FRAG_MAX, left - (k - 1));
    const share = Math.min(lmax, Math.max(lmin, Math.ceil(left / k)));
    const pageOff = pick(rng, [0, TX_FRAG_MAX - share, rng.int(0, TX_FRAG_MAX - lmin), rng.int(0, TX_FRAG_MAX - share)]);
    const cap = Math.min(lmax, TX_FRAG_MAX - pageOff);
    const len = pick(rng, [cap, Math.min(share, cap), rng.int(lmin, cap), lmin]);
    out.push({ off, len, pageOff });
    off += len;
  }
  return out;
}
