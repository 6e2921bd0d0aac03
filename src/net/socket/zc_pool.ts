// A DMA-able memory pool per socket (seed 000's zc_readv/zc_writev proposal, part 1): the process
// maps the socket and gets `size` bytes of its own address space whose every page the 32-bit NIC
// can reach, set up once, never bounced:
// - with the IOMMU translating (a DMA domain), any pages, each mapped once for the device when
//   the pool is made (IOVAs are below 4 GiB);
// - without it (no IOMMU, or a passthrough/identity domain), pages from ZONE_DMA32, whose bus
//   address is their physical address. A mapping that would bounce through swiotlb is refused.
// The pages are pinned long-term (FOLL_PIN | FOLL_LONGTERM) and charged to the user's locked
// memory (ENOMEM past RLIMIT_MEMLOCK, as io_uring's buffer registration gives).
//
// Each page of the pool is a slot that zc_writev lends to the device and zc_readv may swap:
// - lent: while a frame built in it is in flight, the process's mapping of the slot is the zero
//   page, write-protected, so a write by the process lands in a private page and the frame is
//   untouched; the completion maps the pool page back (the private page is dropped);
// - flipped: a received page the stack hands over takes the slot (mapped, pinned and mapped for
//   the device like the page it replaces, which is freed).
// The pool lives until the socket is released and, after that, until its last lent slot is back:
// the device may still be reading it.

import { PAGE_SIZE } from '../../mem/phys.js';
import { GFP_KERNEL, __GFP_DMA32, __GFP_ZERO, type Page } from '../../mem/page_alloc.js';
import { account_locked_vm, unaccount_locked_vm, zero_page, type MmStruct } from '../../mm/mm.js';
import { FOLL_LONGTERM, pin_user_pages, unpin_user_page } from '../../mm/gup.js';
import {
  DMA_BIDIRECTIONAL, dma_map_page_unbounced, dma_sync_single_for_device, dma_unmap_page, type Device as DmaDevice,
} from '../../platform/host.js';
import { EINVAL, ENOMEM, EOPNOTSUPP } from './uapi.js';

/** The largest pool a socket may map (the model's limit; a real one is per-netns). */
export const ZC_POOL_MAX = 64 << 20;

export type ZcPoolReach = 'iommu' | 'dma32';

export interface ZcPoolStats {
  /** Slots lent to the device by zc_writev, and given back at completion. */
  lent: number;
  returned: number;
  /** Received pages swapped into the pool by zc_readv. */
  flipped: number;
}

export class ZcPool {
  private readonly lentSlots = new Set<number>();
  private releasing = false;
  private released = false;
  readonly stats: ZcPoolStats = { lent: 0, returned: 0, flipped: 0 };

  constructor(
    readonly mm: MmStruct,
    readonly pdev: DmaDevice,
    /** The process's address of the pool. */
    readonly base: number,
    private readonly pages: Page[],
    /** Each page's bus address (what a descriptor may carry). */
    private readonly dma: bigint[],
    readonly reach: ZcPoolReach,
  ) {}

  get size(): number {
    return this.pages.length * PAGE_SIZE;
  }

  /** Slots in flight now. */
  get lent(): number {
    return this.lentSlots.size;
  }

  /** True if [va, va + len) lies inside the pool. */
  contains(va: number, len: number): boolean {
    return len >= 0 && va >= this.base && va + len <= this.base + this.size;
  }

  /** The slot (page index) of pool address `va`. */
  slot(va: number): number {
    return Math.floor((va - this.base) / PAGE_SIZE);
  }

  /** Slots [first, last] that [va, va + len) touches. */
  slots(va: number, len: number): number[] {
    return this.pieces(va, len).map((pc) => pc.k);
  }

  isLent(k: number): boolean {
    return this.lentSlots.has(k);
  }

  /** The pool's own page of slot k (the one the device reaches), whatever the process maps now. */
  page(k: number): Page {
    return this.pages[k]!;
  }

  /** The bus address of pool byte `va`. */
  bus_addr(va: number): bigint {
    return this.dma[this.slot(va)]! + BigInt((va - this.base) % PAGE_SIZE);
  }

  /** The physical address of pool byte `va` in the pool's own page (the kernel's view). */
  phys(va: number): bigint {
    return this.pages[this.slot(va)]!.phys + BigInt((va - this.base) % PAGE_SIZE);
  }

  /** [va, va + len) of the pool split at page boundaries: each piece's slot, offset in it, length. */
  pieces(va: number, len: number): { readonly va: number; readonly k: number; readonly off: number; readonly n: number }[] {
    const out = [];
    for (let at = va; at < va + len; ) {
      const off = (at - this.base) % PAGE_SIZE;
      const n = Math.min(va + len - at, PAGE_SIZE - off);
      out.push({ va: at, k: this.slot(at), off, n });
      at += n;
    }
    return out;
  }

  /** Kernel write into the pool, through its own pages (whatever the process maps there now). */
  write(va: number, bytes: Uint8Array): void {
    let at = 0;
    for (const pc of this.pieces(va, bytes.length)) {
      this.mm.host.cpuWrite(this.phys(pc.va), bytes.subarray(at, at + pc.n));
      at += pc.n;
    }
  }

  /** Kernel clear of [va, va + len) of the pool. */
  zero(va: number, len: number): void {
    for (const pc of this.pieces(va, len)) this.mm.host.cpuFill(this.phys(pc.va), pc.n, 0);
  }

