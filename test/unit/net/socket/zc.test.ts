// The DMA-able per-socket pool and zc_writev / zc_readv (seed 000; src/net/socket/zc.ts has the
// rules): the pool reachable by the 32-bit NIC in every IOMMU mode and never bounced, pinned and
// charged; every check with its own errno and nothing sent or taken on failure; headers built in
// the head room and the frame sent from the pool as is; the sender's view of lent pages is the
// zero page, and its writes there do not reach the frame; received pages mapped into the pool
// with every non-payload byte zeroed; nothing held at the end.

import { pattern as lcg } from '../../../../src/testing/data.js';
import { describe, expect, it } from 'vitest';
import type { IommuChoice } from '../../../../src/host/machine.js';
import { NetHost, hostAddr, type NetProcess } from '../../../../src/host/net_host.js';
import { withPair } from '../../../../src/testing/fixture.js';
import { drainErrqueue as errq } from '../../../../src/host/net_host.js';
import { PAGE_SIZE, SZ_4G } from '../../../../src/mem/phys.js';
import { ZC_POOL_MAX, type ZcPool } from '../../../../src/net/socket/zc_pool.js';
import { UDP_ZC_HEADROOM, type UdpSock } from '../../../../src/net/ipv4/udp.js';
import type { ZcPair } from '../../../../src/net/socket/zc.js';
import {
  AF_INET, EAGAIN, EBUSY, EDESTADDRREQ, EFAULT, EINVAL, EMSGSIZE, ENOMEM, ENOSPC, ENXIO, EOPNOTSUPP, ERANGE,
  SOCK_DGRAM, SOCK_NONBLOCK, SOCK_STREAM, SO_EE_ORIGIN_ZEROCOPY, sockaddr_in, type Iovec, type SockExtendedErr,
} from '../../../../src/net/socket/uapi.js';

/** Payload bytes, none 0 (a zeroed byte is told apart from data). */
const pattern = (n: number, seed: number): Uint8Array => lcg(n, seed, { nonzero: true });

type Part = (h: NetHost) => Promise<void>;
const PORT = 8000;

async function pair(parts: readonly [Part, Part], iommu: IommuChoice = 'strict') {
  return withPair('model', parts, { iommu });
}


const udpSk = (p: NetProcess, fd: number): UdpSock => (p.proc.fget(fd) as unknown as { sk: UdpSock }).sk;

/** A socket connected to host 1's PORT with a pool of `size` bytes. */
async function poolSocket(p: NetProcess, size = 64 << 10): Promise<{ fd: number; pool: ZcPool }> {
  const fd = p.sys.socket(AF_INET, SOCK_DGRAM);
  expect(await p.sys.connect(fd, sockaddr_in(hostAddr(1), PORT))).toBe(0);
  const base = p.sys.mmap(fd, size);
  expect(base).toBeGreaterThan(0);
  const pool = p.sys.zc_pool(fd)!;
  expect(pool.base).toBe(base);
  return { fd, pool };
}

/** Host 1: receive `n` datagrams on PORT by copy. */
function receiver(n: number, got: Uint8Array[]): Part {
  return async (h) => {
    const { proc, sys } = h.spawn();
    const fd = sys.socket(AF_INET, SOCK_DGRAM);
    expect(sys.bind(fd, sockaddr_in(0, PORT))).toBe(0);
    const buf = proc.mm.mmap(16 << 10);
    for (let i = 0; i < n; i++) {
      const { ret } = await sys.recvfrom(fd, buf, 16 << 10);
      got.push(proc.mm.copy_from_user(buf, ret)!);
    }
  };
}

