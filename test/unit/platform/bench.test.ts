import { describe, expect, it } from 'vitest';
import { runHostBench } from '../../../bench/host.js';

describe('bench/host.ts', () => {
  it('produces every figure, positive and finite', () => {
    const figs = runHostBench(5);
    expect(figs.map((f) => f.name)).toEqual([
      'iova_map_unmap_pairs_per_s',
      'iotlb_hit_translations_per_s',
      'iotlb_miss_translations_per_s',
      'iotlb_hit_to_miss_speed_ratio',
      'swiotlb_bounce_mib_per_s',
    ]);
    for (const f of figs) expect(Number.isFinite(f.value) && f.value > 0).toBe(true);
  });
});
