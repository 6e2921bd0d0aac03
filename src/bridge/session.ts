// The host end of one co-simulation, without sockets: it takes the simulator's batches in order,
// serves device DMA through the platform's DeviceDmaPort, runs the driver's code at the cycle
// each event happened, and returns the reply batch. Every effect is stamped at least one link
// latency after the host time that caused it (docs/bridge-protocol.md, "Time"). MAC frames go
// both ways (ETH_RX, ETH_TX); driver events are recorded and, in runs with waves, sent as MARK.

import type { D2HMsg, H2DMsg, Msg } from '../abi/link.js';
import { BridgeError } from './errors.js';
import { ERR, ETH, type LinkParams, type MsgName } from '../abi/link.js';
import { HostSync } from './sync.js';
import { newSessionStats, type FaultEvent, type SessionStats } from '../device/stats.js';
import type { Transcript } from '../device/transcript.js';
import { ManualClock } from '../platform/clock.js';
import type { DeviceDmaPort } from '../platform/dma_port.js';
import { DeviceArgError, MmioError, checkEthRx, type Device, type EthTxHandler, type IrqHandler, type MmioResp } from '../device/device.js';
import { traceArgProblem, traceRecord, type TraceRecord } from '../debug/events.js';

const AXI_OKAY = 0;

function respName(resp: number): MmioResp {
  return resp === 3 ? 'DECERR' : 'SLVERR';
}

interface Pending<T> {
  readonly resolve: (v: T) => void;
  readonly reject: (e: Error) => void;
  readonly offset: number;
  readonly value?: number;
}

interface Sleeper {
  readonly until: number;
  readonly order: number;
  readonly wake: () => void;
}

/** Let every promise chain started by the last event run until it waits on simulated time. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export interface SessionOptions {
  /** Every bridge message is written here. */
  readonly transcript?: Transcript;
  /** Shared with the host platform (IOMMU flush timers); its period must match the link's. */
  readonly clock?: ManualClock;
  /** Send driver events as MARK (only runs with waves: the simulator traces the tb_evt_* signals). */
  readonly marks?: boolean;
}

export class HostSession implements Device {
  readonly name = 'nic0';
  readonly clock: ManualClock;
  readonly sync: HostSync;
  readonly stats: SessionStats = newSessionStats();

  /** Driver events (trace()), in the order the driver traced them. */
  readonly events: TraceRecord[] = [];
  /** DMA faults, in the order the host saw them. */
  readonly faults: FaultEvent[] = [];
  private outbox: H2DMsg[] = [];
  /**
   * Frames from a wire (ethRxAt), held until the reply they belong in: the last one whose floor
   * is at or below their cycle. Which reply carries a frame then does not depend on when the
   * other simulator's run delivered it to this host.
   */
  private wireInbox: H2DMsg[] = [];
  private nextMmioId = 0;
  private readonly mmioReads = new Map<number, Pending<number>>();
  private readonly mmioWrites = new Map<number, Pending<void>>();
  private readonly irqHandlers: IrqHandler[] = [];
  private readonly ethTxHandlers: EthTxHandler[] = [];
  private readonly transcript: Transcript | undefined;
  private readonly marks: boolean;
  private sleepers: Sleeper[] = [];
  private sleeperOrder = 0;
  private finishAt: number | undefined;
  /** Host time: the cycle of the event being handled, else the latest sync. */
  private now = 0;

  constructor(
    readonly params: LinkParams,
    private readonly dma: DeviceDmaPort,
    opts: SessionOptions = {},
  ) {
    const { clock } = opts;
    this.transcript = opts.transcript;
    this.marks = opts.marks ?? false;
    this.sync = new HostSync({ window: params.sync_window, latency: params.link_latency });
    if (clock && clock.periodPs !== params.clock_period_ps) {
      throw new RangeError(`host clock period ${clock.periodPs} ps differs from the link's ${params.clock_period_ps} ps`);
    }
    this.clock = clock ?? new ManualClock(params.clock_period_ps);
  }

  /** The cycle at which FINISH was sent, once the host has asked the simulator to stop. */
  get finishCycle(): number | undefined {
    return this.finishAt;
  }

  /** Outstanding waits, for a message that says what a stuck scenario was waiting for. */
  describePending(): string {
    const parts: string[] = [];
    for (const p of this.mmioReads.values()) parts.push(`MMIO read of 0x${p.offset.toString(16)}`);
    for (const p of this.mmioWrites.values()) parts.push(`MMIO write of 0x${p.offset.toString(16)}`);
    for (const s of this.sleepers) parts.push(`sleep until cycle ${s.until}`);
    return parts.length ? parts.join(', ') : 'nothing (the scenario is waiting for an interrupt or never finished)';
  }

  // --- Device (what the driver calls) ----------------------------------------------------------

