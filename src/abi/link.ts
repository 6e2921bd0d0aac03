// Bridge protocol v2: frame kinds, message types, field schemas, error codes and exit codes.
// This is the single definition; src/abi/gen.ts emits it into tb/zcnic_tb/protocol.py so the
// simulator end validates frames with the same schema. See docs/bridge-protocol.md.

import { ABI_HASH_HEX, DEFAULT_BUILD, DEFAULT_IRQ_VECTORS } from './regs.js';

export const PROTOCOL_VERSION = 2;

/** The MAC side (ETH_TX / ETH_RX). */
export const ETH = {
  /** MAC ports carried; v2 has one (port 0). */
  PORTS: 1,
  /** ETH_TX / ETH_RX flags. BAD on ETH_RX drives tuser on the last beat; reserved on ETH_TX. */
  FLAG: { BAD: 1 << 0 },
  /** Every flag bit defined; any other bit is E_BAD_FIELD. */
  FLAGS_KNOWN: 1 << 0,
  /**
   * Largest frame either way, in bytes: above the RTL's MAX_FRAME (9216, src/abi/regs.ts), so
   * that over-long frames can reach the RTL and be dropped there.
   */
  MAX_FRAME_BYTES: 16384,
} as const;

/** Driver-event fields of MARK: the widths of the co-simulation toplevel's tb_evt_* inputs. */
export const MARK_LIMITS = { KIND_MAX: 0xff, QUEUE_MAX: 0xff, INDEX_MAX: 0xffff } as const;

/** First element of every frame (a msgpack array). */
export const FRAME = {
  HELLO: 1, // sim -> host: [HELLO, params]
  WELCOME: 2, // host -> sim: [WELCOME, params]
  BATCH: 3, // sim -> host: [BATCH, seq, sync, msgs]; host -> sim: [BATCH, seq, msgs]
  ERROR: 4, // either way: [ERROR, code, message]; the sender then closes
  BYE: 5, // either way: [BYE, cycle, reason]; orderly end
} as const;

export type FieldType = 'u32' | 'u64' | 'bin' | 'str';

/**
 * Range rules for a field beyond its wire type, checked by both ends' decoders (E_BAD_FIELD):
 * `max` for integers, `mask` for flag words (no bit outside it), `minBytes`/`maxBytes` for bin.
 */
export interface FieldLimit {
  readonly max?: number;
  readonly mask?: number;
  readonly minBytes?: number;
  readonly maxBytes?: number;
}

export interface MsgSchema {
  readonly code: number;
  readonly dir: 'd2h' | 'h2d';
  /** Field names and types after [code, cycle]. */
  readonly fields: readonly (readonly [string, FieldType])[];
  /** Field name -> its range rule, for the fields that have one. */
  readonly limits?: Readonly<Record<string, FieldLimit>>;
  readonly doc: string;
}

const ETH_LIMITS = {
  port: { max: ETH.PORTS - 1 },
  flags: { mask: ETH.FLAGS_KNOWN },
  frame: { minBytes: 1, maxBytes: ETH.MAX_FRAME_BYTES },
} as const satisfies Readonly<Record<string, FieldLimit>>;

/**
 * Messages inside a BATCH: [code, cycle, ...fields]. Device-to-host codes are below 64,
 * host-to-device codes 64 and up.
 */
