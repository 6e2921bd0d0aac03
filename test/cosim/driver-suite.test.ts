// The driver suite, one definition for both backends: traffic on every TX and RX queue (MAC
// loopback, then the wire), header split on and off, the checksum cases, steering tables and
// interrupt moderation changed mid-run, ring wrap, queue errors and their recovery, and unload
// with nothing left behind. The model runs it at 5,000 frames here (make soak: 100,000; the
// driver flood of test/unit/model/flood.test.ts sends 100,000 lean frames).

import { describe, expect, it } from 'vitest';
import { BACKENDS, runScenario, type Backend } from '../../src/testing/fixture.js';

interface Traffic {
  frames_sent: number; frames_checked: number; frames_dropped_by_filter: number; frames_lost_to_faults: number; bad_frames_injected: number;
  per_queue: { tx_frames: number[]; rx_frames: number[] };
  page_pool: { inflight_after_remove: number };
  dma_debug_errors: number;
  ethtool_stats: Record<string, number>;
  queue_errors: { queue: string; codeName: string; recoveredAt: number | null }[];
  rx_queues: { hdr_split: boolean }[];
}

const MODEL_FRAMES = Number(process.env['ZCNIC_MODEL_FRAMES'] ?? 5_000);

function clean(t: Traffic): void {
  expect(t.page_pool.inflight_after_remove).toBe(0);
  expect(t.dma_debug_errors).toBe(0);
  expect(t.ethtool_stats['rx_drop_nodesc']).toBe(0);
}

describe.each(BACKENDS)('driver suite on %s', (backend: Backend) => {
  it('traffic: every queue, header split on and off, checksum cases, steering and moderation changed mid-run, unload', async () => {
    const r = await runScenario(backend, 'traffic', 1);
    const t = r.report as unknown as Traffic;
    expect(t).toMatchObject({ frames_sent: 500, frames_checked: 487, frames_dropped_by_filter: 13, bad_frames_injected: 4 });
    // the same frames on the same queues on both backends
    expect(t.per_queue).toEqual({ tx_frames: [141, 127, 118, 114], rx_frames: [72, 163, 105, 147] });
    expect(t.rx_queues.map((q) => q.hdr_split)).toEqual([true, true, true, false]);
    expect(t.ethtool_stats['rx_queue_3_hdr_split']).toBe(0);
    expect(t.ethtool_stats['rx_queue_0_hdr_split']).toBeGreaterThan(0);
    expect(t.ethtool_stats['rx_queue_0_csum_bad']! + t.ethtool_stats['rx_queue_1_csum_bad']! + t.ethtool_stats['rx_queue_2_csum_bad']! + t.ethtool_stats['rx_queue_3_csum_bad']!).toBeGreaterThan(0);
    clean(t);
  });

  it('queue errors mid-traffic stop only their queue, which the driver recovers', async () => {
    const r = await runScenario(backend, 'traffic', 5, { frames: 400, faults: true });
    const t = r.report as unknown as Traffic;
    expect(t.queue_errors.map((e) => [e.queue.slice(0, 2), e.codeName]).sort()).toEqual([['rx', 'DATA_WRITE'], ['tx', 'DATA_READ']]);
    expect(t.queue_errors.every((e) => e.recoveredAt !== null)).toBe(true);
    expect(t.frames_checked + t.frames_dropped_by_filter + t.frames_lost_to_faults).toBe(400);
    expect(t.page_pool.inflight_after_remove).toBe(0);
    expect(t.dma_debug_errors).toBe(0);
  });

  if (backend === 'model') {
    // every ring wraps many times over: 5,000 frames through rings of at most 1,024 entries
    it(`${MODEL_FRAMES} frames through the driver on the model`, async () => {
      const r = await runScenario('model', 'traffic', 7, { frames: MODEL_FRAMES });
      const t = r.report as unknown as Traffic;
      expect(t.frames_sent).toBe(MODEL_FRAMES);
      expect(t.frames_checked + t.frames_dropped_by_filter).toBe(MODEL_FRAMES);
      clean(t);
    }, 600_000);
  }
});
