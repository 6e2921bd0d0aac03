"""Reference models of what the NIC computes from a frame, shared by the block tests and the
whole-NIC scoreboard: the rx_parse record, the Toeplitz RSS hash, exact-match filters and the
receive checksum verdict. Written from the protocol definitions, not from the RTL."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from scapy.utils import checksum

M_MAC, M_ETYPE, M_PROTO, M_DIP, M_DPORT = 1, 2, 4, 8, 16

MS_KEY = bytes.fromhex("6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa")
# Microsoft RSS verification suite, IPv4: src, sport, dst, dport, IPv4-only hash, with TCP ports
MS_VECTORS = [
    ("66.9.149.187", 2794, "161.142.100.80", 1766, 0x323E8FC2, 0x51CCC178),
    ("199.92.111.2", 14230, "65.69.140.83", 4739, 0xD718262A, 0xC626B0EA),
    ("24.19.198.95", 12898, "12.22.207.184", 38024, 0xD2D0A5DE, 0x5C2B394A),
    ("38.27.205.30", 48228, "209.142.163.6", 2217, 0x82989176, 0xAFC7327F),
    ("153.39.163.191", 44251, "202.188.127.2", 1303, 0x5D1809C5, 0x10E828A2),
]


def toeplitz(key: bytes, data: bytes) -> int:
    """Microsoft RSS hash: XOR of the 32-bit key window at every set input bit (MSB first)."""
    k = int.from_bytes(key, "big")
    kbits = len(key) * 8
    result = 0
    for i in range(len(data) * 8):
        if data[i // 8] >> (7 - i % 8) & 1:
            result ^= (k >> (kbits - 32 - i)) & 0xFFFFFFFF
    return result


def ip_int(text: str) -> int:
    return int(ipaddress.IPv4Address(text))


def mac_int(text: str) -> int:
    return int(text.replace(":", ""), 16)


def parse_headers(frame: bytes) -> dict[str, int]:
    """The rx_parse record of a frame (fields of absent headers read 0)."""
    n = len(frame)
    b = frame + bytes(256)

    def u16(o):
        return b[o] << 8 | b[o + 1]

    def u32(o):
        return int.from_bytes(b[o:o + 4], "big")

    tpid = u16(12)
    vlan = tpid == 0x8100
    l3 = 18 if vlan else 14
    ethertype = u16(16) if vlan else tpid
    l2_short = n < l3
    ip_type = not l2_short and ethertype == 0x0800
    version, ihl = b[l3] >> 4, b[l3] & 15
    ip_hdr_ok = ip_type and version == 4 and ihl >= 5
    l4 = l3 + ihl * 4
    is_ipv4 = ip_hdr_ok and n >= l4
    frag = is_ipv4 and bool(b[l3 + 6] & 0x20 or (b[l3 + 6] & 0x1F) << 8 | b[l3 + 7])
    proto = b[l3 + 9]
    l4_ok = is_ipv4 and not frag
    udp_type = l4_ok and proto == 17
    tcp_type = l4_ok and proto == 6
    doff = b[l4 + 12] >> 4
    is_udp = udp_type and n >= l4 + 8
    is_tcp = tcp_type and n >= l4 + 20 and doff >= 5 and n >= l4 + doff * 4
    truncated = (
        l2_short
        or (ip_type and n < l3 + 20)
        or (ip_hdr_ok and n < l4)
        or (udp_type and n < l4 + 8)
        or (tcp_type and (n < l4 + 20 or (doff >= 5 and n < l4 + doff * 4)))
    )
    ports = is_udp or is_tcp
    if is_udp:
        hdr_len = l4 + 8
    elif is_tcp:
        hdr_len = l4 + doff * 4
    elif is_ipv4:
        hdr_len = l4
    else:
        hdr_len = l3
    return {
        "dst_mac": int.from_bytes(b[0:6], "big"),
        "src_mac": int.from_bytes(b[6:12], "big"),
        "ethertype": ethertype,
        "vlan": int(vlan),
        "vid": u16(14) & 0xFFF if vlan else 0,
        "is_ipv4": int(is_ipv4),
        "ihl": ihl if is_ipv4 else 0,
        "ip_proto": proto if is_ipv4 else 0,
        "src_ip": u32(l3 + 12) if is_ipv4 else 0,
        "dst_ip": u32(l3 + 16) if is_ipv4 else 0,
        "frag": int(frag),
        "is_udp": int(is_udp),
        "is_tcp": int(is_tcp),
        "src_port": u16(l4) if ports else 0,
        "dst_port": u16(l4 + 2) if ports else 0,
        "l3_offset": l3,
        "l4_offset": l4 if is_ipv4 else 0,
        "hdr_len": hdr_len,
        "truncated": int(truncated),
    }


class Filter:
    def __init__(self):
        self.enable = self.drop = self.mask = self.queue = 0
        self.mac = self.ethertype = self.proto = self.dst_ip = self.dst_port = 0

    def matches(self, rec) -> bool:
        m = self.mask
        return bool(self.enable) and all((
            not m & M_MAC or rec["dst_mac"] == self.mac,
            not m & M_ETYPE or rec["ethertype"] == self.ethertype,
            not m & M_PROTO or (rec["is_ipv4"] and rec["ip_proto"] == self.proto),
            not m & M_DIP or (rec["is_ipv4"] and rec["dst_ip"] == self.dst_ip),
            not m & M_DPORT or ((rec["is_udp"] or rec["is_tcp"]) and rec["dst_port"] == self.dst_port),
        ))


def steer_decide(frame: bytes, *, key: bytes, rss_ctrl: int, reta: list[int], filters: list[Filter],
                 default_queue: int) -> dict[str, int]:
    """rx_steer's decision for a frame (docs/rtl-rx-steer.md): the first hitting filter (drop or
    its queue), else RSS for IPv4 (Toeplitz over the addresses, and the ports for TCP/UDP when
    RSS_CTRL enables them; queue = RETA[hash % len(RETA)]), else the default queue. The parse
    record's fields come along."""
    rec = parse_headers(frame)
    hash_value = 0
    if rec["is_ipv4"]:
        ports = (rec["is_tcp"] and rss_ctrl & 1) or (rec["is_udp"] and rss_ctrl & 2)
        data = rec["src_ip"].to_bytes(4, "big") + rec["dst_ip"].to_bytes(4, "big")
        if ports:
            data += rec["src_port"].to_bytes(2, "big") + rec["dst_port"].to_bytes(2, "big")
        hash_value = toeplitz(key, data)
    hit = next((i for i, f in enumerate(filters) if f.matches(rec)), None)
    drop = 0
    if hit is not None:
        drop = filters[hit].drop
        queue = 0 if drop else filters[hit].queue
    elif rec["is_ipv4"]:
        queue = reta[hash_value % len(reta)]
    else:
        queue = default_queue
    return {
        "drop": drop,
        "queue": queue,
        "hash": hash_value,
        "hash_valid": rec["is_ipv4"],
        "filter_hit": int(hit is not None),
        "filter_index": hit or 0,
        **rec,
    }


