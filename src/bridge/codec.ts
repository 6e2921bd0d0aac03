// The bridge codec: msgpack frames <-> typed frames, with every incoming field validated against
// the schema in protocol.ts. This is the only place that knows the wire layout.

import { Packr, Unpackr } from 'msgpackr';
import { BridgeError } from './errors.js';
import { ERR, FRAME, MSG, type D2HMsg, type FieldLimit, type FieldType, type H2DMsg, type LinkParams, type Msg, type MsgName, type MsgSchema } from '../abi/link.js';


export type Frame =
  | { readonly kind: 'hello'; readonly params: LinkParams }
  | { readonly kind: 'welcome'; readonly params: LinkParams }
  | { readonly kind: 'batch'; readonly seq: number; readonly sync: number; readonly msgs: readonly D2HMsg[] }
  | { readonly kind: 'reply'; readonly seq: number; readonly msgs: readonly H2DMsg[] }
  | { readonly kind: 'error'; readonly code: string; readonly message: string }
  | { readonly kind: 'bye'; readonly cycle: number; readonly reason: string };

// Standard msgpack only: records and other msgpackr extensions are unreadable in Python.
const packr = new Packr({ useRecords: false, encodeUndefinedAsNil: true, moreTypes: false });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'bigint' });

interface CompiledSchema {
  readonly name: MsgName;
  readonly code: number;
  readonly dir: 'd2h' | 'h2d';
  readonly fields: readonly (readonly [string, FieldType])[];
  readonly limits: Readonly<Record<string, FieldLimit>>;
}

const BY_CODE = new Map<number, CompiledSchema>(
  (Object.entries(MSG) as [MsgName, MsgSchema][]).map(([name, s]) => [s.code, { name, code: s.code, dir: s.dir, fields: s.fields, limits: s.limits ?? {} }]),
);

const U32_MAX = 0xffffffff;
const U64_MAX = (1n << 64n) - 1n;

function encodeU64(v: bigint | number): bigint | number {
  // msgpackr writes a number above 2^32 as float64; Python would then see a float.
  return typeof v === 'bigint' ? (v <= BigInt(U32_MAX) ? Number(v) : v) : v;
}

function msgToWire(m: Msg): unknown[] {
  const s = MSG[m.type];
  const out: unknown[] = [s.code, m.cycle];
  const rec = m as unknown as Record<string, unknown>;
  for (const [f, t] of s.fields) {
    const v = rec[f];
    out.push(t === 'u64' ? encodeU64(v as bigint) : v);
  }
  return out;
}

export function encodeFrame(f: Frame): Uint8Array {
  switch (f.kind) {
    case 'hello':
      return packr.pack([FRAME.HELLO, f.params]);
    case 'welcome':
      return packr.pack([FRAME.WELCOME, f.params]);
    case 'batch':
      return packr.pack([FRAME.BATCH, f.seq, f.sync, f.msgs.map(msgToWire)]);
    case 'reply':
      return packr.pack([FRAME.BATCH, f.seq, f.msgs.map(msgToWire)]);
    case 'error':
      return packr.pack([FRAME.ERROR, f.code, f.message]);
    case 'bye':
      return packr.pack([FRAME.BYE, f.cycle, f.reason]);
  }
}

function show(v: unknown): string {
  if (v instanceof Uint8Array) return `bin(${v.length})`;
  if (typeof v === 'bigint') return `${v}`;
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function asU32(v: unknown, what: string, ctx: { seq?: number; msgIndex?: number }): number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= U32_MAX) return v;
  if (typeof v === 'bigint' && v >= 0n && v <= BigInt(U32_MAX)) return Number(v);
  throw new BridgeError(ERR.BAD_FIELD, `${what} must be an unsigned 32-bit integer, got ${show(v)}`, { ...ctx, field: what });
}

function asU64(v: unknown, what: string, ctx: { seq?: number; msgIndex?: number }): bigint {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === 'bigint' && v >= 0n && v <= U64_MAX) return v;
  throw new BridgeError(ERR.BAD_FIELD, `${what} must be an unsigned 64-bit integer, got ${show(v)}`, { ...ctx, field: what });
}

/** Cycle counts are u64 on the wire; 2^53 cycles is far beyond any run, so they are numbers here. */
function asCycle(v: unknown, what: string, ctx: { seq?: number; msgIndex?: number }): number {
  const c = asU64(v, what, ctx);
  if (c > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new BridgeError(ERR.BAD_FIELD, `${what} ${c} is beyond 2^53 cycles`, { ...ctx, field: what });
  }
  return Number(c);
}