describe('a DMA-able pool per socket', () => {
  for (const [iommu, reach] of [['strict', 'iommu'], ['lazy', 'iommu'], ['passthrough', 'dma32'], ['off', 'dma32']] as const) {
    it(`IOMMU ${iommu}: every page reachable by the 32-bit NIC (${reach}), pinned long-term and charged to locked memory`, async () => {
      await pair([async (h) => {
        const p = h.spawn();
        const before = h.held();
        const { fd, pool } = await poolSocket(p, 16 * PAGE_SIZE);
        expect(pool.reach).toBe(reach);
        for (let k = 0; k < 16; k++) {
          const va = pool.base + k * PAGE_SIZE;
          const bus = pool.bus_addr(va);
          expect(bus + BigInt(PAGE_SIZE)).toBeLessThanOrEqual(SZ_4G);
          // the process's page is the pool's page, and without translation its bus address is the page itself
          expect(p.proc.mm.follow_page(va)!.page).toBe(pool.page(k));
          if (reach === 'dma32') expect(bus).toBe(pool.page(k).phys);
        }
        expect(h.held()).toEqual({ refs: 0, pins: before.pins + 16, locked_vm: before.locked_vm + 16 });
        expect(p.proc.mm.pinned_vm).toBe(16);
        // the process uses it as memory, and a second pool is refused
        expect(p.proc.mm.copy_to_user(pool.base + 100, pattern(5000, 1))).toBe(true);
        expect(p.proc.mm.copy_from_user(pool.base + 100, 5000)).toEqual(pattern(5000, 1));
        expect(p.sys.mmap(fd, PAGE_SIZE)).toBe(-EINVAL);
        expect(p.sys.close(fd)).toBe(0);
        expect(h.held()).toEqual(before);
        expect(p.proc.mm.pinned_vm).toBe(0);
      }, async () => {}], iommu);
    });
  }

  it('refuses bad sizes (EINVAL) and a pool past RLIMIT_MEMLOCK (ENOMEM), holding nothing after', async () => {
    await pair([async (h) => {
      const p = h.spawn();
      const fd = p.sys.socket(AF_INET, SOCK_DGRAM);
      for (const size of [0, -4096, 1000, PAGE_SIZE + 1, ZC_POOL_MAX + PAGE_SIZE, 1.5]) expect(p.sys.mmap(fd, size)).toBe(-EINVAL);
      p.proc.mm.rlimit_memlock = 8 * PAGE_SIZE;
      expect(p.sys.mmap(fd, 9 * PAGE_SIZE)).toBe(-ENOMEM);
      expect(h.held()).toEqual({ refs: 0, pins: 0, locked_vm: 0 });
      expect(p.sys.mmap(fd, 8 * PAGE_SIZE)).toBeGreaterThan(0);
      expect(h.held().locked_vm).toBe(8);
      expect(p.sys.mmap(42, PAGE_SIZE)).toBeLessThan(0);
    }, async () => {}]);
  });
});

