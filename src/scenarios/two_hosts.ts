// two-hosts: two host platforms, each with its own memory, IOMMU, page_pools, driver and NIC,
// whose MAC ports are joined by a wire (src/wire/). Each host sends seeded traffic (pktgen's
// mix, as in `traffic`) on every TX queue to the other, which checks every frame end to end:
// bytes, the RX queue its own steering tables must pick, checksum verdict, RSS hash, header
// split. With wire faults on, what the wire dropped or corrupted must be exactly what never
// arrived (corrupted frames fail the receiving MAC's FCS check and are counted in
// STAT_RX_DROP_BAD), duplicates are recognised, and nothing arrives wrong.

import type { Device } from '../device/device.js';
import { ZcnicEthtool } from '../drivers/zcnic/ethtool.js';
import { DEFAULT_NETDEV_CONFIG, rxQueueLayout, ZcnicNetdev, type NetdevConfig } from '../drivers/zcnic/netdev.js';
import type { RxMeta } from '../drivers/zcnic/rxq.js';
import { NETDEV_TX_BUSY } from '../net/core/dev.js';
import { ZcnicDriver } from '../drivers/zcnic/zcnic.js';
import { hex } from '../lib/hex.js';
import { page_pool_inflight } from '../net/core/page_pool.js';
import { kfree_skb, skb_copy_bits, type SkBuff } from '../net/core/skbuff.js';
import { Rng } from '../lib/rng.js';
import type { Wire } from '../wire/wire.js';
import { hostReport, scenarioHost, type ScenarioHost } from '../host/machine.js';
import { WIRE_LATENCY, type PairScenario } from './types.js';
import { firstDiff, txSkb, expectRx, programSteering, rxMismatch, seqOf, trafficFrames, type PktgenFrame, type RxExpectation, type Steering } from './lib/frames.js';

/** Frames one host has in flight towards the other. */
const WINDOW = 24;
/** A frame still missing this long after it was sent is presumed lost (it may still come). */
const LOST_AFTER = 200_000;
/** Cycles without progress after which the end of a run stops waiting. */
const STALL_CYCLES = 400_000;

interface Expected {
  readonly f: PktgenFrame;
  readonly exp: RxExpectation;
}

export interface EndpointReport {
  frames_sent: number;
  frames_checked: number;
  /** Frames its steering tables drop by filter (never pending). */
  frames_filtered: number;
  /** Copies of a frame already received (the wire duplicated it). */
  duplicates: number;
  /** Frames that never arrived (the wire dropped or corrupted them). */
  frames_lost: number;
  ethtool: Record<string, number>;
  inflight_after_remove: number;
}

/** One host of the pair: its platform, driver and scoreboard of what its peer sends it. */
export class TrafficEndpoint {
  readonly rep: EndpointReport = { frames_sent: 0, frames_checked: 0, frames_filtered: 0, duplicates: 0, frames_lost: 0, ethtool: {}, inflight_after_remove: 0 };
  /** Frames the peer sent this host, by sequence number, until they arrive. */
  readonly pending = new Map<number, Expected>();
  /** Sequence number -> cycle of first arrival. */
  private readonly arrivals = new Map<number, number>();
  /** This host's frames sent and not yet known to have arrived. */
  private outstanding: { seq: number; sentAt: number }[] = [];
  /** The cycle this host finished sending, and the cycles it reached each barrier. */
  doneAt: number | undefined;
  readonly barrierAt: number[] = [];
  /** Sequence numbers the peer sent that this host's filters drop. */
  readonly filtered = new Set<number>();
  readonly cfg: NetdevConfig;
  nd: ZcnicNetdev | undefined;
  tables: Steering | undefined;
  private failure: Error | undefined;
  private wake: (() => void) | null = null;
  lastProgress = 0;

