// The differential check behind `make sim SCENARIO=diff`: the same seeded traffic and driver
// actions on the RTL and on the reference model, then every delivered frame (by its sequence
// number: the backends' timing may interleave queues differently), every field of its RX
// completions, the drops by cause and every STAT_* counter compared. The first difference names
// the frame, its queue, the field, both values and the cycle on each side.

import { createHash } from 'node:crypto';
import { CQE_PHASE, REGS, RX_CQE } from '../../abi/regs.js';
import { layoutGet } from '../../abi/layout.js';

/** One frame as the driver received it. */
export interface Delivery {
  readonly seq: number;
  readonly queue: number;
  readonly cycle: number;
  /** sha256 of the frame's bytes (first 16 hex digits). */
  readonly bytes: string;
  readonly len: number;
  /** Per completion: every RX_CQE field but COOKIE and INDEX (ring positions), FLAGS without the phase bit. */
  readonly cqes: readonly Readonly<Record<CqeField, number>>[];
}

const CQE_FIELDS = ['QUEUE', 'CSUM', 'HDR_LEN', 'DATA_LEN', 'RSS_HASH', 'FILTER_INDEX', 'FRAME_LEN', 'FLAGS'] as const;
type CqeField = (typeof CQE_FIELDS)[number];

export function delivery(seq: number, bytes: Uint8Array, cqes: readonly Uint8Array[], cycle: number): Delivery {
  return {
    seq, cycle, len: bytes.length,
    queue: cqes[0] ? layoutGet(RX_CQE, cqes[0], 'QUEUE') : -1,
    bytes: createHash('sha256').update(bytes).digest('hex').slice(0, 16),
    cqes: cqes.map((c) => Object.fromEntries(CQE_FIELDS.map((f) => [f, f === 'FLAGS' ? layoutGet(RX_CQE, c, f) & ~CQE_PHASE : layoutGet(RX_CQE, c, f)])) as Record<CqeField, number>),
  };
}

export interface DiffSide {
  readonly label: string;
  readonly deliveries: readonly Delivery[];
  /** ethtool -S of the run (the device's STAT_* counters among them). */
  readonly stats: Readonly<Record<string, number>>;
}

export interface Difference {
  readonly seq: number | null;
  readonly queue: number | null;
  readonly field: string;
  readonly values: readonly [string, string];
  readonly cycles: readonly [number | null, number | null];
  readonly text: string;
}

/** The device's counters as ethtool -S names them. */
export const STAT_KEYS = REGS.filter((r) => r.name.startsWith('STAT_')).map((r) => r.name.slice(5).toLowerCase());

/** The first difference between two runs, or null; frames in sequence order, then the counters. */
export function firstDifference(a: DiffSide, b: DiffSide): Difference | null {
  const bySeq = (s: DiffSide): Map<number, Delivery> => {
    const m = new Map<number, Delivery>();
    for (const d of s.deliveries) if (!m.has(d.seq)) m.set(d.seq, d);
    return m;
  };
  const ma = bySeq(a);
  const mb = bySeq(b);
  const seqs = [...new Set([...ma.keys(), ...mb.keys()])].sort((x, y) => x - y);
  const mk = (seq: number | null, queue: number | null, field: string, va: unknown, vb: unknown, ca: number | null, cb: number | null): Difference => ({
    seq, queue, field, values: [String(va), String(vb)], cycles: [ca, cb],
    text: `${seq !== null ? `frame seq ${seq}${queue !== null ? ` (RX queue ${queue} on ${a.label})` : ''}: ` : ''}${field} is ${String(va)} on ${a.label}` +
      `${ca !== null ? ` (cycle ${ca})` : ''}, ${String(vb)} on ${b.label}${cb !== null ? ` (cycle ${cb})` : ''}`,
  });
  for (const seq of seqs) {
    const x = ma.get(seq);
    const y = mb.get(seq);
    if (!x || !y) return mk(seq, x?.queue ?? y?.queue ?? null, 'delivered', x ? 'yes' : 'no', y ? 'yes' : 'no', x?.cycle ?? null, y?.cycle ?? null);
    if (x.len !== y.len) return mk(seq, x.queue, 'length', x.len, y.len, x.cycle, y.cycle);
    if (x.bytes !== y.bytes) return mk(seq, x.queue, 'bytes (sha256)', x.bytes, y.bytes, x.cycle, y.cycle);
    if (x.cqes.length !== y.cqes.length) return mk(seq, x.queue, 'completions', x.cqes.length, y.cqes.length, x.cycle, y.cycle);
    for (let k = 0; k < x.cqes.length; k++) {
      for (const f of CQE_FIELDS) {
        const va = x.cqes[k]![f];
        const vb = y.cqes[k]![f];
        if (va !== vb) return mk(seq, x.queue, `completion ${k} ${f}`, f === 'RSS_HASH' ? `0x${va.toString(16)}` : va, f === 'RSS_HASH' ? `0x${vb.toString(16)}` : vb, x.cycle, y.cycle);
      }
    }
  }
  for (const k of STAT_KEYS) {
    if (a.stats[k] !== b.stats[k]) return mk(null, null, `STAT_${k.toUpperCase()}`, a.stats[k], b.stats[k], null, null);
  }
  return null;
}
