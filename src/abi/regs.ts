// The one ABI source: registers, the copy descriptor and error codes are defined here and only
// here. `src/abi/gen.ts` turns this module into rtl/generated/zcnic_abi.vh and
// tb/zcnic_tb/abi.py; a test fails when those are stale.

import { createHash } from 'node:crypto';

export type Access = 'ro' | 'rw' | 'w1c' | 'wo';

export interface BitField {
  readonly name: string;
  readonly lsb: number;
  readonly width: number;
  readonly doc: string;
}

export interface RegDef {
  readonly name: string;
  readonly offset: number;
  readonly access: Access;
  readonly reset: number;
  readonly doc: string;
  readonly fields?: readonly BitField[];
}

/** 'ZCNC' in ASCII: the value of the ID register. */
export const NIC_ID = 0x5a434e43;
export const ABI_VERSION = { major: 2, minor: 0, patch: 0 } as const;
export const NIC_VERSION = (ABI_VERSION.major << 16) | (ABI_VERSION.minor << 8) | ABI_VERSION.patch;

/**
 * Size in bytes of the register window behind AXI4-Lite: the core registers (globals, copy
 * engine, statistics, queues) in the first 4 KiB, the RX steering tables (STEER_*) in the second.
 */
export const REG_WINDOW_BYTES = 0x2000;

export const FEATURE = {
  COPY_ENGINE: 1 << 0,
  TX_QUEUES: 1 << 1,
  RX_QUEUES: 1 << 2,
  TX_SG: 1 << 3,
  TX_CSUM: 1 << 4,
  RX_CSUM: 1 << 5,
  RX_HDR_SPLIT: 1 << 6,
  RX_STEER: 1 << 7,
  LOOPBACK: 1 << 8,
  STATS: 1 << 9,
} as const;

const ALL_FEATURES = Object.values(FEATURE).reduce((a, b) => a | b, 0);

