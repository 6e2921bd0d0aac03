import { describe, expect, it } from 'vitest';
import {
  DMA_BIT_MASK,
  DMA_MAPPING_ERROR,
  DMA_NONE,
  DMA_TO_DEVICE,
  dma_addressing_limited,
  dma_map_single,
  dma_sync_single_for_cpu,
  dma_get_mask,
  dma_max_mapping_size,
  dma_set_coherent_mask,
  dma_set_mask,
  dma_set_mask_and_coherent,
} from '../../../src/platform/host.js';
import { rig } from './fixtures.js';

const configs = {
  'no IOMMU, swiotlb (x86, RAM > 4 GiB)': {},
  'no IOMMU, swiotlb=noforce': { swiotlb: 'off' },
  'no IOMMU, 2 GiB of RAM': { memory: { totalBytes: 2n << 30n } },
  'swiotlb=force': { swiotlb: 'force' },
  'IOMMU strict': { iommu: { mode: 'strict' } },
  'IOMMU lazy': { iommu: { mode: 'lazy' } },
  'IOMMU passthrough': { iommu: { mode: 'passthrough' } },
} as const;

describe('DMA masks (dma_set_mask_and_coherent, dma_addressing_limited)', () => {
  it('has the kernel constants', () => {
    expect(DMA_BIT_MASK(32)).toBe(0xffffffffn);
    expect(DMA_BIT_MASK(64)).toBe(0xffff_ffff_ffff_ffffn);
    expect(DMA_BIT_MASK(0)).toBe(0n);
    expect(DMA_MAPPING_ERROR).toBe(0xffff_ffff_ffff_ffffn);
  });

  for (const [name, cfg] of Object.entries(configs)) {
    it(`accepts DMA_BIT_MASK(32) on: ${name}`, () => {
      const { dev } = rig(cfg);
      expect(dma_get_mask(dev)).toBe(DMA_BIT_MASK(32)); // the PCI default
      expect(dma_set_mask_and_coherent(dev, DMA_BIT_MASK(32))).toBe(0);
      expect(dev.dma_mask).toBe(0xffffffffn);
      expect(dev.coherent_dma_mask).toBe(0xffffffffn);
    });
  }

  it('refuses a 24-bit mask with dma-direct on 16 GiB (-EIO) and keeps the old masks', () => {
    const { dev } = rig();
    expect(dma_set_mask_and_coherent(dev, DMA_BIT_MASK(24))).toBe(-5);
    expect(dev.dma_mask).toBe(DMA_BIT_MASK(32));
    expect(dma_set_coherent_mask(dev, DMA_BIT_MASK(24))).toBe(-5);
  });

  it('accepts any mask through the IOMMU DMA ops', () => {
    const { dev } = rig({ iommu: { mode: 'strict' } });
    expect(dma_set_mask_and_coherent(dev, DMA_BIT_MASK(24))).toBe(0);
  });

  it('returns -EIO without a dma_mask pointer', () => {
    const { dev } = rig();
    dev.dma_mask = null;
    expect(dma_set_mask(dev, DMA_BIT_MASK(32))).toBe(-5);
  });

  it('reports addressing limits and the swiotlb cap of 256 KiB per mapping', () => {
    const a = rig();
    expect(dma_addressing_limited(a.dev)).toBe(true);
    expect(dma_max_mapping_size(a.dev)).toBe(256 * 1024);
    dma_set_mask_and_coherent(a.dev, DMA_BIT_MASK(64));
    expect(dma_addressing_limited(a.dev)).toBe(false);
    expect(dma_max_mapping_size(a.dev)).toBe(Number.MAX_SAFE_INTEGER);
    const b = rig({ iommu: { mode: 'strict' } });
    expect(dma_addressing_limited(b.dev)).toBe(false);
  });

  it('treats an invalid direction as a kernel BUG (typed error, nothing mapped)', () => {
    const { dev, p } = rig();
    expect(() => dma_map_single(dev, 0x20_0000n, 64, DMA_NONE)).toThrowError(expect.objectContaining({ code: 'E_BUG_DIRECTION' }));
    expect(() => dma_sync_single_for_cpu(dev, 0x20_0000n, 64, 7 as typeof DMA_TO_DEVICE)).toThrowError(/invalid DMA direction 7/);
    expect(p.debug!.liveEntries()).toEqual([]);
  });
});