  /** The CPU wrote [va, va + len) for the device to read: dma_sync_single_for_device, page by page. */
  sync_for_device(va: number, len: number): void {
    for (const pc of this.pieces(va, len)) dma_sync_single_for_device(this.pdev, this.bus_addr(pc.va), pc.n, DMA_BIDIRECTIONAL);
  }

  /** zc_writev: slot k goes to the device; the process sees the zero page there until give_back. */
  lend(k: number): void {
    if (this.lentSlots.has(k)) throw new RangeError(`zc pool slot ${k} is already lent`);
    this.lentSlots.add(k);
    this.stats.lent++;
    if (this.mm.dead) return;
    const old = this.mm.replace_page(this.base + k * PAGE_SIZE, zero_page(this.mm.host), true);
    if (old) this.mm.host.pages.put_page(old);
  }

  /** The device is done with slot k: the pool page is the process's again. */
  give_back(k: number): void {
    if (!this.lentSlots.delete(k)) throw new RangeError(`zc pool slot ${k} is not lent`);
    this.stats.returned++;
    if (!this.mm.dead) {
      // what the process saw meanwhile (the zero page, or its private copy) goes
      const old = this.mm.replace_page(this.base + k * PAGE_SIZE, this.pages[k]!);
      if (old) this.mm.host.pages.put_page(old);
    }
    if (this.releasing && this.lentSlots.size === 0) this.teardown();
  }

  /**
   * zc_readv: `page` (one reference, which passes to the pool) takes slot k, mapped for the
   * device first; false, with nothing changed and the reference still the caller's, if it cannot
   * be (a mapping error, or a page the device could reach only by bouncing).
   */
  flip(k: number, page: Page): boolean {
    if (this.lentSlots.has(k) || this.mm.dead || page.order !== 0) return false;
    const a = dma_map_page_unbounced(this.pdev, page, DMA_BIDIRECTIONAL);
    if (typeof a !== 'bigint') return false;
    const host = this.mm.host;
    const va = this.base + k * PAGE_SIZE;
    const old = this.pages[k]!;
    dma_unmap_page(this.pdev, this.dma[k]!, PAGE_SIZE, DMA_BIDIRECTIONAL);
    unpin_user_page(host, old);
    this.mm.pinned_vm--;
    this.pages[k] = page;
    this.dma[k] = a;
    const mapped = this.mm.replace_page(va, page);
    if (mapped) host.pages.put_page(mapped);
    host.pages.put_page(old);
    pin_user_pages(this.mm, va, PAGE_SIZE, FOLL_LONGTERM);
    this.stats.flipped++;
    return true;
  }

  /** Socket release: DMA mappings, pins and the locked-memory charge go once no slot is lent. */
  release(): void {
    if (this.releasing) return;
    this.releasing = true;
    if (this.lentSlots.size === 0) this.teardown();
  }

  private teardown(): void {
    if (this.released) return;
    this.released = true;
    const host = this.mm.host;
    this.pages.forEach((p, i) => {
      dma_unmap_page(this.pdev, this.dma[i]!, PAGE_SIZE, DMA_BIDIRECTIONAL);
      unpin_user_page(host, p);
      host.pages.put_page(p);
    });
    this.mm.pinned_vm -= this.pages.length;
    unaccount_locked_vm(this.mm, this.pages.length);
  }
}

/** Make a pool of `size` bytes for the device `pdev` in `mm`; the pool or -errno, nothing held on failure. */
export function zc_pool_create(mm: MmStruct, pdev: DmaDevice, size: number): ZcPool | number {
  if (!Number.isInteger(size) || size <= 0 || size % PAGE_SIZE !== 0 || size > ZC_POOL_MAX) return -EINVAL;
  const n = size / PAGE_SIZE;
  if (!account_locked_vm(mm, n)) return -ENOMEM;
  const host = mm.host;
  const reach: ZcPoolReach = pdev.usesIommuDma ? 'iommu' : 'dma32';
  const pages: Page[] = [];
  const dma: bigint[] = [];
  const unwind = (e: number): number => {
    pages.forEach((p, i) => {
      if (i < dma.length) dma_unmap_page(pdev, dma[i]!, PAGE_SIZE, DMA_BIDIRECTIONAL);
      host.pages.put_page(p);
    });
    unaccount_locked_vm(mm, n);
    return e;
  };
  for (let i = 0; i < n; i++) {
    // zeroed: a pool page starts with none of anyone's bytes
    const p = host.pages.alloc_pages((reach === 'dma32' ? __GFP_DMA32 : GFP_KERNEL) | __GFP_ZERO, 0);
    if (p === null) return unwind(-ENOMEM);
    pages.push(p);
    // never silently bounced
    const a = dma_map_page_unbounced(pdev, p, DMA_BIDIRECTIONAL);
    if (typeof a !== 'bigint') return unwind(a === 'nomap' ? -ENOMEM : -EOPNOTSUPP);
    dma.push(a);
  }
  const base = mm.insert_pages(pages);
  if (pin_user_pages(mm, base, size, FOLL_LONGTERM) === null) throw new RangeError('zc_pool_create: the new mapping cannot be pinned');
  return new ZcPool(mm, pdev, base, pages, dma, reach);
}
