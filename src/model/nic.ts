// The reference model of the NIC: the Device a driver sees, implemented in TypeScript on the
// simulated clock (docs/model.md). It decodes the register window as nic_top does (core
// registers, statistics, TX and RX queue windows, steering tables), runs the TX and RX queue
// engines and the copy engine, moderates interrupts, and moves frames over MAC loopback or the
// MAC port. Its DMA goes through the host's DeviceDmaPort, so every access crosses the IOMMU and
// dma-debug as the RTL's does over the bridge.

import {
  ABI_HASH32, AXI_RESP, REG, REGS, REG_WINDOW_BYTES, STEER, QUEUE, regValue, type RegName,
} from '../abi/regs.js';
import type { Msg } from '../abi/link.js';
import { ETH, LINK_DEFAULTS } from '../abi/link.js';
import { newSessionStats, type SessionStats, type FaultEvent } from '../device/stats.js';
import { traceArgProblem, traceRecord, type TraceRecord } from '../debug/events.js';
import { DeviceArgError, MmioError, checkEthRx, type Device, type EthTxHandler, type IrqHandler } from '../device/device.js';
import type { ManualClock } from '../platform/clock.js';
import type { DeviceDmaPort } from '../platform/dma_port.js';
import { CopyEngine } from './copy_engine.js';
import type { DmaContext } from './dma.js';
import { IrqModeration } from './irq_moderation.js';
import { NicRx } from './nic_rx.js';
import { NicTx } from './nic_tx.js';
import { SteerRegs } from './rx_steer_regs.js';
import { Scheduler } from './sched.js';

/** The build the model stands for (nic_top's parameters) and its timing (docs/model.md). */
export interface ModelParams {
  readonly dataBytes: number;
  readonly txQueues: number;
  readonly rxQueues: number;
  readonly maxRingLog2: number;
  readonly maxFrags: number;
  readonly chunkBytes: number;
  readonly filters: number;
  readonly rssEntries: number;
  readonly rxFifoBytes: number;
  /** Cycles from a host action to its effect on the device, and from a DMA request to its answer. */
  readonly latency: number;
}

export interface ModelOptions {
  readonly params?: Partial<ModelParams>;
  /** The messages the RTL would exchange over the bridge, for the transcript. */
  readonly record?: (dir: '>' | '<', m: Msg) => void;
  readonly name?: string;
  /** Shared by several NICs in one simulated time (two hosts on a wire). */
  readonly sched?: Scheduler;
}

export const MODEL_DEFAULTS: ModelParams = {
  dataBytes: 8, txQueues: 4, rxQueues: 4, maxRingLog2: 10, maxFrags: 32, chunkBytes: 512, filters: 16, rssEntries: 128,
  rxFifoBytes: 4 * 9216, latency: LINK_DEFAULTS.linkLatency,
};

/** The STAT_* registers (nic_stats), from the ABI. */
type StatName = Extract<RegName, `STAT_${string}`>;
const STATS = REGS.filter((r) => r.name.startsWith('STAT_')).map((r) => r.name as StatName);
const STAT_AT = new Map<number, StatName>(STATS.map((n) => [REG[n], n]));
/** Registers that read a constant of the ABI (their reset value). */
const CONSTANT = new Map<number, number>((['ID', 'VERSION', 'FEATURES'] as const).map((n) => [REG[n], REGS.find((r) => r.name === n)!.reset]));
/** Read-only registers: a write answers OKAY and changes nothing (nic_regs, nic_stats). */
const READ_ONLY = new Set<number>(REGS.filter((r) => r.access === 'ro').map((r) => r.offset));

const IRQ_BIT = {
  COPY_DONE: regValue('IRQ_STATUS', { COPY_DONE: 1 }), COPY_ERROR: regValue('IRQ_STATUS', { COPY_ERROR: 1 }),
  TXQ_ERROR: regValue('IRQ_STATUS', { TXQ_ERROR: 1 }), RXQ_ERROR: regValue('IRQ_STATUS', { RXQ_ERROR: 1 }),
} as const;
/** The implemented bits of IRQ_STATUS / IRQ_MASK. */
const IRQ_BITS = IRQ_BIT.COPY_DONE | IRQ_BIT.COPY_ERROR | IRQ_BIT.TXQ_ERROR | IRQ_BIT.RXQ_ERROR;
const LOOPBACK_BIT = regValue('MAC_CTRL', { LOOPBACK: 1 });
const SOFT_RESET_BIT = regValue('CTRL', { SOFT_RESET: 1 });

