// End to end: the TS driver (rings, NAPI, page_pool) moves frames through the RTL NIC over the
// bridge. The scenario checks every frame byte for byte and throws on the first wrong one; these
// tests check the outcome, the accounting in summary.json, the cost of each DMA configuration,
// recovery from IOMMU faults mid-traffic, and that runs are reproducible.

import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../src/lib/repo.js';
import { trafficFrames } from '../../src/scenarios/lib/frames.js';
import { scratchDir } from '../scratch.js';

interface TrafficSummary {
  result: string;
  exit_code: number;
  reproduce: string;
  errors: string[];
  transcript_sha256: string;
  host: {
    frames_sent: number; frames_received: number; frames_checked: number; frames_dropped_by_filter: number;
    frames_lost_to_faults: number; wire_frames_checked: number; bad_frames_injected: number;
    per_queue: { tx_frames: number[]; rx_frames: number[] };
    rx_queues: { queue: number; hdr_split: boolean; mem_model: string; buf_size: number }[];
    mmio_reads: { fastpath: number; slowpath: number };
    mmio_reads_per_frame: number;
    queue_errors: { queue: string; codeName: string; errAddr: string; fault: { reason: string } | null; recoveredAt: number | null }[];
    ethtool_stats: Record<string, number>;
    page_pool: { inflight_after_remove: number; per_queue: { alloc_stats: Record<string, number>; recycle_stats: Record<string, number> }[] };
    swiotlb: { bouncedToDevice: number; bouncedFromDevice: number } | null;
    dma_cost: { maps: number; unmaps: number; iotlb_misses: number; bounced_bytes: number; bounced_to_device: number; bounced_from_device: number };
    dma_debug_errors: number;
  };
}

function traffic(seed: number, extra: string[]): { code: number | null; s: TrafficSummary; stderr: string; dir: string } {
  const out = scratchDir('zcnic-traffic');
  const r = spawnSync(join(repoRoot, 'node_modules/.bin/tsx'), ['src/cli/sim.ts', '--scenario', 'traffic', '--seed', String(seed), '--out', out, ...extra], {
    cwd: repoRoot, encoding: 'utf8', timeout: 280_000,
  });
  const dir = join(out, readlinkSync(join(out, 'latest')));
  return { code: r.status, s: JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as TrafficSummary, stderr: r.stderr, dir };
}

function expectClean(s: TrafficSummary): void {
  expect(s.host.dma_debug_errors).toBe(0);
  expect(s.host.page_pool.inflight_after_remove).toBe(0);
  expect(s.host.mmio_reads.fastpath).toBe(0);
  expect(s.host.mmio_reads_per_frame).toBe(0);
}

