// RX steering as rx_steer decides it (docs/rtl-rx-steer.md "Decision"; netmodel.py
// steer_decide): exact-match filters in index order, else RSS for IPv4 (Toeplitz hash,
// indirection table), else the default queue. The tables are what a driver programs into the
// STEER register window (steerRegWrites) and what a scoreboard predicts from.

import { STEER } from '../abi/regs.js';
import type { RxParse } from './parse.js';
import { RSS_KEY_BYTES, MS_RSS_KEY, toeplitz } from './toeplitz.js';

/** RSS_CTRL bits (rx_steer_regs; reset 0x3): hash the ports of TCP / UDP frames, else the addresses only. */
export const RSS_CTRL = { TCP_PORTS: 1 << 0, UDP_PORTS: 1 << 1 } as const;

/** One exact-match filter (FILTER f: CTRL, MAC_LO/HI, TYPE, DST_IP, DST_PORT). */
export interface SteerFilter {
  readonly enable: boolean;
  /** Drop the frame (ethtool's RX_CLS_FLOW_DISC) instead of delivering it to `queue`. */
  readonly drop: boolean;
  /** STEER.M_* bits: the fields that must match; an enabled filter with none matches everything. */
  readonly mask: number;
  readonly queue: number;
  readonly dst_mac: number;
  readonly ethertype: number;
  readonly ip_proto: number;
  readonly dst_ip: number;
  readonly dst_port: number;
}

/** The steering tables (ethtool_rxfh's key and indir, the ntuple filters, the default queue). */
export interface SteerTables {
  /** RSS key, RSS_KEY_BYTES bytes. */
  readonly key: Uint8Array;
  /** Indirection table (RETA): RSS_ENTRIES queue numbers, a power of 2 in 4..1024. */
  readonly indir: readonly number[];
  /** Filter table, index order (lowest hitting index wins). */
  readonly filters: readonly SteerFilter[];
  /** Queue for frames that no filter hits and that are not IPv4. */
  readonly default_queue: number;
  readonly rss_ctrl: number;
}

export const NO_FILTER: SteerFilter = {
  enable: false, drop: false, mask: 0, queue: 0, dst_mac: 0, ethertype: 0, ip_proto: 0, dst_ip: 0, dst_port: 0,
};

/** An enabled filter: the given fields, the rest 0. */
export const steerFilter = (f: Partial<SteerFilter>): SteerFilter => ({ ...NO_FILTER, enable: true, ...f });

/** rx_steer's tables after reset: the Microsoft key, RETA entry i = i % queues, no filters. */
export function steerReset(queues: number, filters: number, rssEntries: number): SteerTables {
  return {
    key: MS_RSS_KEY.slice(),
    indir: Array.from({ length: rssEntries }, (_, i) => i % queues),
    filters: Array.from({ length: filters }, () => NO_FILTER),
    default_queue: 0,
    rss_ctrl: RSS_CTRL.TCP_PORTS | RSS_CTRL.UDP_PORTS,
  };
}

export interface SteerDecision {
  readonly drop: boolean;
  /** The queue (0 for a drop). */
  readonly queue: number;
  /** Toeplitz hash, reported for every IPv4 frame whoever decided (0 otherwise). */
  readonly hash: number;
  readonly hash_valid: boolean;
  readonly filter_hit: boolean;
  /** The hitting filter (0 without a hit). */
  readonly filter_index: number;
}

/** The 12-byte hash input: src IP, dst IP, src port, dst port; the ports 0 unless RSS_CTRL selects them. */
export function rssInput(rec: RxParse, rssCtrl: number): Uint8Array {
  const t = new Uint8Array(12);
  const v = new DataView(t.buffer);
  if (!rec.is_ipv4) return t;
  v.setUint32(0, rec.src_ip);
  v.setUint32(4, rec.dst_ip);
  if ((rec.is_tcp && rssCtrl & RSS_CTRL.TCP_PORTS) || (rec.is_udp && rssCtrl & RSS_CTRL.UDP_PORTS)) {
    v.setUint16(8, rec.src_port);
    v.setUint16(10, rec.dst_port);
  }
  return t;
}