/** One register access on its way to the device. */
interface MmioOp {
  readonly write: boolean;
  readonly id: number;
  readonly offset: number;
  readonly value: number;
  readonly resolve: (v: number) => void;
  readonly reject: (e: Error) => void;
}

interface MacFrame {
  readonly frame: Uint8Array;
  readonly bad: boolean;
  /** First cycle its first beat may be presented. */
  readonly at: number;
  readonly accepted?: () => void;
}

export class ZcnicModel implements Device {
  readonly sched: Scheduler;
  readonly p: ModelParams;
  readonly stats: SessionStats = newSessionStats();
  readonly events: TraceRecord[] = [];
  readonly faults: FaultEvent[] = [];
  readonly counters: Record<StatName, number> = Object.fromEntries(STATS.map((n) => [n, 0])) as Record<StatName, number>;
  readonly tx: NicTx;
  readonly rx: NicRx;
  readonly steer: SteerRegs;
  readonly copy: CopyEngine;
  private readonly irq: IrqModeration;
  private readonly irqHandlers: IrqHandler[] = [];
  private readonly ethTxHandlers: EthTxHandler[] = [];
  private readonly loopbackHandlers: ((frame: Uint8Array, cycle: number) => void)[] = [];
  /** PARAMS and PARAMS2: the build, as nic_regs fills them in from its parameters. */
  private readonly params: number;
  private readonly params2: number;
  private scratch = 0;
  private irqStatus = 0;
  private irqMask = 0;
  private copyDescAddr = 0;
  private loopback = false;
  private nextMmioId = 0;
  private mmioFree = 0;
  private nextTag = 0;
  /** Frames for the RX ingress: from the MAC port and, in loopback, from TX. */
  private readonly macRx: MacFrame[] = [];
  private readonly lbRx: MacFrame[] = [];
  private rxStreaming = false;
  private rxPumpAt: number | null = null;
  private txFree = 0;
  /** Set when host code may have been resumed; the runner lets it settle. */
  woke = false;
  /** What host code waits on (MMIO accesses, sleeps), described only if a run gets stuck. */
  private readonly waits = new Set<MmioOp | { readonly until: number }>();

  readonly name: string;
  private readonly record: ((dir: '>' | '<', m: Msg) => void) | undefined;

