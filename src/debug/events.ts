// Driver events for the waveform: the one table of event kinds. A driver calls
// `dev.trace(kind, queue, index)`; the bridge session records every event and, in a run with
// waves, sends it as a MARK that sets the co-simulation toplevel's tb_evt_* signals
// (tb/cosim/zcnic_cosim_top.v). The GTKWave translate filter that shows tb_evt_kind by name is
// generated from this table (eventFilterFile), and queue errors become named markers.

import { MARK_LIMITS } from '../abi/link.js';

/** Event kinds (tb_evt_kind), 1..255; 0 is the signal's value before the first event. */
export const TRACE_EVENT = {
  /** The driver wrote a TX queue's PROD; index = the new producer index. */
  DOORBELL_TX: 1,
  /** The driver wrote an RX queue's PROD (refill); index = the new producer index. */
  DOORBELL_RX: 2,
  /** The driver's interrupt handler ran; queue = the queue it serves (if one), index = the vector. */
  IRQ: 3,
  /** A NAPI poll ended; index = the budget it used. */
  NAPI_POLL: 4,
  /** NAPI completed (polled dry) and the vector was re-armed; index = the budget used by the last poll. */
  NAPI_COMPLETE: 5,
  /** The driver found a queue in its error state; index = STATUS.DESC_INDEX. */
  QUEUE_ERROR: 6,
  /** The driver reset a queue (CTRL.RESET); index = the consumer index before the reset. */
  QUEUE_RESET: 7,
  /** A reset queue runs again; index = its producer index. */
  QUEUE_RECOVERED: 8,
  /** A TX queue was stopped (ring full); index = its producer index. */
  TXQ_STOP: 9,
  /** A stopped TX queue was woken; index = its producer index. */
  TXQ_WAKE: 10,
  /** Anything a scenario or a test wants to see in the waves (phases); queue and index are its own. */
  USER: 11,
} as const;

export type TraceEventName = keyof typeof TRACE_EVENT;

/**
 * The queue byte: a queue number, 0..15. For the kinds that do not say the direction (IRQ, NAPI_*,
 * QUEUE_*), an RX queue carries TRACE_QUEUE_RX, so RXQ 2 (0x82) and TXQ 2 (0x02) differ.
 */
export const TRACE_QUEUE_RX = 0x80;

/** The queue byte of TX queue q or RX queue q. */
export function traceQueue(dir: 'tx' | 'rx', q: number): number {
  return dir === 'rx' ? TRACE_QUEUE_RX | q : q;
}

/** One event as the host saw it. */
export interface TraceRecord {
  /** The cycle it shows in the waveform: stamped like an MMIO write, one link latency after the host did it. */
  readonly cycle: number;
  /** Host time when the driver traced it. */
  readonly hostCycle: number;
  readonly kind: number;
  readonly queue: number;
  readonly index: number;
}

const NAME_BY_CODE = new Map<number, TraceEventName>(
  (Object.entries(TRACE_EVENT) as [TraceEventName, number][]).map(([n, c]) => [c, n]),
);

/** The name of an event kind, or `kind N` for a code outside the table. */
export function traceEventName(kind: number): string {
  return NAME_BY_CODE.get(kind) ?? `kind ${kind}`;
}

/** Is (kind, queue, index) something MARK can carry? The offending field and why, or undefined. */
export function traceArgProblem(kind: number, queue: number, index: number): { field: string; detail: string } | undefined {
  const check = (field: string, v: number, min: number, max: number): { field: string; detail: string } | undefined =>
    Number.isInteger(v) && v >= min && v <= max ? undefined : { field, detail: `${field} must be an integer in ${min}..${max}, got ${v}` };
  return check('kind', kind, 1, MARK_LIMITS.KIND_MAX) ?? check('queue', queue, 0, MARK_LIMITS.QUEUE_MAX) ?? check('index', index, 0, MARK_LIMITS.INDEX_MAX);
}

/** `TXQ 2` / `RXQ 2` for the queue byte. */
export function queueLabel(queue: number): string {
  return queue & TRACE_QUEUE_RX ? `RXQ ${queue & ~TRACE_QUEUE_RX}` : `TXQ ${queue}`;
}

/** One line for a legend or a marker: `QUEUE_ERROR RXQ 1 index 17`. */
export function describeTrace(e: Pick<TraceRecord, 'kind' | 'queue' | 'index'>): string {
  return `${traceEventName(e.kind)} ${queueLabel(e.queue)} index ${e.index}`;
}

/** The kinds that are faults and so get one of GTKWave's 26 named markers. */
export const FAULT_KINDS: ReadonlySet<number> = new Set([TRACE_EVENT.QUEUE_ERROR]);

/** Driver events a run keeps: every fault event, and this many of the most recent others. */
export const TRACE_KEEP = 1 << 17;

/**
 * Record a driver event in `log`. A long run (millions of frames) keeps every fault event (the
 * waveform's markers) and the most recent TRACE_KEEP others, so memory stays bounded; returns
 * how many old events were let go.
 */
export function traceRecord(log: TraceRecord[], r: TraceRecord): number {
  log.push(r);
  if (log.length < 2 * TRACE_KEEP) return 0;
  const cut = log.length - TRACE_KEEP;
  const kept = log.filter((e, i) => i >= cut || FAULT_KINDS.has(e.kind));
  const dropped = log.length - kept.length;
  log.length = 0;
  for (const e of kept) log.push(e);
  return dropped;
}

/**
 * GTKWave translate filter file for tb_evt_kind (shown in decimal): one `value name` line per
 * kind, GTKWave's "Translate Filter File" format. Deterministic; the text of `waves.events.txt`.
 */
export function eventFilterFile(): string {
  const lines = ['# zcnic driver events: tb_evt_kind (decimal) -> name; generated from src/debug/events.ts', '0 none'];
  for (const [name, code] of Object.entries(TRACE_EVENT)) lines.push(`${code} ${name}`);
  return lines.join('\n') + '\n';
}
