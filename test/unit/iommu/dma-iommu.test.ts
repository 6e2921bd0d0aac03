import { describe, expect, it } from 'vitest';
import {
  DMA_BIDIRECTIONAL,
  DMA_BIT_MASK,
  DMA_FROM_DEVICE,
  DMA_MAPPING_ERROR,
  DMA_TO_DEVICE,
  GFP_KERNEL,
  dma_alloc_coherent,
  dma_free_coherent,
  dma_map_page,
  dma_map_sg,
  dma_map_single,
  dma_mapping_error,
  dma_set_mask_and_coherent,
  dma_unmap_page,
  dma_unmap_sg,
  dma_unmap_single,
  sg_init_table,
} from '../../../src/platform/host.js';
import { bytes, msCycles, rig } from '../dma/fixtures.js';

const HIGH = 0x1_2345_6000n; // a page above 4 GiB

describe('dma-iommu: IOVA placement (iommu_dma_alloc_iova: top-down first fit below the mask)', () => {
  it('gives 1-page maps 0xFFFFF000, 0xFFFFE000, ... and keeps the page offset', () => {
    const { dev } = rig({ iommu: { mode: 'strict' } });
    expect(dma_set_mask_and_coherent(dev, DMA_BIT_MASK(32))).toBe(0);
    const a = dma_map_page(dev, HIGH, 0, 4096, DMA_TO_DEVICE);
    const b = dma_map_page(dev, HIGH + 0x1000n, 0, 4096, DMA_TO_DEVICE);
    const c = dma_map_single(dev, HIGH + 0x2123n, 100, DMA_TO_DEVICE);
    expect([a, b, c]).toEqual([0xfffff000n, 0xffffe000n, 0xffffd123n]);
    for (const x of [a, b, c]) expect(dma_mapping_error(dev, x)).toBe(0);
  });

  it('makes a 3-page map take a 4-page, 4-page-aligned IOVA range', () => {
    const { dev } = rig({ iommu: { mode: 'strict' } });
    dma_map_page(dev, HIGH, 0, 4096, DMA_TO_DEVICE);
    const x = dma_map_single(dev, HIGH + 0x10000n, 3 * 4096, DMA_FROM_DEVICE);
    expect(x).toBe(0xffff8000n);
    expect(dev.iommu_domain!.iova_cookie!.iovad.ranges()).toContainEqual({ pfn_lo: 0xffff8, pfn_hi: 0xffffb });
    // Only the 3 pages are mapped; the 4th page of the range is not.
    expect(dev.iommu_domain!.ptes.has(0xffffb)).toBe(false);
    expect(dev.iommu_domain!.ptes.has(0xffffa)).toBe(true);
  });

  it('tries 32-bit IOVAs first for a 64-bit mask, and uses the full range with iommu.forcedac=1', () => {
    const a = rig({ iommu: { mode: 'strict' } });
    expect(dma_set_mask_and_coherent(a.dev, DMA_BIT_MASK(64))).toBe(0);
    expect(dma_map_page(a.dev, HIGH, 0, 4096, DMA_TO_DEVICE)).toBe(0xfffff000n);
    const b = rig({ iommu: { mode: 'strict', forcedac: true } });
    dma_set_mask_and_coherent(b.dev, DMA_BIT_MASK(64));
    expect(dma_map_page(b.dev, HIGH, 0, 4096, DMA_TO_DEVICE)).toBe(0xffff_ffff_f000n); // top of the 48-bit aperture
  });

  it('skips the x86 MSI window', () => {
    const { dev } = rig({ iommu: { mode: 'strict' } });
    let last = 0n;
    for (let i = 0; i < 0x1100; i++) last = dma_map_page(dev, HIGH, 0, 4096, DMA_TO_DEVICE);
    expect(last).toBe(0xfef00000n);
    expect(dma_map_page(dev, HIGH, 0, 4096, DMA_TO_DEVICE)).toBe(0xfedff000n);
  });

  it('fails with DMA_MAPPING_ERROR when the 32-bit IOVA space is used up', () => {
    const { dev, p } = rig({ iommu: { mode: 'strict', reservedRegions: [{ start: 0n, end: 0xffefffffn }] } });
    let n = 0;
    while (dma_map_page(dev, HIGH, 0, 4096, DMA_TO_DEVICE) !== DMA_MAPPING_ERROR) n++;
    expect(n).toBe(0x100); // 1 MiB of IOVA space left under 4 GiB
    expect(dma_mapping_error(dev, DMA_MAPPING_ERROR)).toBe(-12);
    expect(p.klog.count('Using')).toBe(0); // a 32-bit device never widens
  });
});