  constructor(
    readonly clock: ManualClock,
    dma: DeviceDmaPort,
    o: ModelOptions = {},
  ) {
    this.sched = o.sched ?? new Scheduler();
    this.name = o.name ?? 'nic0';
    const record = (this.record = o.record);
    const p = (this.p = { ...MODEL_DEFAULTS, ...o.params });
    checkParams(p);
    this.params = regValue('PARAMS', { DATA_BYTES: p.dataBytes, IRQ_VECTORS: 1 + p.txQueues + p.rxQueues, CHUNK_LOG2: Math.log2(p.chunkBytes) });
    this.params2 = regValue('PARAMS2', { TX_QUEUES: p.txQueues, RX_QUEUES: p.rxQueues, MAX_RING_LOG2: p.maxRingLog2, MAX_FRAGS: p.maxFrags });
    const ctx: DmaContext = {
      port: dma,
      sched: this.sched, chunkBytes: p.chunkBytes, dataBytes: p.dataBytes, latency: p.latency,
      stats: this.stats,
      ...(record ? { record: (m: Msg) => record(m.type.endsWith('_CPL') ? '<' : '>', m) } : {}),
      fault: (cycle, label) => this.faults.push({ cycle, label }),
      nextTag: () => this.nextTag++ & 0xffffffff,
    };
    const vectors = p.txQueues + p.rxQueues;
    this.irq = new IrqModeration(vectors, this.sched, (i) => this.fireIrq(1 + i));
    const count = (n: StatName, by = 1): void => {
      this.counters[n] = (this.counters[n] + by) >>> 0;
    };
    this.tx = new NicTx(p.txQueues, p.maxRingLog2, p.maxFrags, ctx, {
      send: (frame, accepted) => this.txSend(frame, accepted),
      completion: (q) => this.irq.event(q),
      error: () => this.cause(IRQ_BIT.TXQ_ERROR),
      statFrame: (len) => {
        count('STAT_TX_FRAMES');
        count('STAT_TX_BYTES', len);
      },
      statDrop: () => count('STAT_TX_DROP_ERR'),
      statDmaErr: () => count('STAT_DMA_ERRORS'),
    }, {
      arm: (q) => this.irq.arm(q),
      config: (q) => this.irq.configure(q, this.tx.regs.q[q]!.irq_frames, this.tx.regs.q[q]!.irq_cycles),
    });
    this.steer = new SteerRegs(p.rxQueues, p.filters, p.rssEntries);
    const rxDrop = { nodesc: 'STAT_RX_DROP_NODESC', filter: 'STAT_RX_DROP_FILTER', queue: 'STAT_RX_DROP_QUEUE', bad: 'STAT_RX_DROP_BAD', dma: 'STAT_RX_DROP_DMA' } as const;
    this.rx = new NicRx(p.rxQueues, p.maxRingLog2, ctx, {
      tables: () => this.steer.tables(),
      completion: (q) => this.irq.event(p.txQueues + q),
      error: () => this.cause(IRQ_BIT.RXQ_ERROR),
      statFrame: (len) => {
        count('STAT_RX_FRAMES');
        count('STAT_RX_BYTES', len);
      },
      statDrop: (cause) => count(rxDrop[cause]),
      statDmaErr: () => count('STAT_DMA_ERRORS'),
      space: () => this.pumpRx(),
    }, {
      arm: (q) => this.irq.arm(p.txQueues + q),
      config: (q) => this.irq.configure(p.txQueues + q, this.rx.regs.q[q]!.irq_frames, this.rx.regs.q[q]!.irq_cycles),
    }, p.rxFifoBytes);
    this.copy = new CopyEngine(ctx, (error) => this.cause(error ? IRQ_BIT.COPY_ERROR : IRQ_BIT.COPY_DONE));
  }

  // --- Device ------------------------------------------------------------------------------------

  readReg(offset: number): Promise<number> {
    return this.mmio(false, offset, 0);
  }

  async writeReg(offset: number, value: number): Promise<void> {
    await this.mmio(true, offset, value);
  }

  onIrq(handler: IrqHandler): void {
    this.irqHandlers.push(handler);
  }

  onEthTx(handler: EthTxHandler): void {
    this.ethTxHandlers.push(handler);
  }

  /** Model only: every frame MAC loopback carries from TX to RX, at its last beat (a tap for pcap). */
  onLoopback(handler: (frame: Uint8Array, cycle: number) => void): void {
    this.loopbackHandlers.push(handler);
  }

  sleep(cycles: number): Promise<void> {
    if (!Number.isInteger(cycles) || cycles < 0) throw new RangeError(`sleep needs a whole number of cycles, got ${cycles}`);
    const w = { until: this.sched.now + cycles };
    this.waits.add(w);
    return new Promise((wake) =>
      this.sched.after(cycles, () => {
        this.waits.delete(w);
        this.woke = true;
        wake();
      }),
    );
  }

  ethRx(port: number, frame: Uint8Array, opts: { readonly bad?: boolean } = {}): void {
    const cycle = this.sched.now + this.p.latency;
    const bad = checkEthRx(port, frame, opts, cycle);
    this.stats.ethRxFrames++;
    this.stats.ethRxBytes += frame.length;
    const copy = new Uint8Array(frame); // a copy: a Buffer's slice() would share its bytes
    this.record?.('<', { type: 'ETH_RX', cycle, port, flags: bad ? ETH.FLAG.BAD : 0, frame: copy });
    this.enqueueMacRx(copy, bad, cycle);
  }

