import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/platform/clock.js';
import {
  DMA_BIDIRECTIONAL,
  DMA_FROM_DEVICE,
  GFP_KERNEL,
  HostPlatform,
  dma_map_page,
  dma_mapping_error,
  dma_sync_single_for_cpu,
  dma_unmap_page,
  type HostPlatformOptions,
} from '../../../src/platform/host.js';

const bytes = (n: number, s = 1): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 13 + s) & 0xff);

function platform(opts: Omit<HostPlatformOptions, 'clock'> = {}): { p: HostPlatform; clock: ManualClock } {
  const clock = new ManualClock();
  return { p: new HostPlatform({ clock, ...opts }), clock };
}

describe('HostPlatform: direct DeviceDmaPort', () => {
  it('reads and writes RAM at bus == physical addresses, above and below 4 GiB', () => {
    const { p } = platform({ dmaDebug: false });
    const dev = p.createDevice();
    const port = p.deviceDmaPort(dev);
    expect(p.deviceDmaPort(dev)).toBe(port);
    expect(port.write(0x1_0000_0ff8n, bytes(16), 1)).toEqual({ ok: true });
    expect(port.read(0x1_0000_0ff8n, 16, 2)).toEqual({ ok: true, data: bytes(16) });
    expect(port.write(0xffff_fff0n, bytes(16), 3)).toEqual({ ok: true }); // ends on the last byte below 4 GiB
    expect(p.cpuRead(0xffff_fff0n, 16)).toEqual(bytes(16));
  });

  it('answers DECERR (3) for memory that is not RAM and records the fault with its cycle', () => {
    const { p } = platform({ dmaDebug: false });
    const dev = p.createDevice({ driver: 'zcnic' });
    const port = p.deviceDmaPort(dev);
    expect(port.read(0x8000n, 64, 42)).toEqual({ ok: false, fault: { resp: 3, reason: 'no_ram', addr: 0x8000n } });
    const end = 0x4_0010_0000n; // end of the default 16 GiB layout
    expect(port.write(end - 8n, bytes(16), 43)).toEqual({ ok: false, fault: { resp: 3, reason: 'no_ram', addr: end - 8n } });
    expect(p.mem.read(end - 8n, 8)).toEqual(new Uint8Array(8)); // nothing written
    expect(p.faults.map((f) => [f.source, f.device, f.addr, f.len, f.access, f.reason, f.resp, f.cycle])).toEqual([
      ['bus', '0000:01:00.0', 0x8000n, 64, 'read', 'no_ram', 3, 42],
      ['bus', '0000:01:00.0', end - 8n, 16, 'write', 'no_ram', 3, 43],
    ]);
    expect(p.faults[0]!.message).toBe('0000:01:00.0: DMA read of 64 bytes at 0x8000: no RAM at that address');
  });

  it('answers SLVERR (2) for IOMMU faults and blocks a device in a blocked domain', () => {
    const { p } = platform({ iommu: { mode: 'strict' }, dmaDebug: false });
    const dev = p.createDevice({ domainType: 'blocked' });
    expect(p.deviceDmaPort(dev).read(0x1000n, 4, 9)).toEqual({ ok: false, fault: { resp: 2, reason: 'not_present', addr: 0x1000n } });
    expect(p.iommu!.faults[0]!.dmarReason).toBe(0x02);
  });

  it('names devices by PCI address and logs the boot lines', () => {
    const { p } = platform({ iommu: { mode: 'lazy' } });
    const a = p.createDevice();
    const b = p.createDevice({ name: '0000:3b:00.1', driver: 'zcnic' });
    expect([a.name, a.bdf, b.name, b.bdf]).toEqual(['0000:01:00.0', '01:00.0', '0000:3b:00.1', '3b:00.1']);
    expect(() => p.createDevice({ name: '0000:3b:00.1' })).toThrowError(expect.objectContaining({ code: 'E_DUP_DEVICE' }));
    expect(p.klog.lines.slice(0, 3).map((l) => l.msg)).toEqual([
      'software IO TLB: mapped [mem 0x00000000fc000000-0x00000000ffffffff] (64MB)',
      'iommu: Default domain type: Translated',
      'iommu: DMA domain TLB invalidation policy: lazy mode',
    ]);
  });
});

describe('HostPlatform: cost, determinism, stats', () => {
  it('models 16 GiB while holding only touched pages', () => {
    const { p } = platform();
    expect(p.mem.totalBytes).toBe(16n << 30n);
    expect(p.stats().residentPages).toBe(0);
    const pages = Array.from({ length: 100 }, () => p.pages.alloc_pages(GFP_KERNEL, 4)!);
    expect(p.stats().residentPages).toBe(0);
    p.cpuWrite(pages[99]!.phys, bytes(10));
    expect(p.stats().residentPages).toBe(1);
  });

  it('gives byte-identical results for the same operations', () => {
    const run = (): string => {
      const { p, clock } = platform({ iommu: { mode: 'lazy', iotlbEntries: 8 } });
      const dev = p.createDevice({ driver: 'zcnic' });
      const port = p.deviceDmaPort(dev);
      const out: string[] = [];
      for (let i = 0; i < 50; i++) {
        clock.advanceTo(i * 100_000);
        const page = p.pages.alloc_pages(GFP_KERNEL, 0)!;
        const d = dma_map_page(dev, page, 0, 4096, DMA_FROM_DEVICE);
        dma_mapping_error(dev, d);
        out.push(`${d} ${JSON.stringify(port.write(d + BigInt(i), bytes(8, i), clock.cycle), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`);
        dma_sync_single_for_cpu(dev, d, 4096, DMA_FROM_DEVICE);
        if (i % 3 === 0) dma_unmap_page(dev, d, 4096, DMA_FROM_DEVICE);
        if (i % 7 === 0) out.push(JSON.stringify(port.read(d, 4, clock.cycle).ok));
      }
      return [...out, ...p.klog.lines.map((l) => `${l.cycle} ${l.msg}`), JSON.stringify(p.stats())].join('\n');
    };
    const a = run();
    expect(a).toBe(run());
    expect(a.split('\n')[0]).toMatch(/^4294963200 /); // the first IOVA: 0xfffff000
  });

  it('reports counters', () => {
    const { p } = platform({ iommu: { mode: 'strict' } });
    const dev = p.createDevice();
    const port = p.deviceDmaPort(dev);
    const d = dma_map_page(dev, 0x1_0000_0000n, 0, 4096, DMA_BIDIRECTIONAL);
    port.read(d, 8, 1);
    port.read(d, 8, 2);
    port.read(0x1000n, 8, 3);
    expect(p.stats()).toMatchObject({ iotlb: { hits: 1, misses: 2 }, faults: 1, swiotlb: { used: 0 } });
  });
});