function asStr(v: unknown, what: string, ctx: { seq?: number; msgIndex?: number } = {}): string {
  if (typeof v === 'string') return v;
  throw new BridgeError(ERR.BAD_FIELD, `${what} must be a string, got ${show(v)}`, { ...ctx, field: what });
}

function asBin(v: unknown, what: string, ctx: { seq?: number; msgIndex?: number }): Uint8Array {
  if (v instanceof Uint8Array) return v;
  throw new BridgeError(ERR.BAD_FIELD, `${what} must be binary, got ${show(v)}`, { ...ctx, field: what });
}

/** A field's range rule (protocol.ts FieldLimit): the reason it is broken, or undefined. */
export function limitViolation(v: number | bigint | Uint8Array | string, lim: FieldLimit): string | undefined {
  if (v instanceof Uint8Array) {
    if (lim.minBytes !== undefined && v.length < lim.minBytes) return `is ${v.length} bytes, at least ${lim.minBytes} allowed`;
    if (lim.maxBytes !== undefined && v.length > lim.maxBytes) return `is ${v.length} bytes, at most ${lim.maxBytes} allowed`;
    return undefined;
  }
  if (typeof v !== 'number') return undefined;
  if (lim.max !== undefined && v > lim.max) return `${v} is above its maximum ${lim.max}`;
  if (lim.mask !== undefined && (v & ~lim.mask) !== 0) {
    return `0x${v.toString(16)} has bits outside the defined 0x${lim.mask.toString(16)}`;
  }
  return undefined;
}

function decodeMsg(raw: unknown, dir: 'd2h' | 'h2d', seq: number, msgIndex: number): Msg {
  const ctx = { seq, msgIndex };
  if (!Array.isArray(raw) || raw.length < 2) {
    throw new BridgeError(ERR.BAD_FIELD, `message must be an array [code, cycle, ...fields], got ${show(raw)}`, ctx);
  }
  const code = raw[0] as unknown;
  const schema = typeof code === 'number' ? BY_CODE.get(code) : undefined;
  if (!schema) throw new BridgeError(ERR.UNKNOWN_TYPE, `unknown message code ${show(code)}`, ctx);
  if (schema.dir !== dir) {
    throw new BridgeError(ERR.UNKNOWN_TYPE, `${schema.name} (code ${schema.code}) travels ${schema.dir}, not ${dir}`, ctx);
  }
  if (raw.length !== 2 + schema.fields.length) {
    throw new BridgeError(
      ERR.BAD_FIELD,
      `${schema.name} needs ${2 + schema.fields.length} elements [code, cycle, ${schema.fields.map((f) => f[0]).join(', ')}], got ${raw.length}`,
      ctx,
    );
  }
  const out: Record<string, unknown> = { type: schema.name, cycle: asCycle(raw[1], `${schema.name}.cycle`, ctx) };
  schema.fields.forEach(([f, t], i) => {
    const v = raw[2 + i] as unknown;
    const what = `${schema.name}.${f}`;
    const value = t === 'u32' ? asU32(v, what, ctx) : t === 'u64' ? asU64(v, what, ctx) : t === 'bin' ? asBin(v, what, ctx) : asStr(v, what, ctx);
    const lim = schema.limits[f];
    const bad = lim === undefined ? undefined : limitViolation(value, lim);
    if (bad !== undefined) throw new BridgeError(ERR.BAD_FIELD, `${what} ${bad}`, { ...ctx, field: what, cycle: out['cycle'] as number });
    out[f] = value;
  });
  return out as unknown as Msg;
}

const PARAM_KEYS = ['proto', 'abi_hash', 'clock_period_ps', 'sync_window', 'link_latency', 'seed', 'max_frame', 'nic'] as const;

