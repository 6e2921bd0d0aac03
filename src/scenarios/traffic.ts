// traffic (the default scenario): the TS driver moves seeded frames through the RTL NIC.
// Frames of 60..9000 bytes over several flows (VLAN and non-IP among them, checksum offload on
// and off, some with bad checksums) go out on every TX queue as scatter-gather packet buffers in
// pages above 4 GiB. The first half comes back through MAC loopback; for the second half
// loopback is off, every frame leaving the MAC is checked on the wire (checksums inserted) and
// put back on MAC RX by the host, together with frames marked bad that the NIC must drop; the
// steering tables are reprogrammed and interrupt moderation turned on between the halves.
// NAPI receives them from page_pool buffers; every frame is checked byte for byte against the
// RX queue its flow must reach (the steering model), with its checksum verdict, RSS hash and
// header split. At the end the driver is removed and nothing may be left behind.

import type { Device } from '../device/device.js';
import { ZcnicDriver } from '../drivers/zcnic/zcnic.js';
import { DEFAULT_NETDEV_CONFIG, rxQueueLayout, ZcnicNetdev, type NetdevConfig } from '../drivers/zcnic/netdev.js';
import { ZcnicEthtool } from '../drivers/zcnic/ethtool.js';
import type { RxMeta } from '../drivers/zcnic/rxq.js';
import { NETDEV_TX_BUSY } from '../net/core/dev.js';
import { hex } from '../lib/hex.js';
import { page_pool_get_stats, page_pool_inflight } from '../net/core/page_pool.js';
import { kfree_skb, skb_copy_bits, type SkBuff } from '../net/core/skbuff.js';
import { Rng } from '../lib/rng.js';
import { firstDiff, txSkb, trafficFrames, expectRx, seqOf, programSteering, rxMismatch, type PktgenFrame, type RxExpectation } from './lib/frames.js';
import type { Scenario, ScenarioOptions } from './types.js';
import { delivery } from './lib/diff.js';
import { hostInstance, hostReport, scenarioHost, type IommuChoice, type ScenarioHost } from '../host/machine.js';

/** Frames in flight at once: below what the RX rings hold, so no frame is dropped for want of a buffer. */
const WINDOW = 24;
/** Cycles without any progress after which the run stops waiting for frames. */
const STALL_CYCLES = 400_000;
/** Interrupt moderation in the wire half: by count, with a time bound (ethtool -C). */
const SECOND_HALF_COALESCE = { rx_usecs: 2, rx_max_coalesced_frames: 8, tx_usecs: 4, tx_max_coalesced_frames: 16 } as const;
/** Frames put on MAC RX marked bad, in the wire half. */
const BAD_FRAMES = 4;

interface Pending {
  readonly f: PktgenFrame;
  readonly exp: RxExpectation;
  readonly wire: boolean;
}

export interface TrafficReport {
  frames_sent: number;
  frames_received: number;
  bytes_sent: number;
  bytes_received: number;
  frames_checked: number;
  frames_dropped_by_filter: number;
  frames_lost_to_faults: number;
  wire_frames_checked: number;
  bad_frames_injected: number;
}