export const REGS = [
  { name: 'ID', offset: 0x000, access: 'ro', reset: NIC_ID, doc: "Constant 'ZCNC'" },
  {
    name: 'VERSION', offset: 0x004, access: 'ro', reset: NIC_VERSION,
    doc: 'ABI version: major[23:16] minor[15:8] patch[7:0]',
  },
  { name: 'FEATURES', offset: 0x008, access: 'ro', reset: ALL_FEATURES, doc: 'Feature bits (FEATURE_*)' },
  {
    name: 'PARAMS', offset: 0x00c, access: 'ro', reset: 0,
    doc: 'Build parameters, filled in by the RTL from its Verilog parameters',
    fields: [
      { name: 'DATA_BYTES', lsb: 0, width: 8, doc: 'DMA data path width in bytes' },
      { name: 'IRQ_VECTORS', lsb: 8, width: 8, doc: 'Number of interrupt vectors' },
      { name: 'CHUNK_LOG2', lsb: 16, width: 8, doc: 'log2 of the copy engine chunk (largest burst) in bytes' },
    ],
  },
  { name: 'ABI_HASH', offset: 0x010, access: 'ro', reset: 0, doc: 'First 32 bits of the ABI hash (set by generator)' },
  { name: 'SCRATCH', offset: 0x014, access: 'rw', reset: 0, doc: 'Scratch register, no side effect' },
  {
    name: 'CTRL', offset: 0x018, access: 'rw', reset: 0, doc: 'Global control',
    fields: [
      { name: 'SOFT_RESET', lsb: 0, width: 1, doc: 'Write 1: reset engines and status (self-clearing, reads 0)' },
    ],
  },
  {
    name: 'PARAMS2', offset: 0x01c, access: 'ro', reset: 0, doc: 'Queue parameters, filled in by the RTL',
    fields: [
      { name: 'TX_QUEUES', lsb: 0, width: 8, doc: 'Number of TX queues (each with its completion queue)' },
      { name: 'RX_QUEUES', lsb: 8, width: 8, doc: 'Number of RX queues (each with its completion queue)' },
      { name: 'MAX_RING_LOG2', lsb: 16, width: 8, doc: 'log2 of the largest ring (descriptors)' },
      { name: 'MAX_FRAGS', lsb: 24, width: 8, doc: 'Most TX descriptors one frame may span' },
    ],
  },
  {
    name: 'IRQ_STATUS', offset: 0x020, access: 'w1c', reset: 0, doc: 'Interrupt causes; write 1 to clear',
    fields: [
      { name: 'COPY_DONE', lsb: 0, width: 1, doc: 'A copy descriptor completed without error' },
      { name: 'COPY_ERROR', lsb: 1, width: 1, doc: 'A copy descriptor ended with an error' },
      { name: 'TXQ_ERROR', lsb: 2, width: 1, doc: 'A TX queue entered its error state (QUEUE_ERRORS says which)' },
      { name: 'RXQ_ERROR', lsb: 3, width: 1, doc: 'An RX queue entered its error state (QUEUE_ERRORS says which)' },
    ],
  },
  {
    name: 'IRQ_MASK', offset: 0x024, access: 'rw', reset: 0,
    doc: 'Interrupt enables (same bits as IRQ_STATUS); a newly set, enabled cause pulses vector 0',
  },
  {
    name: 'MAC_CTRL', offset: 0x028, access: 'rw', reset: 0, doc: 'MAC side control',
    fields: [
      {
        name: 'LOOPBACK', lsb: 0, width: 1,
        doc: 'TX frames go to the RX path instead of the MAC; the MAC TX stream idles and MAC RX is held off',
      },
    ],
  },
  {
    name: 'QUEUE_ERRORS', offset: 0x02c, access: 'ro', reset: 0, doc: 'Queues in their error state',
    fields: [
      { name: 'TX', lsb: 0, width: 16, doc: 'Bit q: TX queue q' },
      { name: 'RX', lsb: 16, width: 16, doc: 'Bit q: RX queue q' },
    ],
  },
  {
    name: 'COPY_DESC_ADDR', offset: 0x100, access: 'rw', reset: 0,
    doc: 'Bus address of the copy descriptor; must be 16-byte aligned (else SLVERR, value kept)',
  },
  {
    name: 'COPY_DOORBELL', offset: 0x104, access: 'wo', reset: 0,
    doc: 'Any write starts the descriptor at COPY_DESC_ADDR; SLVERR if the engine is busy',
  },
  {
    name: 'COPY_STATUS', offset: 0x108, access: 'ro', reset: 0, doc: 'Copy engine status',
    fields: [
      { name: 'BUSY', lsb: 0, width: 1, doc: 'A descriptor is being processed' },
      { name: 'DONE', lsb: 1, width: 1, doc: 'The last descriptor finished (with or without error)' },
      { name: 'ERROR', lsb: 2, width: 1, doc: 'The last descriptor ended with an error' },
      { name: 'ERR_CODE', lsb: 4, width: 4, doc: 'COPY_ERR_* code of the last error' },
      { name: 'ERR_RESP', lsb: 8, width: 2, doc: 'AXI response (2=SLVERR, 3=DECERR) of the failing burst' },
    ],
  },
  { name: 'COPY_ERR_ADDR', offset: 0x10c, access: 'ro', reset: 0, doc: 'Start address of the burst that failed' },
  { name: 'COPY_COMPLETED', offset: 0x110, access: 'ro', reset: 0, doc: 'Descriptors completed (any outcome), wraps' },
  { name: 'COPY_BYTES', offset: 0x114, access: 'ro', reset: 0, doc: 'Bytes written by successful copies, wraps' },
  // Statistics: 32-bit, wrap, cleared by CTRL.SOFT_RESET.
  { name: 'STAT_TX_FRAMES', offset: 0x200, access: 'ro', reset: 0, doc: 'Frames sent to the MAC (or looped back)' },
  { name: 'STAT_TX_BYTES', offset: 0x204, access: 'ro', reset: 0, doc: 'Bytes of the frames in STAT_TX_FRAMES' },
  { name: 'STAT_TX_DROP_ERR', offset: 0x208, access: 'ro', reset: 0, doc: 'TX frames not sent: DMA error or bad descriptor' },
  { name: 'STAT_RX_FRAMES', offset: 0x210, access: 'ro', reset: 0, doc: 'Frames delivered (last completion written)' },
  { name: 'STAT_RX_BYTES', offset: 0x214, access: 'ro', reset: 0, doc: 'Bytes of the frames in STAT_RX_FRAMES' },
  { name: 'STAT_RX_DROP_NODESC', offset: 0x218, access: 'ro', reset: 0, doc: 'RX frames dropped: too few posted descriptors' },
  { name: 'STAT_RX_DROP_FILTER', offset: 0x21c, access: 'ro', reset: 0, doc: 'RX frames dropped by a filter with the drop action' },
  { name: 'STAT_RX_DROP_QUEUE', offset: 0x220, access: 'ro', reset: 0, doc: 'RX frames steered to a disabled queue or one in error' },
  { name: 'STAT_RX_DROP_BAD', offset: 0x224, access: 'ro', reset: 0, doc: 'RX frames marked bad by the MAC (tuser) or longer than MAX_FRAME' },
  { name: 'STAT_RX_DROP_DMA', offset: 0x228, access: 'ro', reset: 0, doc: 'RX frames lost to a DMA error (their queue entered its error state)' },
  { name: 'STAT_DMA_ERRORS', offset: 0x22c, access: 'ro', reset: 0, doc: 'Queue errors caused by a DMA error response (TX and RX)' },
] as const satisfies readonly RegDef[];

