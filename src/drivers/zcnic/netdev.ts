// The network side of the zcnic driver (ndo_open / ndo_stop / ndo_start_xmit, NAPI, the MISC
// interrupt and queue recovery), in the shape of fbnic and mqnic: one NAPI context per
// completion queue, rings and completion queues in coherent memory, RX buffers from one
// page_pool per RX queue, and no MMIO read on the packet path (completions carry a phase bit;
// the only fast-path register accesses are posted writes: doorbells and re-arms).

import { IRQ_VECTOR, REG, rxqVector, txqVector } from '../../abi/regs.js';
import { TRACE_EVENT, traceQueue } from '../../debug/events.js';
import type { Device } from '../../device/device.js';
import { hex } from '../../lib/hex.js';
import { NapiStruct, netif_napi_add, netif_napi_del } from '../../net/core/napi.js';
import type { MemoryProviderOps } from '../../net/core/page_pool.js';
import { SKB_WITH_OVERHEAD } from '../../net/core/skbuff.js';
import { PAGE_SIZE } from '../../mem/phys.js';
import type { SkBuff } from '../../net/core/skbuff.js';
import type { HostPlatform, Device as DmaDevice, DeviceFault } from '../../platform/host.js';
import { DriverError } from './errors.js';
import { queueErrorBits, type Moderation, type QueueBase, type QueueErrorInfo, type RegIo } from './ring.js';
import { RxQueue, type PoolZone, type RxHandler } from './rxq.js';
import type { RxMemModel } from './rx_skb.js';
import { TxQueue } from './txq.js';
import { type XmitOffload } from '../../net/core/dev.js';
import type { DeviceInfo } from './zcnic.js';

const IRQ_TXQ_ERROR = 1 << 2;
const IRQ_RXQ_ERROR = 1 << 3;
/** A queue that fails at the same descriptor this many times running, completing nothing, stays down. */
export const MAX_FRUITLESS_RECOVERIES = 3;

export interface NetdevConfig {
  /** log2 of every ring's entries (ethtool -G). */
  readonly txRingLog2: number;
  readonly rxRingLog2: number;
  readonly rxBufSize: number;
  readonly rxHdrSize: number;
  /** ethtool -G tcp-data-split */
  readonly hdrSplit: boolean;
  readonly txModeration: Moderation;
  readonly rxModeration: Moderation;
  /** Where page_pool pages come from. */
  readonly poolZone: PoolZone;
  readonly rxMemModel: RxMemModel;
  /** MAC_CTRL.LOOPBACK */
  readonly loopback: boolean;
  /** Per RX queue: header split and memory model other than the defaults above. */
  readonly rxQueueOverrides?: Readonly<Record<number, { readonly hdrSplit?: boolean; readonly memModel?: RxMemModel }>>;
}

export const DEFAULT_NETDEV_CONFIG: NetdevConfig = {
  txRingLog2: 8,
  rxRingLog2: 8,
  rxBufSize: 4096,
  rxHdrSize: 256,
  hdrSplit: true,
  txModeration: { frames: 8, cycles: 2000 },
  rxModeration: { frames: 8, cycles: 2000 },
  poolZone: 'normal',
  rxMemModel: 'readonly',
  loopback: true,
};

/**
 * Header split, memory model and data buffer size of RX queue q. A writable-mode queue builds its
 * skb on the page (napi_build_skb), which keeps the kernel's room for skb_shared_info at the end
 * of the buffer, so the device may fill only SKB_WITH_OVERHEAD(PAGE_SIZE) of it (3776 bytes,
 * BUF_SIZE's 64-byte granularity).
 */
export function rxQueueLayout(c: NetdevConfig, q: number): { hdrSplit: boolean; memModel: RxMemModel; bufSize: number } {
  const memModel = c.rxQueueOverrides?.[q]?.memModel ?? c.rxMemModel;
  const bufSize = memModel === 'writable' ? Math.min(c.rxBufSize, SKB_WITH_OVERHEAD(PAGE_SIZE) & ~63) : c.rxBufSize;
  return { hdrSplit: c.rxQueueOverrides?.[q]?.hdrSplit ?? c.hdrSplit, memModel, bufSize };
}

/** One queue error as the driver logged and recovered it. */
export interface QueueErrorRecord extends QueueErrorInfo {
  readonly queue: string;
  readonly cycle: number;
  /** The IOMMU (or bus) fault of that bus address that caused it, if the platform saw one. */
  readonly fault: DeviceFault | null;
  readonly lostFrames: number;
  recoveredAt: number | null;
}