describe('zc_writev', () => {
  it('sends each pair as one datagram built in its head room, no copy; the process sees zeros there until the notification, and its writes meanwhile do not reach the frame', async () => {
    const got: Uint8Array[] = [];
    const sizes = [1, 100, 1472, 700];
    const seen: { zerosWhileLent: boolean; cow: number; notes: SockExtendedErr[]; back: boolean; lentDuring: number; copies: number } = {
      zerosWhileLent: false, cow: 0, notes: [], back: false, lentDuring: 0, copies: -1,
    };
    await pair([async (h) => {
      const p = h.spawn();
      const { fd, pool } = await poolSocket(p);
      const mm = p.proc.mm;
      // element i: area = slot 2i (one page), data at offset 64 + i
      const pairs: ZcPair[] = sizes.map((n, i) => {
        const area = pool.base + 2 * i * PAGE_SIZE;
        const data = area + 64 + i;
        expect(mm.copy_to_user(data, pattern(n, i))).toBe(true);
        return [{ base: area, len: PAGE_SIZE }, { base: data, len: n }];
      });
      const maps = h.eth.nd.txq.reduce((a, q) => a + q.stats.maps, 0);
      expect(await p.sys.zc_writev(fd, pairs)).toBe(sizes.reduce((a, b) => a + b, 0));
      seen.lentDuring = pool.lent;
      seen.zerosWhileLent = pairs.every(([a]) => mm.copy_from_user(a.base, PAGE_SIZE)!.every((b) => b === 0));
      // a write to a lent page lands in a private page
      expect(mm.copy_to_user(pairs[1]![1].base, new Uint8Array(100).fill(0xee))).toBe(true);
      seen.cow = mm.cow_faults;
      await h.quiesce();
      seen.notes = await errq(p, fd);
      seen.back = pairs.every(([, d], i) => {
        const b = mm.copy_from_user(d.base, d.len)!;
        return b.every((x, j) => x === pattern(sizes[i]!, i)[j]);
      });
      expect(pool.lent).toBe(0);
      // the driver mapped nothing for these frames: the pool's mappings were used as they are
      seen.copies = h.eth.nd.txq.reduce((a, q) => a + q.stats.maps, 0) - maps;
      expect(udpSk(p, fd).tx.zc_bytes).toBe(sizes.reduce((a, b) => a + b, 0));
    }, receiver(sizes.length, got)]);
    expect(got.map((g) => g.length).sort((a, b) => a - b)).toEqual([...sizes].sort((a, b) => a - b));
    for (const [i, n] of sizes.entries()) expect(got.find((g) => g.length === n)).toEqual(pattern(n, i));
    expect(seen.lentDuring).toBe(sizes.length);
    expect(seen.zerosWhileLent).toBe(true);
    expect(seen.cow).toBe(1);
    // one call, one id, zero copy
    expect(seen.notes.map((n) => [n.ee_origin, n.ee_errno, n.ee_info, n.ee_data, n.ee_code])).toEqual([[SO_EE_ORIGIN_ZEROCOPY, 0, 0, 0, 0]]);
    expect(seen.back).toBe(true);
    expect(seen.copies).toBe(0);
  });

  it('gives each check its own errno, and a failed call sends nothing and takes no id', async () => {
    const got: Uint8Array[] = [];
    await pair([async (h) => {
      const p = h.spawn();
      const { sys } = p;
      const raw = sys.socket(AF_INET, SOCK_DGRAM);
      const okArea = (b: number): Iovec => ({ base: b, len: PAGE_SIZE });
      expect(await sys.zc_writev(raw, [[okArea(0), { base: 64, len: 10 }]])).toBe(-ENXIO);
      expect(sys.mmap(raw, 4 * PAGE_SIZE)).toBeGreaterThan(0);
      expect(await sys.zc_writev(raw, [[okArea(sys.zc_pool(raw)!.base), { base: sys.zc_pool(raw)!.base + 64, len: 10 }]])).toBe(-EDESTADDRREQ);
      const tcp = sys.socket(AF_INET, SOCK_STREAM);
      expect(sys.mmap(tcp, PAGE_SIZE)).toBeGreaterThan(0);
      expect(await sys.zc_writev(tcp, [[okArea(sys.zc_pool(tcp)!.base), { base: sys.zc_pool(tcp)!.base + 64, len: 10 }]])).toBe(-EOPNOTSUPP);
      const { fd, pool } = await poolSocket(p, 8 * PAGE_SIZE);
      const B = pool.base;
      const one = (area: Iovec, data: Iovec): ZcPair[] => [[area, data]];
      expect(await sys.zc_writev(fd, [], 0)).toBe(-EINVAL);
      expect(await sys.zc_writev(fd, one(okArea(B), { base: B + 64, len: 1 }), 2)).toBe(-EINVAL);
      expect(await sys.zc_writev(99, one(okArea(B), { base: B + 64, len: 1 }))).toBe(-9);
      expect(await sys.zc_writev(fd, one({ base: B + 64, len: 1000 }, { base: B + 128, len: 10 }))).toBe(-EINVAL); // area not on a page boundary
      expect(await sys.zc_writev(fd, one({ base: B, len: 0 }, { base: B, len: 0 }))).toBe(-EINVAL);
      expect(await sys.zc_writev(fd, one(okArea(B), { base: B + 64, len: 0 }))).toBe(-EINVAL);
      expect(await sys.zc_writev(fd, one({ base: B + 7 * PAGE_SIZE, len: 2 * PAGE_SIZE }, { base: B + 7 * PAGE_SIZE + 64, len: 10 }))).toBe(-EFAULT);
      const elsewhere = p.proc.mm.mmap(PAGE_SIZE);
      expect(await sys.zc_writev(fd, one(okArea(elsewhere), { base: elsewhere + 64, len: 10 }))).toBe(-EFAULT);
      expect(await sys.zc_writev(fd, one(okArea(B), { base: B + PAGE_SIZE - 5, len: 10 }))).toBe(-ERANGE);
      expect(await sys.zc_writev(fd, one(okArea(B), { base: B + UDP_ZC_HEADROOM - 1, len: 10 }))).toBe(-ENOSPC);
      expect(await sys.zc_writev(fd, one({ base: B, len: 2 * PAGE_SIZE }, { base: B + 64, len: 1473 }))).toBe(-EMSGSIZE);
      expect(await sys.zc_writev(fd, [[{ base: B, len: 5000 }, { base: B + 64, len: 10 }], [{ base: B + PAGE_SIZE, len: PAGE_SIZE }, { base: B + PAGE_SIZE + 64, len: 10 }]])).toBe(-EBUSY);
      // the tail room a device asks for
      h.eth.needed_tailroom = 8;
      expect(await sys.zc_writev(fd, one(okArea(B), { base: B + PAGE_SIZE - 10, len: 5 }))).toBe(-ENOSPC);
      h.eth.needed_tailroom = 0;
      expect(udpSk(p, fd).sk_zckey).toBe(0);
      expect(pool.lent).toBe(0);
      // a valid call now, and a second one on its pages while they are in flight
      expect(p.proc.mm.copy_to_user(B + 64, pattern(300, 7))).toBe(true);
      expect(await sys.zc_writev(fd, one(okArea(B), { base: B + 64, len: 300 }))).toBe(300);
      expect(await sys.zc_writev(fd, one(okArea(B), { base: B + 64, len: 300 }))).toBe(-EBUSY);
      await h.quiesce();
      expect((await errq(p, fd)).map((n) => [n.ee_info, n.ee_data])).toEqual([[0, 0]]);
    }, receiver(1, got)]);
    expect(got).toEqual([pattern(300, 7)]);
  });

  it('a process that exits with frames in flight frees nothing early: the pool stays pinned and mapped until the device is done', async () => {
    const got: Uint8Array[] = [];
    const during: { pins: number; locked: number }[] = [];
    await pair([async (h) => {
      const p = h.spawn();
      const { fd, pool } = await poolSocket(p, 4 * PAGE_SIZE);
      expect(p.proc.mm.copy_to_user(pool.base + 64, pattern(1400, 3))).toBe(true);
      expect(p.proc.mm.copy_to_user(pool.base + PAGE_SIZE + 64, pattern(1400, 4))).toBe(true);
      expect(await p.sys.zc_writev(fd, [
        [{ base: pool.base, len: PAGE_SIZE }, { base: pool.base + 64, len: 1400 }],
        [{ base: pool.base + PAGE_SIZE, len: PAGE_SIZE }, { base: pool.base + PAGE_SIZE + 64, len: 1400 }],
      ])).toBe(2800);
      p.proc.exit();
      during.push({ pins: h.held().pins, locked: h.held().locked_vm });
      await h.quiesce();
      during.push({ pins: h.held().pins, locked: h.held().locked_vm });
    }, receiver(2, got)]);
    // pinned and charged through the exit, released with the last completion (and down() found dma-debug clean)
    expect(during).toEqual([{ pins: 4, locked: 4 }, { pins: 0, locked: 0 }]);
    expect(got.sort((a, b) => a[0]! - b[0]!)).toEqual([pattern(1400, 3), pattern(1400, 4)].sort((a, b) => a[0]! - b[0]!));
  });
});

