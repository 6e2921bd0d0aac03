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
export const ABI_VERSION = { major: 1, minor: 0, patch: 0 } as const;
export const NIC_VERSION = (ABI_VERSION.major << 16) | (ABI_VERSION.minor << 8) | ABI_VERSION.patch;

/** Size in bytes of the register window behind AXI4-Lite. */
export const REG_WINDOW_BYTES = 0x1000;

export const FEATURE = {
  COPY_ENGINE: 1 << 0,
} as const;

export const REGS = [
  { name: 'ID', offset: 0x000, access: 'ro', reset: NIC_ID, doc: "Constant 'ZCNC'" },
  {
    name: 'VERSION', offset: 0x004, access: 'ro', reset: NIC_VERSION,
    doc: 'ABI version: major[23:16] minor[15:8] patch[7:0]',
  },
  { name: 'FEATURES', offset: 0x008, access: 'ro', reset: FEATURE.COPY_ENGINE, doc: 'Feature bits (FEATURE_*)' },
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
    name: 'IRQ_STATUS', offset: 0x020, access: 'w1c', reset: 0, doc: 'Interrupt causes; write 1 to clear',
    fields: [
      { name: 'COPY_DONE', lsb: 0, width: 1, doc: 'A copy descriptor completed without error' },
      { name: 'COPY_ERROR', lsb: 1, width: 1, doc: 'A copy descriptor ended with an error' },
    ],
  },
  {
    name: 'IRQ_MASK', offset: 0x024, access: 'rw', reset: 0,
    doc: 'Interrupt enables (same bits as IRQ_STATUS); a newly set, enabled cause pulses vector 0',
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

/** AXI response codes as the RTL sees them. */
export const AXI_RESP = { OKAY: 0, EXOKAY: 1, SLVERR: 2, DECERR: 3 } as const;

/** Interrupt vectors. */
export const IRQ_VECTOR = { MISC: 0 } as const;

function canonical(): string {
  return JSON.stringify({ REGS, COPY_ERR, COPY_DESC, FEATURE, NIC_ID, ABI_VERSION, IRQ_VECTOR });
}

/** sha256 of the canonical ABI; the RTL's ABI_HASH register holds its first 32 bits. */
export const ABI_HASH_HEX: string = createHash('sha256').update(canonical()).digest('hex');
export const ABI_HASH32: number = Number.parseInt(ABI_HASH_HEX.slice(0, 8), 16);

export function regByOffset(offset: number): RegDef | undefined {
  return REGS.find((r) => r.offset === offset);
}
