import { describe, expect, it } from 'vitest';
import {
  DMA_ATTR_SKIP_CPU_SYNC,
  DMA_BIDIRECTIONAL,
  DMA_FROM_DEVICE,
  DMA_TO_DEVICE,
  DmaDebugError,
  GFP_KERNEL,
  dma_alloc_coherent,
  dma_free_coherent,
  dma_map_page,
  dma_map_sg,
  dma_map_single,
  dma_mapping_error,
  dma_sync_single_for_cpu,
  dma_sync_single_for_device,
  dma_unmap_page,
  dma_unmap_page_attrs,
  dma_unmap_sg,
  dma_unmap_single,
  sg_init_table,
} from '../../../src/platform/host.js';
import { bytes, rig } from './fixtures.js';

const LOW = 0x20_0000n; // DMA32: no bounce
const HIGH = 0x1_2345_6000n;

function mapChecked(r: ReturnType<typeof rig>, pa: bigint, size: number, dir: 0 | 1 | 2): bigint {
  const d = dma_map_single(r.dev, pa, size, dir);
  expect(dma_mapping_error(r.dev, d)).toBe(0);
  return d;
}

describe('dma-debug: a correct driver runs clean', () => {
  it('map, device write, sync_for_cpu, CPU read, unmap: no reports, no leaks', () => {
    const r = rig();
    for (const pa of [LOW, HIGH]) {
      const d = mapChecked(r, pa, 2048, DMA_FROM_DEVICE);
      expect(r.port.write(d, bytes(128), 5).ok).toBe(true);
      dma_sync_single_for_cpu(r.dev, d, 2048, DMA_FROM_DEVICE);
      expect(r.p.cpuRead(pa, 128)).toEqual(bytes(128));
      dma_sync_single_for_device(r.dev, d, 2048, DMA_FROM_DEVICE);
      dma_unmap_single(r.dev, d, 2048, DMA_FROM_DEVICE);
    }
    expect(() => r.p.debug!.assertClean(true)).not.toThrow();
    expect(r.p.debug!.errorCount).toBe(0);
  });
});