export const trafficScenario: Scenario = {
  name: 'traffic',
  description: 'seeded frames on every TX queue through the RTL (MAC loopback, then the wire), received by NAPI from page_pool buffers, each checked byte for byte',
  maxCycles: 200_000_000,
  options: ['frames', 'iommu', 'pool', 'faults', 'swiotlb'],
  setup(seed: number, opts: ScenarioOptions = {}) {
    const frames = opts.frames ?? 500;
    const iommu: IommuChoice = opts.iommu ?? 'strict';
    const h: ScenarioHost = scenarioHost(iommu, { swiotlb: opts.swiotlb ?? 'auto', ...(opts.dataBytes ? { dataBytes: opts.dataBytes } : {}) });
    const rng = new Rng(seed);
    // Each frame's buffer layout comes from its own stream, so it does not depend on when the
    // frame is sent (how many draws came before): the outcome of a run is independent of the
    // port's timing. Batching draws from another stream, and only steers timing.
    const frameRng = (seq: number): Rng => new Rng((BigInt(seed) << 32n) | BigInt(seq >>> 0));
    const burstRng = new Rng(BigInt(seed) + 0x6275727374n);
    // RX queue 3 without header split, in the writable page mode (headers read in the page);
    // queue 2 writable too (its non-IP frames are not split); queues 0 and 1 read-only
    const cfg: NetdevConfig = {
      ...DEFAULT_NETDEV_CONFIG, poolZone: opts.pool ?? 'normal',
      rxQueueOverrides: { 2: { memModel: 'writable' }, 3: { hdrSplit: false, memModel: 'writable' } },
    };
    const rep: TrafficReport = {
      frames_sent: 0, frames_received: 0, bytes_sent: 0, bytes_received: 0, frames_checked: 0,
      frames_dropped_by_filter: 0, frames_lost_to_faults: 0, wire_frames_checked: 0, bad_frames_injected: 0,
    };
    const perQueue = { tx: [] as number[], rx: [] as number[] };
    const pending = new Map<number, Pending>();
    const mismatches: string[] = [];
    let nd: ZcnicNetdev | undefined;
    let ethtoolStats: Record<string, number> = {};
    let poolReport: Record<string, unknown> = {};
    let dmaCost: Record<string, number> = {};
    let rxQueues: { queue: number; hdr_split: boolean; mem_model: string; buf_size: number }[] = [];
    let failure: Error | undefined;
    let wake: (() => void) | null = null;
    let lastProgress = 0;
    const signal = (): void => {
      lastProgress = h.clock.cycle;
      const w = wake;
      wake = null;
      w?.();
    };
    const fail = (msg: string): void => {
      failure ??= new Error(msg);
      signal();
    };

    const onRx = (skb: SkBuff, meta: RxMeta): void => {
      const bytes = skb_copy_bits(skb, 0, skb.len);
      if (!bytes) return fail(`RX queue ${meta.queue}: skb_copy_bits of ${skb.len} bytes failed`);
      kfree_skb(skb); // back to its page_pool, directly: we are inside the NAPI poll
      rep.frames_received++;
      rep.bytes_received += bytes.length;
      perQueue.rx[meta.queue] = (perQueue.rx[meta.queue] ?? 0) + 1;
      const seq = seqOf(bytes);
      const p = seq === undefined ? undefined : pending.get(seq);
      if (!p) return fail(`RX queue ${meta.queue} at cycle ${meta.cycle}: a ${bytes.length}-byte frame no one sent (seq ${seq ?? 'none'})`);
      pending.delete(seq!);
      const where = `frame seq ${seq} (${p.f.wire.length} bytes, TX queue ${p.f.txq}, ${p.f.kind}) on RX queue ${meta.queue} at cycle ${meta.cycle}`;
      const d = firstDiff(bytes, p.f.wire);
      if (d >= 0) return fail(`${where}: byte ${d} is ${bytes[d] === undefined ? 'missing' : hex(bytes[d]!)}, expected ${p.f.wire[d] === undefined ? 'the end' : hex(p.f.wire[d]!)}`);
      opts.deliveries?.push(delivery(seq!, bytes, meta.cqes, meta.cycle));
      const bad = rxMismatch(meta, p.exp);
      if (bad && opts.scoreboard === 'record') mismatches.push(`${where}: ${bad}`);
      else if (bad) return fail(`${where}: ${bad}`);
      rep.frames_checked++;
      signal();
    };

    return {
      ...hostInstance(h),
      // e.g. "167 of 500 frames sent (9 of them to be dropped by the NIC's filters), 142 received and checked"
      progress: () =>
        `${rep.frames_sent} of ${frames} frames sent (${rep.frames_dropped_by_filter} of them to be dropped by the NIC's filters), ` +
        `${rep.frames_checked} received and checked`,
      async main(dev: Device) {
        const drv = new ZcnicDriver(dev, h.host, h.pdev);
        const info = await drv.probe();
        nd = new ZcnicNetdev(dev, h.host, h.pdev, info, cfg, onRx);
        const et = new ZcnicEthtool(nd);
        let tables = await programSteering(et, rng, info.rxQueues);
        await nd.open();
        const netdev = nd;
        for (const t of netdev.txq) t.onWake = signal;

        const wait = async (): Promise<void> => {
          // progress or a timeout of simulated time, whichever first
          await Promise.race([new Promise<void>((r) => (wake = r)), dev.sleep(4096)]);
          await netdev.settle();
          if (failure) throw failure;
        };
        const all = trafficFrames(seed, frames, info.txQueues);
        const half = Math.ceil(all.length / 2);
        const faultAt = opts.faults ? [Math.floor(all.length / 4), Math.floor((3 * all.length) / 8)] : [];
        let i = 0;
        while (i < all.length) {
          if (i === half) {
            await drain();
            // the second half under other steering (a new RSS key and table, another default
            // queue) and with interrupt moderation on, changed while the queues run
            tables = await programSteering(et, rng, info.rxQueues);
            const rc = await et.set_coalesce(SECOND_HALF_COALESCE);
            if (rc !== 0) throw new Error(`set_coalesce refused: errno ${rc}`);
            await startWire(dev, netdev);
          }
          if (faultAt[0] === i && !netdev.rxq[i % netdev.rxq.length]!.poisonAhead()) throw new Error('no RX descriptor to poison');
          if (faultAt[1] === i) netdev.txq[all[i]!.txq]!.injectStaleFragment = true;
          if (pending.size >= WINDOW) {
            await wait();
            continue;
          }
          // a burst of 1..6 frames with xmit_more on all but the last of each queue
          const burst = all.slice(i, Math.min(i + burstRng.int(1, 6), all.length, i + WINDOW - pending.size, i >= half ? all.length : half));
          let busy = false;
          for (let k = 0; k < burst.length; k++) {
            const f = burst[k]!;
            const more = burst.slice(k + 1).some((g) => g.txq === f.txq);
            const skb = txSkb(h, f, frameRng(f.seq));
            const exp = expectRx(f, tables, (q) => rxQueueLayout(cfg, q));
            if (exp.drop) rep.frames_dropped_by_filter++;
            // test-only: a scoreboard that expects one frame on the wrong queue must fail the run
            else pending.set(f.seq, { f, exp: f.seq === opts.testWrongQueue ? { ...exp, queue: (exp.queue + 1) % info.rxQueues } : exp, wire: i + k >= half });
            const rc = netdev.start_xmit(f.txq, skb, { csumIp: f.csumIp, csumL4: f.csumL4 }, more);
            if (rc === NETDEV_TX_BUSY) {
              pending.delete(f.seq);
              if (exp.drop) rep.frames_dropped_by_filter--;
              kfree_skb(skb);
              for (const t of netdev.txq) if (t.bellPending) t.flushBell(false);
              busy = true;
              break;
            }
            rep.frames_sent++;
            rep.bytes_sent += f.wire.length;
            perQueue.tx[f.txq] = (perQueue.tx[f.txq] ?? 0) + 1;
            i++;
          }
          if (busy) await wait();
        }
        await drain();

        async function drain(): Promise<void> {
          lastProgress = h.clock.cycle;
          while (pending.size > 0) {
            if (h.clock.cycle - lastProgress > STALL_CYCLES) break;
            await wait();
          }
          if (pending.size > 0 && !opts.faults) {
            const [seq, p] = pending.entries().next().value as [number, Pending];
            throw new Error(`${pending.size} frames never arrived, first seq ${seq} (TX queue ${p.f.txq}, ${p.f.wire.length} bytes, expected on RX queue ${p.exp.queue})`);
          }
        }

        async function startWire(d: Device, n: ZcnicNetdev): Promise<void> {
          await n.io.write(0x28 /* MAC_CTRL */, 0);
          d.onEthTx((tx) => {
            const seq = seqOf(tx.frame);
            const p = seq === undefined ? undefined : pending.get(seq);
            if (p && firstDiff(tx.frame, p.f.wire) !== -1) return fail(`frame seq ${seq} left the MAC at cycle ${tx.cycle} differing from its wire form at byte ${firstDiff(tx.frame, p.f.wire)}`);
            if (p) rep.wire_frames_checked++;
            d.ethRx(0, tx.frame);
          });
          for (let b = 0; b < BAD_FRAMES; b++) {
            d.ethRx(0, rng.bytes(rng.int(60, 1500)), { bad: true });
            rep.bad_frames_injected++;
          }
        }

        if (opts.faults) {
          rep.frames_lost_to_faults = pending.size;
          for (const [seq, p] of pending) {
            const q = nd.queueErrors.map((r) => r.queue);
            if (!q.includes(`txq${p.f.txq}`) && !q.includes(`rxq${p.exp.queue}`)) {
              throw new Error(`frame seq ${seq} (TX queue ${p.f.txq} -> RX queue ${p.exp.queue}) was lost on queues that had no error`);
            }
          }
          if (nd.queueErrors.length < 2) throw new Error(`${nd.queueErrors.length} queue errors, 2 were injected`);
          if (nd.queueErrors.some((r) => r.recoveredAt === null)) throw new Error('a queue was not recovered');
        }
        ethtoolStats = await et.get_ethtool_stats();
        if (ethtoolStats['rx_drop_nodesc'] !== 0) throw new Error(`${ethtoolStats['rx_drop_nodesc']} frames dropped for want of RX descriptors`);
        if (!opts.faults && ethtoolStats['rx_drop_bad'] !== rep.bad_frames_injected) {
          throw new Error(`STAT_RX_DROP_BAD is ${ethtoolStats['rx_drop_bad']}, ${rep.bad_frames_injected} bad frames were injected`);
        }
        if (ethtoolStats['rx_drop_filter'] !== rep.frames_dropped_by_filter) {
          throw new Error(`STAT_RX_DROP_FILTER is ${ethtoolStats['rx_drop_filter']}, the model dropped ${rep.frames_dropped_by_filter}`);
        }
        const pools = netdev.rxq.map((r) => r.pool);
        rxQueues = netdev.rxq.map((r) => ({ queue: r.q, hdr_split: r.cfg.hdrSplit, mem_model: r.cfg.memModel, buf_size: r.cfg.bufSize }));
        poolReport = { per_queue: pools.map((p) => page_pool_get_stats(p)) };
        const txMaps = netdev.txq.reduce((a, t) => a + t.stats.maps, 0);
        const txUnmaps = netdev.txq.reduce((a, t) => a + t.stats.unmaps, 0);
        await netdev.stop();
        await drv.remove();
        const inflight = pools.map((p) => page_pool_inflight(p));
        poolReport['inflight_after_remove'] = inflight.reduce((a, b) => a + b, 0);
        if (inflight.some((n) => n !== 0)) throw new Error(`page_pool pages in flight after remove: ${inflight.join(', ')}`);
        const hs = h.host.stats();
        dmaCost = {
          // TX maps every piece of every frame; page_pool maps a page once, when it enters the pool
          maps: txMaps + pools.reduce((a, p) => a + p.pages_state_hold_cnt, 0),
          unmaps: txUnmaps + pools.reduce((a, p) => a + p.pages_state_release_cnt, 0),
          tx_maps: txMaps,
          page_pool_maps: pools.reduce((a, p) => a + p.pages_state_hold_cnt, 0),
          iotlb_misses: hs.iotlb?.misses ?? 0,
          bounced_bytes: (hs.swiotlb?.bouncedToDevice ?? 0) + (hs.swiotlb?.bouncedFromDevice ?? 0),
          // apart: with POOL=dma32 and no IOMMU the RX pages bounce nothing, TX pieces above 4 GiB do
          bounced_to_device: hs.swiotlb?.bouncedToDevice ?? 0,
          bounced_from_device: hs.swiotlb?.bouncedFromDevice ?? 0,
        };
        h.host.driverUnbind(h.pdev);
        h.host.debug?.assertClean(true);
      },
      report: () => ({
        ...rep,
        per_queue: { tx_frames: perQueue.tx, rx_frames: perQueue.rx },
        options: { frames, iommu: opts.iommu ?? 'strict', pool: cfg.poolZone, faults: opts.faults ?? false },
        rx_queues: rxQueues,
        dma_cost: dmaCost,
        mmio_reads: nd?.mmioReads ?? null,
        mmio_reads_per_frame: nd && rep.frames_sent ? nd.mmioReads.fastpath / rep.frames_sent : null,
        scoreboard_mismatches: mismatches,
        queue_errors: nd?.queueErrors.map((r) => ({ ...r, errAddr: hex(r.errAddr), fault: r.fault ? { ...r.fault, addr: hex(r.fault.addr) } : null })) ?? [],
        ethtool_stats: ethtoolStats,
        page_pool: poolReport,
        ...hostReport(h),
      }),
    };
  },
};

