// Host physical memory: a 64-bit physical address space with RAM regions tagged by zone, backed
// sparsely by 4 KiB pages so 16 GiB of simulated RAM costs only the pages that were touched.
// Mirrors the x86 picture the NIC cares about: a DMA32 zone below 4 GiB and most RAM above it.

import { HostModelError } from './errors.js';
import { hex } from '../lib/hex.js';

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;
export const SZ_1M = 1n << 20n;
export const SZ_4G = 1n << 32n;
/** include/linux/poison.h PAGE_POISON: what a freed page reads as (CONFIG_PAGE_POISONING). */
export const PAGE_POISON = 0xaa;

/** Zones the model has. x86 also has ZONE_DMA (16 MiB); nothing here needs it. */
export type ZoneType = 'DMA32' | 'NORMAL';

export interface MemRegion {
  readonly base: bigint;
  /** Exclusive. */
  readonly end: bigint;
  readonly zone: ZoneType;
}

export interface MemLayoutOptions {
  /** Total RAM (default 16 GiB). RAM below 4 GiB comes first; the rest starts at `highBase`. */
  readonly totalBytes?: bigint;
  /** First byte of low RAM (default 1 MiB: the legacy area below it is not RAM). */
  readonly lowBase?: bigint;
  /** End of low RAM, exclusive (default 4 GiB, so 0xFFFFFFFF is RAM). */
  readonly lowEnd?: bigint;
  /** Start of high RAM (default 4 GiB). */
  readonly highBase?: bigint;
  /** Explicit regions; overrides everything above. */
  readonly regions?: readonly MemRegion[];
}

export type MemErrorCode = 'E_NOT_RAM' | 'E_BAD_LAYOUT' | 'E_BAD_FREE' | 'E_BAD_ORDER';

export class MemError extends HostModelError<MemErrorCode> {}

/** The RAM map for the options: low RAM (DMA32) then high RAM (NORMAL). */
export function memLayout(opts: MemLayoutOptions = {}): MemRegion[] {
  if (opts.regions !== undefined) return validateLayout(opts.regions);
  const total = opts.totalBytes ?? 16n << 30n;
  const lowBase = opts.lowBase ?? SZ_1M;
  const lowEnd = opts.lowEnd ?? SZ_4G;
  const highBase = opts.highBase ?? SZ_4G;
  const lowSize = total < lowEnd - lowBase ? total : lowEnd - lowBase;
  const regions: MemRegion[] = [];
  if (lowSize > 0n) regions.push({ base: lowBase, end: lowBase + lowSize, zone: 'DMA32' });
  const highSize = total - lowSize;
  if (highSize > 0n) regions.push({ base: highBase, end: highBase + highSize, zone: 'NORMAL' });
  return validateLayout(regions);
}

function validateLayout(regions: readonly MemRegion[]): MemRegion[] {
  const sorted = [...regions].sort((a, b) => (a.base < b.base ? -1 : a.base > b.base ? 1 : 0));
  let prevEnd = 0n;
  for (const r of sorted) {
    const bad = (why: string): never => {
      throw new MemError('E_BAD_LAYOUT', `bad memory region ${hex(r.base)}-${hex(r.end)}: ${why}`);
    };
    if (r.end <= r.base) bad('empty');
    if (r.base % BigInt(PAGE_SIZE) !== 0n || r.end % BigInt(PAGE_SIZE) !== 0n) bad('not page aligned');
    if (r.base < prevEnd) bad('overlaps the previous region');
    if (r.zone === 'DMA32' && r.end > SZ_4G) bad('a DMA32 region must end at or below 4 GiB');
    if (r.zone === 'NORMAL' && r.base < SZ_4G) bad('a NORMAL region must start at or above 4 GiB');
    // Page frame numbers are JS numbers: keep every address below 2^53.
    if (r.end > 1n << 53n) bad('beyond 2^53');
    prevEnd = r.end;
  }
  return sorted;
}

/** A page's backing: its bytes, or a number when every byte holds that value (untouched = absent = 0). */
type Backing = Uint8Array | number;

interface NumRegion {
  readonly base: number;
  readonly end: number;
}

export class PhysMem {
  readonly regions: readonly MemRegion[];
  private readonly nregions: readonly NumRegion[];
  private readonly pages = new Map<number, Backing>();

  constructor(layout: MemLayoutOptions | readonly MemRegion[] = {}) {
    this.regions = Array.isArray(layout) ? validateLayout(layout as readonly MemRegion[]) : memLayout(layout as MemLayoutOptions);
    this.nregions = this.regions.map((r) => ({ base: Number(r.base), end: Number(r.end) }));
  }

  /** Bytes of RAM in total. */
  get totalBytes(): bigint {
    return this.regions.reduce((s, r) => s + (r.end - r.base), 0n);
  }

  /** Highest page frame number + 1 (the kernel's max_pfn). */
  get maxPfn(): number {
    const last = this.nregions[this.nregions.length - 1];
    return last === undefined ? 0 : last.end / PAGE_SIZE;
  }