export type RegName = (typeof REGS)[number]['name'];

export const REG: { readonly [K in RegName]: number } = Object.fromEntries(
  REGS.map((r) => [r.name, r.offset]),
) as { [K in RegName]: number };

/** Copy engine error codes (COPY_STATUS.ERR_CODE and the descriptor write-back). */
export const COPY_ERR = {
  NONE: 0,
  DESC_READ: 1,
  SRC_READ: 2,
  DST_WRITE: 3,
  WRITEBACK: 4,
  BAD_LEN: 5,
} as const;

/**
 * Copy descriptor in host memory, little-endian, 16 bytes, 16-byte aligned.
 * The engine writes the STATUS word back when it is done.
 */
export const COPY_DESC = {
  BYTES: 16,
  SRC: 0x0,
  DST: 0x4,
  LEN: 0x8,
  STATUS: 0xc,
  /** Largest LEN accepted: 16 MiB. LEN 0 or above this ends in COPY_ERR.BAD_LEN. */
  MAX_LEN: 1 << 24,
  /** STATUS[COOKIE_BITS-1:0]: the driver's cookie, returned unchanged by the write-back. */
  STATUS_COOKIE_BITS: 16,
  STATUS_COOKIE_MASK: 0xffff,
  STATUS_ERR_SHIFT: 24,
  STATUS_ERR_MASK: 0xf,
  STATUS_DONE: 0x80000000,
} as const;

/**
 * Per-queue register blocks: TX queue q at TXQ_BASE + q*QUEUE_STRIDE, RX queue q at
 * RXQ_BASE + q*QUEUE_STRIDE (q < MAX_QUEUES; offsets of absent queues answer DECERR).
 * Indices (PROD, CONS, CQ_PROD) are free-running 16-bit counters; a slot is index mod size.
 * Refused writes answer SLVERR and change nothing.
 */
export const QUEUE = {
  TXQ_BASE: 0x400,
  RXQ_BASE: 0x800,
  STRIDE: 0x40,
  MAX_QUEUES: 16,
  MIN_RING_LOG2: 4,
} as const;

