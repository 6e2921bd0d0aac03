import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MAX_FRAME, RX_CSUM, TX_FLAG } from '../../../../src/abi/regs.js';
import { IP_CSUM_OFF, UDP_CSUM_OFF, rxCsum, rxCsumBits, txCsum } from '../../../../src/model/csum.js';
import { parseHeaders } from '../../../../src/model/parse.js';
import { steerDecide } from '../../../../src/model/steer.js';
import {
  PKTGEN_DROP_PORT, PKTGEN_FILTER_PORT, PKTGEN_OTHER_MAC, Pktgen, type PktgenFrame, TX_FRAG_MAX, pktgenSteering, seqOf, sgFragments,
} from '../../../../src/scenarios/lib/pktgen.js';
import { Rng } from '../../../../src/lib/rng.js';

const N = 2000;
const frames = new Pktgen({ seed: 42, txQueues: 4, firstSeq: 1000 }).take(N);
const { IPV4, IP_OK, UDP, L4_PRESENT, L4_OK, FRAGMENT } = RX_CSUM;
const count = (pred: (f: PktgenFrame) => boolean): number => frames.filter(pred).length;

describe('pktgen', () => {
  it('is deterministic: the same seed gives the same frames, another seed others', () => {
    // a digest of every field of every frame: exact, and far cheaper than a deep comparison
    const digest = (fs: PktgenFrame[]): string => {
      const h = createHash('sha256');
      for (const f of fs) h.update(JSON.stringify([f.seq, f.txq, f.flow, f.csum, f.txFlags])).update(f.wire).update(f.sent);
      return h.digest('hex');
    };
    expect(digest(new Pktgen({ seed: 42, txQueues: 4, firstSeq: 1000 }).take(N))).toBe(digest(frames));
    const other = new Pktgen({ seed: 43, txQueues: 4, firstSeq: 1000 }).take(50);
    expect(other.map((f) => f.wire)).not.toEqual(frames.slice(0, 50).map((f) => f.wire));
  });

  it('numbers frames in order and carries the number where seqOf finds it', () => {
    frames.forEach((f, i) => {
      expect(f.seq).toBe(1000 + i);
      expect(seqOf(f.wire)).toBe(f.seq);
    });
    expect(seqOf(new Uint8Array(20))).toBeNull();
  });

  it('makes 60..9000-byte frames, the extremes included, over every TX queue; and honours other bounds', () => {
    const lens = frames.map((f) => f.wire.length);
    expect(Math.min(...lens)).toBe(60);
    expect(Math.max(...lens)).toBe(9000);
    expect(new Set(frames.map((f) => f.txq))).toEqual(new Set([0, 1, 2, 3]));
    for (const f of new Pktgen({ seed: 1, txQueues: 1, minLen: 200, maxLen: 1500 }).take(300)) {
      expect(f.wire.length).toBeGreaterThanOrEqual(200);
      expect(f.wire.length).toBeLessThanOrEqual(1500);
    }
    expect(() => new Pktgen({ seed: 1, txQueues: 1, minLen: 59 })).toThrow(RangeError);
  });

  it('mixes every kind of frame', () => {
    for (const kind of ['udp', 'tcp', 'frag', 'arp', 'raw'] as const) expect(count((f) => f.flow.kind === kind), kind).toBeGreaterThan(20);
    for (const c of ['good', 'bad_ip', 'bad_udp', 'no_udp_csum', 'none'] as const) expect(count((f) => f.csum === c), c).toBeGreaterThan(20);
    expect(count((f) => f.flow.vid !== null && f.flow.kind === 'udp')).toBeGreaterThan(20);
    expect(count((f) => f.flow.vid !== null && f.flow.kind !== 'udp')).toBeGreaterThan(0);
    expect(count((f) => f.flow.ip_opts > 0)).toBeGreaterThan(20);
    expect(count((f) => f.flow.tcp_opts > 0)).toBeGreaterThan(20);
    expect(count((f) => f.flow.dst_port === PKTGEN_FILTER_PORT)).toBeGreaterThan(20);
    expect(count((f) => f.flow.dst_port === PKTGEN_DROP_PORT)).toBeGreaterThan(20);
    expect(count((f) => f.flow.dst_mac === PKTGEN_OTHER_MAC)).toBeGreaterThan(20);
    expect(count((f) => (f.txFlags & TX_FLAG.CSUM_IP) !== 0)).toBeGreaterThan(200);
    expect(count((f) => (f.txFlags & TX_FLAG.CSUM_UDP) !== 0 && f.flow.kind === 'udp')).toBeGreaterThan(200);
    expect(count((f) => f.txFlags === 0 && f.flow.kind === 'udp')).toBeGreaterThan(100);
    // padded short datagrams (IP total length below the frame)
    expect(count((f) => f.flow.kind !== 'arp' && f.flow.kind !== 'raw' && 14 + (f.flow.vid === null ? 0 : 4) + parseTot(f) < f.wire.length)).toBeGreaterThan(5);
    expect(frames.every((f) => f.wire.length <= MAX_FRAME && (f.txFlags & TX_FLAG.EOP) === 0)).toBe(true);
  });

  it('hands the NIC bytes that its TX checksum insertion turns into the wire frame', () => {
    for (const f of frames) {
      // Buffer.equals: exact, and fast enough for 2,000 frames (a deep toEqual is not)
      expect(Buffer.from(txCsum(f.sent, f.txFlags).frame).equals(f.wire), `frame ${f.seq}`).toBe(true);
      // they differ in checksum fields only, and only where offload is asked
      const l3 = f.flow.vid === null ? 14 : 18;
      const fields = [l3 + IP_CSUM_OFF, l3 + 20 + f.flow.ip_opts + UDP_CSUM_OFF];
      for (let i = 0; i < f.wire.length; i++) {
        if (f.wire[i] !== f.sent[i]) expect(fields.some((o) => i === o || i === o + 1)).toBe(true);
      }
    }
    expect(count((f) => f.sent.some((b, i) => b !== f.wire[i]))).toBeGreaterThan(200);
  });

  it('gives the RX verdict each frame is made for', () => {
    const want = (f: PktgenFrame): number => {
      if (f.flow.kind === 'arp' || f.flow.kind === 'raw') return 0;
      const ip = IPV4 | (f.csum === 'bad_ip' ? 0 : IP_OK);
      if (f.flow.kind === 'tcp') return ip;
      if (f.flow.kind === 'frag') return ip | UDP | FRAGMENT;
      return ip | UDP | (f.csum === 'no_udp_csum' ? 0 : L4_PRESENT) | (f.csum === 'bad_udp' || f.csum === 'no_udp_csum' ? 0 : L4_OK);
    };
    for (const f of frames) expect(rxCsumBits(rxCsum(f.wire)), `seq ${f.seq} ${f.flow.kind} ${f.csum}`).toBe(want(f));
  });

  it('sends the filter port, the drop port, ARP and the other MAC to the filters pktgenSteering sets', () => {
    const t = pktgenSteering({ seed: 9, rxQueues: 3, filters: 16, rssEntries: 128 });
    for (const f of frames) {
      const d = steerDecide(parseHeaders(f.wire), t);
      const hit = f.flow.dst_port === PKTGEN_FILTER_PORT ? 0 : f.flow.dst_port === PKTGEN_DROP_PORT ? 1
        : f.flow.kind === 'arp' ? 2 : f.flow.dst_mac === PKTGEN_OTHER_MAC ? 3 : null;
      expect({ hit: d.filter_hit, index: d.filter_index }).toEqual({ hit: hit !== null, index: hit ?? 0 });
      if (hit === 0) expect(d.queue).toBe(2);
      expect(d.drop).toBe(hit === 1);
      expect(d.queue).toBeLessThan(3);
    }
  });
});

