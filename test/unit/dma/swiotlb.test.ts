import { describe, expect, it } from 'vitest';
import {
  DMA_ATTR_NO_WARN,
  DMA_ATTR_SKIP_CPU_SYNC,
  DMA_BIDIRECTIONAL,
  DMA_FROM_DEVICE,
  DMA_MAPPING_ERROR,
  DMA_TO_DEVICE,
  GFP_DMA32,
  GFP_KERNEL,
  dma_alloc_coherent,
  dma_map_page,
  dma_map_sg,
  dma_map_single,
  dma_map_single_attrs,
  dma_mapping_error,
  dma_sync_single_for_cpu,
  dma_sync_single_for_device,
  dma_unmap_page_attrs,
  dma_unmap_sg,
  dma_unmap_single,
  sg_init_table,
} from '../../../src/platform/host.js';
import { bytes, rig } from './fixtures.js';

const HIGH = 0x1_2345_6000n;
const POOL = 0xfc00_0000n; // 64 MiB at the top of DMA32

describe('swiotlb pool', () => {
  it('is 64 MiB (32768 slots) below 4 GiB, reserved from the page allocator, and logged', () => {
    const { p } = rig();
    const sw = p.swiotlb!;
    expect([sw.start, sw.end, sw.io_tlb_nslabs]).toEqual([POOL, 1n << 32n, 32768]);
    expect(p.klog.count('software IO TLB: mapped [mem 0x00000000fc000000-0x00000000ffffffff] (64MB)')).toBe(1);
    expect(p.pages.nr_free_pages('DMA32')).toBe(p.pages.managedPages('DMA32'));
    expect(p.pages.managedPages('DMA32')).toBe((0x1_0000_0000 - 0x10_0000 - 64 * 2 ** 20) / 4096);
  });

  it('exists by default only when RAM extends above 4 GiB', () => {
    expect(rig({ memory: { totalBytes: 2n << 30n } }).p.swiotlb).toBeNull();
    expect(rig({ swiotlb: 'off' }).p.swiotlb).toBeNull();
    expect(rig({ swiotlb: { nslabs: 1000 } }).p.swiotlb!.io_tlb_nslabs).toBe(1024); // rounded up to 128
  });
});

