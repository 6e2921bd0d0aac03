// What a driver sees of a NIC: 32-bit registers, interrupt vectors and simulated time.
// Backends: the RTL over the bridge (src/bridge/session.ts) and, later, a TS reference model.

import type { SimClock } from '../platform/clock.js';

export type MmioResp = 'SLVERR' | 'DECERR';

/** A register access the device answered with an error response. */
export class MmioError extends Error {
  override readonly name = 'MmioError';
  readonly code: `E_MMIO_${MmioResp}`;
  constructor(
    readonly op: 'read' | 'write',
    readonly offset: number,
    readonly resp: MmioResp,
    readonly cycle: number,
    readonly value?: number,
  ) {
    super(
      `MMIO ${op} of register 0x${offset.toString(16).padStart(3, '0')}` +
        `${value !== undefined ? ` (value 0x${(value >>> 0).toString(16)})` : ''} answered ${resp} at cycle ${cycle}`,
    );
    this.code = `E_MMIO_${resp}`;
  }
}

export type IrqHandler = (vector: number, cycle: number) => void;

export interface Device {
  readonly name: string;
  readonly clock: SimClock;
  /** Read a 32-bit register; rejects with MmioError on an error response. */
  readReg(offset: number): Promise<number>;
  /** Write a 32-bit register; resolves when the device has accepted it, rejects with MmioError. */
  writeReg(offset: number, value: number): Promise<void>;
  /** Called for every interrupt message, in cycle order. */
  onIrq(handler: IrqHandler): void;
  /** Resolves once simulated time has advanced by at least `cycles`. */
  sleep(cycles: number): Promise<void>;
}