export interface MmioReadCounts {
  /** Reads issued from the packet path (xmit, NAPI poll): the design keeps this 0. */
  fastpath: number;
  /** Probe, ethtool, the MISC handler and recovery. */
  slowpath: number;
}

export class ZcnicNetdev {
  readonly txq: TxQueue[] = [];
  readonly rxq: RxQueue[] = [];
  readonly queueErrors: QueueErrorRecord[] = [];
  readonly mmioReads: MmioReadCounts = { fastpath: 0, slowpath: 0 };
  /** Fast-path writes the device refused; any is a driver bug, reported by `check()`. */
  readonly refusedWrites: string[] = [];
  private up = false;
  private inPacketPath = 0;
  private recovering: Promise<void> = Promise.resolve();
  /** Each queue's last error: its descriptor, the completions consumed then, how often in a row. */
  private readonly lastError = new Map<QueueBase, { desc: number; cqHead: number; strikes: number }>();
  private unwatch: (() => void) | null = null;
  private readonly napiByVector = new Map<number, NapiStruct>();
  private readonly queueByVector = new Map<number, QueueBase>();
  readonly io: RegIo;
  /** Errors of asynchronous work (recovery) to surface at the next call. */
  private asyncError: unknown = undefined;

  constructor(
    readonly dev: Device,
    readonly host: HostPlatform,
    readonly pdev: DmaDevice,
    readonly info: DeviceInfo,
    readonly config: NetdevConfig,
    private readonly rxHandler: RxHandler,
  ) {
    this.io = {
      read: (off) => {
        if (this.inPacketPath) this.mmioReads.fastpath++;
        else this.mmioReads.slowpath++;
        return dev.readReg(off);
      },
      write: (off, v) => dev.writeReg(off, v),
      post: (off, v, what) => {
        dev.writeReg(off, v).catch((e: unknown) => this.refusedWrites.push(`${what}: ${e instanceof Error ? e.message : String(e)}`));
      },
    };
    dev.onIrq((vector) => this.irq(vector));
  }

  get isUp(): boolean {
    return this.up;
  }

  /** ndo_open: rings, pools, buffers posted, queues enabled, interrupts on. */
  async open(): Promise<void> {
    if (this.up) throw new DriverError('E_STATE', 'open() of a device that is up');
    const c = this.config;
    await this.io.write(REG.MAC_CTRL, c.loopback ? 1 : 0);
    for (let q = 0; q < this.info.txQueues; q++) {
      const t = new TxQueue('tx', q, c.txRingLog2, txqVector(q), this.host, this.pdev, this.dev, this.io, (x) => this.napiFor(x));
      t.setup(this.info.maxFrags);
      this.txq.push(t);
      await t.program(c.txModeration, 0);
    }
    for (let q = 0; q < this.info.rxQueues; q++) {
      const r = new RxQueue(q, c.rxRingLog2, rxqVector(this.info.txQueues, q), this.host, this.pdev, this.dev, this.io, (x) => this.napiFor(x), {
        ...rxQueueLayout(c, q), hdrSize: c.rxHdrSize, zone: c.poolZone,
      }, this.rxHandler);
      r.setup();
      this.rxq.push(r);
      r.refill(false);
      await r.program(c.rxModeration, r.ctrlBits);
      await this.io.write(r.reg('PROD'), r.prod);
    }
    await this.io.write(REG.IRQ_MASK, IRQ_TXQ_ERROR | IRQ_RXQ_ERROR);
    for (const x of [...this.txq, ...this.rxq]) await this.io.write(x.reg('IRQ_ARM'), 1);
    this.up = true;
    this.unwatch = this.host.watch.register(`zcnic ${this.pdev.name}`, () => this.describeQueues());
  }

  /** What the queues have outstanding, for a stuck run's report ('' when nothing is). */
  describeQueues(): string {
    const parts: string[] = [];
    for (const t of this.txq) {
      if (t.inFlight) parts.push(`${t.name} ${t.inFlight} frame(s) in flight (prod ${t.prod}, cq head ${t.cqHead})${t.stopped ? ', stopped' : ''}${t.resetting ? ', resetting' : ''}`);
    }
    for (const r of this.rxq) {
      const posted = (r.prod - r.cqHead) & 0xffff;
      if (posted === 0 || r.resetting) parts.push(`${r.name} ${posted} buffer(s) posted (prod ${r.prod}, cq head ${r.cqHead})${r.resetting ? ', down' : ''}`);
    }
    return parts.join(', ');
  }