function decodeParams(raw: unknown): LinkParams {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new BridgeError(ERR.BAD_FIELD, `handshake parameters must be a map, got ${show(raw)}`);
  }
  const p = raw as Record<string, unknown>;
  for (const k of PARAM_KEYS) {
    if (!(k in p)) throw new BridgeError(ERR.BAD_FIELD, `handshake parameter '${k}' is missing`, { field: k });
  }
  const nic = p['nic'];
  if (nic === null || typeof nic !== 'object' || Array.isArray(nic)) {
    throw new BridgeError(ERR.BAD_FIELD, `handshake parameter 'nic' must be a map, got ${show(nic)}`, { field: 'nic' });
  }
  const n = nic as Record<string, unknown>;
  const base = {
    proto: asU32(p['proto'], 'proto', {}),
    abi_hash: asStr(p['abi_hash'], 'abi_hash'),
    clock_period_ps: asU32(p['clock_period_ps'], 'clock_period_ps', {}),
    sync_window: asU32(p['sync_window'], 'sync_window', {}),
    link_latency: asU32(p['link_latency'], 'link_latency', {}),
    seed: asU32(p['seed'], 'seed', {}),
    max_frame: asU32(p['max_frame'], 'max_frame', {}),
    nic: { data_bytes: asU32(n['data_bytes'], 'nic.data_bytes', {}), irq_vectors: asU32(n['irq_vectors'], 'nic.irq_vectors', {}) },
  };
  return p['token'] === undefined || p['token'] === null ? base : { ...base, token: asStr(p['token'], 'token') };
}

/** Decode and validate one frame sent by the simulator end. */
export function decodeSimFrame(data: Uint8Array): Frame {
  return decodeFrame(data, 'd2h');
}

/** Decode and validate one frame sent by the host end (used by tests and tools). */
export function decodeHostFrame(data: Uint8Array): Frame {
  return decodeFrame(data, 'h2d');
}

function decodeFrame(data: Uint8Array, dir: 'd2h' | 'h2d'): Frame {
  let raw: unknown;
  try {
    raw = unpackr.unpack(data);
  } catch (e) {
    throw new BridgeError(ERR.MALFORMED, `frame is not valid msgpack (${(e as Error).message})`, { frameBytes: data.length });
  }
  if (!Array.isArray(raw) || raw.length === 0) {
    throw new BridgeError(ERR.MALFORMED, `frame must be a msgpack array [kind, ...], got ${show(raw)}`, { frameBytes: data.length });
  }
  const kind = raw[0] as unknown;
  const need = (n: number, layout: string): void => {
    if (raw.length !== n) throw new BridgeError(ERR.BAD_FIELD, `${layout} frame needs ${n} elements, got ${raw.length}`);
  };
  switch (kind) {
    case FRAME.HELLO:
    case FRAME.WELCOME: {
      need(2, kind === FRAME.HELLO ? 'HELLO' : 'WELCOME');
      const params = decodeParams(raw[1]);
      return kind === FRAME.HELLO ? { kind: 'hello', params } : { kind: 'welcome', params };
    }
    case FRAME.BATCH: {
      if (dir === 'd2h') {
        need(4, 'BATCH');
        const seq = asU32(raw[1], 'BATCH.seq', {});
        const sync = asCycle(raw[2], 'BATCH.sync', { seq });
        const msgs = raw[3] as unknown;
        if (!Array.isArray(msgs)) throw new BridgeError(ERR.BAD_FIELD, `BATCH.msgs must be an array, got ${show(msgs)}`, { seq });
        return { kind: 'batch', seq, sync, msgs: msgs.map((m, i) => decodeMsg(m, 'd2h', seq, i) as D2HMsg) };
      }
      need(3, 'BATCH');
      const seq = asU32(raw[1], 'BATCH.seq', {});
      const msgs = raw[2] as unknown;
      if (!Array.isArray(msgs)) throw new BridgeError(ERR.BAD_FIELD, `BATCH.msgs must be an array, got ${show(msgs)}`, { seq });
      return { kind: 'reply', seq, msgs: msgs.map((m, i) => decodeMsg(m, 'h2d', seq, i) as H2DMsg) };
    }
    case FRAME.ERROR:
      need(3, 'ERROR');
      return { kind: 'error', code: asStr(raw[1], 'ERROR.code'), message: asStr(raw[2], 'ERROR.message') };
    case FRAME.BYE:
      need(3, 'BYE');
      return { kind: 'bye', cycle: asCycle(raw[1], 'BYE.cycle', {}), reason: asStr(raw[2], 'BYE.reason') };
    default:
      throw new BridgeError(ERR.UNKNOWN_TYPE, `unknown frame kind ${show(kind)}`, { frameBytes: data.length });
  }
}

/** Build a message with its fields checked at compile time. */
export function msg<N extends MsgName>(m: Msg<N>): Msg<N> {
  return m;
}
