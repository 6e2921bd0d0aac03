import { describe, expect, it } from 'vitest';
import { MemError, PhysMem, SZ_4G, memLayout } from '../../../src/mem/phys.js';

const GiB = 1n << 30n;
const MiB = 1n << 20n;

describe('PhysMem layout', () => {
  it('defaults to 16 GiB: DMA32 from 1 MiB to 4 GiB, the rest (NORMAL) above 4 GiB', () => {
    const mem = new PhysMem();
    expect(mem.regions).toEqual([
      { base: MiB, end: SZ_4G, zone: 'DMA32' },
      { base: SZ_4G, end: SZ_4G + 12n * GiB + MiB, zone: 'NORMAL' },
    ]);
    expect(mem.totalBytes).toBe(16n * GiB);
    expect(mem.zoneOf(0xfffff000n)).toBe('DMA32');
    expect(mem.zoneOf(SZ_4G)).toBe('NORMAL');
    expect(mem.zoneOf(0n)).toBeNull();
  });

  it('knows what is RAM, including ranges that run across 4 GiB and the last byte below it', () => {
    const mem = new PhysMem();
    expect(mem.isRam(0xfffff000n, 4096)).toBe(true);
    expect(mem.isRam(0xffffffffn, 1)).toBe(true);
    expect(mem.isRam(0xfffff800n, 4096)).toBe(true); // crosses into NORMAL
    expect(mem.isRam(0n, 1)).toBe(false);
    expect(mem.isRam(MiB - 1n, 2)).toBe(false);
    const end = SZ_4G + 12n * GiB + MiB;
    expect(mem.isRam(end - 1n, 1)).toBe(true);
    expect(mem.isRam(end - 1n, 2)).toBe(false);
  });

  it('keeps RAM at most 4 GiB when total is small, with no NORMAL zone', () => {
    expect(memLayout({ totalBytes: 2n * GiB })).toEqual([{ base: MiB, end: MiB + 2n * GiB, zone: 'DMA32' }]);
  });

  it('rejects bad layouts with E_BAD_LAYOUT', () => {
    expect(() => new PhysMem({ regions: [{ base: 0x1000n, end: 0x1800n, zone: 'DMA32' }] })).toThrowError(
      expect.objectContaining({ code: 'E_BAD_LAYOUT' }),
    );
    expect(() => new PhysMem({ regions: [{ base: 0n, end: SZ_4G + 4096n, zone: 'DMA32' }] })).toThrowError(/DMA32/);
    expect(() =>
      new PhysMem({ regions: [{ base: 0n, end: 0x2000n, zone: 'DMA32' }, { base: 0x1000n, end: 0x3000n, zone: 'DMA32' }] }),
    ).toThrowError(/overlaps/);
  });
});

describe('PhysMem access', () => {
  it('reads untouched RAM as zeros without allocating, and round-trips writes across pages', () => {
    const mem = new PhysMem();
    expect(mem.read(0x2000_0000n, 16)).toEqual(new Uint8Array(16));
    expect(mem.residentPages).toBe(0);
    const data = Uint8Array.from({ length: 100 }, (_, i) => i + 1);
    mem.write(0x1_0000_0fd0n, data); // 48 bytes in one page, 52 in the next
    expect(mem.read(0x1_0000_0fd0n, 100)).toEqual(data);
    expect(mem.residentPages).toBe(2);
  });

  it('costs only what is touched: a write at the top of 16 GiB is one page', () => {
    const mem = new PhysMem();
    const top = SZ_4G + 12n * GiB + MiB - 4096n;
    mem.write(top, Uint8Array.of(1, 2, 3));
    expect(mem.residentPages).toBe(1);
    expect([...mem.read(top, 4)]).toEqual([1, 2, 3, 0]);
  });

  it('fills whole pages without backing them and keeps partial fills exact', () => {
    const mem = new PhysMem();
    mem.fill(0x10_0000n, 1 << 20, 0xaa);
    expect(mem.residentPages).toBe(0);
    expect(mem.pageIsAll(0x100, 0xaa)).toBe(true);
    mem.fill(0x10_0010n, 4, 0x55);
    expect(mem.residentPages).toBe(1);
    expect([...mem.read(0x10_000en, 8)]).toEqual([0xaa, 0xaa, 0x55, 0x55, 0x55, 0x55, 0xaa, 0xaa]);
  });

  it('copies up to the last byte below 4 GiB', () => {
    const mem = new PhysMem();
    const src = Uint8Array.from({ length: 4096 }, (_, i) => i & 0xff);
    mem.write(0x1_2345_6000n, src);
    mem.copy(0xfffff000n, 0x1_2345_6000n, 4096);
    expect(mem.read(0xfffff000n, 4096)).toEqual(src);
    expect(mem.read(0xffffffffn, 1)[0]).toBe(0xff);
  });

  it('throws a typed E_NOT_RAM error with the address for non-RAM', () => {
    const mem = new PhysMem();
    let err: unknown;
    try {
      mem.read(0x1000n, 8);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MemError);
    expect((err as MemError).code).toBe('E_NOT_RAM');
    expect((err as MemError).context).toEqual({ addr: 0x1000n, size: 8 });
    expect(() => mem.write(SZ_4G + 16n * GiB, Uint8Array.of(1))).toThrowError(expect.objectContaining({ code: 'E_NOT_RAM' }));
  });
});
