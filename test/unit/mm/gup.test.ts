// User memory and the two ways of holding a user page (mm/gup.c): FOLL_GET references and
// FOLL_PIN pins are counted apart, a page held either way outlives munmap and exit, and both
// counts return to zero. Locked memory is charged per user against RLIMIT_MEMLOCK.

import { describe, expect, it } from 'vitest';
import { HostPlatform } from '../../../src/platform/host.js';
import { ManualClock } from '../../../src/platform/clock.js';
import { Process, find_user } from '../../../src/mm/process.js';
import { FOLL_LONGTERM, GUP_PIN_COUNTING_BIAS, get_user_pages, gup_held, gup_stats, page_maybe_dma_pinned, pin_user_pages, put_user_page_ref, unpin_user_page } from '../../../src/mm/gup.js';
import { account_locked_vm, unaccount_locked_vm } from '../../../src/mm/mm.js';
import { SZ_4G } from '../../../src/mem/phys.js';

function host(): HostPlatform {
  return new HostPlatform({ clock: new ManualClock(4000), iommu: false, swiotlb: 'auto' });
}

describe('user memory and GUP', () => {
  it('mmap gives zeroed pages above 4 GiB (dma32: below); copy_to/from_user round-trip; EFAULT outside', () => {
    const h = host();
    const p = new Process(h, 1);
    const va = p.mm.mmap(3 * 4096 + 10);
    expect(p.mm.mapped_pages).toBe(4);
    expect(p.mm.follow_page(va)!.page.phys >= SZ_4G).toBe(true);
    expect(p.mm.copy_from_user(va + 100, 8)).toEqual(new Uint8Array(8));
    const data = Uint8Array.from({ length: 9000 }, (_, i) => i & 0xff);
    expect(p.mm.copy_to_user(va + 5, data)).toBe(true);
    expect(p.mm.copy_from_user(va + 5, 9000)).toEqual(data);
    expect(p.mm.copy_from_user(va + 4 * 4096 - 4, 8)).toBeNull();
    expect(p.mm.copy_to_user(va - 1, new Uint8Array(2))).toBe(false);
    const low = p.mm.mmap(4096, { dma32: true });
    expect(p.mm.follow_page(low)!.page.phys < SZ_4G).toBe(true);
  });

  it('references and pins are counted apart; a held page outlives exit and goes with the last holder', () => {
    const h = host();
    const p = new Process(h, 1);
    const va = p.mm.mmap(2 * 4096);
    const page = p.mm.follow_page(va)!.page;
    const refs = get_user_pages(p.mm, va, 100)!;
    const pins = pin_user_pages(p.mm, va + 4000, 200, FOLL_LONGTERM)!;
    expect(refs.length).toBe(1);
    expect(pins.length).toBe(2);
    expect(page.refcount).toBe(1 + 1 + GUP_PIN_COUNTING_BIAS);
    expect(page_maybe_dma_pinned(page)).toBe(true);
    expect(gup_held(h)).toEqual({ refs: 1, pins: 2 });
    expect(p.mm.pinned_vm).toBe(2);
    expect(get_user_pages(p.mm, va + 3 * 4096, 1)).toBeNull();
    p.exit();
    expect(h.pages.isFreedPage(page.pfn)).toBe(false);
    put_user_page_ref(h, refs[0]!.page);
    for (const x of pins) unpin_user_page(h, x.page);
    expect(h.pages.isFreedPage(page.pfn)).toBe(true);
    expect(gup_stats(h)).toEqual({ nr_foll_pin_acquired: 2, nr_foll_pin_released: 2, nr_foll_get_acquired: 1, nr_foll_get_released: 1 });
    expect(() => unpin_user_page(h, page)).toThrow(/not pinned/);
  });

  it('locked memory is per user, against RLIMIT_MEMLOCK, unlimited with CAP_IPC_LOCK', () => {
    const h = host();
    const a = new Process(h, 1, 1000);
    const b = new Process(h, 2, 1000);
    a.mm.rlimit_memlock = b.mm.rlimit_memlock = 10 * 4096;
    expect(account_locked_vm(a.mm, 6)).toBe(true);
    expect(account_locked_vm(b.mm, 5)).toBe(false);
    expect(account_locked_vm(b.mm, 4)).toBe(true);
    expect(find_user(h, 1000).locked_vm).toBe(10);
    b.mm.cap_ipc_lock = true;
    expect(account_locked_vm(b.mm, 1000)).toBe(true);
    unaccount_locked_vm(a.mm, 6);
    b.mm.cap_ipc_lock = false;
    unaccount_locked_vm(b.mm, 4);
    expect(find_user(h, 1000).locked_vm).toBe(0);
  });
});