  /** netif_napi_add: one NAPI instance per queue, with its id (SO_INCOMING_NAPI_ID, netdev_nl_queue_get). */
  private napiFor(x: QueueBase): NapiStruct {
    const n = new NapiStruct(`zcnic ${x.name}`, (napi, budget) => this.napiPoll(x, napi, budget));
    netif_napi_add(this.host, n);
    this.napiByVector.set(x.vector, n);
    this.queueByVector.set(x.vector, x);
    return n;
  }

  /** ndo_start_xmit on TX queue `q` (skb_get_queue_mapping). */
  start_xmit(q: number, skb: SkBuff, offload?: XmitOffload, xmit_more = false): number {
    this.surface();
    if (!this.up) throw new DriverError('E_STATE', 'xmit on a device that is down');
    const t = this.txq[q];
    if (!t) throw new DriverError('E_STATE', `no TX queue ${q}`);
    this.inPacketPath++;
    try {
      return t.start_xmit(skb, offload, xmit_more);
    } finally {
      this.inPacketPath--;
    }
  }

  private irq(vector: number): void {
    if (!this.up) return;
    if (vector === IRQ_VECTOR.MISC) {
      this.recovering = this.recovering.then(() => this.miscIrq()).catch((e: unknown) => {
        this.asyncError ??= e;
        // nothing the driver can do: the host learns now, not at the next call that settles
        this.host.watch.fatal(e);
      });
      return;
    }
    const napi = this.napiByVector.get(vector);
    if (!napi) return;
    const x = this.queueByVector.get(vector)!;
    this.dev.trace(TRACE_EVENT.IRQ, traceQueue(x.dir, x.q), vector);
    napi.schedule();
  }

  private napiPoll(x: QueueBase, napi: NapiStruct, budget: number): number {
    this.inPacketPath++;
    try {
      const done = x instanceof TxQueue ? x.poll(budget) : (x as RxQueue).poll(budget);
      x.trace('NAPI_POLL', done);
      if (done < budget && napi.complete_done(done) && !x.resetting) {
        x.trace('NAPI_COMPLETE', done);
        x.rearm();
      }
      return done;
    } finally {
      this.inPacketPath--;
    }
  }

  /** The MISC vector: queue errors. Reads registers (slow path), logs, recovers each queue. */
  private async miscIrq(): Promise<void> {
    const cause = await this.io.read(REG.IRQ_STATUS);
    await this.io.write(REG.IRQ_STATUS, cause);
    if (!(cause & (IRQ_TXQ_ERROR | IRQ_RXQ_ERROR))) return;
    const bits = queueErrorBits(await this.io.read(REG.QUEUE_ERRORS));
    for (const x of [...this.txq, ...this.rxq]) {
      const mask = x.dir === 'tx' ? bits.tx : bits.rx;
      if (mask & (1 << x.q)) await this.recover(x);
    }
  }

  /** Disable, wait for BUSY to clear, reset, re-post, re-enable; log what happened and why. */
  private async recover(x: QueueBase): Promise<void> {
    const cycle = this.dev.clock.cycle;
    const err = await x.readError();
    x.trace('QUEUE_ERROR', err.descIndex);
    x.errors++;
    // the same descriptor failing again with nothing completed since: the fault is not transient
    const again = this.lastError.get(x);
    const strikes = again && again.desc === err.descIndex && again.cqHead === x.cqHead ? again.strikes + 1 : 1;
    this.lastError.set(x, { desc: err.descIndex, cqHead: x.cqHead, strikes });
    if (strikes > MAX_FRUITLESS_RECOVERIES) {
      x.napi.disable();
      x.resetting = true;
      this.host.klog.printk('err', `zcnic ${this.pdev.name}: ${x.name}: ${err.codeName} error at descriptor ${err.descIndex} again after ${MAX_FRUITLESS_RECOVERIES} recoveries; the queue stays down`);
      throw new DriverError('E_RECOVERY',
        `${x.name} failed again (${err.codeName}, resp ${err.resp}, bus address ${hex(err.errAddr)}) after ${MAX_FRUITLESS_RECOVERIES} recoveries with nothing completed; the queue stays down`,
        { queue: x.name, index: err.descIndex, cycle });
    }
    // a burst never crosses 4 KiB, so the fault that failed it is in the page of its start address
    const page = BigInt(err.errAddr) >> 12n;
    const fault = [...this.host.faults].reverse().find((f) => f.addr >> 12n === page) ?? null;
    // entries written before the error are whole frames: take them first
    x.napi.disable();
    this.inPacketPath++;
    try {
      if (x instanceof TxQueue) x.poll(x.entries);
      else (x as RxQueue).poll(x.entries, false);
    } finally {
      this.inPacketPath--;
    }
    x.resetting = true;
    const rec: QueueErrorRecord = { queue: x.name, cycle, ...err, fault, lostFrames: 0, recoveredAt: null };
    this.queueErrors.push(rec);
    this.host.klog.printk('err',
      `zcnic ${this.pdev.name}: ${x.name}: ${err.codeName} error (resp ${err.resp}) at descriptor ${err.descIndex}, bus address ${hex(err.errAddr)}, cycle ${cycle}` +
      (fault ? `; ${fault.source} fault: ${fault.message}` : ''));
    x.trace('QUEUE_RESET', err.descIndex);
    (rec as { lostFrames: number }).lostFrames = await this.resetQueue(x, null);
    rec.recoveredAt = this.dev.clock.cycle;
    x.trace('QUEUE_RECOVERED', x.prod);
    this.host.klog.printk('info', `zcnic ${this.pdev.name}: ${x.name}: recovered at cycle ${rec.recoveredAt}`);
    await this.io.write(x.reg('IRQ_ARM'), 1);
    x.napi.enable();
    if (x instanceof TxQueue) x.onWake?.();
  }

