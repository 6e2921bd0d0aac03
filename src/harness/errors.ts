// The errors of a run, as the harness reports them: the first one is the cause, located (host,
// simulated cycle and, where known, frame, queue and descriptor); what followed from it (a
// peer's timeout, a simulator stopped because another host failed) is listed after it.

import { BridgeError } from '../bridge/errors.js';

export type RunErrorKind =
  /** The host's software threw (a scenario's check, a user's assertion, a driver error). */
  | 'host'
  /** A bridge or simulator fault (dead peer, malformed frame, the simulator failed). */
  | 'bridge'
  /** No host made progress for the stuck bound. */
  | 'stuck'
  /** The run reached its cycle limit. */
  | 'limit'
  /** A check after the run (a pair scenario's losses, nothing held at the end). */
  | 'check'
  /** Stopped because of an earlier error. */
  | 'consequence';

/** Where in the traffic an error happened, as far as the error says. */
export interface FrameLocation {
  readonly seq?: number;
  readonly queue?: number | string;
  readonly desc?: number;
  readonly addr?: string;
}

export class RunError {
  constructor(
    readonly kind: RunErrorKind,
    /** 'host0', 'host1' (null: the run as a whole). */
    readonly host: string | null,
    /** The host's simulated cycle when it happened. */
    readonly cycle: number | null,
    readonly message: string,
    /** E_SCENARIO, E_STUCK, a BridgeError's or a typed error's code. */
    readonly code: string,
    readonly where: FrameLocation = {},
    /** What was thrown, for a test to rethrow (an assertion keeps its expected/actual). */
    readonly thrown?: unknown,
  ) {}

  /** `host1, cycle 123456: E_SCENARIO: datagram 57: ...` */
  text(): string {
    const at = [this.host, this.cycle !== null ? `cycle ${this.cycle}` : null].filter((s) => s !== null).join(', ');
    return `${at ? `${at}: ` : ''}${this.code}: ${this.message}`;
  }

  toJSON(): Record<string, unknown> {
    return {
      kind: this.kind, host: this.host, cycle: this.cycle, code: this.code, message: this.message,
      ...(Object.keys(this.where).length ? { where: this.where } : {}),
    };
  }
}

function field(e: object, ...names: string[]): unknown {
  for (const n of names) {
    const v = (e as Record<string, unknown>)[n];
    if (v !== undefined) return v;
  }
  const ctx = (e as { context?: unknown }).context;
  if (ctx && typeof ctx === 'object') {
    for (const n of names) {
      const v = (ctx as Record<string, unknown>)[n];
      if (v !== undefined) return v;
    }
  }
  return undefined;
}

/**
 * What a thrown value says of where it happened: typed errors carry `queue`, `index`, `addr`,
 * `seq` (themselves or in `context`); a scenario's message names `seq N` and `queue N`.
 */
export function locate(e: unknown): FrameLocation {
  if (!e || typeof e !== 'object') return {};
  const msg = e instanceof Error ? e.message : '';
  const out: { -readonly [K in keyof FrameLocation]: FrameLocation[K] } = {};
  const seq = field(e, 'seq');
  const m = /\b(?:seq|datagram|frame) (\d+)\b/.exec(msg);
  if (typeof seq === 'number') out.seq = seq;
  else if (m) out.seq = Number(m[1]);
  const q = field(e, 'queue');
  const mq = /\b(?:RX|TX) queue (\d+)\b/.exec(msg);
  if (typeof q === 'number' || typeof q === 'string') out.queue = q;
  else if (mq) out.queue = Number(mq[1]);
  const d = field(e, 'index', 'desc');
  const md = /\bdescriptor (\d+)\b/.exec(msg);
  if (typeof d === 'number') out.desc = d;
  else if (md) out.desc = Number(md[1]);
  const a = field(e, 'addr');
  if (typeof a === 'bigint' || typeof a === 'number') out.addr = `0x${a.toString(16)}`;
  return out;
}

/** The error code a thrown value carries (a typed error's), else E_SCENARIO. */
export function codeOf(e: unknown): string {
  if (e instanceof BridgeError) return e.code;
  const c = e && typeof e === 'object' ? (e as { code?: unknown }).code : undefined;
  return typeof c === 'string' && /^E_[A-Z0-9_]+$/.test(c) ? c : 'E_SCENARIO';
}

export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A host's software threw at `cycle`. */
export function hostError(host: string, cycle: number, e: unknown): RunError {
  return new RunError('host', host, cycle, messageOf(e), codeOf(e), locate(e), e);
}

/**
 * What a failed run throws to a test: the first error's text (host, cycle, message), then the
 * consequences. When the first error was thrown by the test's own code, that object is thrown,
 * its message prefixed with where it happened, so an assertion keeps its expected and actual.
 */
export class RunFailure extends Error {
  override readonly name = 'RunFailure';
  constructor(readonly errors: readonly RunError[], readonly bundle?: string) {
    super(failureText(errors, bundle));
  }
}

export function failureText(errors: readonly RunError[], bundle?: string): string {
  const [first, ...rest] = errors;
  if (!first) return 'no error';
  return [
    first.text(),
    ...rest.map((e) => `  then ${e.text()}`),
    ...(bundle ? [`  run folder: ${bundle}`] : []),
  ].join('\n');
}

/** Throw what a failed run's first error was, located; nothing for a passing run. */
export function throwIfFailed(errors: readonly RunError[], bundle?: string): void {
  const first = errors[0];
  if (!first) return;
  const t = first.thrown;
  if (first.kind === 'host' && t instanceof Error) {
    // a typed error's code goes in front of its message (E_SCENARIO is the default, said by nothing)
    const code = first.code !== 'E_SCENARIO' ? `${first.code}: ` : '';
    const where = [first.host, first.cycle !== null ? `cycle ${first.cycle}` : null].filter(Boolean).join(', ') + (code ? `: ${code.slice(0, -2)}` : '');
    const tail = [...errors.slice(1).map((e) => `then ${e.text()}`), ...(bundle ? [`run folder: ${bundle}`] : [])];
    if (!t.message.startsWith(where)) t.message = `${where}: ${t.message}${tail.length ? `\n  ${tail.join('\n  ')}` : ''}`;
    throw t;
  }
  throw new RunFailure(errors, bundle);
}
