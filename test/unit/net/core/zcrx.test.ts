// RX zero copy on page_pool (seed 004; src/net/core/zcrx.ts): a queue bound to an area steered
// to the flow, payloads delivered by reference into the process's read-only view, pages cleared
// when they enter the pool and not on recycle, the refill ring and its misuse, the three modes and
// CAP_NET_ADMIN, another domain's frames copied (or dropped) and never mapped, exhaustion drops
// without writing a held page, and nothing held at the end.

import { describe, expect, it } from 'vitest';
import { NetHost, hostAddr, type NetHostOptions, type NetProcess } from '../../../../src/host/net_host.js';
import { withPair } from '../../../../src/testing/fixture.js';
import { PAGE_SIZE } from '../../../../src/mem/phys.js';
import { zero_page } from '../../../../src/mm/mm.js';
import { ZcnicEthtool } from '../../../../src/drivers/zcnic/ethtool.js';
import { IPPROTO_TCP, IPPROTO_UDP } from '../../../../src/lib/proto.js';
import type { ZcrxCqe, ZcrxIfq, ZcrxMode } from '../../../../src/net/core/zcrx.js';
import type { ZcrxRegister } from '../../../../src/net/socket/socket.js';
import {
  AF_INET, SOCK_STREAM, EBUSY, EEXIST, EINVAL, ENOMEM, EOPNOTSUPP, EPERM, ERANGE, SOCK_DGRAM, SOCK_NONBLOCK, sockaddr_in,
} from '../../../../src/net/socket/uapi.js';

type Part = (h: NetHost) => Promise<void>;
const PORT = 9000;

async function pair(parts: readonly [Part, Part], options?: readonly [NetHostOptions?, NetHostOptions?]) {
  return withPair('model', parts, { maxCycles: 400_000_000, ...(options ? { hosts: options } : {}) });
}

/** Datagram i of a test: `n` bytes, none 0, distinct per i. */
function payload(n: number, i: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, k) => 1 + ((i * 131 + k * 7) % 251));
}

/** Host 0: `count` datagrams of `size` bytes to host 1's `port`, `gap` cycles apart. */
function sender(count: number, size: number, port = PORT, gap = 2_000): Part {
  return async (h) => {
    const { proc, sys } = h.spawn();
    const fd = sys.socket(AF_INET, SOCK_DGRAM);
    const buf = proc.mm.mmap(16 << 10);
    await h.dev.sleep(200_000); // the receiver binds first
    for (let i = 0; i < count; i++) {
      expect(proc.mm.copy_to_user(buf, payload(size, i))).toBe(true);
      expect(await sys.sendto(fd, buf, size, 0, sockaddr_in(hostAddr(1), port))).toBe(size);
      await h.dev.sleep(gap);
    }
  };
}

const reg = (o: Partial<ZcrxRegister> = {}): ZcrxRegister => ({
  rxq: 1, mode: 'exclusive', area_size: 64 * PAGE_SIZE, rq_entries: 64, flow: { protocol: IPPROTO_UDP, dport: PORT }, ...o,
});

/** A process with a bound queue and a socket on the flow's port. */
async function zcReceiver(h: NetHost, o: Partial<ZcrxRegister> = {}, uid = 1000) {
  const p = h.spawn(uid);
  if (o.mode && o.mode !== 'exclusive') p.proc.cap_net_admin = true;
  const zfd = await p.sys.zcrx_register(reg(o));
  expect(zfd).toBeGreaterThanOrEqual(0);
  const view = p.sys.zcrx_mmap(zfd);
  expect(view).toBeGreaterThan(0);
  const fd = p.sys.socket(AF_INET, SOCK_DGRAM);
  expect(p.sys.bind(fd, sockaddr_in(0, o.flow?.dport ?? PORT))).toBe(0);
  return { p, zfd, view, fd, ifq: p.sys.zcrx_ifq(zfd)! };
}

