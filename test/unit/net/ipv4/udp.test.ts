// UDP sockets over two model hosts on a wire: data byte-exact, errnos as Linux gives them, and
// MSG_ZEROCOPY's notifications (docs/net-stack.md) after the NIC's TX completion.

import { pattern } from '../../../../src/testing/data.js';
import { describe, expect, it } from 'vitest';
import { NetHost, hostAddr } from '../../../../src/host/net_host.js';
import { stackPair } from '../../../../src/scenarios/lib/stack_pair.js';
import { withPair } from '../../../../src/testing/fixture.js';
import type { PollFd } from '../../../../src/net/socket/socket.js';
import {
  AF_INET, CMSG_SPACE_RECVERR, EAGAIN, EBADF, EDESTADDRREQ, EINVAL, EMSGSIZE, IP_RECVERR, MSG_DONTWAIT, MSG_ERRQUEUE, MSG_TRUNC,
  MSG_ZEROCOPY, POLLIN, POLLOUT, SOCK_DGRAM, SOCK_NONBLOCK, SOCK_RAW, SOL_IP, SOL_SOCKET, SO_EE_CODE_ZEROCOPY_COPIED,
  SO_EE_ORIGIN_ZEROCOPY, SO_ZEROCOPY, EPROTONOSUPPORT, ENOTCONN, EADDRINUSE, EADDRNOTAVAIL, ENETUNREACH, ENOPROTOOPT, POLLNVAL, sockaddr_in, type Msghdr, type SockExtendedErr,
} from '../../../../src/net/socket/uapi.js';

const PORT = 8000;

async function onPair(parts: readonly [(h: NetHost) => Promise<void>, (h: NetHost) => Promise<void>], opts: Parameters<typeof stackPair>[0]['options'] = undefined, faults = {}) {
  return { r: await withPair('model', parts, { wireFaults: faults, ...(opts ? { hosts: opts } : {}) }) };
}

/** Drain the error queue: each notification's [lo, hi] and code. */
async function readNotifications(sys: NetHost['spawn'] extends () => infer P ? P extends { sys: infer S } ? S : never : never, fd: number): Promise<SockExtendedErr[]> {
  const out: SockExtendedErr[] = [];
  for (;;) {
    const msg: Msghdr = { iov: [], controllen: CMSG_SPACE_RECVERR };
    const r = await sys.recvmsg(fd, msg, MSG_ERRQUEUE);
    if (r === -EAGAIN) return out;
    expect(r).toBe(0);
    expect(msg.control?.[0]?.level).toBe(SOL_IP);
    expect(msg.control?.[0]?.type).toBe(IP_RECVERR);
    out.push(msg.control![0]!.data);
  }
}