describe('dma-debug: the device side', () => {
  it('reports a device access outside any live mapping, with the stale mapping it hit', () => {
    const r = rig();
    r.p.debug!.context = 'rxq3';
    const d = mapChecked(r, LOW, 4096, DMA_FROM_DEVICE);
    r.clock.advanceTo(40);
    dma_unmap_single(r.dev, d, 4096, DMA_FROM_DEVICE);
    expect(r.port.write(LOW + 16n, bytes(8), 77).ok).toBe(true); // no IOMMU: nothing stops it
    const [rep, ...rest] = r.p.debug!.reports;
    expect(rest).toEqual([]);
    expect(rep).toMatchObject({ code: 'device_access_unmapped', device: '0000:01:00.0', driver: 'zcnic', addr: LOW + 16n, size: 8, cycle: 77 });
    expect(rep!.message).toContain('outside any live mapping');
    expect(rep!.message).toContain('unmapped at cycle 40');
    expect(rep!.entry).toMatchObject({ owner: 'zcnic 0000:01:00.0 [rxq3]', mappedAtCycle: 0, unmappedAtCycle: 40, direction: 'DMA_FROM_DEVICE' });
    expect(rep!.entry!.history.map((e) => e.op)).toEqual(['map', 'unmap']);
    expect(() => r.p.debug!.assertClean()).toThrowError(DmaDebugError);
  });

  it('catches sub-page exposure the IOMMU allows: bytes of the page outside the mapping', () => {
    const r = rig({ iommu: { mode: 'strict' } });
    const d = mapChecked(r, HIGH, 256, DMA_TO_DEVICE);
    expect(r.port.read(d + 256n, 64, 3).ok).toBe(true); // same page: the IOMMU lets it through
    expect(r.p.debug!.reports.map((x) => x.code)).toEqual(['device_access_unmapped']);
  });

  it('reports device writes into a TO_DEVICE mapping and reads of a FROM_DEVICE one (no IOMMU to stop them)', () => {
    const r = rig();
    const ro = mapChecked(r, LOW, 4096, DMA_TO_DEVICE);
    const wo = mapChecked(r, LOW + 0x1000n, 4096, DMA_FROM_DEVICE);
    expect(r.port.write(ro, bytes(4), 1).ok).toBe(true);
    expect(r.port.read(wo, 4, 2).ok).toBe(true);
    expect(r.p.debug!.reports.map((x) => [x.code, x.entry?.direction])).toEqual([
      ['device_write_to_readonly_mapping', 'DMA_TO_DEVICE'],
      ['device_read_of_writeonly_mapping', 'DMA_FROM_DEVICE'],
    ]);
  });

  it('reports a device read of bytes the CPU wrote after mapping without sync_for_device', () => {
    const r = rig();
    const d = mapChecked(r, HIGH, 512, DMA_TO_DEVICE);
    r.p.cpuWrite(HIGH + 100n, bytes(10));
    expect(r.port.read(d, 512, 9).ok).toBe(true);
    expect(r.p.debug!.reports.map((x) => x.code)).toEqual(['device_read_without_sync_for_device']);
    r.p.cpuWrite(HIGH + 100n, bytes(10));
    dma_sync_single_for_device(r.dev, d, 512, DMA_TO_DEVICE);
    r.port.read(d, 512, 10);
    expect(r.p.debug!.errorCount).toBe(1);
  });

  it('reports a stale lazy-IOTLB access that reaches a freed page (which reads as poison)', () => {
    const r = rig({ iommu: { mode: 'lazy' } });
    const page = r.p.pages.alloc_pages(GFP_KERNEL, 0)!;
    const d = dma_map_page(r.dev, page, 0, 4096, DMA_TO_DEVICE);
    dma_mapping_error(r.dev, d);
    expect(r.port.read(d, 64, 1).ok).toBe(true);
    dma_unmap_page(r.dev, d, 4096, DMA_TO_DEVICE);
    r.p.pages.__free_pages(page, 0);
    const stale = r.port.read(d, 64, 2);
    expect(stale.ok && stale.data.every((b) => b === 0xaa)).toBe(true);
    expect(r.p.debug!.reports.map((x) => x.code)).toEqual(['device_access_unmapped', 'device_access_freed_page']);
  });
});

describe('dma-debug: the CPU side', () => {
  it('reports a CPU read of device-written data without sync_for_cpu (once until synced)', () => {
    const r = rig();
    const d = mapChecked(r, LOW, 4096, DMA_FROM_DEVICE);
    r.port.write(d + 64n, bytes(32), 5);
    r.p.cpuRead(LOW, 32); // before the written bytes: fine
    r.p.cpuRead(LOW + 80n, 4);
    r.p.cpuRead(LOW + 80n, 4);
    const reps = r.p.debug!.reports;
    expect(reps.map((x) => [x.code, x.addr, x.size])).toEqual([['cpu_read_without_sync_for_cpu', LOW + 80n, 4]]);
    expect(reps[0]!.message).toContain('without dma_sync_*_for_cpu');
    expect(reps[0]!.entry!.history.map((e) => e.op)).toEqual(['map', 'dev_write', 'cpu_read']);
    dma_sync_single_for_cpu(r.dev, d, 4096, DMA_FROM_DEVICE);
    r.p.cpuRead(LOW + 64n, 32);
    expect(r.p.debug!.errorCount).toBe(1);
    dma_unmap_single(r.dev, d, 4096, DMA_FROM_DEVICE);
  });

  it('still reports after an unmap with DMA_ATTR_SKIP_CPU_SYNC, where swiotlb really leaves stale data', () => {
    const r = rig();
    const d = mapChecked(r, HIGH, 4096, DMA_FROM_DEVICE);
    r.port.write(d, bytes(16), 5);
    dma_unmap_page_attrs(r.dev, d, 4096, DMA_FROM_DEVICE, DMA_ATTR_SKIP_CPU_SYNC);
    r.p.cpuRead(HIGH, 16);
    expect(r.p.debug!.reports.map((x) => x.code)).toEqual(['cpu_read_without_sync_for_cpu']);
    expect(r.p.debug!.reports[0]!.message).toContain('unmapped with DMA_ATTR_SKIP_CPU_SYNC');
  });

  it('reports a CPU read of a freed page', () => {
    const r = rig();
    const page = r.p.pages.alloc_pages(GFP_KERNEL, 0)!;
    r.p.pages.__free_pages(page, 0);
    expect(r.p.cpuRead(page.phys, 4)).toEqual(Uint8Array.of(0xaa, 0xaa, 0xaa, 0xaa));
    expect(r.p.debug!.reports.map((x) => x.code)).toEqual(['cpu_read_freed_page']);
  });
});

