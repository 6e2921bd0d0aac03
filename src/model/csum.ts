// Checksum offload as the NIC does it (docs/rtl-csum.md; tb/zcnic_tb/netmodel.py rx_csum_model
// and test_csum.py tx_model): RX verification of the IPv4 header and UDP checksums into the
// RX_CSUM bits, TX insertion for TX_FLAG.CSUM_IP / CSUM_UDP. TCP is never checked or filled in.
// The checksum front end has its own, looser idea of "IPv4" than rx_parse: the 20-byte base
// header is enough (options may be cut), so RX_CSUM.IPV4 can be set where HASH_VALID is not.

import { RX_CSUM, TX_FLAG } from '../abi/regs.js';
import { ETH_HLEN, ETH_P_8021Q, ETH_P_IP, IPPROTO_UDP, IP_MF, IP_OFFSET, VLAN_HLEN, be16, put16, csum_partial, csum_fold, csum_tcpudp_magic } from '../lib/proto.js';

/** Offset of the checksum field in the IPv4, UDP and TCP headers. */
export const IP_CSUM_OFF = 10;
export const UDP_CSUM_OFF = 6;
export const TCP_CSUM_OFF = 16;

export { csum_partial, csum_fold, csum_tcpudp_magic } from '../lib/proto.js';

/** What the checksum blocks parse (csum_parse): only what the sums and their ranges need. */
export interface CsumParse {
  /** EtherType 0x0800 after at most one tag, version 4, IHL >= 5, the 20-byte base header present. */
  readonly is_ipv4: boolean;
  readonly l3: number;
  /** IHL * 4. */
  readonly ihl4: number;
  /** IPv4 total length. */
  readonly tot: number;
  readonly frag: boolean;
  readonly proto: number;
  readonly n: number;
  /** IPv4 whose frame ends before L3 offset + total length. */
  readonly truncated: boolean;
}

export function csumParse(f: Uint8Array): CsumParse {
  const n = f.length;
  const l3 = be16(f, 12) === ETH_P_8021Q ? ETH_HLEN + VLAN_HLEN : ETH_HLEN;
  const v = f[l3] ?? 0;
  const is_ipv4 = n >= l3 + 20 && be16(f, l3 - 2) === ETH_P_IP && v >> 4 === 4 && (v & 15) >= 5;
  if (!is_ipv4) return { is_ipv4, l3, ihl4: 0, tot: 0, frag: false, proto: 0, n, truncated: false };
  const tot = be16(f, l3 + 2);
  return {
    is_ipv4, l3, ihl4: 4 * (v & 15), tot, n,
    frag: (be16(f, l3 + 6) & (IP_MF | IP_OFFSET)) !== 0,
    proto: f[l3 + 9]!,
    truncated: n < l3 + tot,
  };
}

/** rx_csum's per-frame record (m_res_*); all false for a non-IPv4 frame. */
export interface RxCsum {
  readonly is_ipv4: boolean;
  /** Header checksum good, whole header present, total length >= IHL*4, not truncated. */
  readonly ip_csum_ok: boolean;
  /** Protocol 17, fragments too. */
  readonly is_udp: boolean;
  /** UDP, not a fragment, checksum field present and nonzero (0: the sender computed none). */
  readonly l4_csum_present: boolean;
  /** Present, not truncated, total length >= IHL*4 + 8, pseudo-header + datagram sum good. */
  readonly l4_csum_ok: boolean;
  readonly fragment: boolean;
  readonly truncated: boolean;
}

/** Sum of the UDP datagram the IP total length implies (never the UDP length field) with its pseudo-header. */
function udpSum(f: Uint8Array, p: CsumParse): number {
  const len = p.tot - p.ihl4;
  return csum_tcpudp_magic(f, p.l3, IPPROTO_UDP, len, csum_partial(f, p.l3 + p.ihl4, len));
}