describe('dma-iommu: device access and faults', () => {
  it('lets the device reach a page above 4 GiB through an IOVA below it', () => {
    const { dev, port, p } = rig({ iommu: { mode: 'strict' } });
    const iova = dma_map_page(dev, HIGH, 0, 4096, DMA_BIDIRECTIONAL);
    expect(port.write(iova + 0x10n, bytes(64), 10)).toEqual({ ok: true });
    expect(p.mem.read(HIGH + 0x10n, 64)).toEqual(bytes(64));
    p.mem.write(HIGH + 0x800n, bytes(32, 9));
    expect(port.read(iova + 0x800n, 32, 11)).toEqual({ ok: true, data: bytes(32, 9) });
  });

  it('answers SLVERR with the reason: write to TO_DEVICE, read of FROM_DEVICE, unmapped IOVA', () => {
    const { dev, port, p, clock } = rig({ iommu: { mode: 'strict' } });
    const ro = dma_map_page(dev, HIGH, 0, 4096, DMA_TO_DEVICE);
    const wo = dma_map_page(dev, HIGH + 0x1000n, 0, 4096, DMA_FROM_DEVICE);
    clock.advanceTo(500);
    p.mem.write(HIGH, bytes(16));
    expect(port.write(ro, bytes(16, 3), 500)).toEqual({ ok: false, fault: { resp: 2, reason: 'write_denied', addr: ro } });
    expect(p.mem.read(HIGH, 16)).toEqual(bytes(16)); // untouched
    expect(port.read(wo, 16, 501)).toEqual({ ok: false, fault: { resp: 2, reason: 'read_denied', addr: wo } });
    expect(port.read(0x8000_0000n, 16, 502)).toEqual({ ok: false, fault: { resp: 2, reason: 'not_present', addr: 0x8000_0000n } });
    expect(p.faults.map((f) => [f.source, f.reason, f.cycle, f.resp, f.device])).toEqual([
      ['iommu', 'write_denied', 500, 2, '0000:01:00.0'],
      ['iommu', 'read_denied', 501, 2, '0000:01:00.0'],
      ['iommu', 'not_present', 502, 2, '0000:01:00.0'],
    ]);
    expect(p.klog.count('[DMA Write NO_PASID] Request device [01:00.0] fault addr 0xfffff000 [fault reason 0x05] PTE Write access is not set')).toBe(1);
  });

  it('strict: unmap invalidates at once, and the IOVA is reused by the next map', () => {
    const { dev, port } = rig({ iommu: { mode: 'strict' } });
    const iova = dma_map_page(dev, HIGH, 0, 4096, DMA_FROM_DEVICE);
    expect(port.write(iova, bytes(8), 1).ok).toBe(true); // the IOTLB now holds the translation
    dma_unmap_page(dev, iova, 4096, DMA_FROM_DEVICE);
    expect(port.write(iova, bytes(8), 2)).toEqual({ ok: false, fault: { resp: 2, reason: 'not_present', addr: iova } });
    expect(dma_map_page(dev, HIGH + 0x1000n, 0, 4096, DMA_FROM_DEVICE)).toBe(iova);
  });
});

describe('dma-iommu: lazy mode window (the flush queue: stale IOTLB entries until the flush)', () => {
  function lazy() {
    const r = rig({ iommu: { mode: 'lazy' }, dmaDebug: false });
    const iova = dma_map_page(r.dev, HIGH, 0, 4096, DMA_FROM_DEVICE);
    expect(r.port.write(iova, bytes(8), 1).ok).toBe(true); // cache the translation
    r.clock.advanceTo(10);
    dma_unmap_page(r.dev, iova, 4096, DMA_FROM_DEVICE);
    return { ...r, iova };
  }

  it('keeps a cached IOVA reachable after unmap and does not reuse it', () => {
    const { dev, port, iova, p } = lazy();
    expect(port.write(iova, bytes(8, 5), 20)).toEqual({ ok: true });
    expect(p.mem.read(HIGH, 8)).toEqual(bytes(8, 5));
    expect(dma_map_page(dev, HIGH + 0x1000n, 0, 4096, DMA_FROM_DEVICE)).toBe(iova - 0x1000n);
    expect(dev.iommu_domain!.iova_cookie!.fqLength).toBe(1);
  });

  it('faults at once for an IOVA the IOTLB never cached', () => {
    const { dev, port } = rig({ iommu: { mode: 'lazy' }, dmaDebug: false });
    const iova = dma_map_page(dev, HIGH, 0, 4096, DMA_FROM_DEVICE);
    dma_unmap_page(dev, iova, 4096, DMA_FROM_DEVICE);
    expect(port.write(iova, bytes(8), 5).ok).toBe(false);
  });

  it('closes the window 10 ms after the unmap (the flush-queue timer, on simulated time)', () => {
    const { port, iova, dev } = lazy();
    const unmapCycle = 10;
    expect(port.write(iova, bytes(8), unmapCycle + msCycles(10) - 1).ok).toBe(true);
    expect(port.write(iova, bytes(8), unmapCycle + msCycles(10))).toEqual({ ok: false, fault: { resp: 2, reason: 'not_present', addr: iova } });
    expect(dev.iommu_domain!.iova_cookie!.stats.fqTimerFlushes).toBe(1);
    // Flushed IOVAs are free again.
    expect(dma_map_page(dev, HIGH, 0, 4096, DMA_FROM_DEVICE)).toBe(iova);
  });

  it('closes the window when the 256-entry queue fills (one slot stays empty: the 256th unmap flushes)', () => {
    const { dev, port, iova } = lazy();
    const others = Array.from({ length: 254 }, (_, i) => dma_map_page(dev, HIGH + BigInt(i + 1) * 0x1000n, 0, 4096, DMA_FROM_DEVICE));
    for (const o of others) dma_unmap_page(dev, o, 4096, DMA_FROM_DEVICE);
    expect(dev.iommu_domain!.iova_cookie!.fqLength).toBe(255);
    expect(port.write(iova, bytes(8), 30).ok).toBe(true);
    const last = dma_map_page(dev, HIGH, 0, 4096, DMA_FROM_DEVICE);
    dma_unmap_page(dev, last, 4096, DMA_FROM_DEVICE);
    expect(dev.iommu_domain!.iova_cookie!.stats.fqFullFlushes).toBe(1);
    expect(dev.iommu_domain!.iova_cookie!.fqLength).toBe(1);
    expect(port.write(iova, bytes(8), 31).ok).toBe(false);
  });

  it('strict mode closes the same window at once', () => {
    const { dev, port } = rig({ iommu: { mode: 'strict' }, dmaDebug: false });
    const iova = dma_map_page(dev, HIGH, 0, 4096, DMA_FROM_DEVICE);
    expect(port.write(iova, bytes(8), 1).ok).toBe(true);
    dma_unmap_page(dev, iova, 4096, DMA_FROM_DEVICE);
    expect(port.write(iova, bytes(8), 2).ok).toBe(false);
  });

  it('forces untrusted devices into a strict domain', () => {
    const { dev, p } = rig({ iommu: { mode: 'lazy' } }, { untrusted: true, domainType: 'dma_fq' });
    expect(dev.iommu_domain!.typeName).toBe('DMA');
    expect(p.klog.count('IOMMU_DOMAIN_DMA for untrusted device overrides driver request of dma_fq')).toBe(1);
  });
});