  /**
   * Reset a stopped queue (NAPI off, completions taken) and start it again; an RX queue may get a
   * new page_pool meanwhile (`pool`: its memory provider, or null for the page allocator). Frames
   * a TX queue still held are lost: the count is returned.
   */
  private async resetQueue(x: QueueBase, pool: { readonly mp: MemoryProviderOps | null } | null): Promise<number> {
    x.resetting = true;
    const ctrlKeep = x instanceof RxQueue ? x.ctrlBits : 0;
    await x.quiesceAndReset(ctrlKeep);
    let lost = 0;
    if (x instanceof TxQueue) {
      lost = x.flushAll();
      x.stopped = false;
    } else {
      const r = x as RxQueue;
      r.releaseBuffers();
      if (pool) r.replacePool(pool.mp);
      r.refill(false);
    }
    await this.io.write(x.reg('CTRL'), 1 | ctrlKeep);
    if (x instanceof RxQueue) await this.io.write(x.reg('PROD'), x.prod);
    x.resetting = false;
    x.restarts++;
    return lost;
  }

  /**
   * netdev_rx_queue_restart() through queue_mgmt_ops: RX queue q stops, takes what it has
   * completed, gets a page_pool from `mp` (RX zero copy's memory provider) or, with null, from the
   * page allocator again, and starts. Buffers posted and not yet written are simply returned.
   */
  async restartRxQueue(q: number, mp: MemoryProviderOps | null): Promise<void> {
    const r = this.rxq[q];
    if (!r || !this.up) throw new DriverError('E_STATE', `restart of RX queue ${q}, which is not running`);
    await this.settle();
    r.napi.disable();
    this.inPacketPath++;
    try {
      r.poll(r.entries, false);
    } finally {
      this.inPacketPath--;
    }
    r.trace('QUEUE_RESET', r.prod);
    await this.resetQueue(r, { mp });
    await this.io.write(r.reg('IRQ_ARM'), 1);
    r.napi.enable();
  }

  /** Wait for recovery work started by interrupts so far. */
  async settle(): Promise<void> {
    await this.recovering;
    this.surface();
  }

  private surface(): void {
    if (this.asyncError !== undefined) {
      const e = this.asyncError;
      this.asyncError = undefined;
      throw e;
    }
    if (this.refusedWrites.length) throw new DriverError('E_DOORBELL', `the device refused ${this.refusedWrites.length} fast-path write(s): ${this.refusedWrites[0]}`);
  }

  /** ndo_stop: interrupts off, queues disabled and idle, buffers and pools released. */
  async stop(): Promise<void> {
    if (!this.up) return;
    await this.settle();
    await this.io.write(REG.IRQ_MASK, 0);
    this.up = false;
    this.unwatch?.();
    this.unwatch = null;
    for (const x of [...this.txq, ...this.rxq]) {
      x.napi.disable();
      await x.quiesceAndReset(0);
    }
    for (const t of this.txq) {
      t.flushAll();
      t.freeRings();
    }
    for (const r of this.rxq) r.teardown();
    for (const n of this.napiByVector.values()) netif_napi_del(this.host, n);
    this.txq.length = 0;
    this.rxq.length = 0;
    this.napiByVector.clear();
    this.queueByVector.clear();
  }
}