  /**
   * A frame from a wire onto the MAC RX stream at `cycle` (not before now); `bad` is an FCS
   * error (tuser on its last beat). Frames enter in arrival order, whatever order they came in.
   */
  macRxAt(frame: Uint8Array, bad: boolean, cycle: number): void {
    if (!Number.isInteger(cycle) || cycle < this.sched.now) throw new RangeError(`${this.name}: a frame for cycle ${cycle} arrives after it (now ${this.sched.now})`);
    checkEthRx(0, frame, { bad }, cycle);
    this.enqueueMacRx(frame, bad, cycle);
  }

  private enqueueMacRx(frame: Uint8Array, bad: boolean, cycle: number): void {
    let i = this.macRx.length;
    while (i > 0 && this.macRx[i - 1]!.at > cycle) i--;
    this.macRx.splice(i, 0, { frame, bad, at: cycle });
    this.pumpRx();
  }

  trace(kind: number, queue: number, index: number): void {
    const cycle = this.sched.now + this.p.latency;
    const problem = traceArgProblem(kind, queue, index);
    if (problem !== undefined) throw new DeviceArgError('trace', problem.field, problem.detail, cycle);
    traceRecord(this.events, { cycle, hostCycle: this.sched.now, kind, queue, index });
    this.stats.traceEvents++;
  }

  /** What host code is waiting for, for the message of a run that stopped. */
  describePending(): string {
    const parts = [...new Set([...this.waits].map((w) => ('until' in w ? `sleep until cycle ${w.until}` : `MMIO ${w.write ? 'write' : 'read'} of 0x${w.offset.toString(16)}`)))];
    return parts.length ? parts.join(', ') : 'nothing (the scenario is waiting for an interrupt or never finished)';
  }

  /** Test-only: the wrong model the differential test must catch (see NicRx.misSteer). */
  misSteer(frame: number): void {
    this.rx.misSteer = { frame };
  }

  // --- registers -------------------------------------------------------------------------------

  private mmio(write: boolean, offset: number, value: number): Promise<number> {
    const op = write ? 'writeReg' : 'readReg';
    const cycle = Math.max(this.sched.now + this.p.latency, this.mmioFree);
    if (!Number.isInteger(offset) || offset < 0 || offset >= REG_WINDOW_BYTES || offset % 4 !== 0) {
      return Promise.reject(new DeviceArgError(op, 'offset', `a register offset is a multiple of 4 below 0x${REG_WINDOW_BYTES.toString(16)}, got ${offset}`, cycle));
    }
    if (write && (!Number.isInteger(value) || value < -(2 ** 31) || value > 0xffffffff)) {
      return Promise.reject(new DeviceArgError(op, 'value', `a register value is a 32-bit integer, got ${value}`, cycle));
    }
    this.mmioFree = cycle + 1;
    const id = this.nextMmioId++;
    if (write) {
      this.stats.mmioWrites++;
      this.record?.('<', { type: 'MMIO_WR', cycle, id, addr: offset, data: value >>> 0 });
    } else {
      this.stats.mmioReads++;
      this.record?.('<', { type: 'MMIO_RD', cycle, id, addr: offset });
    }
    return new Promise<number>((resolve, reject) => {
      const m: MmioOp = { write, id, offset, value: value >>> 0, resolve, reject };
      this.waits.add(m);
      this.sched.at(cycle, () => {
        this.waits.delete(m);
        this.apply(m);
      });
    });
  }

  private apply(m: MmioOp): void {
    const now = this.sched.now;
    this.woke = true;
    if (m.write) {
      const resp = this.regWrite(m.offset, m.value);
      this.record?.('>', { type: 'MMIO_WR_DONE', cycle: now, id: m.id, resp });
      if (resp === AXI_RESP.OKAY) m.resolve(0);
      else m.reject(new MmioError('write', m.offset, resp === AXI_RESP.DECERR ? 'DECERR' : 'SLVERR', now, m.value));
      return;
    }
    const r = this.regRead(m.offset);
    this.record?.('>', { type: 'MMIO_RD_DONE', cycle: now, id: m.id, resp: r.resp, data: r.data });
    if (r.resp === AXI_RESP.OKAY) m.resolve(r.data);
    else m.reject(new MmioError('read', m.offset, r.resp === AXI_RESP.DECERR ? 'DECERR' : 'SLVERR', now));
  }