describe('traffic: the TS driver against the RTL', () => {
  it('2,000 seeded frames over all queues, loopback then the wire, every frame checked', () => {
    const { code, s, stderr } = traffic(3, ['--frames', '2000']);
    expect(s.errors, stderr).toEqual([]);
    expect(code).toBe(0);
    const h = s.host;
    expect(h.frames_sent).toBe(2000);
    expect(h.frames_checked + h.frames_dropped_by_filter).toBe(2000);
    expect(h.frames_received).toBe(h.frames_checked);
    expect(h.frames_dropped_by_filter).toBeGreaterThan(0);
    expect(h.ethtool_stats['rx_drop_filter']).toBe(h.frames_dropped_by_filter);
    expect(h.ethtool_stats['rx_drop_bad']).toBe(h.bad_frames_injected);
    expect(h.ethtool_stats['rx_drop_nodesc']).toBe(0);
    expect(h.ethtool_stats['tx_frames']).toBe(2000 + 0);
    expect(h.wire_frames_checked).toBeGreaterThan(900);
    expect(h.per_queue.tx_frames).toHaveLength(4);
    // pktgen picks each frame's TX queue: the counts are exactly its picks
    const picks = [0, 1, 2, 3].map((q) => trafficFrames(3, 2000, 4).filter((f) => f.txq === q).length);
    expect(picks.every((n) => n > 400)).toBe(true);
    expect(h.per_queue.tx_frames).toEqual(picks);
    expect(h.per_queue.rx_frames).toHaveLength(4);
    expect(h.per_queue.rx_frames.every((n) => n > 100)).toBe(true);
    // page_pool recycled: far fewer slow allocations than frames
    const pp = h.page_pool.per_queue;
    expect(pp.reduce((a, p) => a + (p.recycle_stats['cached'] ?? 0), 0)).toBeGreaterThan(1000);
    expect(pp.every((p) => p.alloc_stats['slow']! <= 8)).toBe(true);
    expectClean(s);
    expect(s.reproduce).toBe('make sim SCENARIO=traffic SEED=3 FRAMES=2000');
    // both page_pool memory models, with and without header split, and multi-buffer frames
    const st = h.ethtool_stats;
    expect(h.rx_queues.map((q) => [q.hdr_split, q.mem_model, q.buf_size])).toEqual([
      [true, 'readonly', 4096], [true, 'readonly', 4096], [true, 'writable', 3776], [false, 'writable', 3776],
    ]);
    expect(st['rx_queue_3_hdr_split']).toBe(0);
    for (const q of [0, 1, 2, 3]) expect(st[`rx_queue_${q}_multi_buf`]).toBeGreaterThan(0);
    for (const q of [0, 1, 2]) expect(st[`rx_queue_${q}_hdr_split`]).toBeGreaterThan(0);
  });

  it('each DMA configuration passes and shows its cost: passthrough bounces through swiotlb, dma32 pages bounce nothing', () => {
    const runs = {
      lazy: traffic(4, ['--frames', '120', '--iommu', 'lazy']),
      passthrough: traffic(4, ['--frames', '120', '--iommu', 'passthrough']),
      dma32: traffic(4, ['--frames', '120', '--iommu', 'off', '--pool', 'dma32']),
    };
    for (const [name, r] of Object.entries(runs)) {
      expect(r.s.errors, `${name}: ${r.stderr}`).toEqual([]);
      expect(r.code).toBe(0);
      expect(r.s.host.frames_checked + r.s.host.frames_dropped_by_filter).toBe(120);
      expectClean(r.s);
    }
    const pt = runs.passthrough.s.host.swiotlb!;
    expect(pt.bouncedToDevice + pt.bouncedFromDevice).toBeGreaterThan(0);
    const d32 = runs.dma32.s.host.swiotlb!;
    // the TX buffers above 4 GiB still bounce with the IOMMU off; the RX pages never do
    expect(d32.bouncedFromDevice).toBe(0);
    // the summary's cost says the same
    expect(runs.passthrough.s.host.dma_cost.bounced_bytes).toBe(pt.bouncedToDevice + pt.bouncedFromDevice);
    expect(runs.dma32.s.host.dma_cost.bounced_from_device).toBe(0);
    expect(runs.lazy.s.host.dma_cost.bounced_bytes).toBe(0);
    expect(runs.lazy.s.host.dma_cost.iotlb_misses).toBeGreaterThan(0);
    expect(runs.passthrough.s.host.dma_cost.iotlb_misses).toBe(0);
    for (const r of Object.values(runs)) expect(r.s.host.dma_cost.maps).toBe(r.s.host.dma_cost.unmaps);
  });

  it('IOMMU faults mid-traffic stop only their queue, which the driver recovers; no frame arrives wrong', () => {
    const { code, s, stderr } = traffic(5, ['--frames', '400', '--faults']);
    expect(s.errors, stderr).toEqual([]);
    expect(code).toBe(0);
    const errs = s.host.queue_errors;
    expect(errs.map((e) => [e.queue.slice(0, 2), e.codeName]).sort()).toEqual([['rx', 'DATA_WRITE'], ['tx', 'DATA_READ']]);
    for (const e of errs) {
      expect(e.fault?.reason).toBe('not_present');
      expect(e.recoveredAt).not.toBeNull();
    }
    expect(s.host.frames_checked).toBeGreaterThan(350);
    expect(s.host.frames_checked + s.host.frames_dropped_by_filter + s.host.frames_lost_to_faults).toBe(400);
    expectClean(s);
  });

  it('a refill that cannot map (IOMMU off, swiotlb off) is a located error and a non-zero exit', () => {
    const { code, s } = traffic(6, ['--frames', '10', '--iommu', 'off', '--swiotlb', 'off']);
    expect(code).toBe(1);
    expect(s.errors.join('\n')).toMatch(/^host0, cycle \d+: E_MAP: .*no RX buffer could be allocated and mapped .*\(rxq0, cycle \d+\)/);
  });

  it('two runs with the same seed give the same transcript; mac.pcap holds every frame out of the MAC', () => {
    const a = traffic(8, ['--frames', '60']);
    const b = traffic(8, ['--frames', '60']);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    expect(a.s.transcript_sha256).toBe(b.s.transcript_sha256);
    const pcap = (a.s as unknown as { pcap: { file: string; frames: number }[]; device: { ethTxFrames: number } });
    expect(pcap.device.ethTxFrames).toBeGreaterThan(0);
    expect(pcap.pcap).toEqual([expect.objectContaining({ file: 'mac.pcap', frames: pcap.device.ethTxFrames })]);
    // the file holds them: a 24-byte header, then per frame a 16-byte record header and the frame
    const bytes = readFileSync(join(a.dir, 'mac.pcap'));
    let n = 0;
    for (let at = 24; at < bytes.length; n++) at += 16 + bytes.readUInt32LE(at + 8);
    expect(n).toBe(pcap.device.ethTxFrames);
  });
});
