import { describe, expect, it } from 'vitest';
import { RX_CSUM, TX_FLAG } from '../../../src/abi/regs.js';
import {
  IP_CSUM_OFF, TCP_CSUM_OFF, UDP_CSUM_OFF, csum_fold, csum_partial, ipHeaderCsum, l4Csum, rxCsum, rxCsumBits, txCsum,
} from '../../../src/model/csum.js';
import { IP_MF, be16, parseHeaders, put16 } from '../../../src/model/parse.js';
import { buildFrame, makeFlow } from '../../../src/scenarios/lib/pktgen.js';

const { IPV4, IP_OK, UDP, L4_PRESENT, L4_OK, FRAGMENT } = RX_CSUM;
const ALL_UDP = IPV4 | IP_OK | UDP | L4_PRESENT | L4_OK;
const bits = (f: Uint8Array): number => rxCsumBits(rxCsum(f));
const zcnic = new TextEncoder().encode('zcnic');
const udpField = (f: Uint8Array, l3 = 14): number => l3 + 4 * (f[l3]! & 15) + UDP_CSUM_OFF;
const withField = (f: Uint8Array, off: number, v: number): Uint8Array => {
  const g = f.slice();
  put16(g, off, v);
  return g;
};

/** A UDP frame (6-byte payload, checksum field 0) whose datagram and pseudo-header sum to 0xFFFF: its checksum computes to 0. */
function zeroSumUdp(): Uint8Array {
  const f = withField(buildFrame(makeFlow('udp'), new Uint8Array(6)), 40, 0);
  put16(f, 46, 0xffff - csum_partial(f, 34, 14, csum_partial(f, 26, 8, 17 + 14)));
  return f;
}

describe('one\'s-complement sums', () => {
  it('gives the textbook IPv4 header checksum (0xb861)', () => {
    const h = Uint8Array.from([0x45, 0, 0, 0x73, 0, 0, 0x40, 0, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8, 0, 1, 0xc0, 0xa8, 0, 0xc7]);
    expect(ipHeaderCsum(h, 0, 20)).toBe(0xb861);
    expect(csum_fold(csum_partial(h, 0, 20))).toBe(0);
    // an odd tail is padded with a zero byte; the fold is end-around
    expect(csum_partial(Uint8Array.from([0xff, 0xff, 0x00, 0x02, 0x01]), 0, 5)).toBe(0x0102);
  });

  it('matches scapy\'s checksums for a UDP and a TCP frame', () => {
    const u = buildFrame(makeFlow('udp'), zcnic);
    expect([u.length, be16(u, 14 + IP_CSUM_OFF), be16(u, 34 + UDP_CSUM_OFF)]).toEqual([47, 0x66ca, 0x8504]);
    const t = buildFrame(makeFlow('tcp'), zcnic);
    expect([be16(t, 14 + IP_CSUM_OFF), be16(t, 34 + TCP_CSUM_OFF)]).toEqual([0x26c9, 0x34f8]);
  });
});