describe('dma-direct with swiotlb (no IOMMU, a page above 4 GiB bounces through slots below it)', () => {
  it('bounces a page above 4 GiB: dma_addr in the pool, != phys, 2 slots used', () => {
    const { dev, p } = rig();
    const d = dma_map_page(dev, HIGH, 0, 4096, DMA_FROM_DEVICE);
    expect(dma_mapping_error(dev, d)).toBe(0);
    expect(d).toBe(POOL);
    expect(d).not.toBe(HIGH);
    expect(p.swiotlb!.io_tlb_used).toBe(2);
    expect(dma_map_single(dev, HIGH + 0x1000n, 100, DMA_TO_DEVICE)).toBe(POOL + 0x1000n);
    expect(p.swiotlb!.io_tlb_used).toBe(3);
    // Page-sized mappings are page-aligned in the pool: the next one skips the odd slot.
    expect(dma_map_page(dev, HIGH, 0, 4096, DMA_TO_DEVICE)).toBe(POOL + 0x2000n);
  });

  it('maps DMA32 pages directly: dma == phys, nothing bounced', () => {
    const { dev, p } = rig();
    const page = p.pages.alloc_pages(GFP_KERNEL | GFP_DMA32, 0)!;
    const d = dma_map_page(dev, page, 0, 4096, DMA_FROM_DEVICE);
    expect(d).toBe(page.phys);
    expect(d).toBe(0x10_0000n);
    expect(p.swiotlb!.io_tlb_used).toBe(0);
    // A buffer ending on the last byte below 4 GiB is capable; one crossing 4 GiB is not.
    expect(dma_map_single(dev, 0xf000_0000n, 4096, DMA_TO_DEVICE)).toBe(0xf000_0000n);
    expect(p.swiotlb!.is_swiotlb_buffer(dma_map_single(dev, 0xffff_f800n, 4096, DMA_TO_DEVICE))).toBe(true);
  });

  it('copies original -> bounce at map whatever the direction, and back at the points Linux does', () => {
    const { dev, p, port } = rig();
    p.cpuWrite(HIGH, bytes(4096, 1));
    const d = dma_map_page(dev, HIGH, 0, 4096, DMA_FROM_DEVICE);
    expect(dma_mapping_error(dev, d)).toBe(0);
    expect(p.mem.read(d, 4096)).toEqual(bytes(4096, 1)); // preserved for a partial device write
    expect(port.write(d, bytes(64, 2), 10)).toEqual({ ok: true });
    // Device data sits in the bounce slot; the original still holds the old bytes.
    expect(p.mem.read(HIGH, 64)).toEqual(bytes(64, 1));
    dma_sync_single_for_cpu(dev, d, 4096, DMA_FROM_DEVICE);
    expect(p.cpuRead(HIGH, 64)).toEqual(bytes(64, 2));
    expect(p.cpuRead(HIGH + 64n, 64)).toEqual(bytes(4096, 1).subarray(64, 128));
    dma_sync_single_for_device(dev, d, 4096, DMA_FROM_DEVICE); // FROM_DEVICE: no copy
    expect(port.write(d, bytes(64, 3), 11).ok).toBe(true);
    dma_unmap_page_attrs(dev, d, 4096, DMA_FROM_DEVICE, 0); // copies back
    expect(p.cpuRead(HIGH, 64)).toEqual(bytes(64, 3));
    expect(p.swiotlb!.stats).toMatchObject({ bouncedToDevice: 4096, bouncedFromDevice: 8192 });
    expect(p.swiotlb!.io_tlb_used).toBe(0);
    p.debug!.assertClean(true);
  });

  it('copies nothing back on unmap with DMA_ATTR_SKIP_CPU_SYNC', () => {
    const { dev, p, port } = rig({ dmaDebug: false });
    p.cpuWrite(HIGH, bytes(64, 1));
    const d = dma_map_page(dev, HIGH, 0, 4096, DMA_FROM_DEVICE);
    port.write(d, bytes(64, 2), 1);
    dma_unmap_page_attrs(dev, d, 4096, DMA_FROM_DEVICE, DMA_ATTR_SKIP_CPU_SYNC);
    expect(p.cpuRead(HIGH, 64)).toEqual(bytes(64, 1));
  });

  it('TO_DEVICE: sync_for_device copies the CPU update, sync_for_cpu copies nothing', () => {
    const { dev, p, port } = rig();
    p.cpuWrite(HIGH, bytes(32, 1));
    const d = dma_map_single(dev, HIGH, 32, DMA_TO_DEVICE);
    p.cpuWrite(HIGH, bytes(32, 4));
    dma_sync_single_for_device(dev, d, 32, DMA_TO_DEVICE);
    expect(port.read(d, 32, 1)).toEqual({ ok: true, data: bytes(32, 4) });
    p.mem.write(d, bytes(32, 9)); // bounce changed behind the CPU's back
    dma_sync_single_for_cpu(dev, d, 32, DMA_TO_DEVICE);
    expect(p.cpuRead(HIGH, 32)).toEqual(bytes(32, 4));
    dma_unmap_single(dev, d, 32, DMA_TO_DEVICE);
    expect(p.cpuRead(HIGH, 32)).toEqual(bytes(32, 4));
  });

  it('syncs part of a buffer using the per-slot original address', () => {
    const { dev, p, port } = rig();
    const d = dma_map_single(dev, HIGH, 8192, DMA_BIDIRECTIONAL);
    port.write(d + 5000n, bytes(16, 6), 1);
    dma_sync_single_for_cpu(dev, d + 4096n, 4096, DMA_FROM_DEVICE);
    expect(p.cpuRead(HIGH + 5000n, 16)).toEqual(bytes(16, 6));
    dma_unmap_single(dev, d, 8192, DMA_BIDIRECTIONAL);
  });

  it('bounces everything with swiotlb=force', () => {
    const { dev, p } = rig({ swiotlb: 'force' });
    expect(p.swiotlb!.is_swiotlb_buffer(dma_map_page(dev, 0x20_0000n, 0, 4096, DMA_TO_DEVICE))).toBe(true);
  });

  it('maps scatter lists entry by entry, bouncing only what must be', () => {
    const { dev, p } = rig();
    const sg = sg_init_table([{ phys: 0x20_0000n, length: 4096 }, { phys: HIGH, length: 2048 }]);
    expect(dma_map_sg(dev, sg, 2, DMA_TO_DEVICE)).toBe(2);
    expect(sg.map((s) => [s.dma_address, s.dma_length])).toEqual([[0x20_0000n, 4096], [POOL, 2048]]);
    dma_unmap_sg(dev, sg, 2, DMA_TO_DEVICE);
    expect(p.swiotlb!.io_tlb_used).toBe(0);
  });

  it('allocates coherent memory from ZONE_DMA32 for a 32-bit coherent mask, with dma == phys', () => {
    const { dev } = rig();
    const c = dma_alloc_coherent(dev, 3000, GFP_KERNEL)!;
    expect(c.cpu_addr).toBe(c.dma_handle);
    expect(c.dma_handle < 0xfc00_0000n).toBe(true);
  });
});