describe('dma-debug: driver API misuse (kernel/dma/debug.c messages)', () => {
  it('double unmap, with the history of the first', () => {
    const r = rig();
    const d = mapChecked(r, LOW, 4096, DMA_TO_DEVICE);
    r.clock.advanceTo(12);
    dma_unmap_single(r.dev, d, 4096, DMA_TO_DEVICE);
    dma_unmap_single(r.dev, d, 4096, DMA_TO_DEVICE);
    const [rep] = r.p.debug!.reports;
    expect(rep!.code).toBe('double_unmap');
    expect(rep!.message).toBe(
      'DMA-API: zcnic 0000:01:00.0: device driver tries to free DMA memory it has not allocated [device address=0x0000000000200000] [size=4096 bytes] (double unmap: unmapped at cycle 12)',
    );
    expect(rep!.entry!.history.map((e) => [e.op, e.cycle])).toEqual([['map', 0], ['unmap', 12]]);
  });

  it('double unmap through a strict IOMMU: reported, and the IOVA is not freed twice', () => {
    const r = rig({ iommu: { mode: 'strict' } });
    const d = mapChecked(r, HIGH, 4096, DMA_TO_DEVICE);
    dma_unmap_single(r.dev, d, 4096, DMA_TO_DEVICE);
    dma_unmap_single(r.dev, d, 4096, DMA_TO_DEVICE);
    expect(r.p.debug!.reports.map((x) => x.code)).toEqual(['double_unmap']);
    const a = mapChecked(r, HIGH, 4096, DMA_TO_DEVICE);
    const b = mapChecked(r, HIGH, 4096, DMA_TO_DEVICE);
    expect(a).not.toBe(b);
  });

  it('unmap of a never-mapped address', () => {
    const r = rig();
    dma_unmap_single(r.dev, 0x1234_5000n, 64, DMA_TO_DEVICE);
    expect(r.p.debug!.reports.map((x) => [x.code, x.entry])).toEqual([['unmap_not_mapped', null]]);
  });

  it('unmap with the wrong size, direction or function, and an unchecked map error', () => {
    const r = rig();
    const a = mapChecked(r, LOW, 4096, DMA_TO_DEVICE);
    dma_unmap_single(r.dev, a, 2048, DMA_TO_DEVICE);
    const b = mapChecked(r, LOW, 4096, DMA_TO_DEVICE);
    dma_unmap_single(r.dev, b, 4096, DMA_BIDIRECTIONAL);
    const c = dma_map_single(r.dev, LOW, 4096, DMA_TO_DEVICE);
    dma_unmap_single(r.dev, c, 4096, DMA_TO_DEVICE);
    const sg = sg_init_table([{ phys: LOW, length: 4096 }]);
    dma_map_sg(r.dev, sg, 1, DMA_TO_DEVICE);
    dma_unmap_single(r.dev, sg[0]!.dma_address, 4096, DMA_TO_DEVICE);
    expect(r.p.debug!.reports.map((x) => x.message.replace('DMA-API: zcnic 0000:01:00.0: ', ''))).toEqual([
      'device driver frees DMA memory with different size [device address=0x0000000000200000] [map size=4096 bytes] [unmap size=2048 bytes]',
      'device driver frees DMA memory with different direction [device address=0x0000000000200000] [size=4096 bytes] [mapped with DMA_TO_DEVICE] [unmapped with DMA_BIDIRECTIONAL]',
      'device driver failed to check map error[device address=0x0000000000200000] [size=4096 bytes] [mapped as single]',
      'device driver frees DMA memory with wrong function [device address=0x0000000000200000] [size=4096 bytes] [mapped as scatter-gather] [unmapped as single]',
    ]);
  });

  it('sync of unmapped memory, outside the mapping, and in the wrong direction', () => {
    const r = rig();
    dma_sync_single_for_cpu(r.dev, LOW, 64, DMA_FROM_DEVICE);
    const d = mapChecked(r, LOW, 256, DMA_FROM_DEVICE);
    dma_sync_single_for_cpu(r.dev, d + 200n, 100, DMA_FROM_DEVICE);
    dma_sync_single_for_cpu(r.dev, d, 256, DMA_TO_DEVICE);
    dma_unmap_single(r.dev, d, 256, DMA_FROM_DEVICE);
    const t = mapChecked(r, LOW, 256, DMA_TO_DEVICE);
    dma_sync_single_for_cpu(r.dev, t, 256, DMA_FROM_DEVICE);
    dma_unmap_single(r.dev, t, 256, DMA_TO_DEVICE);
    expect(r.p.debug!.reports.map((x) => x.code)).toEqual([
      'sync_not_mapped',
      'sync_out_of_range',
      'sync_wrong_direction',
      'sync_wrong_direction',
      'sync_device_readonly_for_cpu',
    ]);
    expect(r.p.debug!.reports[1]!.message).toContain('[allocation size=256 bytes] [sync offset+size=300]');
  });

  it('sg unmap with a different entry count', () => {
    const r = rig();
    const sg = sg_init_table([{ phys: LOW, length: 512 }, { phys: LOW + 0x1000n, length: 512 }]);
    expect(dma_map_sg(r.dev, sg, 2, DMA_TO_DEVICE)).toBe(2);
    dma_unmap_sg(r.dev, sg, 1, DMA_TO_DEVICE);
    expect(r.p.debug!.reports.map((x) => x.code)).toEqual(['unmap_sg_wrong_nents']);
  });

  it('reports every mapping leaked at driver unbind, with owner and history', () => {
    const r = rig({ iommu: { mode: 'strict' } });
    r.p.debug!.context = 'txq0';
    const a = mapChecked(r, HIGH, 1500, DMA_TO_DEVICE);
    r.clock.advanceTo(3);
    const c = dma_alloc_coherent(r.dev, 4096, GFP_KERNEL)!;
    const b = mapChecked(r, HIGH + 0x2000n, 2048, DMA_FROM_DEVICE);
    dma_unmap_single(r.dev, b, 2048, DMA_FROM_DEVICE);
    r.p.driverUnbind(r.dev);
    const leaks = r.p.debug!.reportsOf('leak_at_unbind');
    expect(leaks.map((x) => [x.addr, x.size, x.entry!.type, x.entry!.owner, x.entry!.mappedAtCycle])).toEqual([
      [a, 1500, 'single', 'zcnic 0000:01:00.0 [txq0]', 0],
      [c.dma_handle, 4096, 'coherent', 'zcnic 0000:01:00.0 [txq0]', 3],
    ]);
    expect(r.p.klog.count('device driver has pending DMA allocations while released from device [count=2]')).toBe(1);
    expect(() => r.p.debug!.assertClean()).toThrowError(/2 error/);
    dma_free_coherent(r.dev, 4096, c.cpu_addr, c.dma_handle);
  });

  it('assertClean(true) also fails on live mappings', () => {
    const r = rig();
    mapChecked(r, LOW, 64, DMA_TO_DEVICE);
    expect(() => r.p.debug!.assertClean()).not.toThrow();
    expect(() => r.p.debug!.assertClean(true)).toThrowError(/1 live mapping/);
  });
});
