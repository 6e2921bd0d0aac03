// A process's user memory (mm/mmap.c, mm/memory.c reduced): anonymous mappings backed by real
// pages of the host's page allocator, so "user pages" are pages the NIC can be handed and the
// IOMMU or swiotlb must deal with (GFP_HIGHUSER: above 4 GiB where RAM is). A mapping holds one
// reference to each of its pages; munmap and exit drop it, and a page someone else still holds
// (a zero-copy send's reference, a pin) stays allocated until that holder lets go.
// Accounting of locked memory per user (struct user_struct's locked_vm, RLIMIT_MEMLOCK,
// CAP_IPC_LOCK) lives here too: MSG_ZEROCOPY and long-term pins charge it.

import { HostModelError } from '../mem/errors.js';
import { hex } from '../lib/hex.js';
import { GFP_KERNEL, __GFP_DMA32, __GFP_HIGHMEM, __GFP_ZERO, type Page } from '../mem/page_alloc.js';
import { PAGE_SHIFT, PAGE_SIZE } from '../mem/phys.js';
import type { HostPlatform } from '../platform/host.js';

export type MmErrorCode = 'E_MM_OOM' | 'E_MM_BAD_RANGE' | 'E_MM_LEAK';
export class MmError extends HostModelError<MmErrorCode> {}

/** GFP_HIGHUSER: user pages may live anywhere, above 4 GiB first. */
export const GFP_HIGHUSER = GFP_KERNEL | __GFP_HIGHMEM;
/** Linux's default RLIMIT_MEMLOCK since v5.16: 8 MiB. */
export const MLOCK_LIMIT_DEFAULT = 8 << 20;
/** Where the first mmap goes (the model's TASK_UNMAPPED_BASE; any page-aligned value works). */
export const TASK_UNMAPPED_BASE = 0x7f00_0000_0000;

/** struct user_struct: what all of a user's processes share. */
export class UserStruct {
  /** Pages charged to locked memory (atomic_long_t locked_vm). */
  locked_vm = 0;
  constructor(readonly uid: number) {}
}

export interface Vma {
  readonly start: number;
  readonly len: number;
  readonly pages: Page[];
  /** Indices mapped read-only to the zero page: the first write there copies on write. */
  readonly wp: Set<number>;
}

const zeroPages = new WeakMap<HostPlatform, Page>();

/** ZERO_PAGE(): the host's one page of zeros, never freed (the map holds a reference). */
export function zero_page(host: HostPlatform): Page {
  let z = zeroPages.get(host);
  if (!z) {
    z = host.pages.alloc_pages(GFP_KERNEL | __GFP_ZERO, 0) ?? undefined;
    if (!z) throw new MmError('E_MM_OOM', 'no memory for the zero page', {});
    zeroPages.set(host, z);
  }
  return z;
}

export interface MmapOptions {
  /** MAP_32BIT-like: pages from ZONE_DMA32 (below 4 GiB), e.g. to compare with a bounce-free path. */
  readonly dma32?: boolean;
}

/** Where a user address lands: its page and the offset in it. */
export interface UserPage {
  readonly page: Page;
  readonly off: number;
}

export class MmStruct {
  private readonly vmas: Vma[] = [];
  private nextVa = TASK_UNMAPPED_BASE;
  /** RLIMIT_MEMLOCK in bytes. */
  rlimit_memlock = MLOCK_LIMIT_DEFAULT;
  /** CAP_IPC_LOCK: no locked-memory limit. */
  cap_ipc_lock = false;
  /** mm->pinned_vm: pages pinned FOLL_LONGTERM by this mm. */
  pinned_vm = 0;
  dead = false;
  /** Write faults taken on write-protected pages (each gave the process a private page). */
  cow_faults = 0;

  constructor(
    readonly host: HostPlatform,
    readonly user: UserStruct,
  ) {}

  /** mmap(NULL, len, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS): zeroed pages, faulted in now. */
  mmap(len: number, o: MmapOptions = {}): number {
    if (!Number.isInteger(len) || len <= 0) throw new MmError('E_MM_BAD_RANGE', `mmap of ${len} bytes`, { size: len });
    const n = Math.ceil(len / PAGE_SIZE);
    const pages: Page[] = [];
    const gfp = (o.dma32 ? __GFP_DMA32 : GFP_HIGHUSER) | __GFP_ZERO; // no stale kernel bytes in a new mapping
    for (let i = 0; i < n; i++) {
      const p = this.host.pages.alloc_pages(gfp, 0);
      if (p === null) {
        for (const q of pages) this.host.pages.put_page(q);
        throw new MmError('E_MM_OOM', `mmap of ${len} bytes: out of memory after ${i} pages`, { size: len });
      }
      pages.push(p);
    }
    return this.add_vma(pages, false);
  }

  /**
   * vm_insert_pages(): a new mapping of pages the caller owns (a socket's pool), each taking one
   * more reference that munmap or exit drops.
   */
  insert_pages(pages: readonly Page[]): number {
    for (const p of pages) p.refcount++;
    return this.add_vma([...pages], false);
  }

  /** A new mapping of `pages` (their references already taken), a guard page after it; its address. */
  private add_vma(pages: Page[], readonly: boolean): number {
    const start = this.nextVa;
    this.nextVa += (pages.length + 1) * PAGE_SIZE;
    this.vmas.push({ start, len: pages.length * PAGE_SIZE, pages, wp: new Set(readonly ? pages.keys() : []) });
    return start;
  }