describe('swiotlb failures', () => {
  it('without swiotlb: DMA_MAPPING_ERROR and one WARN "DMA addr ... overflow"', () => {
    const { dev, p } = rig({ swiotlb: 'off' });
    const d = dma_map_page(dev, HIGH, 0, 4096, DMA_FROM_DEVICE);
    expect(d).toBe(DMA_MAPPING_ERROR);
    expect(dma_mapping_error(dev, d)).toBe(-12);
    expect(dma_map_page(dev, HIGH + 0x1000n, 0, 4096, DMA_FROM_DEVICE)).toBe(DMA_MAPPING_ERROR);
    const warns = p.klog.grep('overflow');
    expect(warns.map((l) => [l.msg, l.warning])).toEqual([
      ['zcnic 0000:01:00.0: DMA addr 0x0000000123456000+4096 overflow (mask ffffffff, bus limit 0).', true],
    ]);
  });

  it('exhaustion: "swiotlb buffer is full" with the kernel counters, then recovery after an unmap', () => {
    const { dev, p } = rig({ swiotlb: { nslabs: 512 } }); // 1 MiB: 256 pages
    const maps = Array.from({ length: 256 }, (_, i) => dma_map_page(dev, HIGH + BigInt(i) * 4096n, 0, 4096, DMA_TO_DEVICE));
    expect(maps.every((d) => d !== DMA_MAPPING_ERROR)).toBe(true);
    expect(dma_map_page(dev, HIGH, 0, 4096, DMA_TO_DEVICE)).toBe(DMA_MAPPING_ERROR);
    expect(p.klog.grep('swiotlb buffer is full').map((l) => l.msg)).toEqual([
      'zcnic 0000:01:00.0: swiotlb buffer is full (sz: 4096 bytes), total 512 (slots), used 512 (slots)',
    ]);
    expect(dma_map_single_attrs(dev, HIGH, 64, DMA_TO_DEVICE, DMA_ATTR_NO_WARN)).toBe(DMA_MAPPING_ERROR);
    expect(p.klog.count('swiotlb buffer is full')).toBe(1);
    expect(p.swiotlb!.stats.full).toBe(2);
    expect(p.swiotlb!.io_tlb_used_hiwater).toBe(512);
    dma_unmap_single(dev, maps[100]!, 4096, DMA_TO_DEVICE);
    expect(dma_map_page(dev, HIGH, 0, 4096, DMA_TO_DEVICE)).toBe(maps[100]);
  });

  it('caps a mapping at 256 KiB (one 128-slot segment)', () => {
    const { dev, p } = rig();
    const ok = dma_map_single(dev, HIGH, 256 * 1024, DMA_TO_DEVICE);
    expect(ok).not.toBe(DMA_MAPPING_ERROR);
    expect(dma_map_single(dev, HIGH, 256 * 1024 + 1, DMA_TO_DEVICE)).toBe(DMA_MAPPING_ERROR);
    expect(p.klog.count('swiotlb buffer is full (sz: 262145 bytes), total 32768 (slots), used 128 (slots)')).toBe(1);
  });

  it('a failing sg map undoes the entries it mapped and returns 0', () => {
    const { dev, p } = rig({ swiotlb: { nslabs: 512 } });
    const sg = sg_init_table([{ phys: HIGH, length: 512 * 1024 }, { phys: HIGH, length: 4096 }]);
    sg.reverse();
    expect(dma_map_sg(dev, sg, 2, DMA_TO_DEVICE)).toBe(0);
    expect(p.swiotlb!.io_tlb_used).toBe(0);
  });
});