describe('dma-iommu: scatter-gather and coherent memory', () => {
  it('maps a list into one IOVA range and merges page-aligned entries into one DMA segment', () => {
    const { dev, port, p } = rig({ iommu: { mode: 'strict' } });
    const pages = [0x1_0000_0000n, 0x1_0040_0000n, 0x1_0080_0000n];
    pages.forEach((pa, i) => p.mem.write(pa, bytes(4096, i)));
    const sg = sg_init_table(pages.map((pa) => ({ phys: pa, length: 4096 })));
    expect(dma_map_sg(dev, sg, 3, DMA_TO_DEVICE)).toBe(1);
    expect(sg[0]).toMatchObject({ dma_address: 0xffffc000n, dma_length: 3 * 4096 }); // 3 pages round up to 4
    expect(sg[1]!.dma_length).toBe(0);
    const r = port.read(0xffffc000n, 3 * 4096, 1);
    expect(r.ok && r.data.subarray(4096, 8192)).toEqual(bytes(4096, 1));
    dma_unmap_sg(dev, sg, 3, DMA_TO_DEVICE);
    expect(dev.iommu_domain!.ptes.size).toBe(0);
    p.debug!.assertClean(true);
  });

  it('does not merge an entry that starts inside a page', () => {
    const { dev } = rig({ iommu: { mode: 'strict' } });
    const sg = sg_init_table([{ phys: 0x1_0000_0000n, length: 4096 }, { phys: 0x1_0001_0100n, length: 256 }]);
    expect(dma_map_sg(dev, sg, 2, DMA_TO_DEVICE)).toBe(2);
    expect(sg.map((s) => [s.dma_address, s.dma_length])).toEqual([
      [0xffffe000n, 4096],
      [0xfffff100n, 256],
    ]);
  });

  it('allocates coherent memory above 4 GiB, zeroed, at an IOVA below it', () => {
    const { dev, port, p } = rig({ iommu: { mode: 'strict' } });
    const c = dma_alloc_coherent(dev, 8192, GFP_KERNEL)!;
    expect(c.cpu_addr >= 1n << 32n).toBe(true);
    expect(c.dma_handle).toBe(0xffffe000n);
    expect(p.cpuRead(c.cpu_addr, 8192).every((b) => b === 0)).toBe(true);
    expect(port.write(c.dma_handle + 4096n, bytes(16), 3).ok).toBe(true);
    expect(p.cpuRead(c.cpu_addr + 4096n, 16)).toEqual(bytes(16));
    dma_free_coherent(dev, 8192, c.cpu_addr, c.dma_handle);
    expect(port.read(c.dma_handle, 4, 4).ok).toBe(false);
    p.debug!.assertClean(true);
  });
});

describe('passthrough', () => {
  it('behaves like dma-direct: a page above 4 GiB is bounced by swiotlb', () => {
    const { dev, p } = rig({ iommu: { mode: 'passthrough' } });
    expect(dev.usesIommuDma).toBe(false);
    const d = dma_map_page(dev, HIGH, 0, 4096, DMA_TO_DEVICE);
    expect(p.swiotlb!.is_swiotlb_buffer(d)).toBe(true);
    dma_unmap_single(dev, d, 4096, DMA_TO_DEVICE);
    expect(p.klog.count('iommu: Default domain type: Passthrough')).toBe(1);
  });
});