describe('zc_readv', () => {
  it('maps each payload by its page, rewrites the iovecs to it, and zeroes every other byte of the page, stale bytes of a recycled page included', async () => {
    const out: { n: number; iov: Iovec[]; pages: Uint8Array[]; stale: number; flipped: number; copied: number; data: Uint8Array[] } = {
      n: 0, iov: [], pages: [], stale: 0, flipped: 0, copied: 0, data: [],
    };
    const sizes = [100, 1472, 3000];
    await pair([async (h) => {
      const { proc, sys } = h.spawn();
      const fd = sys.socket(AF_INET, SOCK_DGRAM);
      const buf = proc.mm.mmap(8192);
      // first fill the receiver's page_pool pages with another process's bytes (the same flow, so
      // the same RX queue), then the payloads
      for (let i = 0; i < 600; i++) {
        expect(proc.mm.copy_to_user(buf, pattern(1472, 1000 + i))).toBe(true);
        expect(await sys.sendto(fd, buf, 1472, 0, sockaddr_in(hostAddr(1), PORT))).toBe(1472);
      }
      await h.dev.sleep(400_000);
      for (const [i, n] of sizes.entries()) {
        expect(proc.mm.copy_to_user(buf, pattern(n, i))).toBe(true);
        expect(await sys.sendto(fd, buf, n, 0, sockaddr_in(hostAddr(1), PORT))).toBe(n);
      }
    }, async (h) => {
      const other = h.spawn();
      const ofd = other.sys.socket(AF_INET, SOCK_DGRAM);
      expect(other.sys.bind(ofd, sockaddr_in(0, PORT))).toBe(0);
      const obuf = other.proc.mm.mmap(2048);
      for (let i = 0; i < 600; i++) expect((await other.sys.recvfrom(ofd, obuf, 2048)).ret).toBe(1472);
      expect(other.sys.close(ofd)).toBe(0);
      const p = h.spawn();
      const fd = p.sys.socket(AF_INET, SOCK_DGRAM);
      expect(p.sys.bind(fd, sockaddr_in(0, PORT))).toBe(0);
      const base = p.sys.mmap(fd, 16 * PAGE_SIZE);
      const pool = p.sys.zc_pool(fd)!;
      // wait for all three, then look at the first one's page before zc_readv: it holds an earlier frame's tail
      const sk = udpSk(p, fd);
      while (sk.rxq.length < 3) await h.dev.sleep(10_000);
      const first = sk.rxq[0]!.pkt.segs[0]!.skb.frags[0]!;
      out.stale = h.h.host.cpuRead(first.page.phys + BigInt(first.offset + 100), 1372).filter((b) => b !== 0).length;
      const iov: Iovec[] = [0, 1, 2, 3].map((i) => ({ base: base + 4 * i * PAGE_SIZE, len: 4 * PAGE_SIZE }));
      out.n = await p.sys.zc_readv(fd, iov);
      out.iov = iov;
      for (let i = 0; i < out.n; i++) {
        const a = iov[i]!;
        const page0 = a.base - ((a.base - base) % PAGE_SIZE);
        out.pages.push(p.proc.mm.copy_from_user(page0, Math.ceil((a.base - page0 + a.len) / PAGE_SIZE) * PAGE_SIZE)!);
        out.data.push(p.proc.mm.copy_from_user(a.base, a.len)!);
      }
      out.flipped = sk.zc.rx_flipped;
      out.copied = sk.zc.rx_copied;
      expect(pool.stats.flipped).toBe(out.flipped);
    }]);
    expect(out.n).toBe(3);
    expect(out.stale).toBeGreaterThan(1000);
    expect(out.data).toEqual(sizes.map((n, i) => pattern(n, i)));
    // header split puts each single-frame payload at the start of its page; the fragmented one is copied
    expect(out.flipped).toBe(2);
    expect(out.copied).toBe(1);
    out.iov.slice(0, 3).forEach((a, i) => expect(a.len).toBe(sizes[i]));
    for (const [i, page] of out.pages.entries()) {
      const off = (out.iov[i]!.base) % PAGE_SIZE;
      const rest = [...page.subarray(0, off), ...page.subarray(off + sizes[i]!)];
      expect(rest.filter((b) => b !== 0).length).toBe(0);
    }
  });

  it('gives each check its own errno, loses no datagram, and a payload too large for its area stays for recv', async () => {
    await pair([async (h) => {
      const { proc, sys } = h.spawn();
      const fd = sys.socket(AF_INET, SOCK_DGRAM);
      const buf = proc.mm.mmap(8192);
      await h.dev.sleep(100_000);
      expect(proc.mm.copy_to_user(buf, pattern(6000, 9))).toBe(true);
      expect(await sys.sendto(fd, buf, 6000, 0, sockaddr_in(hostAddr(1), PORT))).toBe(6000);
    }, async (h) => {
      const p = h.spawn();
      const { sys } = p;
      const fd = sys.socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK);
      expect(sys.bind(fd, sockaddr_in(0, PORT))).toBe(0);
      expect(await sys.zc_readv(fd, [{ base: 0, len: PAGE_SIZE }])).toBe(-ENXIO);
      const B = sys.mmap(fd, 8 * PAGE_SIZE);
      expect(await sys.zc_readv(fd, [])).toBe(-EINVAL);
      expect(await sys.zc_readv(fd, [{ base: B + 64, len: PAGE_SIZE }])).toBe(-EINVAL);
      expect(await sys.zc_readv(fd, [{ base: B + 6 * PAGE_SIZE, len: 4 * PAGE_SIZE }])).toBe(-EFAULT);
      expect(await sys.zc_readv(fd, [{ base: B, len: 2 * PAGE_SIZE }, { base: B + PAGE_SIZE, len: PAGE_SIZE }])).toBe(-EBUSY);
      expect(await sys.zc_readv(fd, [{ base: B, len: PAGE_SIZE - 1 }])).toBe(-ENOSPC);
      expect(await sys.zc_readv(fd, [{ base: B, len: PAGE_SIZE }])).toBe(-EAGAIN);
      const sk = udpSk(p, fd);
      while (!sk.rxq.length) await h.dev.sleep(10_000);
      expect(await sys.zc_readv(fd, [{ base: B, len: PAGE_SIZE }])).toBe(-EMSGSIZE);
      const buf = p.proc.mm.mmap(8192);
      expect((await sys.recvfrom(fd, buf, 8192)).ret).toBe(6000);
      expect(p.proc.mm.copy_from_user(buf, 6000)).toEqual(pattern(6000, 9));
    }]);
  });

  it('forwards without a copy: a page received by zc_readv goes out again by zc_writev from the same pool', async () => {
    const back: Uint8Array[] = [];
    await pair([async (h) => {
      const p = h.spawn();
      const fd = p.sys.socket(AF_INET, SOCK_DGRAM);
      expect(p.sys.bind(fd, sockaddr_in(0, PORT))).toBe(0);
      expect(await p.sys.connect(fd, sockaddr_in(hostAddr(1), PORT))).toBe(0);
      const buf = p.proc.mm.mmap(4096);
      expect(p.proc.mm.copy_to_user(buf, pattern(1200, 5))).toBe(true);
      expect(await p.sys.send(fd, buf, 1200)).toBe(1200);
      const { ret } = await p.sys.recvfrom(fd, buf, 4096);
      back.push(p.proc.mm.copy_from_user(buf, ret)!);
    }, async (h) => {
      const p = h.spawn();
      const fd = p.sys.socket(AF_INET, SOCK_DGRAM);
      expect(p.sys.bind(fd, sockaddr_in(0, PORT))).toBe(0);
      expect(await p.sys.connect(fd, sockaddr_in(hostAddr(0), PORT))).toBe(0);
      const B = p.sys.mmap(fd, 8 * PAGE_SIZE);
      // the payload lands at the start of slot 1; slot 0 is the head room for the reply's headers
      const iov: Iovec[] = [{ base: B + PAGE_SIZE, len: PAGE_SIZE }];
      expect(await p.sys.zc_readv(fd, iov)).toBe(1);
      expect(iov[0]).toEqual({ base: B + PAGE_SIZE, len: 1200 });
      const sk = udpSk(p, fd);
      expect(sk.zc.rx_flipped).toBe(1);
      expect(await p.sys.zc_writev(fd, [[{ base: B, len: 2 * PAGE_SIZE }, iov[0]!]])).toBe(1200);
    }]);
    expect(back).toEqual([pattern(1200, 5)]);
  });
});

