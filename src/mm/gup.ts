// get_user_pages and pin_user_pages (mm/gup.c, Documentation/core-api/pin_user_pages.rst): the
// two ways the kernel holds a user page. FOLL_GET takes a plain reference (+1, put_page
// releases it): what MSG_ZEROCOPY's iov_iter_get_pages2 does for TX frags. FOLL_PIN adds
// GUP_PIN_COUNTING_BIAS to the refcount of a small page (unpin_user_page takes it off): what
// io_uring's registered buffers and zcrx areas do, with FOLL_LONGTERM. The two are counted apart
// per host: nr_foll_pin_acquired/released as /proc/vmstat has them, and the model's own pair for
// FOLL_GET references, so a test can prove both return to zero.

import { hex } from '../lib/hex.js';
import type { Page } from '../mem/page_alloc.js';
import { MemError, PAGE_SIZE } from '../mem/phys.js';
import type { HostPlatform } from '../platform/host.js';
import type { MmStruct } from './mm.js';

export const FOLL_WRITE = 0x01;
export const FOLL_GET = 0x04;
export const FOLL_LONGTERM = 0x100;
export const FOLL_PIN = 0x40000;
export const GUP_PIN_COUNTING_BIAS = 1024;

/** /proc/vmstat's pin counters, and the model's FOLL_GET counterparts. */
export interface GupStats {
  nr_foll_pin_acquired: number;
  nr_foll_pin_released: number;
  /** Model: FOLL_GET references taken by get_user_pages and released by put_user_page_ref. */
  nr_foll_get_acquired: number;
  nr_foll_get_released: number;
}

const statsByHost = new WeakMap<HostPlatform, GupStats>();
/** Pins per page (the model's _pincount for small folios: the refcount bias alone is ambiguous). */
const pincount = new WeakMap<Page, number>();

export function gup_stats(host: HostPlatform): GupStats {
  let s = statsByHost.get(host);
  if (!s) statsByHost.set(host, (s = { nr_foll_pin_acquired: 0, nr_foll_pin_released: 0, nr_foll_get_acquired: 0, nr_foll_get_released: 0 }));
  return s;
}

/** References and pins held now: acquired minus released, for each kind. */
export function gup_held(host: HostPlatform): { pins: number; refs: number } {
  const s = gup_stats(host);
  return { pins: s.nr_foll_pin_acquired - s.nr_foll_pin_released, refs: s.nr_foll_get_acquired - s.nr_foll_get_released };
}

/** One held piece of user memory: its page and the bytes of it the caller asked for. */
export interface GupPiece {
  readonly page: Page;
  readonly off: number;
  readonly len: number;
}

/** The pages under [start, start + len), split at page boundaries; null if any is unmapped (EFAULT). */
function walk(mm: MmStruct, start: number, len: number): GupPiece[] | null {
  const out: GupPiece[] = [];
  let at = 0;
  while (at < len) {
    const up = mm.follow_page(start + at);
    if (up === null) return null;
    const n = Math.min(len - at, PAGE_SIZE - up.off);
    out.push({ page: up.page, off: up.off, len: n });
    at += n;
  }
  return out;
}

/** get_user_pages (FOLL_GET): a reference on each page; null is -EFAULT, nothing taken. */
export function get_user_pages(mm: MmStruct, start: number, len: number): GupPiece[] | null {
  const ps = walk(mm, start, len);
  if (ps === null) return null;
  for (const p of ps) p.page.refcount++;
  gup_stats(mm.host).nr_foll_get_acquired += ps.length;
  return ps;
}

/** put_page() of a reference get_user_pages took. */
export function put_user_page_ref(host: HostPlatform, page: Page): void {
  gup_stats(host).nr_foll_get_released++;
  host.pages.put_page(page);
}

/** pin_user_pages (FOLL_PIN, optionally FOLL_LONGTERM): null is -EFAULT, nothing pinned. */
export function pin_user_pages(mm: MmStruct, start: number, len: number, gup_flags = 0): GupPiece[] | null {
  const ps = walk(mm, start, len);
  if (ps === null) return null;
  for (const p of ps) {
    p.page.refcount += GUP_PIN_COUNTING_BIAS;
    pincount.set(p.page, (pincount.get(p.page) ?? 0) + 1);
  }
  if (gup_flags & FOLL_LONGTERM) mm.pinned_vm += ps.length;
  gup_stats(mm.host).nr_foll_pin_acquired += ps.length;
  return ps;
}

/** unpin_user_page(); the page goes when its last holder lets go. */
export function unpin_user_page(host: HostPlatform, page: Page): void {
  const n = pincount.get(page) ?? 0;
  if (n <= 0) throw new MemError('E_BAD_FREE', `unpin_user_page of pfn ${hex(page.pfn)}, which is not pinned`, { addr: page.phys });
  if (n === 1) pincount.delete(page);
  else pincount.set(page, n - 1);
  gup_stats(host).nr_foll_pin_released++;
  page.refcount -= GUP_PIN_COUNTING_BIAS - 1;
  host.pages.put_page(page);
}

/** page_maybe_dma_pinned(): exact in the model (no false positives from many plain gets). */
export function page_maybe_dma_pinned(page: Page): boolean {
  return (pincount.get(page) ?? 0) > 0;
}