  /** nic_top's read decode. */
  regRead(off: number): { readonly data: number; readonly resp: number } {
    if (off & STEER.BASE) {
      const r = this.steer.read(off & 0xfff);
      return r.err ? { data: 0, resp: AXI_RESP.DECERR } : { data: r.data >>> 0, resp: AXI_RESP.OKAY };
    }
    const region = off >> 10;
    if (region === 1) return this.tx.regs.read(off & 0x3ff);
    if (region === 2) return this.rx.regs.read(off & 0x3ff);
    const stat = STAT_AT.get(off);
    if (stat) return { data: this.counters[stat], resp: AXI_RESP.OKAY };
    const fixed = CONSTANT.get(off);
    if (fixed !== undefined) return { data: fixed, resp: AXI_RESP.OKAY };
    const c = this.copy.st;
    const v = ((): number | undefined => {
      switch (off) {
        case REG.PARAMS: return this.params;
        case REG.ABI_HASH: return ABI_HASH32;
        case REG.SCRATCH: return this.scratch;
        case REG.CTRL: return 0;
        case REG.PARAMS2: return this.params2;
        case REG.IRQ_STATUS: return this.irqStatus;
        case REG.IRQ_MASK: return this.irqMask;
        case REG.MAC_CTRL: return this.loopback ? LOOPBACK_BIT : 0;
        case REG.QUEUE_ERRORS: return regValue('QUEUE_ERRORS', { TX: this.tx.regs.errorBits, RX: this.rx.regs.errorBits });
        case REG.COPY_DESC_ADDR: return this.copyDescAddr;
        case REG.COPY_DOORBELL: return 0;
        case REG.COPY_STATUS:
          return regValue('COPY_STATUS', { BUSY: c.busy, DONE: c.done, ERROR: c.error, ERR_CODE: c.errCode, ERR_RESP: c.errResp });
        case REG.COPY_ERR_ADDR: return c.errAddr;
        case REG.COPY_COMPLETED: return c.completed;
        case REG.COPY_BYTES: return c.bytes;
        default: return undefined;
      }
    })();
    return v === undefined ? { data: 0, resp: AXI_RESP.DECERR } : { data: v >>> 0, resp: AXI_RESP.OKAY };
  }

  /** nic_top's write decode; the response. */
  regWrite(off: number, v: number): number {
    if (off & STEER.BASE) return this.steer.write(off & 0xfff, v) ? AXI_RESP.OKAY : AXI_RESP.SLVERR;
    const region = off >> 10;
    if (region === 1) return this.tx.regs.write(off & 0x3ff, v);
    if (region === 2) return this.rx.regs.write(off & 0x3ff, v);
    if (READ_ONLY.has(off)) return AXI_RESP.OKAY;
    switch (off) {
      case REG.SCRATCH: this.scratch = v; break;
      case REG.IRQ_MASK: this.irqMask = v & IRQ_BITS; break;
      case REG.MAC_CTRL: this.setLoopback((v & LOOPBACK_BIT) !== 0); break;
      case REG.IRQ_STATUS: this.irqStatus &= ~(v & IRQ_BITS); break;
      case REG.COPY_DESC_ADDR:
        if (v & 15) return AXI_RESP.SLVERR;
        this.copyDescAddr = v;
        break;
      case REG.COPY_DOORBELL:
        if (this.copy.st.busy) return AXI_RESP.SLVERR;
        this.copy.start(this.copyDescAddr);
        break;
      case REG.CTRL:
        if (v & SOFT_RESET_BIT) this.softReset();
        break;
      default:
        return AXI_RESP.DECERR;
    }
    return AXI_RESP.OKAY;
  }

  /** Status cleared and the copy engine aborted; configuration and queues are kept. */
  private softReset(): void {
    this.irqStatus = 0;
    for (const n of STATS) this.counters[n] = 0;
    this.copy.softReset();
  }

  // --- interrupts -----------------------------------------------------------------------------

  /** A cause of vector 0 (MISC): a newly set, enabled cause pulses it the next cycle. */
  private cause(bit: number): void {
    const fresh = bit & this.irqMask & ~this.irqStatus;
    this.irqStatus |= bit;
    if (fresh) this.sched.after(1, () => this.fireIrq(0));
  }

