import { describe, expect, it } from 'vitest';
import { IOMMU_DOMAIN_DMA, IOMMU_READ, IOMMU_WRITE, Iommu, iommu_iotlb_gather_init } from '../../../src/iommu/iommu.js';
import { KernelLog } from '../../../src/mem/klog.js';
import { ManualClock } from '../../../src/platform/clock.js';

const dev = { name: '0000:01:00.0', bdf: '01:00.0' };

function hw(iotlbEntries = 4): { iommu: Iommu; log: KernelLog } {
  const log = new KernelLog(new ManualClock());
  return { iommu: new Iommu({ mode: 'strict', iotlbEntries }, log), log };
}

describe('IOMMU page tables and faults', () => {
  it('translates page by page and joins contiguous pieces', () => {
    const { iommu } = hw();
    const d = iommu.domain_alloc(IOMMU_DOMAIN_DMA);
    expect(iommu.iommu_map(d, 0xffffe000n, 0x2_0000_0000n, 4096, IOMMU_READ)).toBe(0);
    expect(iommu.iommu_map(d, 0xfffff000n, 0x3_0000_0000n, 4096, IOMMU_READ)).toBe(0);
    const t = iommu.translate(d, 0xffffeff0n, 32, false, dev, 5);
    expect(t).toEqual({ ok: true, segs: [{ pa: 0x2_0000_0ff0n, len: 16 }, { pa: 0x3_0000_0000n, len: 16 }] });
    expect(iommu.iommu_iova_to_phys(d, 0xfffff123n)).toBe(0x3_0000_0123n);
    expect(iommu.iommu_iova_to_phys(d, 0x1000n)).toBe(0n);
  });

  it('refuses to map over a present PTE', () => {
    const { iommu } = hw();
    const d = iommu.domain_alloc(IOMMU_DOMAIN_DMA);
    expect(iommu.iommu_map(d, 0x1000n, 0x1_0000_0000n, 8192, IOMMU_READ)).toBe(0);
    expect(iommu.iommu_map(d, 0x2000n, 0x1_0000_0000n, 4096, IOMMU_READ)).toBe(-17);
    expect(iommu.iommu_map(d, 0x3001n, 0x1_0000_0000n, 4096, IOMMU_READ)).toBe(-22);
  });

  it('records faults with reason, VT-d code, device, address and cycle', () => {
    const { iommu, log } = hw();
    const d = iommu.domain_alloc(IOMMU_DOMAIN_DMA);
    iommu.iommu_map(d, 0xfffff000n, 0x1_0000_0000n, 4096, IOMMU_READ);
    iommu.iommu_map(d, 0xffffe000n, 0x1_0000_1000n, 4096, IOMMU_WRITE);
    const w = iommu.translate(d, 0xfffff010n, 8, true, dev, 100);
    const r = iommu.translate(d, 0xffffe020n, 8, false, dev, 101);
    const np = iommu.translate(d, 0xffcda000n, 64, true, dev, 102);
    const npr = iommu.translate(d, 0xffcda000n, 64, false, dev, 103);
    const mgaw = iommu.translate(d, 1n << 48n, 4, false, dev, 104);
    expect([w, r, np, npr, mgaw].map((x) => x.ok)).toEqual([false, false, false, false, false]);
    expect(iommu.faults.map((f) => [f.reason, f.dmarReason, f.access, f.addr, f.cycle, f.device])).toEqual([
      ['write_denied', 0x05, 'write', 0xfffff010n, 100, '0000:01:00.0'],
      ['read_denied', 0x06, 'read', 0xffffe020n, 101, '0000:01:00.0'],
      ['not_present', 0x05, 'write', 0xffcda000n, 102, '0000:01:00.0'],
      ['not_present', 0x06, 'read', 0xffcda000n, 103, '0000:01:00.0'],
      ['not_present', 0x04, 'read', 1n << 48n, 104, '0000:01:00.0'],
    ]);
    expect(iommu.faults[2]!.message).toBe(
      'DMAR: [DMA Write NO_PASID] Request device [01:00.0] fault addr 0xffcda000 [fault reason 0x05] PTE Write access is not set',
    );
    expect(log.count('PTE Read access is not set')).toBe(2);
  });

  it('checks every page before any byte moves (a fault on page 2 fails the burst)', () => {
    const { iommu } = hw();
    const d = iommu.domain_alloc(IOMMU_DOMAIN_DMA);
    iommu.iommu_map(d, 0x10000n, 0x1_0000_0000n, 4096, IOMMU_READ | IOMMU_WRITE);
    const t = iommu.translate(d, 0x10f00n, 512, true, dev, 7);
    expect(t.ok).toBe(false);
    if (!t.ok) expect(t.fault.addr).toBe(0x11000n);
  });
});

describe('IOTLB', () => {
  it('counts hits and misses, evicts LRU at its capacity, and only caches successful walks', () => {
    const { iommu } = hw(2);
    const d = iommu.domain_alloc(IOMMU_DOMAIN_DMA);
    for (let i = 0; i < 3; i++) iommu.iommu_map(d, BigInt(0x10000 + i * 4096), BigInt(0x1_0000_0000 + i * 4096), 4096, IOMMU_READ);
    const rd = (a: number): boolean => iommu.translate(d, BigInt(a), 4, false, dev, 0).ok;
    expect([rd(0x10000), rd(0x10000), rd(0x11000), rd(0x10000), rd(0x12000), rd(0x11000)]).toEqual(Array(6).fill(true));
    // miss, hit, miss, hit, miss (evicts 0x11000, the LRU), miss
    expect(iommu.iotlb.stats).toMatchObject({ hits: 2, misses: 4, evictions: 2 });
    expect(iommu.translate(d, 0x10000n, 4, true, dev, 0).ok).toBe(false); // read-only page: write denied
    expect(iommu.translate(d, 0x20000n, 4, false, dev, 0).ok).toBe(false);
    expect(iommu.iotlb.has(d.id, 0x20)).toBe(false);
  });

  it('serves a cleared PTE from the IOTLB until it is invalidated', () => {
    const { iommu } = hw();
    const d = iommu.domain_alloc(IOMMU_DOMAIN_DMA);
    iommu.iommu_map(d, 0x10000n, 0x1_0000_0000n, 4096, IOMMU_READ);
    expect(iommu.translate(d, 0x10000n, 4, false, dev, 0).ok).toBe(true);
    const g = iommu_iotlb_gather_init();
    expect(iommu.iommu_unmap_fast(d, 0x10000n, 4096, g)).toBe(4096);
    expect(iommu.translate(d, 0x10000n, 4, false, dev, 0).ok).toBe(true); // stale hit
    iommu.iommu_iotlb_sync(d, g);
    expect(iommu.translate(d, 0x10000n, 4, false, dev, 0).ok).toBe(false);
    expect(iommu.iotlb.stats.invalidated).toBe(1);
  });
});