  readReg(offset: number): Promise<number> {
    const id = this.nextMmioId++;
    this.stats.mmioReads++;
    this.emit({ type: 'MMIO_RD', cycle: this.stamp(), id, addr: offset });
    return new Promise((resolve, reject) => this.mmioReads.set(id, { resolve, reject, offset }));
  }

  writeReg(offset: number, value: number): Promise<void> {
    const id = this.nextMmioId++;
    this.stats.mmioWrites++;
    this.emit({ type: 'MMIO_WR', cycle: this.stamp(), id, addr: offset, data: value >>> 0 });
    return new Promise((resolve, reject) => this.mmioWrites.set(id, { resolve, reject, offset, value }));
  }

  onIrq(handler: IrqHandler): void {
    this.irqHandlers.push(handler);
  }

  onEthTx(handler: EthTxHandler): void {
    this.ethTxHandlers.push(handler);
  }

  ethRx(port: number, frame: Uint8Array, opts: { readonly bad?: boolean } = {}): void {
    const cycle = this.stamp();
    const bad = checkEthRx(port, frame, opts, cycle);
    this.stats.ethRxFrames++;
    this.stats.ethRxBytes += frame.length;
    this.emit({ type: 'ETH_RX', cycle, port, flags: bad ? ETH.FLAG.BAD : 0, frame: new Uint8Array(frame) });
  }

  /**
   * A frame from a wire onto MAC RX at `cycle`, which must be at least one link latency after
   * the host's time (the wire's latency covers it: docs/two-hosts.md).
   */
  ethRxAt(frame: Uint8Array, bad: boolean, cycle: number): void {
    const floor = this.stamp();
    if (cycle < floor) throw new DeviceArgError('ethRx', 'cycle', `a wire frame for cycle ${cycle} is inside the lookahead (earliest ${floor})`, floor);
    checkEthRx(0, frame, { bad }, cycle);
    this.stats.ethRxFrames++;
    this.stats.ethRxBytes += frame.length;
    this.wireInbox.push({ type: 'ETH_RX', cycle, port: 0, flags: bad ? ETH.FLAG.BAD : 0, frame: new Uint8Array(frame) });
  }

  trace(kind: number, queue: number, index: number): void {
    const cycle = this.stamp();
    const problem = traceArgProblem(kind, queue, index);
    if (problem !== undefined) throw new DeviceArgError('trace', problem.field, problem.detail, cycle);
    traceRecord(this.events, { cycle, hostCycle: this.now, kind, queue, index });
    this.stats.traceEvents++;
    if (!this.marks) return;
    this.stats.marks++;
    this.emit({ type: 'MARK', cycle, kind, queue, index });
  }

  sleep(cycles: number): Promise<void> {
    if (!Number.isInteger(cycles) || cycles < 0) throw new RangeError(`sleep needs a whole number of cycles, got ${cycles}`);
    return new Promise((wake) => this.sleepers.push({ until: this.now + cycles, order: this.sleeperOrder++, wake }));
  }

  /** Ask the simulator to stop one link latency from now. */
  finish(status: number): void {
    if (this.finishAt !== undefined) return;
    this.finishAt = this.stamp();
    this.emit({ type: 'FINISH', cycle: this.finishAt, status });
  }

  // --- the link side ----------------------------------------------------------------------------

  private stamp(): number {
    return this.sync.earliest(this.now);
  }

  private emit(m: H2DMsg): void {
    if (m.cycle < this.sync.earliest(this.now)) {
      throw new Error(`internal: ${m.type} stamped ${m.cycle} inside the lookahead (now ${this.now})`);
    }
    this.outbox.push(m);
  }

  /** Run the host's start-up code (at cycle 0) and return nothing: its effects go out with batch 0. */
  async start(main: () => Promise<void>, onError: (e: unknown) => void): Promise<void> {
    this.now = 0;
    main().then(
      () => this.finish(0),
      (e: unknown) => onError(e),
    );
    await settle();
  }

