// Header parse of a received frame as rx_parse records it (docs/rtl-rx-steer.md, "Parsed
// record"; tb/zcnic_tb/netmodel.py parse_headers): Ethernet II, at most one 802.1Q tag, IPv4 with
// options, UDP, TCP with options. Fields of absent headers read 0; bytes past the frame's end
// read 0, as in the RTL's zeroed header snapshot. Field names are the RTL's (`m_dec_*`).

export { ETH_HLEN, VLAN_HLEN, ETH_ZLEN, ETH_P_IP, ETH_P_ARP, ETH_P_8021Q, IPPROTO_TCP, IPPROTO_UDP, IP_MF, IP_DF, IP_OFFSET, be8, be16, be32, put16, put32, ipv4Addr } from '../lib/proto.js';
import { ETH_HLEN, ETH_P_8021Q, ETH_P_IP, IPPROTO_TCP, IPPROTO_UDP, IP_MF, IP_OFFSET, VLAN_HLEN, be8, be16, be32 } from '../lib/proto.js';

/** Header bytes rx_parse captures: 18 Ethernet + tag, 60 IPv4 with options, 60 TCP with options. */
export const RX_PARSE_BYTES = 138;

export interface RxParse {
  /** Bytes 0-5 and 6-11 as numbers in network order (02:00:00:00:00:01 = 0x020000000001). */
  readonly dst_mac: number;
  readonly src_mac: number;
  /** EtherType after at most one tag (a second tag's TPID reads as the EtherType). */
  readonly ethertype: number;
  readonly vlan: boolean;
  readonly vid: number;
  /** EtherType 0x0800, version 4, IHL >= 5 and the whole header (with options) in the frame. */
  readonly is_ipv4: boolean;
  readonly ihl: number;
  readonly ip_proto: number;
  readonly src_ip: number;
  readonly dst_ip: number;
  /** IPv4 with MF set or a nonzero fragment offset. */
  readonly frag: boolean;
  /** Protocol 17, not a fragment, 8 header bytes present. */
  readonly is_udp: boolean;
  /** Protocol 6, not a fragment, data offset >= 5 and 4*doff header bytes present. */
  readonly is_tcp: boolean;
  readonly src_port: number;
  readonly dst_port: number;
  readonly l3_offset: number;
  readonly l4_offset: number;
  /** Bytes up to the L4 payload (what header split puts in the header buffer). */
  readonly hdr_len: number;
  /** The frame ends inside a header its preceding headers announce. */
  readonly truncated: boolean;
}

const be48 = (b: Uint8Array, o: number): number => be16(b, o) * 2 ** 32 + be32(b, o + 2);


/** "02:00:00:00:00:01" to 0x020000000001. */
export function macAddr(text: string): number {
  const hex = text.split(':').join('');
  if (!/^[0-9a-fA-F]{12}$/.test(hex)) throw new RangeError(`bad MAC address ${text}`);
  return Number.parseInt(hex, 16);
}

/** The rx_parse record of a frame. */
export function parseHeaders(frame: Uint8Array): RxParse {
  const n = frame.length;
  const tpid = be16(frame, 12);
  const vlan = tpid === ETH_P_8021Q;
  const l3 = vlan ? ETH_HLEN + VLAN_HLEN : ETH_HLEN;
  const ethertype = vlan ? be16(frame, 16) : tpid;
  const l2Short = n < l3;
  const ipType = !l2Short && ethertype === ETH_P_IP;
  const version = be8(frame, l3) >> 4;
  const ihl = be8(frame, l3) & 15;
  const ipHdrOk = ipType && version === 4 && ihl >= 5;
  const l4 = l3 + 4 * ihl;
  const is_ipv4 = ipHdrOk && n >= l4;
  const frag = is_ipv4 && (be16(frame, l3 + 6) & (IP_MF | IP_OFFSET)) !== 0;
  const proto = be8(frame, l3 + 9);
  const l4Parse = is_ipv4 && !frag;
  const udpType = l4Parse && proto === IPPROTO_UDP;
  const tcpType = l4Parse && proto === IPPROTO_TCP;
  const doff = be8(frame, l4 + 12) >> 4;
  const is_udp = udpType && n >= l4 + 8;
  const is_tcp = tcpType && n >= l4 + 20 && doff >= 5 && n >= l4 + 4 * doff;
  const truncated = l2Short
    || (ipType && n < l3 + 20)
    || (ipHdrOk && n < l4)
    || (udpType && n < l4 + 8)
    || (tcpType && (n < l4 + 20 || (doff >= 5 && n < l4 + 4 * doff)));
  const ports = is_udp || is_tcp;
  const hdr_len = is_udp ? l4 + 8 : is_tcp ? l4 + 4 * doff : is_ipv4 ? l4 : l3;
  return {
    dst_mac: be48(frame, 0),
    src_mac: be48(frame, 6),
    ethertype,
    vlan,
    vid: vlan ? be16(frame, 14) & 0xfff : 0,
    is_ipv4,
    ihl: is_ipv4 ? ihl : 0,
    ip_proto: is_ipv4 ? proto : 0,
    src_ip: is_ipv4 ? be32(frame, l3 + 12) : 0,
    dst_ip: is_ipv4 ? be32(frame, l3 + 16) : 0,
    frag,
    is_udp,
    is_tcp,
    src_port: ports ? be16(frame, l4) : 0,
    dst_port: ports ? be16(frame, l4 + 2) : 0,
    l3_offset: l3,
    l4_offset: is_ipv4 ? l4 : 0,
    hdr_len,
    truncated,
  };
}