export const QREGS = [
  {
    name: 'RING_BASE', offset: 0x00, access: 'rw', reset: 0,
    doc: 'Bus address of the descriptor ring; 16-byte aligned; refused while enabled',
  },
  {
    name: 'CQ_BASE', offset: 0x04, access: 'rw', reset: 0,
    doc: 'Bus address of the completion ring; aligned to its entry size; refused while enabled',
  },
  {
    name: 'SIZE_LOG2', offset: 0x08, access: 'rw', reset: 4,
    doc: 'log2 of both rings\' entries, MIN_RING_LOG2..PARAMS2.MAX_RING_LOG2; refused while enabled',
  },
  {
    name: 'CTRL', offset: 0x0c, access: 'rw', reset: 0, doc: 'Queue control',
    fields: [
      { name: 'ENABLE', lsb: 0, width: 1, doc: 'The device services the queue' },
      {
        name: 'RESET', lsb: 1, width: 1,
        doc: 'Write 1: indices, phase and error state to 0 (reads 0); refused while BUSY or ENABLE, or with ENABLE',
      },
      { name: 'BUSY', lsb: 2, width: 1, doc: 'RO: the device has work in flight for the queue' },
      { name: 'HDR_SPLIT', lsb: 3, width: 1, doc: 'RX only: split headers into the header buffer' },
    ],
  },
  {
    name: 'PROD', offset: 0x10, access: 'rw', reset: 0,
    doc: 'Doorbell: the driver\'s producer index; refused if PROD - CONS (mod 2^16) exceeds the ring size',
  },
  { name: 'CONS', offset: 0x14, access: 'ro', reset: 0, doc: 'Descriptors the device has consumed (debug; never needed on the fast path)' },
  { name: 'CQ_PROD', offset: 0x18, access: 'ro', reset: 0, doc: 'Completions the device has written (debug)' },
  {
    name: 'STATUS', offset: 0x1c, access: 'ro', reset: 0, doc: 'Error state, latched until RESET',
    fields: [
      { name: 'ERROR', lsb: 0, width: 1, doc: 'The queue stopped on an error' },
      { name: 'ERR_CODE', lsb: 4, width: 4, doc: 'QERR_* code' },
      { name: 'ERR_RESP', lsb: 8, width: 2, doc: 'AXI response of a DMA error (2=SLVERR, 3=DECERR)' },
      { name: 'DESC_INDEX', lsb: 16, width: 16, doc: 'Index of the descriptor being processed' },
    ],
  },
  { name: 'ERR_ADDR', offset: 0x20, access: 'ro', reset: 0, doc: 'Bus address of the failing burst (or of the bad descriptor)' },
  { name: 'IRQ_ARM', offset: 0x24, access: 'wo', reset: 0, doc: 'Any write arms the queue\'s vector (after a NAPI poll)' },
  { name: 'IRQ_FRAMES', offset: 0x28, access: 'rw', reset: 0, doc: 'Moderation: completions before an interrupt, [15:0] (0 = off)' },
  { name: 'IRQ_CYCLES', offset: 0x2c, access: 'rw', reset: 0, doc: 'Moderation: cycles after the oldest pending completion, [15:0] (0 = off)' },
  {
    name: 'BUF_SIZE', offset: 0x30, access: 'rw', reset: 2048,
    doc: 'RX only: data buffer bytes per descriptor, multiple of 64 in 256..4096; refused while enabled',
  },
  {
    name: 'HDR_SIZE', offset: 0x34, access: 'rw', reset: 256,
    doc: 'RX only: header buffer bytes, multiple of 16 in 64..256; refused while enabled',
  },
] as const satisfies readonly RegDef[];

/** Queue error codes (queue STATUS.ERR_CODE). */
export const QERR = {
  NONE: 0,
  DESC_READ: 1,
  DATA_READ: 2,
  DATA_WRITE: 3,
  CQ_WRITE: 4,
  BAD_DESC: 5,
} as const;

