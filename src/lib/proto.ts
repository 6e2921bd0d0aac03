// Wire formats shared by the host's stack, the traffic generators and the NIC model: Ethernet,
// IPv4, UDP and TCP constants (include/uapi/linux/if_ether.h, in.h, ip.h), big-endian field
// access and the Internet checksum (RFC 1071; lib/checksum.c, include/net/checksum.h).

export const ETH_HLEN = 14;
export const VLAN_HLEN = 4;
export const ETH_ZLEN = 60;
export const ETH_P_IP = 0x0800;
export const ETH_P_ARP = 0x0806;
export const ETH_P_8021Q = 0x8100;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
/** IPv4 flags/fragment-offset word: MF and the 13-bit offset (units of 8 bytes). */
export const IP_MF = 0x2000;
export const IP_DF = 0x4000;
export const IP_OFFSET = 0x1fff;
/** Big-endian reads that return 0 past the end of the frame. */
export const be8 = (b: Uint8Array, o: number): number => b[o] ?? 0;
export const be16 = (b: Uint8Array, o: number): number => (be8(b, o) << 8) | be8(b, o + 1);
export const be32 = (b: Uint8Array, o: number): number => ((be16(b, o) << 16) | be16(b, o + 2)) >>> 0;

export function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}

export function put32(b: Uint8Array, o: number, v: number): void {
  put16(b, o, v >>> 16);
  put16(b, o + 2, v & 0xffff);
}

/** Dotted quad to the number rx_parse reports ("10.0.0.1" = 0x0a000001). */
export function ipv4Addr(text: string): number {
  const p = text.split('.').map(Number);
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) throw new RangeError(`bad IPv4 address ${text}`);
  return ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0;
}

/**
 * One's-complement sum (RFC 1071) of `len` bytes from `off` as big-endian 16-bit words, an odd
 * last byte padded with 0, added to `sum`; folded to 16 bits (0 only if every word is 0, as
 * the RTL's end-around-carry adders).
 */
export function csum_partial(buf: Uint8Array, off: number, len: number, sum = 0): number {
  let s = sum;
  const end = off + len;
  let i = off;
  for (; i + 1 < end; i += 2) s += (buf[i]! << 8) | buf[i + 1]!;
  if (i < end) s += buf[i]! << 8;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

/** The checksum field value for a folded sum: its complement. */
export const csum_fold = (sum: number): number => ~sum & 0xffff;

/** Pseudo-header (addresses from the IPv4 header at l3, protocol, L4 length) plus `sum`, folded. */
export function csum_tcpudp_magic(frame: Uint8Array, l3: number, proto: number, len: number, sum: number): number {
  return csum_fold(csum_partial(frame, l3 + 12, 8, sum + proto + len));
}