  /**
   * Handle one simulator batch and return the reply's messages. `beforeReply` runs once the
   * host's software has settled at the batch's sync time and before the reply is taken: a wire
   * to another simulator uses it to wait for that simulator's frames (ethRxAt) due in this reply.
   */
  async handleBatch(seq: number, sync: number, msgs: readonly D2HMsg[], beforeReply?: () => Promise<void>): Promise<H2DMsg[]> {
    this.sync.acceptBatch(seq, sync, msgs.map((m) => m.cycle));
    this.transcript?.batchIn(seq, sync, msgs);
    this.stats.batches++;
    let i = 0;
    // Messages and timer wake-ups in cycle order; a message goes before a timer of the same cycle.
    for (;;) {
      const m = msgs[i];
      const s = this.nextSleeper(sync);
      if (m === undefined && s === undefined) break;
      if (m !== undefined && (s === undefined || m.cycle <= s.until)) {
        this.now = m.cycle;
        this.clock.advanceTo(m.cycle);
        // DMA is served here and now; only completions and interrupts resume driver code.
        if (this.dispatch(m, seq, i)) await settle();
        i++;
      } else if (s !== undefined) {
        this.sleepers = this.sleepers.filter((x) => x !== s);
        this.now = Math.max(this.now, s.until);
        this.clock.advanceTo(this.now);
        s.wake();
        await settle();
      }
    }
    this.now = sync;
    this.clock.advanceTo(sync);
    await settle();
    if (beforeReply) {
      await beforeReply();
      await settle();
    }
    const out = this.outbox;
    this.outbox = [];
    out.sort((a, b) => a.cycle - b.cycle);
    if (this.wireInbox.length) {
      const next = this.sync.replyFloor(sync + this.params.sync_window);
      const due = this.wireInbox.filter((m) => m.cycle < next);
      this.wireInbox = this.wireInbox.filter((m) => m.cycle >= next);
      if (due.some((m) => m.cycle < this.sync.replyFloor(sync))) throw new Error(`internal: a wire frame came too late for the reply to batch ${seq}`);
      // after the host's own messages of their cycle; both lists are in cycle order
      due.sort((a, b) => a.cycle - b.cycle);
      out.push(...due);
      out.sort((a, b) => a.cycle - b.cycle);
    }
    this.transcript?.batchOut(seq, out);
    return out;
  }

  private nextSleeper(sync: number): Sleeper | undefined {
    let best: Sleeper | undefined;
    for (const s of this.sleepers) {
      if (s.until > sync) continue;
      if (!best || s.until < best.until || (s.until === best.until && s.order < best.order)) best = s;
    }
    return best;
  }

  /** Handle one device message; true if it may have resumed driver code. */
  private dispatch(m: D2HMsg, seq: number, msgIndex: number): boolean {
    switch (m.type) {
      case 'DMA_RD_REQ': {
        this.stats.dmaReads++;
        const r = this.dma.read(m.addr, m.len, m.cycle);
        if (r.ok) {
          if (r.data.length !== m.len) throw new Error(`internal: DMA port returned ${r.data.length} bytes for ${m.len}`);
          this.stats.dmaBytesRead += m.len;
          this.emit({ type: 'DMA_RD_CPL', cycle: this.stamp(), tag: m.tag, resp: AXI_OKAY, data: r.data });
        } else {
          this.stats.dmaFaults++;
          this.faults.push({ cycle: m.cycle, label: `DMA read fault 0x${r.fault.addr.toString(16)} (${r.fault.reason})` });
          this.emit({ type: 'DMA_RD_CPL', cycle: this.stamp(), tag: m.tag, resp: r.fault.resp, data: new Uint8Array(0) });
        }
        return false;
      }
      case 'DMA_WR_REQ': {
        this.stats.dmaWrites++;
        const r = this.dma.write(m.addr, m.data, m.cycle);
        if (r.ok) this.stats.dmaBytesWritten += m.data.length;
        else {
          this.stats.dmaFaults++;
          this.faults.push({ cycle: m.cycle, label: `DMA write fault 0x${r.fault.addr.toString(16)} (${r.fault.reason})` });
        }
        this.emit({ type: 'DMA_WR_CPL', cycle: this.stamp(), tag: m.tag, resp: r.ok ? AXI_OKAY : r.fault.resp });
        return false;
      }
      case 'IRQ':
        this.stats.irqs++;
        for (const h of this.irqHandlers) h(m.vector, m.cycle);
        return true;
      case 'MMIO_RD_DONE': {
        const p = this.take(this.mmioReads, m, seq, msgIndex);
        if (m.resp === AXI_OKAY) p.resolve(m.data >>> 0);
        else p.reject(new MmioError('read', p.offset, respName(m.resp), m.cycle));
        return true;
      }
      case 'MMIO_WR_DONE': {
        const p = this.take(this.mmioWrites, m, seq, msgIndex);
        if (m.resp === AXI_OKAY) p.resolve();
        else p.reject(new MmioError('write', p.offset, respName(m.resp), m.cycle, p.value));
        return true;
      }
      case 'ETH_TX': {
        this.stats.ethTxFrames++;
        this.stats.ethTxBytes += m.frame.length;
        const f = { port: m.port, frame: m.frame, bad: (m.flags & ETH.FLAG.BAD) !== 0, cycle: m.cycle };
        for (const h of this.ethTxHandlers) h(f);
        return true;
      }
    }
  }

  private take<T>(map: Map<number, Pending<T>>, m: Msg<MsgName> & { id: number }, seq: number, msgIndex: number): Pending<T> {
    const p = map.get(m.id);
    if (!p) {
      throw new BridgeError(ERR.SEQUENCE, `${m.type} for MMIO id ${m.id}, which is not outstanding`, { seq, msgIndex, cycle: m.cycle });
    }
    map.delete(m.id);
    return p;
  }
}
