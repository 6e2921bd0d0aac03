// Host-model benchmarks: IOVA map+unmap, IOMMU translation with IOTLB hits and misses, swiotlb
// bounce throughput. All figures come from one run, so compare their ratios, not absolute
// numbers across machines. Usage: npx tsx bench/host.ts [--ms=400]
//
// Each figure prints as one line: `<name> <value> <unit>`.

import { pathToFileURL } from 'node:url';
import { ManualClock } from '../src/platform/clock.js';
import {
  DMA_FROM_DEVICE,
  DMA_TO_DEVICE,
  HostPlatform,
  dma_map_page,
  dma_unmap_page,
  type Device,
} from '../src/platform/host.js';
import { IOMMU_READ, IOMMU_WRITE } from '../src/iommu/iommu.js';

export interface BenchFigure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
}

/** Run `body` (which does `batch` operations) until `ms` of wall time pass; operations per second. */
export function rate(ms: number, batch: number, body: () => void, afterWarmup?: () => void): number {
  for (let i = 0; i < 3; i++) body(); // warm-up
  afterWarmup?.();
  let ops = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    body();
    ops += batch;
    t = performance.now();
  }
  return (ops * 1000) / (t - t0);
}

function platform(iommu: boolean, iotlbEntries = 64): { p: HostPlatform; dev: Device } {
  const p = new HostPlatform({ clock: new ManualClock(), iommu: iommu ? { mode: 'strict', iotlbEntries } : false, dmaDebug: false });
  return { p, dev: p.createDevice({ driver: 'bench' }) };
}

/** dma_map_page + dma_unmap_page pairs per second through a strict IOMMU (IOVA alloc, PTEs, IOTLB sync). */
export function benchIovaMapUnmap(ms: number): BenchFigure {
  const { dev } = platform(true);
  const pa = 0x1_0000_0000n;
  const handles: bigint[] = new Array<bigint>(64);
  const v = rate(ms, 64, () => {
    for (let i = 0; i < 64; i++) handles[i] = dma_map_page(dev, pa + BigInt(i) * 4096n, 0, 4096, DMA_TO_DEVICE);
    for (let i = 0; i < 64; i++) dma_unmap_page(dev, handles[i]!, 4096, DMA_TO_DEVICE);
  });
  return { name: 'iova_map_unmap_pairs_per_s', value: v, unit: 'pairs/s' };
}

/** IOMMU translations per second when every page hits the IOTLB, and when every page misses it. */
export function benchTranslation(ms: number): BenchFigure[] {
  const entries = 64;
  const { p, dev } = platform(true, entries);
  const iommu = p.iommu!;
  const domain = dev.iommu_domain!;
  const pages = entries * 4;
  // Map 4x as many pages as the IOTLB holds: a sequential sweep under LRU then always misses.
  for (let i = 0; i < pages; i++) iommu.iommu_map(domain, BigInt(0x8000_0000 + i * 4096), BigInt(0x1_0000_0000 + i * 4096), 4096, IOMMU_READ | IOMMU_WRITE);
  const hitAddrs = Array.from({ length: entries / 2 }, (_, i) => BigInt(0x8000_0000 + i * 4096 + 64));
  const missAddrs = Array.from({ length: pages }, (_, i) => BigInt(0x8000_0000 + i * 4096 + 64));
  const sweep = (addrs: readonly bigint[]) => (): void => {
    for (const a of addrs) iommu.translate(domain, a, 64, false, dev, 0);
  };
  // Alternate the two loops and keep the best of three: the machine's noise hits both alike.
  let hits = 0;
  let misses = 0;
  let hitShare = 1;
  let missShare = 1;
  const stats = iommu.iotlb.stats;
  let base = { ...stats };
  const mark = (): void => {
    base = { ...stats };
  };
  const share = (): { hit: number; miss: number } => {
    const h = stats.hits - base.hits;
    const m = stats.misses - base.misses;
    return { hit: h / (h + m), miss: m / (h + m) };
  };
  for (let round = 0; round < 3; round++) {
    hits = Math.max(hits, rate(ms / 3, hitAddrs.length, sweep(hitAddrs), mark));
    hitShare = Math.min(hitShare, share().hit);
    misses = Math.max(misses, rate(ms / 3, missAddrs.length, sweep(missAddrs), mark));
    missShare = Math.min(missShare, share().miss);
  }
  // Sanity: after warm-up the loops really were all-hit and all-miss.
  if (hitShare < 1 || missShare < 1) throw new Error(`IOTLB bench is not measuring what it says (hit share ${hitShare}, miss share ${missShare})`);
  return [
    { name: 'iotlb_hit_translations_per_s', value: hits, unit: 'translations/s' },
    { name: 'iotlb_miss_translations_per_s', value: misses, unit: 'translations/s' },
    { name: 'iotlb_hit_to_miss_speed_ratio', value: hits / misses, unit: 'x' },
  ];
}

/** swiotlb: map (copy in) + unmap (copy out) of 64 KiB FROM_DEVICE buffers above 4 GiB. */
export function benchSwiotlbBounce(ms: number): BenchFigure {
  const { p, dev } = platform(false);
  const size = 64 * 1024;
  const pa = 0x1_0000_0000n;
  p.mem.fill(pa, size, 0x5a);
  p.mem.write(pa, new Uint8Array(size).fill(0x33)); // real bytes, not a constant page
  const sw = p.swiotlb!;
  const b0 = sw.stats.bouncedToDevice + sw.stats.bouncedFromDevice;
  const t0 = performance.now();
  rate(ms, 1, () => {
    const d = dma_map_page(dev, pa, 0, size, DMA_FROM_DEVICE);
    dma_unmap_page(dev, d, size, DMA_FROM_DEVICE);
  });
  const dt = performance.now() - t0;
  const bytes = sw.stats.bouncedToDevice + sw.stats.bouncedFromDevice - b0;
  return { name: 'swiotlb_bounce_mib_per_s', value: bytes / (1 << 20) / (dt / 1000), unit: 'MiB/s' };
}

export function runHostBench(ms = 400): BenchFigure[] {
  return [benchIovaMapUnmap(ms), ...benchTranslation(ms), benchSwiotlbBounce(ms)];
}

function fmt(v: number): string {
  return v >= 100 ? Math.round(v).toString() : v.toFixed(2);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = process.argv.find((a) => a.startsWith('--ms='));
  const ms = arg === undefined ? 400 : Number(arg.slice(5));
  for (const f of runHostBench(ms)) console.log(`${f.name} ${fmt(f.value)} ${f.unit}`);
}
