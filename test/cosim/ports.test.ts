// The burst-level port (PORT=dpi, the default) against the cocotbext-axi port (PORT=python): the
// same seeded traffic through both must deliver the same frames to the same queues with the same
// completions and counters. Cycles differ by the ports' documented timing (docs/cosim-port.md),
// and so may what depends on timing (doorbell batching, interrupt and NAPI counts, recycling).

import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../src/lib/repo.js';
import { scratchDir } from '../scratch.js';

interface Summary {
  result: string;
  errors: string[];
  port: string;
  simulated_cycles: number;
  transcript_sha256: string;
  host: Record<string, unknown> & { ethtool_stats: Record<string, number> };
}

function traffic(seed: number, port: string, frames: number): Summary {
  const out = scratchDir('zcnic-ports');
  const r = spawnSync(join(repoRoot, 'node_modules/.bin/tsx'), ['src/cli/sim.ts', '--scenario', 'traffic', '--seed', String(seed), '--frames', String(frames), '--port', port, '--out', out], {
    cwd: repoRoot, encoding: 'utf8', timeout: 280_000,
  });
  const s = JSON.parse(readFileSync(join(out, readlinkSync(join(out, 'latest')), 'summary.json'), 'utf8')) as Summary;
  expect(s.errors, r.stderr).toEqual([]);
  expect(r.status).toBe(0);
  return s;
}

// counters that do not depend on when things happen
const TIMELESS = /^(tx|rx)_queue_\d+_(packets|bytes|dropped|descriptors|splits|completions|maps|unmaps|errors|hdr_split|multi_buf|csum_unnecessary|csum_bad)$|^(tx|rx)_(frames|bytes)$|^rx_drop_|^tx_drop_|^dma_errors$/;
const outcome = (s: Summary): Record<string, unknown> => {
  const h = s.host;
  return {
    frames: [h['frames_sent'], h['frames_received'], h['bytes_sent'], h['bytes_received'], h['frames_checked'], h['frames_dropped_by_filter'], h['wire_frames_checked'], h['bad_frames_injected']],
    per_queue: h['per_queue'],
    rx_queues: h['rx_queues'],
    counters: Object.fromEntries(Object.entries(h.ethtool_stats).filter(([k]) => TIMELESS.test(k))),
    dma: h['dma_debug_errors'],
    inflight: (h['page_pool'] as { inflight_after_remove: number }).inflight_after_remove,
  };
};

describe('the burst-level port against the cocotbext-axi port', () => {
  for (const seed of [1, 2, 3]) {
    it(`traffic seed ${seed}: the same frames, completions and counters through both ports`, () => {
      const dpi = traffic(seed, 'dpi', 120);
      const py = traffic(seed, 'python', 120);
      expect(dpi.port).toBe('dpi');
      expect(py.port).toBe('python');
      const a = outcome(dpi);
      expect(Object.keys(a['counters'] as object).length).toBeGreaterThan(60);
      expect(a).toEqual(outcome(py));
      // the timing is the port's own: the runs are not the same run
      expect(dpi.transcript_sha256).not.toBe(py.transcript_sha256);
      expect(Math.abs(dpi.simulated_cycles - py.simulated_cycles) / py.simulated_cycles).toBeLessThan(0.05);
    });
  }
});
