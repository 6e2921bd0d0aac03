// The traffic scenario's frames and what the NIC must do with each: a first, self-contained
// generator (IPv4/UDP flows steered by exact-match filters on the destination port, one per RX
// queue, and non-IP frames to the default queue), until the full pktgen and steering model
// (RSS, VLAN, TCP, checksums) take its place.

import { RX_CSUM } from '../abi/regs.js';
import type { ZcnicEthtool } from '../driver/ethtool.js';
import { PAGE_SIZE } from '../mem/phys.js';
import { Rng } from '../util/rng.js';

export interface PktgenFrame {
  readonly seq: number;
  readonly txq: number;
  readonly kind: 'udp' | 'raw';
  /** What must arrive (and appear on the wire). */
  readonly wire: Uint8Array;
  /** What the driver hands the NIC. */
  readonly sent: Uint8Array;
  readonly csumIp: boolean;
  readonly csumL4: boolean;
  /** UDP destination port (0 for raw frames). */
  readonly dport: number;
}

export interface RxExpectation {
  readonly drop: boolean;
  readonly queue: number;
  readonly rssHash: number;
  readonly hashValid: boolean;
  readonly filterHit: boolean;
  readonly filterIndex: number;
  readonly csum: number;
  readonly hdrLen: number;
  readonly split: boolean;
  readonly descriptors: number;
}

export interface Steering {
  readonly rxQueues: number;
  readonly defaultQueue: number;
}

const BASE_PORT = 5000;
const DROP_PORT = 9;
const ETH_HLEN = 14;
const UDP_HDR_END = ETH_HLEN + 20 + 8;
const RAW_ETHERTYPE = 0x88b5;
const SEQ_MAGIC = 0x5a;

