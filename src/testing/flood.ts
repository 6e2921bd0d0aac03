// The driver on the reference model, lean: 64-byte frames built once, sent on every TX queue in
// bursts of 16 with xmit_more, through MAC loopback, received by NAPI from page_pool buffers and
// freed straight back to their pool (page_pool recycling). No scoreboard and no transcript:
// this measures the driver, page_pool, the DMA API with the IOMMU and dma-debug, and the model.
// Usage: npx tsx src/testing/flood.ts [--frames=N]   (make bench runs it too)

import { pathToFileURL } from 'node:url';
import { DEFAULT_NETDEV_CONFIG, ZcnicNetdev } from '../drivers/zcnic/netdev.js';
import { NETDEV_TX_BUSY } from '../net/core/dev.js';
import { GFP_KERNEL } from '../mem/page_alloc.js';
import { page_pool_get_stats, page_pool_inflight } from '../net/core/page_pool.js';
import { ZcnicEthtool } from '../drivers/zcnic/ethtool.js';
import { alloc_skb, kfree_skb, skb_copy_bits, skb_put_data } from '../net/core/skbuff.js';
import { runModel } from '../model/run.js';
import { ZcnicDriver } from '../drivers/zcnic/zcnic.js';
import { scenarioHost } from '../host/machine.js';

export interface FloodFigures {
  readonly frames: number;
  readonly wall_s: number;
  readonly frames_per_s: number;
  readonly cycles: number;
  readonly recycled: number;
  /** ethtool -S before unload. */
  readonly stats: Readonly<Record<string, number>>;
  readonly inflight_after_remove: number;
}

/** `check`: compare every received frame with the one sent (a test); off for the figure. */
export async function floodModel(frames: number, check = false): Promise<FloodFigures> {
  let bad: string | undefined;
  const h = scenarioHost('strict');
  // a raw EtherType: no steering work, the default queue
  const frame = new Uint8Array(64);
  frame.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x88, 0xb5]);
  let received = 0;
  let stats: Record<string, number> = {};
  let recycled = 0;
  let inflight = -1;
  const t0 = performance.now();
  const r = await runModel({
    clock: h.clock, dma: h.dma, onTime: (c) => h.onTime(c), maxCycles: 2_000_000_000,
    main: async (dev) => {
      const drv = new ZcnicDriver(dev, h.host, h.pdev);
      const info = await drv.probe();
      let wake: (() => void) | null = null;
      const signal = (): void => {
        const w = wake;
        wake = null;
        w?.();
      };
      const nd = new ZcnicNetdev(dev, h.host, h.pdev, info, DEFAULT_NETDEV_CONFIG, (skb, meta) => {
        if (check) {
          const got = skb_copy_bits(skb, 0, skb.len);
          if (!got || got.length !== frame.length || got.some((b, i) => b !== frame[i])) bad ??= `frame ${received} on RX queue ${meta.queue} at cycle ${meta.cycle} differs from the one sent`;
        }
        kfree_skb(skb);
        received++;
        signal();
      });
      await nd.open();
      for (const t of nd.txq) t.onWake = signal;
      let sent = 0;
      while (sent < frames) {
        if (sent - received >= 64) {
          await Promise.race([new Promise<void>((res) => (wake = res)), dev.sleep(4096)]);
          continue;
        }
        const q = sent % nd.txq.length;
        for (let k = 0; k < 16 && sent < frames && sent - received < 64; k++) {
          const skb = alloc_skb(h.host, frame.length, GFP_KERNEL);
          if (!skb) throw new Error('out of memory');
          skb_put_data(skb, frame);
          if (nd.start_xmit(q, skb, { csumIp: false, csumL4: false }, k < 15) === NETDEV_TX_BUSY) {
            kfree_skb(skb);
            for (const t of nd.txq) if (t.bellPending) t.flushBell(false);
            break;
          }
          sent++;
        }
        for (const t of nd.txq) if (t.bellPending) t.flushBell(false);
      }
      while (received < frames) await Promise.race([new Promise<void>((res) => (wake = res)), dev.sleep(4096)]);
      if (bad) throw new Error(bad);
      stats = await new ZcnicEthtool(nd).get_ethtool_stats();
      recycled = nd.rxq.reduce((a, x) => {
        const s = page_pool_get_stats(x.pool).recycle_stats;
        return a + s.cached + s.ring;
      }, 0);
      const pools = nd.rxq.map((x) => x.pool);
      await nd.stop();
      await drv.remove();
      inflight = pools.reduce((a, p) => a + page_pool_inflight(p), 0);
      h.host.driverUnbind(h.pdev);
      h.host.debug?.assertClean(true);
    },
  });
  if (r.scenarioError !== undefined) throw r.scenarioError;
  const wall = (performance.now() - t0) / 1000;
  return { frames, wall_s: wall, frames_per_s: frames / wall, cycles: r.cycles, recycled, stats, inflight_after_remove: inflight };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const n = Number(process.argv.find((a) => a.startsWith('--frames='))?.slice(9) ?? 20000);
  floodModel(n).then((f) => process.stdout.write(`${JSON.stringify({ ...f, stats: undefined })}\n`));
}