/** IP fields match only IPv4 frames, the port only UDP/TCP (non-fragment) frames. */
export function filterMatches(f: SteerFilter, rec: RxParse): boolean {
  const m = f.mask;
  return f.enable
    && (!(m & STEER.M_DST_MAC) || rec.dst_mac === f.dst_mac)
    && (!(m & STEER.M_ETHERTYPE) || rec.ethertype === f.ethertype)
    && (!(m & STEER.M_IP_PROTO) || (rec.is_ipv4 && rec.ip_proto === f.ip_proto))
    && (!(m & STEER.M_DST_IP) || (rec.is_ipv4 && rec.dst_ip === f.dst_ip))
    && (!(m & STEER.M_DST_PORT) || ((rec.is_udp || rec.is_tcp) && rec.dst_port === f.dst_port));
}

export function steerDecide(rec: RxParse, t: SteerTables): SteerDecision {
  const hash = rec.is_ipv4 ? toeplitz(t.key, rssInput(rec, t.rss_ctrl)) : 0;
  const hit = t.filters.findIndex((f) => filterMatches(f, rec));
  const base = { hash, hash_valid: rec.is_ipv4, filter_hit: hit >= 0, filter_index: Math.max(hit, 0) };
  if (hit >= 0) {
    const f = t.filters[hit]!;
    return { ...base, drop: f.drop, queue: f.drop ? 0 : f.queue };
  }
  // RSS_ENTRIES is a power of 2: the RTL indexes with the hash's low bits
  return { ...base, drop: false, queue: rec.is_ipv4 ? t.indir[hash % t.indir.length]! : t.default_queue };
}

export interface RegWrite {
  /** Byte offset in the register window (STEER.BASE + the rx_steer address). */
  readonly offset: number;
  readonly value: number;
}

const pow2 = (n: number): boolean => Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;

/**
 * The register writes that program `t` into the NIC: default queue, RSS_CTRL, key, RETA, then
 * each filter disabled, its values, and its CTRL last (the safe order for a live filter).
 */
export function steerRegWrites(t: SteerTables): RegWrite[] {
  if (t.key.length !== RSS_KEY_BYTES) throw new RangeError(`RSS key of ${t.key.length} bytes, not ${RSS_KEY_BYTES}`);
  if (!pow2(t.indir.length) || t.indir.length < 4 || t.indir.length > 1024) {
    throw new RangeError(`indirection table of ${t.indir.length} entries: a power of 2 in 4..1024`);
  }
  const w = (offset: number, value: number): RegWrite => ({ offset: STEER.BASE + offset, value: value >>> 0 });
  const out = [w(STEER.DEFAULT_QUEUE, t.default_queue), w(STEER.RSS_CTRL, t.rss_ctrl)];
  const key = new DataView(t.key.buffer, t.key.byteOffset, t.key.byteLength);
  for (let k = 0; k < RSS_KEY_BYTES / 4; k++) out.push(w(STEER.RSS_KEY + 4 * k, key.getUint32(4 * k)));
  for (let i = 0; i < t.indir.length; i += 4) {
    out.push(w(STEER.RETA + i, t.indir[i]! | (t.indir[i + 1]! << 8) | (t.indir[i + 2]! << 16) | (t.indir[i + 3]! << 24)));
  }
  t.filters.forEach((f, i) => {
    const fb = STEER.FILTER + i * STEER.FILTER_STRIDE;
    out.push(
      w(fb + STEER.F_CTRL, 0),
      w(fb + STEER.F_MAC_LO, f.dst_mac % 2 ** 32),
      w(fb + STEER.F_MAC_HI, Math.floor(f.dst_mac / 2 ** 32)),
      w(fb + STEER.F_TYPE, f.ethertype | (f.ip_proto << 16)),
      w(fb + STEER.F_DST_IP, f.dst_ip),
      w(fb + STEER.F_DST_PORT, f.dst_port),
    );
    if (f.enable) {
      const ctrl = STEER.F_ENABLE | (f.drop ? STEER.F_DROP : 0) | (f.mask << STEER.F_MASK_SHIFT) | f.queue;
      out.push(w(fb + STEER.F_CTRL, ctrl));
    }
  });
  return out;
}