describe('RX checksum verdict (rx_csum -> RX_CSUM)', () => {
  const u = buildFrame(makeFlow('udp'), zcnic);

  it('flags a good UDP frame fully, TCP as IPv4 only (no L4 check), ARP and raw frames not at all', () => {
    expect(bits(u)).toBe(ALL_UDP);
    expect(bits(buildFrame(makeFlow('tcp', { tcp_opts: 12 }), zcnic))).toBe(IPV4 | IP_OK);
    expect(bits(buildFrame(makeFlow('arp'), zcnic, { padTo: 60 }))).toBe(0);
    expect(bits(buildFrame(makeFlow('raw'), zcnic, { padTo: 60 }))).toBe(0);
  });

  it('reads UDP checksum 0 as "none": UDP, not L4_PRESENT', () => {
    expect(bits(withField(u, udpField(u), 0))).toBe(IPV4 | IP_OK | UDP);
  });

  it('flags bad IPv4 header and bad UDP checksums apart (the UDP sum does not cover the IP checksum)', () => {
    expect(bits(withField(u, 14 + IP_CSUM_OFF, 0x1234))).toBe(IPV4 | UDP | L4_PRESENT | L4_OK);
    expect(bits(withField(u, udpField(u), 0x1234))).toBe(IPV4 | IP_OK | UDP | L4_PRESENT);
  });

  it('does not check fragments at L4, whatever their offset', () => {
    expect(bits(buildFrame(makeFlow('frag'), zcnic, { frag: IP_MF }))).toBe(IPV4 | IP_OK | UDP | FRAGMENT);
    expect(bits(buildFrame(makeFlow('frag'), zcnic, { frag: 185 }))).toBe(IPV4 | IP_OK | UDP | FRAGMENT);
    // a first fragment with a good UDP header is still not checked
    const first = buildFrame(makeFlow('udp'), zcnic, { frag: IP_MF });
    expect(bits(first)).toBe(IPV4 | IP_OK | UDP | FRAGMENT);
  });

  it('handles a tag and IPv4 options', () => {
    const f = buildFrame(makeFlow('udp', { vid: 5, ip_opts: 40 }), zcnic);
    expect(parseHeaders(f)).toMatchObject({ l3_offset: 18, ihl: 15, l4_offset: 78, hdr_len: 86, is_udp: true });
    expect(bits(f)).toBe(ALL_UDP);
  });

  it('leaves Ethernet padding out of the sums', () => {
    const f = buildFrame(makeFlow('udp', { vid: 9 }), zcnic, { padTo: 60 });
    f.fill(0xa5, 51); // a trailer of junk after the datagram
    expect(f.length).toBe(60);
    expect(rxCsum(f)).toMatchObject({ truncated: false, ip_csum_ok: true, l4_csum_ok: true });
  });

  it('fails a frame cut short of its total length, the IP header too', () => {
    expect(rxCsum(u.subarray(0, 46))).toMatchObject({ is_ipv4: true, truncated: true, ip_csum_ok: false, l4_csum_present: true, l4_csum_ok: false });
  });

  it('counts a frame cut inside its IPv4 options as IPv4, unlike rx_parse (no hash for it)', () => {
    const f = buildFrame(makeFlow('udp', { ip_opts: 40 }), zcnic).subarray(0, 60);
    expect(bits(f)).toBe(IPV4 | UDP);
    expect(parseHeaders(f)).toMatchObject({ is_ipv4: false, truncated: true, hdr_len: 14 });
  });

  it('needs a total length covering the header (and the UDP header for L4)', () => {
    const short = withField(u, 16, 19); // total length 19 < IHL*4
    put16(short, 14 + IP_CSUM_OFF, ipHeaderCsum(short, 14, 20));
    expect(rxCsum(short)).toMatchObject({ is_ipv4: true, ip_csum_ok: false, l4_csum_ok: false, truncated: false });
  });

  it('takes the UDP length from the IP total length, never from the UDP header', () => {
    const f = withField(u, 34 + 4, 99);
    put16(f, udpField(f), l4Csum(f, 14, UDP_CSUM_OFF));
    expect(bits(f)).toBe(ALL_UDP);
  });

  it('accepts 0xFFFF, how a computed 0 is sent', () => {
    const f = zeroSumUdp();
    expect(l4Csum(f, 14, UDP_CSUM_OFF)).toBe(0xffff);
    expect(bits(withField(f, 40, 0xffff))).toBe(ALL_UDP);
  });
});

describe('TX checksum insertion (tx_csum)', () => {
  const good = buildFrame(makeFlow('udp', { ip_opts: 8, vid: 3 }), new Uint8Array(300).fill(7));
  const junk = withField(withField(good, 18 + IP_CSUM_OFF, 0xdead), udpField(good, 18), 0);

  it('fills in what is asked, whatever the fields held', () => {
    const both = txCsum(junk, TX_FLAG.CSUM_IP | TX_FLAG.CSUM_UDP);
    expect(both).toMatchObject({ ip_inserted: true, udp_inserted: true, ip_refused: false, udp_refused: false });
    expect(both.frame).toEqual(good);
    expect(txCsum(junk, TX_FLAG.CSUM_IP).frame).toEqual(withField(good, udpField(good, 18), 0));
    expect(txCsum(junk, TX_FLAG.CSUM_UDP).frame).toEqual(withField(good, 18 + IP_CSUM_OFF, 0xdead));
    expect(txCsum(junk, 0).frame).toEqual(junk);
    expect(junk[18 + IP_CSUM_OFF]).toBe(0xde); // the input is not touched
  });

  it('refuses UDP for TCP, fragments and non-IP, and IP for non-IP; those frames go out as they are', () => {
    const tcp = buildFrame(makeFlow('tcp'), zcnic);
    const t = txCsum(withField(tcp, 14 + IP_CSUM_OFF, 0), TX_FLAG.CSUM_IP | TX_FLAG.CSUM_UDP);
    expect(t).toMatchObject({ ip_inserted: true, udp_refused: true });
    expect(t.frame).toEqual(tcp);
    const frag = buildFrame(makeFlow('frag'), zcnic, { frag: IP_MF });
    expect(txCsum(frag, TX_FLAG.CSUM_UDP)).toMatchObject({ udp_refused: true, frame: frag });
    const arp = buildFrame(makeFlow('arp'), zcnic, { padTo: 60 });
    expect(txCsum(arp, TX_FLAG.CSUM_IP | TX_FLAG.CSUM_UDP)).toMatchObject({ ip_refused: true, udp_refused: true, frame: arp });
  });

  it('refuses UDP for a datagram cut short, and leaves padding alone', () => {
    const cut = junk.subarray(0, junk.length - 1);
    expect(txCsum(cut, TX_FLAG.CSUM_IP | TX_FLAG.CSUM_UDP)).toMatchObject({ ip_inserted: true, udp_refused: true });
    const padded = buildFrame(makeFlow('udp'), zcnic, { padTo: 60 });
    padded.fill(0x77, 47);
    expect(txCsum(withField(padded, 40, 0), TX_FLAG.CSUM_UDP).frame).toEqual(padded);
  });

  it('sends a computed 0 as 0xFFFF', () => {
    expect(be16(txCsum(zeroSumUdp(), TX_FLAG.CSUM_UDP).frame, 40)).toBe(0xffff);
  });
});