@dataclass
class Parsed:
    is_ipv4: bool = False
    l3: int = 14
    ihl4: int = 0
    tot: int = 0
    frag: bool = False
    proto: int = 0
    n: int = 0

    @property
    def truncated(self) -> bool:
        return self.is_ipv4 and self.n < self.l3 + self.tot


def csum_parse(f: bytes) -> Parsed:
    p = Parsed(n=len(f))
    if len(f) < 14:
        return p
    vlan = f[12:14] == b"\x81\x00"
    p.l3 = l3 = 18 if vlan else 14
    if len(f) < l3 + 20 or f[l3 - 2:l3] != b"\x08\x00" or f[l3] >> 4 != 4 or f[l3] & 15 < 5:
        return p
    p.is_ipv4 = True
    p.ihl4 = (f[l3] & 15) * 4
    p.tot = int.from_bytes(f[l3 + 2:l3 + 4], "big")
    p.frag = bool(f[l3 + 6] & 0x20) or ((f[l3 + 6] & 0x1F) << 8 | f[l3 + 7]) != 0
    p.proto = f[l3 + 9]
    return p


def rx_csum_model(f: bytes) -> dict[str, int]:
    """Expected rx_csum record for frame f (the RTL's documented semantics, scapy's checksum)."""
    p = csum_parse(f)
    rec = dict(is_ipv4=0, ip_csum_ok=0, is_udp=0, l4_csum_present=0, l4_csum_ok=0, fragment=0, truncated=0)
    if not p.is_ipv4:
        return rec
    l3, l4 = p.l3, p.l3 + p.ihl4
    rec["is_ipv4"] = 1
    rec["truncated"] = int(p.truncated)
    rec["fragment"] = int(p.frag)
    rec["ip_csum_ok"] = int(p.n >= l4 and p.tot >= p.ihl4 and not p.truncated and checksum(f[l3:l4]) == 0)
    rec["is_udp"] = int(p.proto == 17)
    present = p.proto == 17 and not p.frag and p.n >= l4 + 8 and f[l4 + 6:l4 + 8] != b"\0\0"
    rec["l4_csum_present"] = int(present)
    if present and not p.truncated and p.tot >= p.ihl4 + 8:
        pseudo = f[l3 + 12:l3 + 20] + b"\x00\x11" + (p.tot - p.ihl4).to_bytes(2, "big")
        rec["l4_csum_ok"] = int(checksum(pseudo + f[l4:l3 + p.tot]) == 0)
    return rec