export const MSG = {
  DMA_RD_REQ: {
    code: 1, dir: 'd2h', fields: [['tag', 'u32'], ['addr', 'u64'], ['len', 'u32']],
    doc: 'A whole AXI read burst: len bytes from addr (addr need not be aligned)',
  },
  DMA_WR_REQ: {
    code: 2, dir: 'd2h', fields: [['tag', 'u32'], ['addr', 'u64'], ['data', 'bin']],
    doc: 'A whole AXI write burst, strobed-off bytes removed: contiguous bytes at addr',
  },
  IRQ: {
    code: 3, dir: 'd2h', fields: [['vector', 'u32']],
    doc: 'An interrupt (MSI-like pulse) on vector; ordered after every DMA write before it',
  },
  MMIO_RD_DONE: {
    code: 4, dir: 'd2h', fields: [['id', 'u32'], ['resp', 'u32'], ['data', 'u32']],
    doc: 'Completion of MMIO_RD id: AXI-Lite RRESP and the 32-bit value',
  },
  MMIO_WR_DONE: {
    code: 5, dir: 'd2h', fields: [['id', 'u32'], ['resp', 'u32']],
    doc: 'Completion of MMIO_WR id: AXI-Lite BRESP',
  },
  ETH_TX: {
    code: 6, dir: 'd2h', fields: [['port', 'u32'], ['flags', 'u32'], ['frame', 'bin']], limits: ETH_LIMITS,
    doc: 'A whole frame left the MAC TX stream; cycle = the cycle its last beat (tlast) was accepted',
  },
  DMA_RD_CPL: {
    code: 64, dir: 'h2d', fields: [['tag', 'u32'], ['resp', 'u32'], ['data', 'bin']],
    doc: 'Data for DMA_RD_REQ tag; resp != OKAY means data is empty and the burst fails',
  },
  DMA_WR_CPL: {
    code: 65, dir: 'h2d', fields: [['tag', 'u32'], ['resp', 'u32']],
    doc: 'Completion for DMA_WR_REQ tag (becomes BRESP)',
  },
  MMIO_RD: {
    code: 66, dir: 'h2d', fields: [['id', 'u32'], ['addr', 'u32']],
    doc: 'Read a 32-bit register at addr (offset in the register window)',
  },
  MMIO_WR: {
    code: 67, dir: 'h2d', fields: [['id', 'u32'], ['addr', 'u32'], ['data', 'u32']],
    doc: 'Write a 32-bit register',
  },
  ETH_RX: {
    code: 68, dir: 'h2d', fields: [['port', 'u32'], ['flags', 'u32'], ['frame', 'bin']], limits: ETH_LIMITS,
    doc: 'A frame for the MAC RX stream, presented from cycle on behind earlier ones; flags BAD = tuser on its last beat',
  },
  FINISH: {
    code: 69, dir: 'h2d', fields: [['status', 'u32']],
    doc: 'End the simulation at cycle; status 0 = scenario passed',
  },
  MARK: {
    code: 70, dir: 'h2d', fields: [['kind', 'u32'], ['queue', 'u32'], ['index', 'u32']],
    limits: { kind: { max: MARK_LIMITS.KIND_MAX }, queue: { max: MARK_LIMITS.QUEUE_MAX }, index: { max: MARK_LIMITS.INDEX_MAX } },
    doc: 'A driver event for the waveform (src/debug/events.ts): sets the tb_evt_* signals at cycle; sent only by runs with waves',
  },
} as const satisfies Record<string, MsgSchema>;

export type MsgName = keyof typeof MSG;

/** Error codes carried in ERROR frames and printed by both ends. */
export const ERR = {
  PROTOCOL_VERSION: 'E_PROTOCOL_VERSION',
  ABI_MISMATCH: 'E_ABI_MISMATCH',
  PARAM_MISMATCH: 'E_PARAM_MISMATCH',
  MALFORMED: 'E_MALFORMED',
  UNKNOWN_TYPE: 'E_UNKNOWN_TYPE',
  BAD_FIELD: 'E_BAD_FIELD',
  OVERSIZE: 'E_OVERSIZE',
  TIME_BACKWARDS: 'E_TIME_BACKWARDS',
  CAUSALITY: 'E_CAUSALITY',
  SEQUENCE: 'E_SEQUENCE',
  PEER_GONE: 'E_PEER_GONE',
  PEER_ERROR: 'E_PEER_ERROR',
  TIMEOUT: 'E_TIMEOUT',
  AUTH: 'E_AUTH',
  SIM_FAILED: 'E_SIM_FAILED',
  SCENARIO: 'E_SCENARIO',
} as const;

export type ErrCode = (typeof ERR)[keyof typeof ERR];