  /** Pages that hold real bytes (the model's memory cost). */
  get residentPages(): number {
    let n = 0;
    for (const b of this.pages.values()) if (typeof b !== 'number') n++;
    return n;
  }

  /** True if every byte of [pa, pa+len) is RAM (adjacent regions count as one). */
  isRam(pa: bigint, len = 1): boolean {
    if (pa < 0n || len < 0) return false;
    const end = pa + BigInt(len);
    if (end > 1n << 53n) return false;
    return this.isRamNum(Number(pa), Number(end));
  }

  private isRamNum(a: number, end: number): boolean {
    const stop = end === a ? a + 1 : end; // zero length: the address itself must be RAM
    let cur = a;
    for (const r of this.nregions) {
      if (r.end <= cur) continue;
      if (r.base > cur) return false;
      cur = r.end; // adjacent regions (DMA32 ending at 4 GiB, NORMAL starting there) chain up
      if (cur >= stop) return true;
    }
    return false;
  }

  zoneOf(pa: bigint): ZoneType | null {
    for (const r of this.regions) if (r.base <= pa && pa < r.end) return r.zone;
    return null;
  }

  private check(pa: bigint, len: number, what: string): number {
    if (!this.isRam(pa, len)) {
      throw new MemError('E_NOT_RAM', `${what} of ${len} bytes at ${hex(pa)}: not RAM`, { addr: pa, size: len });
    }
    return Number(pa);
  }

  read(pa: bigint, len: number): Uint8Array {
    const out = new Uint8Array(len);
    this.readInto(pa, out);
    return out;
  }

  readInto(pa: bigint, dst: Uint8Array): void {
    let a = this.check(pa, dst.length, 'read');
    let done = 0;
    while (done < dst.length) {
      const pfn = Math.floor(a / PAGE_SIZE);
      const off = a - pfn * PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - off, dst.length - done);
      const b = this.pages.get(pfn);
      if (b === undefined) dst.fill(0, done, done + n);
      else if (typeof b === 'number') dst.fill(b, done, done + n);
      else dst.set(b.subarray(off, off + n), done);
      done += n;
      a += n;
    }
  }

  write(pa: bigint, data: Uint8Array): void {
    let a = this.check(pa, data.length, 'write');
    let done = 0;
    while (done < data.length) {
      const pfn = Math.floor(a / PAGE_SIZE);
      const off = a - pfn * PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - off, data.length - done);
      if (n === PAGE_SIZE) {
        this.pages.set(pfn, data.slice(done, done + n));
      } else {
        this.materialize(pfn).set(data.subarray(done, done + n), off);
      }
      done += n;
      a += n;
    }
  }

  /** memset: whole pages become a constant without allocating backing. */
  fill(pa: bigint, len: number, byte: number): void {
    let a = this.check(pa, len, 'fill');
    const v = byte & 0xff;
    let done = 0;
    while (done < len) {
      const pfn = Math.floor(a / PAGE_SIZE);
      const off = a - pfn * PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - off, len - done);
      if (n === PAGE_SIZE) {
        if (v === 0) this.pages.delete(pfn);
        else this.pages.set(pfn, v);
      } else {
        this.materialize(pfn).fill(v, off, off + n);
      }
      done += n;
      a += n;
    }
  }

  /** memcpy between two physical ranges (they must not overlap), page piece by page piece. */
  copy(dst: bigint, src: bigint, len: number): void {
    if (len === 0) return;
    let s = this.check(src, len, 'copy source');
    let d = this.check(dst, len, 'copy destination');
    let left = len;
    while (left > 0) {
      const spfn = Math.floor(s / PAGE_SIZE);
      const soff = s - spfn * PAGE_SIZE;
      const dpfn = Math.floor(d / PAGE_SIZE);
      const doff = d - dpfn * PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - soff, PAGE_SIZE - doff, left);
      const b = this.pages.get(spfn);
      if (n === PAGE_SIZE) {
        // Whole page: share nothing, but keep constant pages constant.
        if (b === undefined) this.pages.delete(dpfn);
        else this.pages.set(dpfn, typeof b === 'number' ? b : b.slice());
      } else if (b === undefined || typeof b === 'number') {
        this.materialize(dpfn).fill(b ?? 0, doff, doff + n);
      } else {
        this.materialize(dpfn).set(b.subarray(soff, soff + n), doff);
      }
      s += n;
      d += n;
      left -= n;
    }
  }

  /** True if every byte of the page is `byte` (cheap for constant pages). */
  pageIsAll(pfn: number, byte: number): boolean {
    const b = this.pages.get(pfn);
    if (b === undefined) return byte === 0;
    if (typeof b === 'number') return b === byte;
    for (let i = 0; i < b.length; i++) if (b[i] !== byte) return false;
    return true;
  }

  private materialize(pfn: number): Uint8Array {
    const b = this.pages.get(pfn);
    if (b instanceof Uint8Array) return b;
    const page = new Uint8Array(PAGE_SIZE);
    if (typeof b === 'number') page.fill(b);
    this.pages.set(pfn, page);
    return page;
  }
}