  private fireIrq(vector: number): void {
    const now = this.sched.now;
    this.stats.irqs++;
    this.record?.('>', { type: 'IRQ', cycle: now, vector });
    this.woke = true;
    for (const h of this.irqHandlers) h(vector, now);
  }

  // --- the MAC side ---------------------------------------------------------------------------

  private beats(len: number): number {
    return Math.ceil(len / this.p.dataBytes);
  }

  private setLoopback(on: boolean): void {
    this.loopback = on;
    this.pumpRx();
  }

  /** A frame from nic_tx: to the RX path in loopback, else out of the MAC, one beat per cycle. */
  private txSend(frame: Uint8Array, accepted: () => void): void {
    if (this.loopback) {
      this.lbRx.push({ frame, bad: false, at: this.sched.now, accepted });
      this.pumpRx();
      return;
    }
    const start = Math.max(this.sched.now, this.txFree);
    const end = start + this.beats(frame.length) - 1;
    this.txFree = end + 1;
    this.sched.at(end, () => {
      accepted();
      this.stats.ethTxFrames++;
      this.stats.ethTxBytes += frame.length;
      this.record?.('>', { type: 'ETH_TX', cycle: end, port: 0, flags: 0, frame });
      this.woke = true;
      for (const h of this.ethTxHandlers) h({ port: 0, frame, bad: false, cycle: end });
    });
  }

  /** Start the next frame into the RX ingress: loopback frames in loopback, else the MAC's. */
  private pumpRx(): void {
    if (this.rxStreaming) return;
    const q = this.loopback ? this.lbRx : this.macRx;
    const f = q[0];
    if (!f) return;
    const now = this.sched.now;
    if (f.at > now) {
      if (this.rxPumpAt === null || this.rxPumpAt > f.at) {
        this.rxPumpAt = f.at;
        this.sched.at(f.at, () => {
          this.rxPumpAt = null;
          this.pumpRx();
        });
      }
      return;
    }
    // MAC backpressure: a frame starts when the frame RAM can take all of it
    if (!this.rx.room(f.frame.length)) return;
    q.shift();
    this.rxStreaming = true;
    this.sched.at(now + this.beats(f.frame.length) - 1, () => {
      this.rxStreaming = false;
      if (f.accepted) {
        f.accepted();
        for (const h of this.loopbackHandlers) h(f.frame, this.sched.now);
      }
      this.rx.ingress(f.frame, f.bad);
      this.pumpRx();
    });
  }
}

function checkParams(p: ModelParams): void {
  const bad = (what: string): never => {
    throw new RangeError(`model parameters: ${what}`);
  };
  if (![8, 16, 32, 64].includes(p.dataBytes)) bad(`dataBytes ${p.dataBytes} is not 8, 16, 32 or 64`);
  if (p.txQueues < 1 || p.txQueues > QUEUE.MAX_QUEUES || p.rxQueues < 1 || p.rxQueues > QUEUE.MAX_QUEUES) bad('queues must be 1..16');
  if (p.maxRingLog2 < 4 || p.maxRingLog2 > 15) bad(`maxRingLog2 ${p.maxRingLog2} is not 4..15`);
  if (p.maxFrags < 1 || p.maxFrags > 255) bad(`maxFrags ${p.maxFrags} is not 1..255`);
  if (p.chunkBytes & (p.chunkBytes - 1) || p.chunkBytes < 2 * p.dataBytes || p.chunkBytes > 4096) bad(`chunkBytes ${p.chunkBytes}`);
  if (p.rssEntries & (p.rssEntries - 1) || p.rssEntries < 4) bad(`rssEntries ${p.rssEntries}`);
  if (p.filters < 1 || p.filters > 64) bad(`filters ${p.filters}`);
  if (p.rxFifoBytes < 9216 + p.dataBytes) bad(`rxFifoBytes ${p.rxFifoBytes} below MAX_FRAME + a word`);
  if (!Number.isInteger(p.latency) || p.latency < 1) bad(`latency ${p.latency}`);
}
