// What a driver sees of a NIC: 32-bit registers, interrupt vectors, simulated time, the MAC side
// (frames out of and into the wire) and driver events for the waveform.
// Backends: the RTL over the bridge (src/bridge/session.ts) and the TS reference model
// (src/model/nic.ts).

import type { SimClock } from '../platform/clock.js';
import { ETH } from '../abi/link.js';

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

/** A call the device cannot carry out with these arguments; nothing was sent. */
export class DeviceArgError extends RangeError {
  override readonly name = 'DeviceArgError';
  readonly code = 'E_DEVICE_ARG';
  constructor(
    readonly op: 'ethRx' | 'trace' | 'readReg' | 'writeReg',
    readonly field: string,
    detail: string,
    readonly cycle: number,
  ) {
    super(`${op}: ${detail} (field ${field}, cycle ${cycle})`);
  }
}

export type IrqHandler = (vector: number, cycle: number) => void;

/** A whole frame that left the MAC TX stream. */
export interface EthTxFrame {
  readonly port: number;
  readonly frame: Uint8Array;
  /** Reserved (the MAC TX stream has no error flag); always false today. */
  readonly bad: boolean;
  /** The cycle its last beat was accepted. */
  readonly cycle: number;
}

export type EthTxHandler = (f: EthTxFrame) => void;

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
  /** Called for every frame leaving the MAC TX stream, in cycle order. */
  onEthTx(handler: EthTxHandler): void;
  /**
   * Put a frame on the MAC RX stream (1..ETH.MAX_FRAME_BYTES bytes, port 0), at the earliest
   * time the link allows, behind the frames given before it; `bad` marks it with tuser on its
   * last beat. Throws DeviceArgError for a frame the bridge cannot carry. The frame is copied.
   */
  ethRx(port: number, frame: Uint8Array, opts?: { readonly bad?: boolean }): void;
  /**
   * Record a driver event (src/debug/events.ts TRACE_EVENT: kind 1..255, queue 0..255, index
   * 0..65535) for the waveform. Throws DeviceArgError outside those ranges.
   */
  trace(kind: number, queue: number, index: number): void;
}

/** The checks of Device.ethRx (port 0..ETH.PORTS-1, 1..ETH.MAX_FRAME_BYTES bytes); the bad flag. */
export function checkEthRx(port: number, frame: Uint8Array, opts: { readonly bad?: boolean }, cycle: number): boolean {
  const refuse = (field: string, detail: string): never => {
    throw new DeviceArgError('ethRx', field, detail, cycle);
  };
  if (!Number.isInteger(port) || port < 0 || port >= ETH.PORTS) refuse('port', `port must be 0..${ETH.PORTS - 1}, got ${port}`);
  if (!(frame instanceof Uint8Array)) refuse('frame', 'frame must be a Uint8Array');
  if (frame.length < 1 || frame.length > ETH.MAX_FRAME_BYTES) refuse('frame', `a frame is 1..${ETH.MAX_FRAME_BYTES} bytes, got ${frame.length}`);
  const bad = opts.bad ?? false;
  if (typeof bad !== 'boolean') refuse('bad', `bad must be a boolean, got ${String(bad)}`);
  return bad;
}