/** A little-endian structure in host memory: field -> [byte offset, bytes]. */
export interface Layout {
  readonly BYTES: number;
  readonly fields: Readonly<Record<string, readonly [number, number]>>;
}

/**
 * TX descriptor. A frame is the descriptors up to one with EOP (at most PARAMS2.MAX_FRAGS);
 * a fragment is 1..4096 bytes and does not cross a 4 KiB boundary; a frame is at most
 * MAX_FRAME bytes. Checksum flags are taken from the frame's first descriptor.
 */
export const TX_DESC = {
  BYTES: 16,
  fields: { ADDR: [0, 4], LEN: [4, 2], FLAGS: [6, 2], COOKIE: [8, 4] },
} as const satisfies Layout;
export const TX_FLAG = { EOP: 1 << 0, CSUM_IP: 1 << 1, CSUM_UDP: 1 << 2 } as const;

/**
 * TX completion, one per frame, written once the frame's payload has been read (its buffers
 * may be reused); INDEX and COOKIE are those of the frame's EOP descriptor. FLAGS (with the
 * phase bit) is the entry's last byte, as in NVMe and mlx5: a host that may see a multi-beat
 * write land beat by beat sees the phase flip only once the whole entry is there.
 */
export const TX_CQE = {
  BYTES: 16,
  fields: { COOKIE: [0, 4], INDEX: [4, 2], STATUS: [6, 1], FRAGS: [7, 1], LEN: [8, 4], FLAGS: [15, 1] },
} as const satisfies Layout;

/** RX descriptor: a header buffer (HDR_SIZE bytes) and a data buffer (BUF_SIZE bytes). */
export const RX_DESC = {
  BYTES: 16,
  fields: { HDR_ADDR: [0, 4], DATA_ADDR: [4, 4], COOKIE: [8, 4] },
} as const satisfies Layout;

/**
 * RX completion, one per descriptor used: a frame takes max(1, ceil(payload / BUF_SIZE))
 * descriptors (payload: the bytes after the split headers, or the whole frame); SOP marks the
 * first, EOP the last. Every entry of a frame repeats its metadata. FLAGS is the last byte (see
 * TX_CQE).
 */
export const RX_CQE = {
  BYTES: 32,
  fields: {
    COOKIE: [0, 4], INDEX: [4, 2], QUEUE: [6, 1], CSUM: [7, 1], HDR_LEN: [8, 2], DATA_LEN: [10, 2],
    RSS_HASH: [12, 4], FILTER_INDEX: [16, 1], FRAME_LEN: [20, 4], FLAGS: [31, 1],
  },
} as const satisfies Layout;
export const RX_FLAG = {
  SOP: 1 << 0, EOP: 1 << 1, HDR_SPLIT: 1 << 2, FILTER_HIT: 1 << 3, HASH_VALID: 1 << 4,
} as const;
export const RX_CSUM = {
  IPV4: 1 << 0, IP_OK: 1 << 1, UDP: 1 << 2, L4_PRESENT: 1 << 3, L4_OK: 1 << 4, FRAGMENT: 1 << 5,
} as const;

/** Completion-queue entries carry the lap's phase in bit 7 of FLAGS (their last byte): 1 on the first lap. */
export const CQE_PHASE = 0x80;

/** Largest frame in bytes, either direction. */
export const MAX_FRAME = 9216;

/** RX steering tables (rx_steer), at STEER_BASE + offset. */
export const STEER = {
  BASE: 0x1000,
  QUEUES: 0x000, FILTERS: 0x004, RSS_ENTRIES: 0x008, DEFAULT_QUEUE: 0x00c, RSS_CTRL: 0x010,
  RSS_KEY: 0x040, RETA: 0x400, FILTER: 0x800, FILTER_STRIDE: 0x20,
  F_CTRL: 0x00, F_MAC_LO: 0x04, F_MAC_HI: 0x08, F_TYPE: 0x0c, F_DST_IP: 0x10, F_DST_PORT: 0x14,
  F_ENABLE: 0x80000000, F_DROP: 0x40000000, F_MASK_SHIFT: 16,
  M_DST_MAC: 1 << 0, M_ETHERTYPE: 1 << 1, M_IP_PROTO: 1 << 2, M_DST_IP: 1 << 3, M_DST_PORT: 1 << 4,
} as const;