/** Process exit codes, one per class of fault, the same on both ends. */
export const EXIT: { readonly [K in ErrCode]: number } & { readonly OK: 0; readonly USAGE: 2 } = {
  OK: 0,
  USAGE: 2,
  E_SCENARIO: 1,
  E_PROTOCOL_VERSION: 10,
  E_ABI_MISMATCH: 11,
  E_PARAM_MISMATCH: 12,
  E_MALFORMED: 20,
  E_UNKNOWN_TYPE: 21,
  E_BAD_FIELD: 22,
  E_OVERSIZE: 23,
  E_TIME_BACKWARDS: 24,
  E_CAUSALITY: 25,
  E_SEQUENCE: 26,
  E_PEER_GONE: 30,
  E_PEER_ERROR: 31,
  E_TIMEOUT: 32,
  E_AUTH: 33,
  E_SIM_FAILED: 34,
};

/** Defaults for the link; the handshake carries the values in force. */
export const LINK_DEFAULTS = {
  /** 250 MHz. */
  clockPeriodPs: 4000,
  /** Cycles a message takes to cross the link (the lookahead), about 1 us. */
  linkLatency: 256,
  /** Cycles per sync window; must divide linkLatency. */
  syncWindow: 128,
  /** Largest frame either end accepts. */
  maxFrameBytes: 16 << 20,
  /** Wall-clock seconds any blocking wait on the peer may take. */
  timeoutS: 30,
} as const;

/** Parameters exchanged in HELLO/WELCOME; every field must match on both ends. */
export interface LinkParams {
  readonly proto: number;
  readonly abi_hash: string;
  readonly clock_period_ps: number;
  readonly sync_window: number;
  readonly link_latency: number;
  readonly seed: number;
  readonly max_frame: number;
  readonly nic: { readonly data_bytes: number; readonly irq_vectors: number };
  readonly token?: string;
}

type FieldValue<T extends FieldType> = T extends 'u32' ? number : T extends 'u64' ? bigint : T extends 'bin' ? Uint8Array : string;

type FieldsOf<F> = F extends readonly [readonly [infer N extends string, infer T extends FieldType], ...infer Rest]
  ? { readonly [K in N]: FieldValue<T> } & FieldsOf<Rest>
  : unknown;

/** A decoded message: `{ type: 'DMA_RD_REQ', cycle, tag, addr, len }` and so on. */
export type Msg<N extends MsgName = MsgName> = N extends MsgName
  ? { readonly type: N; readonly cycle: number } & FieldsOf<(typeof MSG)[N]['fields']>
  : never;

export type D2HName = { [K in MsgName]: (typeof MSG)[K]['dir'] extends 'd2h' ? K : never }[MsgName];

export type H2DName = Exclude<MsgName, D2HName>;

export type D2HMsg = Msg<D2HName>;

export type H2DMsg = Msg<H2DName>;

/** The link parameters this host uses unless told otherwise (the CLI, the bench and tests). */
export function defaultParams(over: Partial<LinkParams> = {}): LinkParams {
  return {
    proto: PROTOCOL_VERSION,
    abi_hash: ABI_HASH_HEX,
    clock_period_ps: LINK_DEFAULTS.clockPeriodPs,
    sync_window: LINK_DEFAULTS.syncWindow,
    link_latency: LINK_DEFAULTS.linkLatency,
    seed: 1,
    max_frame: LINK_DEFAULTS.maxFrameBytes,
    nic: { data_bytes: DEFAULT_BUILD.DATA_BYTES, irq_vectors: DEFAULT_IRQ_VECTORS },
    ...over,
  };
}

/**
 * The burst-level DPI port's own interface (tb/cosim/port/zcport.cpp and tb/zcnic_tb/port.py):
 * the kinds of the events it hands up and of the host messages it takes, and the record each
 * event is packed in (little-endian: kind u8, 3 pad bytes, a, b, c u32, cycle u64, data length
 * u32, then the data). Generated into zcnic_abi.h and protocol.py, so the two sides cannot drift.
 */
export const PORT = {
  EVENT: { RD_REQ: 1, WR_REQ: 2, IRQ: 3, MMIO_RD_DONE: 4, MMIO_WR_DONE: 5, ETH_TX: 6 },
  HOST: { RD_CPL: 1, WR_CPL: 2, MMIO_RD: 3, MMIO_WR: 4, ETH_RX: 5, MARK: 6 },
  /** Python's struct format of one event record, and its size in bytes. */
  RECORD: '<B3xIIIQI',
  RECORD_BYTES: 28,
} as const;
