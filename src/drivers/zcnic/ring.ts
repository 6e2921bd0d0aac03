// What a TX and an RX queue share: the descriptor ring and the completion ring in coherent
// memory, the queue's register block, the phase-bit walk of the completion ring, and the
// disable / wait-for-idle / reset sequence that recovery and close use.

import { CQE_PHASE, QERR, queueReg, regField, type QREGS } from '../../abi/regs.js';
import type { Device } from '../../device/device.js';
import { GFP_KERNEL } from '../../mem/page_alloc.js';
import { dma_alloc_coherent, dma_free_coherent, type Device as DmaDevice, type HostPlatform } from '../../platform/host.js';
import type { NapiStruct } from '../../net/core/napi.js';
import { DriverError } from './errors.js';
import { TRACE_EVENT, traceQueue } from '../../debug/events.js';

export type QRegName = (typeof QREGS)[number]['name'];

export const QCTRL = { ENABLE: 1 << 0, RESET: 1 << 1, BUSY: 1 << 2, HDR_SPLIT: 1 << 3 } as const;

/** The driver's view of one register block access, counted apart for the fast and slow paths. */
export interface RegIo {
  /** A slow-path read (probe, ethtool, recovery): awaited. */
  read(offset: number): Promise<number>;
  /** A slow-path write: awaited, so a refusal surfaces where it was made. */
  write(offset: number, value: number): Promise<void>;
  /** A fast-path posted write (doorbell, re-arm): not awaited; a refusal is reported by `onError`. */
  post(offset: number, value: number, what: string): void;
}

export interface Coherent {
  readonly cpu: bigint;
  readonly dma: bigint;
  readonly bytes: number;
}

export function allocCoherent(pdev: DmaDevice, bytes: number, what: string): Coherent {
  const c = dma_alloc_coherent(pdev, bytes, GFP_KERNEL);
  if (!c) throw new DriverError('E_NOMEM', `cannot allocate ${bytes} bytes of coherent memory for ${what}`);
  return { cpu: c.cpu_addr, dma: c.dma_handle, bytes };
}

export function freeCoherent(pdev: DmaDevice, c: Coherent | undefined): void {
  if (c) dma_free_coherent(pdev, c.bytes, c.cpu, c.dma);
}

export interface QueueErrorInfo {
  readonly code: number;
  readonly codeName: string;
  readonly resp: number;
  readonly descIndex: number;
  readonly errAddr: number;
}

const QERR_NAME = new Map<number, string>(Object.entries(QERR).map(([k, v]) => [v, k]));

/** Moderation: completions before an interrupt and cycles after the oldest pending one (0 = off). */
export interface Moderation {
  readonly frames: number;
  readonly cycles: number;
}

/** Cycles to wait between looks at CTRL.BUSY, and how many looks before giving up. */
const BUSY_POLL_CYCLES = 64;
const BUSY_POLL_TRIES = 2000;

export abstract class QueueBase {
  readonly name: string;
  readonly entries: number;
  ring!: Coherent;
  cq!: Coherent;
  /** Free-running 16-bit indices: descriptors posted, and completions consumed. */
  prod = 0;
  cqHead = 0;
  /** Set while the queue is being reset: NAPI leaves its rings alone. */
  resetting = false;
  /** Latched by the MISC handler, cleared once the queue runs again. */
  errors = 0;
  restarts = 0;
  readonly napi: NapiStruct;

  constructor(
    readonly dir: 'tx' | 'rx',
    readonly q: number,
    readonly sizeLog2: number,
    readonly vector: number,
    protected readonly host: HostPlatform,
    protected readonly pdev: DmaDevice,
    protected readonly dev: Device,
    protected readonly io: RegIo,
    napi: (q: QueueBase) => NapiStruct,
  ) {
    this.name = `${dir}q${q}`;
    this.entries = 1 << sizeLog2;
    this.napi = napi(this);
  }

  reg(name: QRegName): number {
    return queueReg(this.dir, this.q, name);
  }

  protected abstract readonly cqeBytes: number;
  protected abstract readonly descBytes: number;

  /** Allocate both rings (zeroed: a zero FLAGS byte never matches the first lap's phase 1). */
  allocRings(): void {
    this.ring = allocCoherent(this.pdev, this.entries * this.descBytes, `${this.name} descriptors`);
    this.cq = allocCoherent(this.pdev, this.entries * this.cqeBytes, `${this.name} completions`);
    this.host.cpuFill(this.ring.cpu, this.ring.bytes, 0);
    this.host.cpuFill(this.cq.cpu, this.cq.bytes, 0);
  }