function ipChecksum(b: Uint8Array, off: number, len: number): number {
  let s = 0;
  for (let i = 0; i < len; i += 2) s += (b[off + i]! << 8) | (b[off + i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** `n` frames over every TX queue: sizes 60..9000, UDP to one port per RX queue, some raw. */
export function trafficFrames(seed: number, n: number, txQueues: number, rxQueues = 4): PktgenFrame[] {
  const rng = new Rng(seed * 7919 + 1);
  const out: PktgenFrame[] = [];
  for (let seq = 0; seq < n; seq++) {
    const txq = seq % txQueues;
    const r = rng.int(0, 99);
    const len = r < 15 ? rng.int(60, 127) : r < 55 ? rng.int(128, 1514) : r < 80 ? rng.int(1515, 4096) : rng.int(4097, 9000);
    const raw = rng.int(0, 99) < 8;
    const drop = !raw && rng.int(0, 99) < 3;
    const f = new Uint8Array(len);
    f.set([0x02, 0, 0, 0, 0, 0x01, 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee], 0);
    const dport = raw ? 0 : drop ? DROP_PORT : BASE_PORT + rng.int(0, rxQueues - 1);
    let payloadAt: number;
    if (raw) {
      f[12] = RAW_ETHERTYPE >> 8;
      f[13] = RAW_ETHERTYPE & 0xff;
      payloadAt = ETH_HLEN;
    } else {
      f[12] = 0x08;
      f[13] = 0x00;
      const ip = ETH_HLEN;
      const totLen = len - ETH_HLEN;
      f.set([0x45, 0, totLen >> 8, totLen & 0xff, (seq >> 8) & 0xff, seq & 0xff, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1 + (seq % 5), 10, 0, 1, 1], ip);
      const sport = 1024 + rng.int(0, 60000);
      const udpLen = totLen - 20;
      f.set([sport >> 8, sport & 0xff, dport >> 8, dport & 0xff, udpLen >> 8, udpLen & 0xff, 0, 0], ip + 20);
      payloadAt = UDP_HDR_END;
    }
    f[payloadAt] = SEQ_MAGIC;
    f[payloadAt + 1] = (seq >>> 16) & 0xff;
    f[payloadAt + 2] = (seq >>> 8) & 0xff;
    f[payloadAt + 3] = seq & 0xff;
    f.set(rng.bytes(len - payloadAt - 4), payloadAt + 4);
    const csumIp = !raw && rng.int(0, 1) === 1;
    if (!raw) {
      const c = ipChecksum(f, ETH_HLEN, 20);
      f[ETH_HLEN + 10] = c >> 8;
      f[ETH_HLEN + 11] = c & 0xff;
    }
    const sent = f.slice();
    if (csumIp) sent.set([0x6b, 0x6b], ETH_HLEN + 10); // junk the NIC must overwrite
    out.push({ seq, txq, kind: raw ? 'raw' : 'udp', wire: f, sent, csumIp, csumL4: false, dport });
  }
  return out;
}

/** The sequence number a frame carries right after its headers. */
export function seqOf(frame: Uint8Array): number | undefined {
  const at = frame[12] === 0x08 && frame[13] === 0 ? UDP_HDR_END : ETH_HLEN;
  if (frame.length < at + 4 || frame[at] !== SEQ_MAGIC) return undefined;
  return (frame[at + 1]! << 16) | (frame[at + 2]! << 8) | frame[at + 3]!;
}

/** Filters 0..Q-1 steer UDP port BASE+q to RX queue q; filter Q drops the discard port. */
export async function programSteering(et: ZcnicEthtool, rng: Rng, rxQueues: number): Promise<Steering> {
  for (let q = 0; q < rxQueues; q++) {
    const rc = await et.set_rxnfc_insert({ location: q, ipProto: 17, dstPort: BASE_PORT + q, action: q });
    if (rc) throw new Error(`filter for queue ${q}: errno ${rc}`);
  }
  if (await et.set_rxnfc_insert({ location: rxQueues, ipProto: 17, dstPort: DROP_PORT, action: 'drop' })) throw new Error('drop filter refused');
  // queue 2 takes the non-IP frames: unsplit, in the writable page mode
  void rng;
  const defaultQueue = rxQueues > 2 ? 2 : 0;
  if (await et.set_default_queue(defaultQueue)) throw new Error('default queue refused');
  return { rxQueues, defaultQueue };
}

/** What the NIC must report for `wire` (header split on, HDR_SIZE >= 42, BUF_SIZE as given). */
export function expectRx(f: PktgenFrame, st: Steering, q: (queue: number) => { readonly hdrSplit: boolean; readonly bufSize: number }): RxExpectation & { hashChecked: boolean } {
  const udp = f.kind === 'udp';
  const drop = udp && f.dport === DROP_PORT;
  const filterIndex = udp ? (drop ? st.rxQueues : f.dport - BASE_PORT) : 0;
  const queue = udp ? (drop ? 0 : f.dport - BASE_PORT) : st.defaultQueue;
  const split = udp && !drop && q(queue).hdrSplit;
  const hdrLen = split ? UDP_HDR_END : 0;
  const payload = f.wire.length - hdrLen;
  return {
    drop,
    queue,
    rssHash: 0,
    hashValid: udp,
    hashChecked: false,
    filterHit: udp,
    filterIndex,
    csum: udp ? RX_CSUM.IPV4 | RX_CSUM.IP_OK | RX_CSUM.UDP : 0,
    hdrLen,
    split,
    descriptors: Math.max(1, Math.ceil(payload / q(queue).bufSize)),
  };
}

/** Scatter-gather pieces of a frame: the first is the linear part (at least the headers). */
export function sgSplit(rng: Rng, len: number): number[] {
  const first = Math.min(len, rng.int(UDP_HDR_END, 256));
  const out = [first];
  let left = len - first;
  while (left > 0) {
    // at most 12 page fragments (MAX_SKB_FRAGS is 17); the last takes what is left
    const n = out.length === 12 ? left : Math.min(left, rng.int(512, PAGE_SIZE));
    out.push(n);
    left -= n;
  }
  return out;
}
