// 100,000 frames through the driver on the reference model, in seconds: every TX queue in
// bursts with xmit_more, MAC loopback, NAPI, page_pool recycling, every frame compared with the
// one sent, the device's counters exact, nothing left in flight and dma-debug clean.

import { describe, expect, it } from 'vitest';
import { floodModel } from '../../../src/testing/flood.js';

const FRAMES = Number(process.env['ZCNIC_FLOOD_FRAMES'] ?? 100_000);

describe('the driver on the model', () => {
  it(`moves ${FRAMES} frames, each checked, every RX page recycled`, async () => {
    const f = await floodModel(FRAMES, true);
    expect(f.stats['tx_frames']).toBe(FRAMES);
    expect(f.stats['rx_frames']).toBe(FRAMES);
    expect(f.stats['rx_bytes']).toBe(FRAMES * 64);
    expect(f.stats['rx_drop_nodesc']! + f.stats['rx_drop_queue']! + f.stats['tx_drop_err']!).toBe(0);
    expect(f.recycled).toBe(FRAMES);
    expect(f.inflight_after_remove).toBe(0);
    const perQueue = [0, 1, 2, 3].map((q) => f.stats[`tx_queue_${q}_packets`]!);
    expect(perQueue.reduce((a, b) => a + b, 0)).toBe(FRAMES);
    for (const n of perQueue) expect(n).toBeGreaterThan(FRAMES / 5);
  }, 120_000);
});