  freeRings(): void {
    freeCoherent(this.pdev, this.ring);
    freeCoherent(this.pdev, this.cq);
  }

  /** Program bases, size and moderation (the queue is disabled), then enable with `ctrlExtra`. */
  async program(mod: Moderation, ctrlExtra: number): Promise<void> {
    await this.io.write(this.reg('RING_BASE'), Number(this.ring.dma));
    await this.io.write(this.reg('CQ_BASE'), Number(this.cq.dma));
    await this.io.write(this.reg('SIZE_LOG2'), this.sizeLog2);
    await this.setModeration(mod);
    await this.beforeEnable();
    await this.io.write(this.reg('CTRL'), QCTRL.ENABLE | ctrlExtra);
  }

  async setModeration(mod: Moderation): Promise<void> {
    await this.io.write(this.reg('IRQ_FRAMES'), mod.frames);
    await this.io.write(this.reg('IRQ_CYCLES'), mod.cycles);
  }

  /** RX programs its buffer sizes here. */
  protected async beforeEnable(): Promise<void> {}

  /** The completion at the head, if the device has written it on this lap (phase bit). */
  protected cqeAtHead(): Uint8Array | null {
    const slot = this.cqHead & (this.entries - 1);
    const addr = this.cq.cpu + BigInt(slot * this.cqeBytes);
    // coherent memory: the phase byte is the entry's last, so seeing it means the rest is there
    const flags = this.host.cpuRead(addr + BigInt(this.cqeBytes - 1), 1)[0]!;
    const lapPhase = ((this.cqHead >> this.sizeLog2) & 1) === 0 ? CQE_PHASE : 0;
    if ((flags & CQE_PHASE) !== lapPhase) return null;
    return this.host.cpuRead(addr, this.cqeBytes);
  }

  /** A driver event for the waveform (src/debug/events.ts). */
  trace(kind: keyof typeof TRACE_EVENT, index: number): void {
    this.dev.trace(TRACE_EVENT[kind], traceQueue(this.dir, this.q), index & 0xffff);
  }

  protected ringDoorbell(): void {
    this.trace(this.dir === 'tx' ? 'DOORBELL_TX' : 'DOORBELL_RX', this.prod);
    this.io.post(this.reg('PROD'), this.prod & 0xffff, `${this.name} doorbell`);
  }

  /** napi_complete_done and re-arm: a re-arm with completions pending fires again. */
  rearm(): void {
    this.io.post(this.reg('IRQ_ARM'), 1, `${this.name} re-arm`);
  }

  async readError(): Promise<QueueErrorInfo> {
    const st = await this.io.read(this.reg('STATUS'));
    const errAddr = await this.io.read(this.reg('ERR_ADDR'));
    const code = (st >>> 4) & 0xf;
    return { code, codeName: QERR_NAME.get(code) ?? `QERR ${code}`, resp: (st >>> 8) & 3, descIndex: st >>> 16, errAddr };
  }

  /**
   * Disable, wait for BUSY to clear, RESET. The caller then rebuilds the rings' state and
   * enables again. The device keeps bases, sizes and moderation across RESET.
   */
  async quiesceAndReset(ctrlKeep: number): Promise<void> {
    await this.io.write(this.reg('CTRL'), ctrlKeep);
    for (let i = 0; ; i++) {
      const ctrl = await this.io.read(this.reg('CTRL'));
      if (!(ctrl & QCTRL.BUSY)) break;
      if (i >= BUSY_POLL_TRIES) {
        throw new DriverError('E_RESET', `BUSY did not clear after ${BUSY_POLL_TRIES * BUSY_POLL_CYCLES} cycles`, { queue: this.name, cycle: this.dev.clock.cycle });
      }
      await this.dev.sleep(BUSY_POLL_CYCLES);
    }
    await this.io.write(this.reg('CTRL'), ctrlKeep | QCTRL.RESET);
    this.prod = 0;
    this.cqHead = 0;
    // old laps' entries would match the new first lap's phase: clear them
    this.host.cpuFill(this.cq.cpu, this.cq.bytes, 0);
  }
}

/** regField for the one register the queues read on the slow path. */
export function queueErrorBits(queueErrors: number): { tx: number; rx: number } {
  return { tx: regField(queueErrors, 'QUEUE_ERRORS', 'TX'), rx: regField(queueErrors, 'QUEUE_ERRORS', 'RX') };
}