/**
 * nic_top's default build (what `make sim` runs); a host expects it unless told otherwise. Not
 * part of the ABI hash: the device reports its own values in PARAMS/PARAMS2.
 */
export const DEFAULT_BUILD = { DATA_BYTES: 8, TX_QUEUES: 4, RX_QUEUES: 4 } as const;
export const DEFAULT_IRQ_VECTORS = 1 + DEFAULT_BUILD.TX_QUEUES + DEFAULT_BUILD.RX_QUEUES;

/** AXI response codes as the RTL sees them. */
export const AXI_RESP = { OKAY: 0, EXOKAY: 1, SLVERR: 2, DECERR: 3 } as const;

/** Interrupt vectors. */
export const IRQ_VECTOR = { MISC: 0, TXQ_FIRST: 1 } as const;
/** Vector of a completion queue: MISC first, then one per TX queue, then one per RX queue. */
export const txqVector = (q: number): number => IRQ_VECTOR.TXQ_FIRST + q;
export const rxqVector = (txQueues: number, q: number): number => IRQ_VECTOR.TXQ_FIRST + txQueues + q;

function canonical(): string {
  return JSON.stringify({
    REGS, COPY_ERR, COPY_DESC, FEATURE, NIC_ID, ABI_VERSION, IRQ_VECTOR, QUEUE, QREGS, QERR,
    TX_DESC, TX_FLAG, TX_CQE, RX_DESC, RX_CQE, RX_FLAG, RX_CSUM, CQE_PHASE, MAX_FRAME, STEER,
  });
}

/** sha256 of the canonical ABI; the RTL's ABI_HASH register holds its first 32 bits. */
export const ABI_HASH_HEX: string = createHash('sha256').update(canonical()).digest('hex');
export const ABI_HASH32: number = Number.parseInt(ABI_HASH_HEX.slice(0, 8), 16);

/** Bit field `field` of register `reg` taken from `value` (what a read of that register returned). */
export function regField(value: number, reg: RegName, field: string): number {
  const f = (REGS as readonly RegDef[]).find((r) => r.name === reg)?.fields?.find((x) => x.name === field);
  if (!f) throw new Error(`register ${reg} has no field ${field}`);
  return f.width >= 32 ? value >>> 0 : (value >>> f.lsb) & ((1 << f.width) - 1);
}

/** The value of register `reg` with the given fields set (the inverse of regField); others 0. */
export function regValue(reg: RegName, fields: Readonly<Record<string, number | boolean>>): number {
  const def = (REGS as readonly RegDef[]).find((r) => r.name === reg)!;
  let v = 0;
  for (const [name, x] of Object.entries(fields)) {
    const f = def.fields?.find((y) => y.name === name);
    if (!f) throw new Error(`register ${reg} has no field ${name}`);
    v |= (Number(x) & ((2 ** f.width) - 1)) << f.lsb;
  }
  return v >>> 0;
}

/** Byte offset of queue register `name` of TX or RX queue `q` in the register window. */
export function queueReg(dir: 'tx' | 'rx', q: number, name: (typeof QREGS)[number]['name']): number {
  const r = QREGS.find((x) => x.name === name)!;
  return (dir === 'tx' ? QUEUE.TXQ_BASE : QUEUE.RXQ_BASE) + q * QUEUE.STRIDE + r.offset;
}

export function regByOffset(offset: number): RegDef | undefined {
  return REGS.find((r) => r.offset === offset);
}