function parseTot(f: PktgenFrame): number {
  const l3 = f.flow.vid === null ? 14 : 18;
  return (f.wire[l3 + 2]! << 8) | f.wire[l3 + 3]!;
}

describe('scatter-gather fragments', () => {
  it('cover the frame in 1..maxFrags pieces of 1..4096 bytes, none crossing a page at its offset', () => {
    const rng = new Rng(7);
    let boundary = 0;
    let ones = 0;
    for (let i = 0; i < 3000; i++) {
      const len = rng.int(1, MAX_FRAME);
      const maxFrags = rng.int(Math.ceil(len / TX_FRAG_MAX), 32);
      const sg = sgFragments(rng, len, maxFrags);
      expect(sg.length).toBeGreaterThanOrEqual(1);
      expect(sg.length).toBeLessThanOrEqual(maxFrags);
      let off = 0;
      for (const s of sg) {
        expect(s.off).toBe(off);
        expect(s.len).toBeGreaterThanOrEqual(1);
        expect(s.pageOff).toBeGreaterThanOrEqual(0);
        expect(s.pageOff + s.len).toBeLessThanOrEqual(TX_FRAG_MAX);
        off += s.len;
        if (s.pageOff + s.len === TX_FRAG_MAX) boundary++;
        if (s.len === 1) ones++;
      }
      expect(off).toBe(len);
    }
    expect(boundary).toBeGreaterThan(1000);
    expect(ones).toBeGreaterThan(100);
  });

  it('are deterministic and refuse a frame that cannot fit', () => {
    expect(sgFragments(new Rng(3), 9000, 8)).toEqual(sgFragments(new Rng(3), 9000, 8));
    expect(sgFragments(new Rng(3), 4096, 1)).toEqual([{ off: 0, len: 4096, pageOff: 0 }]);
    expect(() => sgFragments(new Rng(3), 4097, 1)).toThrow(RangeError);
    expect(() => sgFragments(new Rng(3), 0, 4)).toThrow(RangeError);
  });
});