describe('the lazy-unmap window, on a closed pool', () => {
  for (const iommu of ['lazy', 'strict'] as const) {
    it(`${iommu}: a device write to a pool page's old bus address after close ${iommu === 'lazy' ? 'lands in the process\'s page (the IOTLB still maps it)' : 'faults: strict invalidation closes the window'}`, async () => {
      const out = { ok: false, landed: false, faults: 0, reports: [] as string[], where: '' };
      const got: Uint8Array[] = [];
      await pair([async (h) => {
        const p = h.spawn();
        const { fd, pool } = await poolSocket(p, 4 * PAGE_SIZE);
        expect(p.proc.mm.copy_to_user(pool.base + 64, pattern(500, 1))).toBe(true);
        const iova = pool.bus_addr(pool.base);
        // the NIC reads the page (its IOTLB now holds the translation), and completes
        expect(await p.sys.zc_writev(fd, [[{ base: pool.base, len: PAGE_SIZE }, { base: pool.base + 64, len: 500 }]])).toBe(500);
        await h.quiesce();
        expect(p.sys.close(fd)).toBe(0);
        // the device, late: a write to the page's old bus address
        const r = h.h.dma.write(iova, new Uint8Array(64).fill(0x5a), h.dev.clock.cycle);
        out.ok = r.ok;
        const mine = p.proc.mm.copy_from_user(pool.base, 64)!;
        out.landed = mine.every((b) => b === 0x5a);
        out.where = `pfn 0x${p.proc.mm.follow_page(pool.base)!.page.pfn.toString(16)}, the process's page at 0x${pool.base.toString(16)}`;
        out.faults = h.h.host.faults.length;
        h.expectedFaults = out.faults;
        out.reports = h.h.host.debug!.consume('device_access_unmapped').map((x) => x.message);
      }, receiver(1, got)], iommu);
      expect(got).toEqual([pattern(500, 1)]);
      if (iommu === 'lazy') {
        expect([out.ok, out.landed, out.faults]).toEqual([true, true, 0]);
        expect(out.where).toMatch(/^pfn 0x[0-9a-f]+, the process's page at 0x[0-9a-f]+$/);
        // dma-debug names it: a device write outside any live mapping, where one was unmapped
        expect(out.reports.length).toBe(1);
        expect(out.reports[0]).toMatch(/device wrote .* outside any live mapping .*stale: last mapping here was unmapped at cycle \d+/);
      } else {
        expect([out.ok, out.landed, out.faults]).toEqual([false, false, 1]);
      }
    });
  }
});