export function rxCsum(f: Uint8Array): RxCsum {
  const p = csumParse(f);
  const l4 = p.l3 + p.ihl4;
  const ip_csum_ok = p.is_ipv4 && p.n >= l4 && p.tot >= p.ihl4 && !p.truncated && csum_fold(csum_partial(f, p.l3, p.ihl4)) === 0;
  const is_udp = p.is_ipv4 && p.proto === IPPROTO_UDP;
  const l4_csum_present = is_udp && !p.frag && p.n >= l4 + 8 && be16(f, l4 + UDP_CSUM_OFF) !== 0;
  const l4_csum_ok = l4_csum_present && !p.truncated && p.tot >= p.ihl4 + 8 && udpSum(f, p) === 0;
  return { is_ipv4: p.is_ipv4, ip_csum_ok, is_udp, l4_csum_present, l4_csum_ok, fragment: p.frag, truncated: p.is_ipv4 && p.truncated };
}

/** The RX_CSUM byte of the completion (what nic_rx makes of the rx_csum record). */
export function rxCsumBits(r: RxCsum): number {
  return (r.is_ipv4 ? RX_CSUM.IPV4 : 0) | (r.ip_csum_ok ? RX_CSUM.IP_OK : 0) | (r.is_udp ? RX_CSUM.UDP : 0)
    | (r.l4_csum_present ? RX_CSUM.L4_PRESENT : 0) | (r.l4_csum_ok ? RX_CSUM.L4_OK : 0) | (r.fragment ? RX_CSUM.FRAGMENT : 0);
}

/**
 * IPv4 header checksum for the header at l3, the field taken as 0 (its complement is added,
 * which cancels it: the sum without it is never 0, the version byte being nonzero).
 */
export function ipHeaderCsum(f: Uint8Array, l3: number, ihl4: number): number {
  return csum_fold(csum_partial(f, l3, ihl4, csum_fold(be16(f, l3 + IP_CSUM_OFF))));
}

/**
 * TCP or UDP checksum of the segment the IPv4 header at l3 announces (total length - IHL*4
 * bytes), the field at `fieldOff` in the L4 header taken as 0; a UDP result of 0 is sent as
 * 0xFFFF (RFC 768). What software computes without offload, and what tx_csum inserts for UDP.
 * (The field cancels as in ipHeaderCsum: the pseudo-header's protocol is nonzero.)
 */
export function l4Csum(f: Uint8Array, l3: number, fieldOff: number): number {
  const ihl4 = 4 * (f[l3]! & 15);
  const len = be16(f, l3 + 2) - ihl4;
  const l4 = l3 + ihl4;
  const proto = f[l3 + 9]!;
  const c = csum_tcpudp_magic(f, l3, proto, len, csum_partial(f, l4, len, csum_fold(be16(f, l4 + fieldOff))));
  return c === 0 && proto === IPPROTO_UDP ? 0xffff : c;
}

/** tx_csum's result: the frame sent, and which requested insertions were done or refused. */
export interface TxCsum {
  readonly frame: Uint8Array;
  readonly ip_inserted: boolean;
  readonly udp_inserted: boolean;
  readonly ip_refused: boolean;
  readonly udp_refused: boolean;
}

/**
 * The frame tx_csum sends for the bytes the driver handed the NIC and its first descriptor's
 * TX_FLAG bits. Whatever the requested fields held is ignored. Refused (frame unchanged there):
 * IP without a whole IPv4 header; UDP unless IPv4 protocol 17, not a fragment, total length >=
 * IHL*4 + 8 and the whole datagram in the frame (TCP, non-IP, fragments are refused).
 */
export function txCsum(sent: Uint8Array, txFlags: number): TxCsum {
  const p = csumParse(sent);
  const out = sent.slice();
  const wantIp = (txFlags & TX_FLAG.CSUM_IP) !== 0;
  const wantUdp = (txFlags & TX_FLAG.CSUM_UDP) !== 0;
  const canIp = p.is_ipv4 && p.n >= p.l3 + p.ihl4;
  const canUdp = p.is_ipv4 && p.proto === IPPROTO_UDP && !p.frag && p.tot >= p.ihl4 + 8 && !p.truncated;
  if (wantIp && canIp) put16(out, p.l3 + IP_CSUM_OFF, ipHeaderCsum(sent, p.l3, p.ihl4));
  if (wantUdp && canUdp) put16(out, p.l3 + p.ihl4 + UDP_CSUM_OFF, l4Csum(sent, p.l3, UDP_CSUM_OFF));
  return {
    frame: out,
    ip_inserted: wantIp && canIp, udp_inserted: wantUdp && canUdp,
    ip_refused: wantIp && !canIp, udp_refused: wantUdp && !canUdp,
  };
}