/** Receive `n` datagrams zero-copy: their bytes (read through the view) and the CQEs. */
async function recvZc(p: NetProcess, fd: number, zfd: number, view: number, n: number, give_back = true): Promise<{ data: Uint8Array[]; cqes: ZcrxCqe[] }> {
  const data: Uint8Array[] = [];
  const all: ZcrxCqe[] = [];
  let cur: Uint8Array[] = [];
  while (data.length < n) {
    const { ret, cqes } = await p.sys.zcrx_recv(fd, zfd);
    expect(ret).toBeGreaterThan(0);
    for (const c of cqes) {
      cur.push(p.proc.mm.copy_from_user(view + c.off, c.len)!);
      all.push(c);
      if (c.eor) {
        data.push(Uint8Array.from(cur.flatMap((b) => [...b])));
        cur = [];
      }
    }
    if (give_back) expect(p.sys.zcrx_refill(zfd, cqes.map((c) => ({ off: c.off, len: c.len, __pad: 0 })))).toBe(cqes.length);
  }
  return { data, cqes: all };
}

describe('RX zero copy on page_pool', () => {
  it('delivers the flow by reference into a read-only view, the zero page elsewhere; pages cleared on entry only; returns recycle them', async () => {
    const N = 300;
    const out: { data: Uint8Array[]; cqes: ZcrxCqe[]; ifq?: ZcrxIfq; zeroWhenBack: boolean; queueOf: number; pending: number; returned: number } = {
      data: [], cqes: [], zeroWhenBack: false, queueOf: -1, pending: -1, returned: -1,
    };
    await pair([sender(N, 1000), async (h) => {
      const z = await zcReceiver(h);
      const r = await recvZc(z.p, z.fd, z.zfd, z.view, N);
      out.data = r.data;
      out.cqes = r.cqes;
      out.ifq = z.ifq;
      // buffers the pool has taken back are no longer visible: the view shows the zero page there
      // (the last few returns are still on the ring: the pool's cache has not run dry since)
      const zp = zero_page(h.h.host);
      const taken = r.cqes.slice(0, r.cqes.length - z.ifq.rq_pending);
      const pendingOffs = new Set(r.cqes.slice(taken.length).map((c) => c.off));
      out.zeroWhenBack = taken.filter((c) => !pendingOffs.has(c.off)).every((c) => z.p.proc.mm.follow_page(z.view + c.off)!.page === zp);
      out.queueOf = h.eth.nd.rxq[1]!.stats.packets;
      out.pending = z.ifq.rq_pending;
      out.returned = z.ifq.stats.returned;
    }]);
    expect(out.data).toEqual(Array.from({ length: N }, (_, i) => payload(1000, i)));
    const s = out.ifq!.stats;
    // every datagram by reference (header split put the payload alone in an area page), none copied
    expect(s.delivered).toBe(N);
    expect(s.copy_fallback).toBe(0);
    expect(out.queueOf).toBe(N);
    // 64 pages entered once; 300 deliveries recycled them without another clear
    expect([s.entry_clears, s.reentry_clears]).toEqual([64, 0]);
    // every buffer given back: taken by the pool, or still on the ring (its cache had not run dry)
    expect(out.returned + out.pending).toBe(N);
    expect(out.pending).toBeLessThan(64);
    expect(out.zeroWhenBack).toBe(true);
    // payloads start at offset 0 of their page (the header went to the header buffer)
    expect(out.cqes.every((c) => c.off % PAGE_SIZE === 0 && c.len === 1000)).toBe(true);
  });

  it('registration: each refusal with its errno (§4.2), nothing held after one', async () => {
    const seen: Record<string, number> = {};
    await pair([async () => {}, async (h) => {
      const p = h.spawn();
      const { sys } = p;
      seen.single_nocap = await sys.zcrx_register(reg({ mode: 'single' }));
      seen.shared_nocap = await sys.zcrx_register(reg({ mode: 'shared' }));
      seen.bad_mode = await sys.zcrx_register(reg({ mode: 'other' as ZcrxMode }));
      seen.rq0 = await sys.zcrx_register(reg({ rq_entries: 0 }));
      seen.rq_big = await sys.zcrx_register(reg({ rq_entries: 32769 }));
      seen.area0 = await sys.zcrx_register(reg({ area_size: 0 }));
      seen.area_odd = await sys.zcrx_register(reg({ area_size: 5000 }));
      seen.proto = await sys.zcrx_register(reg({ flow: { protocol: 1, dport: PORT } }));
      seen.port = await sys.zcrx_register(reg({ flow: { protocol: IPPROTO_UDP, dport: 0 } }));
      seen.range = await sys.zcrx_register(reg({ rxq: 4 }));
      seen.nosplit = await sys.zcrx_register(reg({ rxq: 2 }));
      seen.writable = await sys.zcrx_register(reg({ rxq: 0 }));
      p.proc.mm.rlimit_memlock = 32 * PAGE_SIZE;
      seen.memlock = await sys.zcrx_register(reg());
      p.proc.mm.rlimit_memlock = 8 << 20;
      seen.held_after_refusals = h.held().locked_vm;
      const a = await sys.zcrx_register(reg({ rxq: 1 }));
      seen.exist = await sys.zcrx_register(reg({ rxq: 1, flow: { protocol: IPPROTO_UDP, dport: PORT + 1 } }));
      const b = await sys.zcrx_register(reg({ rxq: 3, flow: { protocol: IPPROTO_TCP, dport: PORT + 2 } }));
      seen.ok = Number(a >= 0 && b >= 0);
      seen.locked = h.held().locked_vm;
      // the descriptor is not a socket's: recv on it is EINVAL
      seen.not_zcrx = (await sys.zcrx_recv(a, a)).ret;
    }], [{}, { config: { rxQueueOverrides: { 2: { hdrSplit: false }, 0: { memModel: 'writable' } } } }]);
    expect(seen).toEqual({
      single_nocap: -EPERM, shared_nocap: -EPERM, bad_mode: -EINVAL, rq0: -EINVAL, rq_big: -EINVAL, area0: -EINVAL, area_odd: -EINVAL,
      proto: -EINVAL, port: -EINVAL, range: -ERANGE, nosplit: -EINVAL, writable: -EINVAL, memlock: -ENOMEM, held_after_refusals: 0, exist: -EEXIST, ok: 1,
      locked: 2 * 64, not_zcrx: -88,
    });
  });

  it('modes: single-user refuses a second process (EBUSY); shared admits the same domain with CAP_NET_ADMIN, never another (EPERM)', async () => {
    const seen: Record<string, number> = {};
    await pair([async () => {}, async (h) => {
      const single = await zcReceiver(h, { mode: 'single' });
      const other = h.spawn();
      other.proc.cap_net_admin = true;
      seen.single_open = other.sys.zcrx_open(single.ifq.id);
      const shared = await zcReceiver(h, { mode: 'shared', rxq: 3, flow: { protocol: IPPROTO_UDP, dport: PORT + 1 } });
      const peer = h.spawn();
      seen.shared_nocap = peer.sys.zcrx_open(shared.ifq.id);
      peer.proc.cap_net_admin = true;
      const pfd = peer.sys.zcrx_open(shared.ifq.id);
      seen.shared_ok = Number(pfd >= 0 && peer.sys.zcrx_mmap(pfd) > 0);
      const stranger = h.spawn(2000);
      stranger.proc.cap_net_admin = true;
      seen.shared_other_domain = stranger.sys.zcrx_open(shared.ifq.id);
      // a socket made in another domain (the process's domain changed since) may not receive through it
      peer.proc.domain = 2000;
      const sfd = peer.sys.socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK);
      peer.proc.domain = 1000;
      seen.recv_other_domain = (await peer.sys.zcrx_recv(sfd, pfd)).ret;
      seen.recv_bad_fd = (await peer.sys.zcrx_recv(99, pfd)).ret;
      seen.exclusive_nocap = Number((await h.spawn().sys.zcrx_register(reg({ rxq: 0, flow: { protocol: IPPROTO_UDP, dport: PORT + 2 } }))) >= 0);
      // three queues bound: the fourth would leave none for the rest of the traffic
      seen.none_left = await h.spawn().sys.zcrx_register(reg({ rxq: 2, flow: { protocol: IPPROTO_UDP, dport: PORT + 3 } }));
    }]);
    expect(seen).toEqual({
      single_open: -EBUSY, shared_nocap: -EPERM, shared_ok: 1, shared_other_domain: -EPERM, recv_other_domain: -EPERM, recv_bad_fd: -9, exclusive_nocap: 1, none_left: -EOPNOTSUPP,
    });
  });

  it('the refill ring skips double returns, unknown indices, bad entries and returns by another process, and counts each', async () => {
    const stats: Record<string, number> = {};
    await pair([sender(80, 500), async (h) => {
      const a = await zcReceiver(h, { mode: 'shared' });
      const b = h.spawn();
      b.proc.cap_net_admin = true;
      const bfd = b.sys.zcrx_open(a.ifq.id);
      expect(b.sys.zcrx_mmap(bfd)).toBeGreaterThan(0);
      const { cqes } = await recvZc(a.p, a.fd, a.zfd, a.view, 10, false);
      const e = (off: number, pad = 0) => ({ off, len: 0, __pad: pad });
      // b returns a's buffers: skipped; a returns one twice; an index past the area; a nonzero pad; an area id
      expect(b.sys.zcrx_refill(bfd, cqes.slice(0, 3).map((c) => e(c.off)))).toBe(3);
      expect(a.p.sys.zcrx_refill(a.zfd, [e(cqes[3]!.off), e(cqes[3]!.off), e(64 * PAGE_SIZE), e(cqes[4]!.off, 1), e(2 ** 48)])).toBe(5);
      // the rest returned properly; the receiving goes on (the pool takes the ring when it runs dry)
      expect(a.p.sys.zcrx_refill(a.zfd, cqes.slice(5).concat(cqes.slice(0, 3), [cqes[4]!]).map((c) => e(c.off)))).toBe(9);
      await recvZc(a.p, a.fd, a.zfd, a.view, 70);
      Object.assign(stats, a.ifq.stats);
    }]);
    expect([stats.skipped_wrong_process, stats.skipped_not_held, stats.skipped_bad_index, stats.skipped_bad_entry]).toEqual([3, 1, 1, 2]);
  });

  for (const mode of ['single', 'exclusive'] as const) {
    it(`${mode}: another domain's frames steered onto the queue are ${mode === 'single' ? 'copied to their socket' : 'dropped'}, never mapped, and their pages cleared`, async () => {
      const N = 60;
      const out = { zc: [] as Uint8Array[], other: [] as Uint8Array[], foreignSeen: 0, stats: {} as Record<string, number> };
      await pair([async (h) => {
        const { proc, sys } = h.spawn();
        const fd = sys.socket(AF_INET, SOCK_DGRAM);
        const buf = proc.mm.mmap(4096);
        await h.dev.sleep(300_000);
        for (let i = 0; i < N; i++) {
          const foreign = i % 2 === 1;
          expect(proc.mm.copy_to_user(buf, foreign ? new Uint8Array(1200).fill(0xfe) : payload(800, i))).toBe(true);
          expect(await sys.sendto(fd, buf, foreign ? 1200 : 800, 0, sockaddr_in(hostAddr(1), foreign ? PORT + 100 : PORT))).toBe(foreign ? 1200 : 800);
          await h.dev.sleep(3_000);
        }
      }, async (h) => {
        const z = await zcReceiver(h, { mode });
        // another user's socket, and a filter (an admin's, or a mistake) steering its flow onto the bound queue
        const o = h.spawn(2000);
        const ofd = o.sys.socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK);
        expect(o.sys.bind(ofd, sockaddr_in(0, PORT + 100))).toBe(0);
        expect(await new ZcnicEthtool(h.eth.nd).set_rxnfc_insert({ location: 8, ipProto: IPPROTO_UDP, dstPort: PORT + 100, action: 1 })).toBe(0);
        let got = 0;
        while (got < N / 2) {
          const { ret, cqes } = await z.p.sys.zcrx_recv(z.fd, z.zfd);
          expect(ret).toBeGreaterThan(0);
          for (const c of cqes) {
            // the whole page the process can see: its payload, zeros, nothing of the other domain's
            const page = z.p.proc.mm.copy_from_user(z.view + (c.off & ~(PAGE_SIZE - 1)), PAGE_SIZE)!;
            out.foreignSeen += page.filter((b) => b === 0xfe).length;
            out.zc.push(z.p.proc.mm.copy_from_user(z.view + c.off, c.len)!);
            got++;
          }
          z.p.sys.zcrx_refill(z.zfd, cqes.map((c) => ({ off: c.off, len: c.len, __pad: 0 })));
        }
        await h.dev.sleep(200_000);
        const obuf = o.proc.mm.mmap(4096);
        for (;;) {
          const { ret } = await o.sys.recvfrom(ofd, obuf, 4096);
          if (ret < 0) break;
          out.other.push(o.proc.mm.copy_from_user(obuf, ret)!);
        }
        Object.assign(out.stats, z.ifq.stats);
      }]);
      expect(out.zc).toEqual(Array.from({ length: N / 2 }, (_, k) => payload(800, 2 * k)));
      expect(out.foreignSeen).toBe(0);
      if (mode === 'single') {
        expect(out.other).toEqual(Array.from({ length: N / 2 }, () => new Uint8Array(1200).fill(0xfe)));
        expect(out.stats.foreign_copied).toBe(N / 2);
      } else {
        expect(out.other).toEqual([]);
        expect(out.stats.foreign_dropped).toBe(N / 2);
      }
      expect(out.stats.reentry_clears).toBe(N / 2);
    });
  }

  it('buffers not returned exhaust the area: the NIC drops for want of descriptors, never writes a held page, and returns resume delivery', async () => {
    const out = { first: 0, drops: 0, unchanged: false, after: [] as Uint8Array[], rest: 0 };
    await pair([sender(120, 600, PORT, 4_000), async (h) => {
      const z = await zcReceiver(h, { area_size: 16 * PAGE_SIZE, rq_entries: 16 });
      // take every buffer and keep them
      const held: ZcrxCqe[] = [];
      while (held.length < 16) {
        const { ret, cqes } = await z.p.sys.zcrx_recv(z.fd, z.zfd);
        expect(ret).toBeGreaterThan(0);
        held.push(...cqes);
      }
      out.first = held.length;
      const snap = held.map((c) => z.p.proc.mm.copy_from_user(z.view + (c.off & ~(PAGE_SIZE - 1)), PAGE_SIZE)!);
      await h.dev.sleep(150_000);
      const st = await new ZcnicEthtool(h.eth.nd).get_ethtool_stats();
      out.drops = st.rx_drop_nodesc ?? -1;
      out.unchanged = held.every((c, i) => {
        const now = z.p.proc.mm.copy_from_user(z.view + (c.off & ~(PAGE_SIZE - 1)), PAGE_SIZE)!;
        return now.every((b, k) => b === snap[i]![k]);
      });
      // give them back: the starved queue gets buffers at once, and what comes next is delivered
      expect(z.p.sys.zcrx_refill(z.zfd, held.map((c) => ({ off: c.off, len: c.len, __pad: 0 })))).toBe(16);
      const r = await recvZc(z.p, z.fd, z.zfd, z.view, 5);
      out.after = r.data;
      out.rest = held.length;
    }]);
    expect(out.first).toBe(16);
    expect(out.drops).toBeGreaterThan(0);
    expect(out.unchanged).toBe(true);
    expect(out.after.length).toBe(5);
    expect(out.after.every((d) => d.length === 600)).toBe(true);
  });

  it('a stray DMA on the bound queue is an IOMMU fault: the queue recovers and nothing is delivered wrong', async () => {
    const out = { data: [] as Uint8Array[], errors: [] as { queue: string; fault: boolean }[], faults: 0, pages: 0 };
    await pair([sender(200, 700, PORT, 3_000), async (h) => {
      const z = await zcReceiver(h);
      const first = await recvZc(z.p, z.fd, z.zfd, z.view, 20);
      // a descriptor of the bound queue now points at a bus address nothing maps
      expect(h.eth.nd.rxq[1]!.poisonAhead(4)).toBe(true);
      h.expectedFaults = 1;
      // what is lost is lost (the frames in the failed burst); what arrives must be exact and in order
      for (;;) {
        if ((await z.p.sys.poll([{ fd: z.fd, events: 1 }], 400_000)) === 0) break;
        const r = await recvZc(z.p, z.fd, z.zfd, z.view, 1);
        first.data.push(...r.data);
      }
      out.data = first.data;
      out.errors = h.eth.nd.queueErrors.map((e) => ({ queue: e.queue, fault: e.fault !== null && e.recoveredAt !== null }));
      out.faults = h.h.host.faults.length;
      out.pages = [...new Set(h.h.host.faults.map((f) => f.addr >> 12n))].length;
      h.expectedFaults = out.faults;
    }]);
    expect(out.errors).toEqual([{ queue: 'rxq1', fault: true }]);
    // the IOMMU refused the write (each beat of the burst that reached it), all in the one unmapped page
    expect(out.faults).toBeGreaterThan(0);
    expect(out.pages).toBe(1);
    // every datagram that arrived is one that was sent, byte for byte, in order
    const seqs = out.data.map((d) => Array.from({ length: 200 }, (_, i) => i).find((i) => payload(700, i).every((b, k) => b === d[k])) ?? -1);
    expect(seqs.every((x) => x >= 0)).toBe(true);
    expect(seqs.every((x, i) => i === 0 || x > seqs[i - 1]!)).toBe(true);
    expect(out.data.length).toBeGreaterThan(150);
  });

  it('TCP: the in-order stream delivered by reference, segment by segment, and the window kept open by the returns', async () => {
    const total = 300_000;
    const out = { got: new Uint8Array(0), byRef: 0, copied: 0 };
    await pair([async (h) => {
      const { proc, sys } = h.spawn();
      const fd = sys.socket(AF_INET, SOCK_STREAM);
      await h.dev.sleep(300_000);
      expect(await sys.connect(fd, sockaddr_in(hostAddr(1), PORT))).toBe(0);
      const buf = proc.mm.mmap(total);
      expect(proc.mm.copy_to_user(buf, payload(total, 3))).toBe(true);
      for (let at = 0; at < total; ) {
        const r = await sys.send(fd, buf + at, Math.min(65536, total - at));
        expect(r).toBeGreaterThan(0);
        at += r;
      }
      expect(sys.close(fd)).toBe(0);
    }, async (h) => {
      const p = h.spawn();
      const zfd = await p.sys.zcrx_register(reg({ flow: { protocol: IPPROTO_TCP, dport: PORT } }));
      expect(zfd).toBeGreaterThanOrEqual(0);
      const view = p.sys.zcrx_mmap(zfd);
      const lfd = p.sys.socket(AF_INET, SOCK_STREAM);
      expect(p.sys.bind(lfd, sockaddr_in(0, PORT))).toBe(0);
      expect(p.sys.listen(lfd, 4)).toBe(0);
      const { fd } = await p.sys.accept(lfd);
      const parts: Uint8Array[] = [];
      for (;;) {
        const { ret, cqes } = await p.sys.zcrx_recv(fd, zfd);
        if (ret === 0) break;
        expect(ret).toBeGreaterThan(0);
        for (const c of cqes) parts.push(p.proc.mm.copy_from_user(view + c.off, c.len)!);
        expect(p.sys.zcrx_refill(zfd, cqes.map((c) => ({ off: c.off, len: c.len, __pad: 0 })))).toBe(cqes.length);
      }
      out.got = Uint8Array.from(parts.flatMap((b) => [...b]));
      const s = p.sys.zcrx_ifq(zfd)!.stats;
      out.byRef = s.delivered;
      out.copied = s.copy_fallback;
    }]);
    expect(out.got.length).toBe(total);
    expect(out.got).toEqual(payload(total, 3));
    // every MSS-sized segment's payload alone in an area page: all by reference
    expect(out.byRef).toBe(Math.ceil(total / 1460));
    expect(out.copied).toBe(0);
  });
});