  constructor(
    readonly name: string,
    readonly h: ScenarioHost,
    private readonly seed: number,
    private readonly frames: number,
    poolZone: NetdevConfig['poolZone'] = 'normal',
    /** How far back this host sees its peer (the wire latency). */
    private readonly lag = WIRE_LATENCY,
  ) {
    // the traffic scenario's queue set-up: header split on 0..2, writable pages on 2 and 3
    this.cfg = {
      ...DEFAULT_NETDEV_CONFIG, loopback: false, poolZone,
      rxQueueOverrides: { 2: { memModel: 'writable' }, 3: { hdrSplit: false, memModel: 'writable' } },
    };
  }

  private signal(): void {
    this.lastProgress = this.h.clock.cycle;
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  fail(msg: string): void {
    this.failure ??= new Error(`${this.name}: ${msg}`);
    this.signal();
  }

  /** Progress or a timeout of simulated time; throws this host's first failure. */
  async wait(dev: Device): Promise<void> {
    await Promise.race([new Promise<void>((r) => (this.wake = r)), dev.sleep(4096)]);
    await this.nd?.settle();
    if (this.failure) throw this.failure;
  }

  /** The peer hands over a frame it is sending to this host. */
  expect(f: PktgenFrame): void {
    const exp = expectRx(f, this.tables!, (q) => rxQueueLayout(this.cfg, q));
    if (exp.drop) {
      this.filtered.add(f.seq);
      return;
    }
    this.pending.set(f.seq, { f, exp });
  }

  private onRx(skb: SkBuff, meta: RxMeta): void {
    const bytes = skb_copy_bits(skb, 0, skb.len);
    kfree_skb(skb);
    if (!bytes) return this.fail(`RX queue ${meta.queue}: skb_copy_bits of ${meta.frameLen} bytes failed`);
    const seq = seqOf(bytes);
    if (seq !== undefined && this.arrivals.has(seq)) {
      this.rep.duplicates++;
      return this.signal();
    }
    const p = seq === undefined ? undefined : this.pending.get(seq);
    if (!p) return this.fail(`RX queue ${meta.queue} at cycle ${meta.cycle}: a ${bytes.length}-byte frame its peer did not send it (seq ${seq ?? 'none'})`);
    this.pending.delete(seq!);
    this.arrivals.set(seq!, this.h.clock.cycle);
    const where = `frame seq ${seq} (${p.f.wire.length} bytes, peer TX queue ${p.f.txq}, ${p.f.kind}) on RX queue ${meta.queue} at cycle ${meta.cycle}`;
    const d = firstDiff(bytes, p.f.wire);
    if (d >= 0) return this.fail(`${where}: delivered as good but byte ${d} is ${bytes[d] === undefined ? 'missing' : hex(bytes[d]!)}, sent ${p.f.wire[d] === undefined ? 'the end' : hex(p.f.wire[d]!)}`);
    const bad = rxMismatch(meta, p.exp);
    if (bad) return this.fail(`${where}: ${bad}`);
    this.rep.frames_checked++;
    this.signal();
  }

  async bringUp(dev: Device): Promise<{ drv: ZcnicDriver; et: ZcnicEthtool }> {
    const drv = new ZcnicDriver(dev, this.h.host, this.h.pdev);
    const info = await drv.probe();
    const nd = (this.nd = new ZcnicNetdev(dev, this.h.host, this.h.pdev, info, this.cfg, (s, m) => this.onRx(s, m)));
    const et = new ZcnicEthtool(nd);
    this.tables = await programSteering(et, new Rng(this.seed), info.rxQueues);
    await nd.open();
    for (const t of nd.txq) t.onWake = () => this.signal();
    return { drv, et };
  }

  /**
   * What this host may know of its peer at its own time `now`: only what happened at least one
   * wire latency ago (as if told over the wire). With each host in its own simulator, what the
   * peer did more recently may or may not have been simulated yet; looking only this far back
   * keeps every decision, and so the run, independent of how the two interleave.
   */
  private seen(cycle: number | undefined): boolean {
    return cycle !== undefined && cycle <= this.h.clock.cycle - this.lag;
  }

  /** Frames this host sent that the peer is not yet known to have received, nor presumed lost. */
  private inFlight(peer: TrafficEndpoint): number {
    const now = this.h.clock.cycle;
    this.outstanding = this.outstanding.filter((o) => !peer.filtered.has(o.seq) && !this.seen(peer.arrivals.get(o.seq)));
    return this.outstanding.filter((o) => now - o.sentAt < LOST_AFTER).length;
  }

  /** Wait until the peer is known to have reached barrier `k` too. */
  async barrier(dev: Device, peer: TrafficEndpoint, k: number): Promise<void> {
    this.barrierAt[k] = this.h.clock.cycle;
    while (!this.seen(peer.barrierAt[k])) await dev.sleep(1024);
  }

  /** Send this host's frames to `peer`, in bursts with xmit_more, at most WINDOW in flight. */
  async send(dev: Device, peer: TrafficEndpoint): Promise<void> {
    const nd = this.nd!;
    const all = trafficFrames(this.seed, this.frames, nd.txq.length);
    const frameRng = (seq: number): Rng => new Rng((BigInt(this.seed) << 32n) | BigInt(seq >>> 0));
    const burstRng = new Rng(BigInt(this.seed) + 0x6275727374n);
    let i = 0;
    while (i < all.length) {
      if (this.inFlight(peer) >= WINDOW) {
        await this.wait(dev);
        continue;
      }
      const burst = all.slice(i, Math.min(i + burstRng.int(1, 6), all.length, i + WINDOW - this.inFlight(peer)));
      let busy = false;
      for (let k = 0; k < burst.length; k++) {
        const f = burst[k]!;
        const more = burst.slice(k + 1).some((g) => g.txq === f.txq);
        const skb = txSkb(this.h, f, frameRng(f.seq));
        peer.expect(f);
        if (nd.start_xmit(f.txq, skb, { csumIp: f.csumIp, csumL4: f.csumL4 }, more) === NETDEV_TX_BUSY) {
          peer.pending.delete(f.seq);
          peer.filtered.delete(f.seq);
          kfree_skb(skb);
          for (const t of nd.txq) if (t.bellPending) t.flushBell(false);
          busy = true;
          break;
        }
        this.rep.frames_sent++;
        this.outstanding.push({ seq: f.seq, sentAt: this.h.clock.cycle });
        i++;
      }
      if (busy) await this.wait(dev);
    }
    this.doneAt = this.h.clock.cycle;
  }

  /** Wait for the peer's frames until none is missing or nothing moved for STALL_CYCLES. */
  async drain(dev: Device, peer: TrafficEndpoint): Promise<void> {
    this.lastProgress = this.h.clock.cycle;
    while (!this.seen(peer.doneAt) || this.pending.size > 0) {
      if (this.seen(peer.doneAt) && this.h.clock.cycle - this.lastProgress > STALL_CYCLES) break;
      await this.wait(dev);
    }
    this.rep.frames_lost = this.pending.size;
  }

  async bringDown(drv: ZcnicDriver, et: ZcnicEthtool): Promise<void> {
    const nd = this.nd!;
    this.rep.ethtool = await et.get_ethtool_stats();
    this.rep.frames_filtered = this.filtered.size;
    const pools = nd.rxq.map((r) => r.pool);
    await nd.stop();
    await drv.remove();
    this.rep.inflight_after_remove = pools.reduce((a, p) => a + page_pool_inflight(p), 0);
    if (this.rep.inflight_after_remove !== 0) throw new Error(`${this.name}: ${this.rep.inflight_after_remove} page_pool pages in flight after remove`);
    this.h.host.driverUnbind(this.h.pdev);
    this.h.host.debug?.assertClean(true);
  }
}

export const twoHostsScenario: PairScenario = {
  name: 'two-hosts',
  description: 'two hosts, each with its own memory, IOMMU, page_pools and driver, send seeded traffic both ways over a wire between their NICs; every frame checked end to end',
  maxCycles: 400_000_000,
  options: ['frames', 'iommu', 'pool', 'swiotlb', 'wireFaults'],
  setup(seed, opts = {}) {
    const frames = opts.frames ?? 1000;
    const iommu = opts.iommu ?? 'strict';
    const mk = (): ScenarioHost => scenarioHost(iommu, { swiotlb: opts.swiotlb ?? 'auto' });
    const hosts = [mk(), mk()] as const;
    // different traffic each way
    const pool = opts.pool ?? 'normal';
    const ends = [new TrafficEndpoint('host0', hosts[0], seed * 2 + 1, frames, pool), new TrafficEndpoint('host1', hosts[1], seed * 2 + 2, frames, pool)] as const;
    const faults = opts.wireFaults ?? {};
    let wireRef: Wire | undefined;
    return {
      hosts,
      wire: { latency: WIRE_LATENCY, faults },
      start(me, dev) {
        const run = async (): Promise<void> => {
          const self = ends[me];
          const peer = ends[1 - me]!;
          const { drv, et } = await self.bringUp(dev);
          // both ends up before either sends: a frame for a NIC whose queues are off is dropped
          await self.barrier(dev, peer, 0);
          await self.send(dev, peer);
          await self.drain(dev, peer);
          await self.barrier(dev, peer, 1);
          await self.bringDown(drv, et);
        };
        return run();
      },
      check: (wire) => {
        wireRef = wire;
        checkLosses(wire, ends);
      },
      report: () => ({
        frames_per_host: frames,
        hosts: ends.map((e) => ({ name: e.name, ...e.rep, ...hostReport(e.h) })),
        wire: wireRef ? { latency_cycles: WIRE_LATENCY, faults, ...wireRef.stats, delivered: wireRef.delivered } : null,
      }),
      progress: () => ends.map((e) => `${e.name} ${e.rep.frames_checked} checked`).join(', '),
    };
  },
};

/**
 * What never arrived is exactly what the wire dropped or corrupted (and the receiver would not
 * have filtered), and each receiver counted every corrupted copy as a bad frame.
 */
function checkLosses(wire: Wire, ends: readonly [TrafficEndpoint, TrafficEndpoint]): void {
  for (const [dir, rx] of [['a->b', ends[1]], ['b->a', ends[0]]] as const) {
    const hit = new Set<number>();
    for (const e of wire.events) {
      if (e.dir !== dir || (e.fault !== 'drop' && e.fault !== 'corrupt')) continue;
      const seq = seqOf(e.frame);
      if (seq !== undefined && !rx.filtered.has(seq)) hit.add(seq);
    }
    const missing = [...rx.pending.keys()].sort((a, b) => a - b);
    const expected = [...hit].sort((a, b) => a - b);
    if (missing.join() !== expected.join()) {
      const notLost = missing.filter((q) => !hit.has(q));
      const arrived = expected.filter((q) => !rx.pending.has(q));
      throw new Error(`${rx.name}: ${missing.length} frames never arrived, the wire lost ${expected.length}; missing but not lost: [${notLost.join(', ')}], lost but arrived: [${arrived.join(', ')}]`);
    }
    const s = wire.stats[dir];
    // every corrupted copy (duplicates of a corrupted frame too) fails the FCS check
    const corruptedCopies = wire.events.filter((e) => e.dir === dir && e.fault === 'duplicate' && wire.events.some((c) => c.fault === 'corrupt' && c.frame === e.frame)).length + s.corrupted;
    if (rx.rep.ethtool['rx_drop_bad'] !== corruptedCopies) {
      throw new Error(`${rx.name}: STAT_RX_DROP_BAD is ${rx.rep.ethtool['rx_drop_bad']}, the wire corrupted ${corruptedCopies} copies`);
    }
    if (rx.rep.duplicates > s.duplicated) throw new Error(`${rx.name}: ${rx.rep.duplicates} duplicates received, the wire made ${s.duplicated}`);
  }
}