  /** A read-only mapping of `n` pages, each the zero page until something is mapped there (replace_page). */
  map_zero_pages(n: number): number {
    const z = zero_page(this.host);
    z.refcount += n;
    return this.add_vma(new Array<Page>(n).fill(z), true);
  }

  /**
   * Map `page` at the page of `va` in place of what was there (set_pte_at with a fresh reference).
   * Returns the page it replaces, whose mapping reference passes to the caller; null if `va` is
   * not mapped. `readonly` maps it write-protected: a write then copies (the zero page's case).
   */
  replace_page(va: number, page: Page, readonly = false): Page | null {
    const at = this.locate(va);
    if (at === null) return null;
    const [v, k] = at;
    const old = v.pages[k]!;
    page.refcount++;
    v.pages[k] = page;
    if (readonly) v.wp.add(k);
    else v.wp.delete(k);
    return old;
  }

  private locate(va: number): [Vma, number] | null {
    for (const v of this.vmas) if (va >= v.start && va < v.start + v.len) return [v, Math.floor((va - v.start) / PAGE_SIZE)];
    return null;
  }

  /** do_wp_page() for the zero page: a private zeroed page replaces it before a write lands. */
  private break_cow(va: number, len: number): boolean {
    for (let a = va - (va % PAGE_SIZE); a < va + len; a += PAGE_SIZE) {
      const at = this.locate(Math.max(a, va));
      if (at === null) return false;
      const [v, k] = at;
      if (!v.wp.has(k)) continue;
      const p = this.host.pages.alloc_pages(GFP_HIGHUSER | __GFP_ZERO, 0);
      if (p === null) return false;
      this.host.pages.put_page(v.pages[k]!);
      v.pages[k] = p;
      v.wp.delete(k);
      this.cow_faults++;
    }
    return true;
  }

  /** munmap of a whole mapping; false if `addr` starts none (EINVAL). */
  munmap(addr: number): boolean {
    const i = this.vmas.findIndex((v) => v.start === addr);
    if (i < 0) return false;
    const [v] = this.vmas.splice(i, 1);
    for (const p of v!.pages) this.host.pages.put_page(p);
    return true;
  }

  /** exit_mmap(): every mapping goes; pages others still hold stay allocated. */
  exit_mmap(): void {
    while (this.vmas.length) this.munmap(this.vmas[0]!.start);
    this.dead = true;
  }

  /** The page behind user address `va` (follow_page), or null: the access would fault. */
  follow_page(va: number): UserPage | null {
    const at = this.locate(va);
    return at === null ? null : { page: at[0].pages[at[1]]!, off: (va - at[0].start) % PAGE_SIZE };
  }

  /** True if [va, va + len) is mapped: what access_ok + a fault-free copy need. */
  range_ok(va: number, len: number): boolean {
    if (len === 0) return true;
    for (let a = va - (va % PAGE_SIZE); a < va + len; a += PAGE_SIZE) if (this.follow_page(Math.max(a, va)) === null) return false;
    return true;
  }

  /** Walk [va, va + len) page by page. */
  private chunks(va: number, len: number, f: (pa: bigint, at: number, n: number) => void): void {
    let at = 0;
    while (at < len) {
      const up = this.follow_page(va + at);
      if (up === null) throw new MmError('E_MM_BAD_RANGE', `user address ${hex(va + at)} is not mapped`, { addr: BigInt(va + at) });
      const n = Math.min(len - at, PAGE_SIZE - up.off);
      f(up.page.phys + BigInt(up.off), at, n);
      at += n;
    }
  }

  /** copy_from_user; null is EFAULT (nothing read). */
  copy_from_user(va: number, len: number): Uint8Array | null {
    if (!this.range_ok(va, len)) return null;
    const out = new Uint8Array(len);
    this.chunks(va, len, (pa, at, n) => out.set(this.host.cpuRead(pa, n), at));
    return out;
  }

  /** copy_to_user; false is EFAULT (nothing written). */
  copy_to_user(va: number, bytes: Uint8Array): boolean {
    if (!this.range_ok(va, bytes.length) || !this.break_cow(va, bytes.length)) return false;
    this.chunks(va, bytes.length, (pa, at, n) => this.host.cpuWrite(pa, bytes.subarray(at, at + n)));
    return true;
  }

  /** clear_user; false is EFAULT. */
  clear_user(va: number, len: number): boolean {
    if (!this.range_ok(va, len) || !this.break_cow(va, len)) return false;
    this.chunks(va, len, (pa, _at, n) => this.host.cpuFill(pa, n, 0));
    return true;
  }

  /** Pages mapped now (for leak checks). */
  get mapped_pages(): number {
    return this.vmas.reduce((a, v) => a + v.pages.length, 0);
  }
}

/**
 * mm_account_pinned_pages(): charge `num_pg` pages to the user's locked_vm unless the task has
 * CAP_IPC_LOCK; false (the caller's ENOBUFS or ENOMEM) if that would pass RLIMIT_MEMLOCK.
 */
export function account_locked_vm(mm: MmStruct, num_pg: number): boolean {
  if (mm.cap_ipc_lock) return true;
  const max = mm.rlimit_memlock >> PAGE_SHIFT;
  if (mm.user.locked_vm + num_pg > max) return false;
  mm.user.locked_vm += num_pg;
  return true;
}

export function unaccount_locked_vm(mm: MmStruct, num_pg: number): void {
  if (mm.cap_ipc_lock) return;
  mm.user.locked_vm -= num_pg;
}