describe('UDP sockets across two hosts (model)', () => {
  it('delivers datagrams byte-exact, copy and zero copy, and notifies zero-copy sends after TX completion', async () => {
    const sizes = [1, 100, 1472, 3000, 8000, 1472, 200];
    const got: Uint8Array[] = [];
    let notes: SockExtendedErr[] = [];
    const heldDuring: number[] = [];
    await onPair([
      async (h) => {
        const { proc, sys } = h.spawn();
        const fd = sys.socket(AF_INET, SOCK_DGRAM);
        expect(sys.setsockopt(fd, SOL_SOCKET, SO_ZEROCOPY, 1)).toBe(0);
        const buf = proc.mm.mmap(16 << 10);
        for (const [i, n] of sizes.entries()) {
          expect(proc.mm.copy_to_user(buf, pattern(n, i))).toBe(true);
          const flags = i % 2 === 0 ? MSG_ZEROCOPY : 0;
          expect(await sys.sendto(fd, buf, n, flags, sockaddr_in(hostAddr(1), PORT))).toBe(n);
          if (flags) heldDuring.push(h.held().refs);
          // wait for each send to complete before the buffer is reused (the MSG_ZEROCOPY contract)
          await h.quiesce();
          if (flags) notes.push(...(await readNotifications(sys, fd)));
        }
        expect(sys.close(fd)).toBe(0);
      },
      async (h) => {
        const { proc, sys } = h.spawn();
        const fd = sys.socket(AF_INET, SOCK_DGRAM);
        expect(sys.bind(fd, sockaddr_in(0, PORT))).toBe(0);
        const buf = proc.mm.mmap(16 << 10);
        for (let i = 0; i < sizes.length; i++) {
          const { ret, from } = await sys.recvfrom(fd, buf, 16 << 10);
          expect(ret).toBe(sizes[i]);
          expect(from?.addr).toBe(hostAddr(0));
          got.push(proc.mm.copy_from_user(buf, ret)!);
        }
      },
    ]);
    sizes.forEach((n, i) => expect(got[i]).toEqual(pattern(n, i)));
    // sends 0, 2, 4, 6 (1, 1472, 8000, 200 bytes) asked for zero copy: ids 0..3. 8000 bytes exceed
    // the MTU: no CHECKSUM_PARTIAL, so it is fragmented from a copy and the notification says COPIED
    expect(notes.map((n) => [n.ee_origin, n.ee_errno, n.ee_info, n.ee_data, n.ee_code])).toEqual([
      [SO_EE_ORIGIN_ZEROCOPY, 0, 0, 0, 0],
      [SO_EE_ORIGIN_ZEROCOPY, 0, 1, 1, 0],
      [SO_EE_ORIGIN_ZEROCOPY, 0, 2, 2, SO_EE_CODE_ZEROCOPY_COPIED],
      [SO_EE_ORIGIN_ZEROCOPY, 0, 3, 3, 0],
    ]);
    // a zero-copy send holds its user pages (by reference) until the TX completion; a copied one holds none
    expect(heldDuring).toEqual([1, 1, 0, 1]);
  });

  it('returns the errno Linux gives for invalid socket calls', async () => {
    await onPair([
      async (h) => {
        const { proc, sys } = h.spawn();
        const buf = proc.mm.mmap(4096);
        expect(sys.socket(AF_INET, SOCK_RAW)).toBe(-EPROTONOSUPPORT);
        expect(sys.close(42)).toBe(-EBADF);
        expect(await sys.send(42, buf, 1)).toBe(-EBADF);
        const fd = sys.socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK);
        expect(fd).toBeGreaterThanOrEqual(0);
        expect(await sys.send(fd, buf, 10)).toBe(-EDESTADDRREQ);
        expect(sys.getpeername(fd)).toBe(-ENOTCONN);
        expect(await sys.sendto(fd, buf, 65508, 0, sockaddr_in(hostAddr(1), PORT))).toBe(-EMSGSIZE);
        expect(await sys.recv(fd, buf, 100)).toBe(-EAGAIN);
        expect(await sys.recv(fd, buf, 100, MSG_DONTWAIT)).toBe(-EAGAIN);
        expect(sys.bind(fd, sockaddr_in(0, 7000))).toBe(0);
        expect(sys.bind(fd, sockaddr_in(0, 7001))).toBe(-EINVAL);
        const fd2 = sys.socket(AF_INET, SOCK_DGRAM);
        expect(sys.bind(fd2, sockaddr_in(0, 7000))).toBe(-EADDRINUSE);
        expect(sys.bind(fd2, sockaddr_in(0x0b000001, 7002))).toBe(-EADDRNOTAVAIL);
        expect(await sys.sendto(fd2, buf, 10, 0, sockaddr_in(0xc0a80001, PORT))).toBe(-ENETUNREACH);
        expect(sys.setsockopt(fd2, SOL_SOCKET, 12345, 1)).toBe(-ENOPROTOOPT);
        const pfd: PollFd[] = [{ fd: 99, events: POLLIN }];
        expect(await sys.poll(pfd, 0)).toBe(1);
        expect(pfd[0]!.revents).toBe(POLLNVAL);
        const w: PollFd[] = [{ fd, events: POLLIN | POLLOUT }];
        expect(await sys.poll(w, 0)).toBe(1);
        expect(w[0]!.revents).toBe(POLLOUT);
        // a datagram larger than the buffer: the rest is discarded, MSG_TRUNC says so
        expect(await sys.sendto(fd2, buf, 300, 0, sockaddr_in(0x7f000001, 7000))).toBe(300);
        const m: Msghdr = { iov: [{ base: buf, len: 100 }] };
        expect(await sys.recvmsg(fd, m, 0)).toBe(100);
        expect(m.flags).toBe(MSG_TRUNC);
        expect(sys.close(fd)).toBe(0);
        expect(sys.close(fd)).toBe(-EBADF);
      },
      async () => {},
    ]);
  });

  it('with the wire dropping, duplicating and reordering: what arrives is byte-exact, and only what the wire dropped is missing', async () => {
    const N = 120;
    const seen = new Map<number, number>();
    let bad = 0;
    const { r } = await onPair([
      async (h) => {
        const { proc, sys } = h.spawn();
        const fd = sys.socket(AF_INET, SOCK_DGRAM);
        const buf = proc.mm.mmap(2048);
        for (let i = 0; i < N; i++) {
          const d = pattern(1000, i);
          d[0] = i;
          expect(proc.mm.copy_to_user(buf, d)).toBe(true);
          expect(await sys.sendto(fd, buf, 1000, 0, sockaddr_in(hostAddr(1), PORT))).toBe(1000);
        }
      },
      async (h) => {
        const { proc, sys } = h.spawn();
        const fd = sys.socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK);
        expect(sys.bind(fd, sockaddr_in(0, PORT))).toBe(0);
        const buf = proc.mm.mmap(2048);
        // read until nothing has come for 200,000 cycles
        for (;;) {
          if ((await sys.poll([{ fd, events: POLLIN }], 200_000)) === 0) break;
          const n = await sys.recv(fd, buf, 2048);
          expect(n).toBe(1000);
          const got = proc.mm.copy_from_user(buf, n)!;
          const want = pattern(1000, got[0]!);
          want[0] = got[0]!;
          if (got.some((b, k) => b !== want[k])) bad++;
          seen.set(got[0]!, (seen.get(got[0]!) ?? 0) + 1);
        }
      },
    ], undefined, { drop: 0.05, duplicate: 0.05, reorder: 0.1 });
    const st = r.wire.stats['a->b'];
    expect(bad).toBe(0);
    expect(st.dropped + st.duplicated + st.reordered).toBeGreaterThan(0);
    expect(seen.size).toBe(N - st.dropped);
    expect([...seen.values()].reduce((a, b) => a + b, 0)).toBe(N - st.dropped + st.duplicated);
  });
});
