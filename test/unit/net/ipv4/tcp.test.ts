// TCP across two model hosts: handshake, byte streams that arrive exact with the wire dropping
// and reordering frames (retransmission repairs them), FIN, ECONNREFUSED for a closed port, and
// MSG_ZEROCOPY whose notification comes only once the data is acknowledged.

import { pattern as stream } from '../../../../src/testing/data.js';
import { describe, expect, it } from 'vitest';
import { NetHost, hostAddr, type NetProcess } from '../../../../src/host/net_host.js';
import { withPair } from '../../../../src/testing/fixture.js';
import type { WireFaults } from '../../../../src/wire/wire.js';
import type { TcpSock } from '../../../../src/net/ipv4/tcp.js';
import {
  AF_INET, CMSG_SPACE_RECVERR, EAGAIN, ECONNREFUSED, ENOTCONN, EPIPE, EINVAL, EOPNOTSUPP, MSG_ERRQUEUE, MSG_ZEROCOPY, SOCK_STREAM, SOL_SOCKET, SO_ZEROCOPY,
  sockaddr_in, type Msghdr, type SockExtendedErr,
} from '../../../../src/net/socket/uapi.js';

type Part = (h: NetHost) => Promise<void>;
const PORT = 5001;

async function pair(parts: readonly [Part, Part], faults: WireFaults = {}, seed = 1) {
  return withPair('model', parts, { wireFaults: faults, seed, maxCycles: 400_000_000 });
}


const tcp = (p: NetProcess, fd: number): TcpSock => (p.proc.fget(fd) as unknown as { sk: TcpSock }).sk;

async function errq(p: NetProcess, fd: number): Promise<SockExtendedErr[]> {
  const out: SockExtendedErr[] = [];
  for (;;) {
    const msg: Msghdr = { iov: [], controllen: CMSG_SPACE_RECVERR };
    if ((await p.sys.recvmsg(fd, msg, MSG_ERRQUEUE)) === -EAGAIN) return out;
    out.push(msg.control![0]!.data);
  }
}

/** A connected SO_ZEROCOPY socket and a user buffer holding `data`. */
async function zcConnect(h: NetHost, data: Uint8Array): Promise<{ p: NetProcess; fd: number; buf: number }> {
  const p = h.spawn();
  const fd = p.sys.socket(AF_INET, SOCK_STREAM);
  expect(p.sys.setsockopt(fd, SOL_SOCKET, SO_ZEROCOPY, 1)).toBe(0);
  expect(await p.sys.connect(fd, sockaddr_in(hostAddr(1), PORT))).toBe(0);
  const buf = p.proc.mm.mmap(data.length);
  p.proc.mm.copy_to_user(buf, data);
  return { p, fd, buf };
}

/** Host 1 accepts one connection and echoes nothing: it reads all and checks the bytes. */
function receiver(expectBytes: Uint8Array, got: { n: number; ok: boolean }): Part {
  return async (h) => {
    const p = h.spawn();
    const l = p.sys.socket(AF_INET, SOCK_STREAM);
    expect(p.sys.bind(l, sockaddr_in(0, PORT))).toBe(0);
    expect(p.sys.listen(l, 8)).toBe(0);
    const { fd, peer } = await p.sys.accept(l);
    expect(fd).toBeGreaterThanOrEqual(0);
    expect(peer?.addr).toBe(hostAddr(0));
    const buf = p.proc.mm.mmap(65536);
    const all = new Uint8Array(expectBytes.length);
    for (;;) {
      const r = await p.sys.recv(fd, buf, 65536);
      expect(r).toBeGreaterThanOrEqual(0);
      if (r === 0) break;
      all.set(p.proc.mm.copy_from_user(buf, r)!, got.n);
      got.n += r;
    }
    got.ok = got.n === expectBytes.length && all.every((b, i) => b === expectBytes[i]);
    expect(p.sys.close(fd)).toBe(0);
    expect(p.sys.close(l)).toBe(0);
  };
}

describe('TCP across two hosts (model)', () => {
  it('connect/listen/accept, a 200 KB stream byte-exact, FIN, MSS from the MTU', async () => {
    const data = stream(200_000, 1);
    const got = { n: 0, ok: false };
    await pair([async (h) => {
      const p = h.spawn();
      const fd = p.sys.socket(AF_INET, SOCK_STREAM);
      expect(await p.sys.connect(fd, sockaddr_in(hostAddr(1), PORT))).toBe(0);
      expect(tcp(p, fd).mss).toBe(1460);
      const buf = p.proc.mm.mmap(data.length);
      p.proc.mm.copy_to_user(buf, data);
      let off = 0;
      while (off < data.length) {
        const r = await p.sys.send(fd, buf + off, Math.min(30_000, data.length - off));
        expect(r).toBeGreaterThan(0);
        off += r;
      }
      expect(p.sys.close(fd)).toBe(0);
    }, receiver(data, got)]);
    expect(got).toEqual({ n: 200_000, ok: true });
  });

  it('arrives byte-exact with the wire dropping and reordering frames: the sender retransmits', async () => {
    const data = stream(120_000, 2);
    const got = { n: 0, ok: false };
    let retrans = 0;
    await pair([async (h) => {
      const p = h.spawn();
      const fd = p.sys.socket(AF_INET, SOCK_STREAM);
      expect(await p.sys.connect(fd, sockaddr_in(hostAddr(1), PORT))).toBe(0);
      const buf = p.proc.mm.mmap(data.length);
      p.proc.mm.copy_to_user(buf, data);
      let off = 0;
      while (off < data.length) {
        const r = await p.sys.send(fd, buf + off, data.length - off);
        expect(r).toBeGreaterThan(0);
        off += r;
      }
      const sk = tcp(p, fd);
      expect(p.sys.close(fd)).toBe(0);
      await h.tcpClosed();
      retrans = sk.mib.RetransSegs;
    }, receiver(data, got)], { drop: 0.03, reorder: 0.03 }, 3);
    expect(got).toEqual({ n: 120_000, ok: true });
    expect(retrans).toBeGreaterThan(0);
  });

  it('ECONNREFUSED from a port nobody listens on; EPIPE and ENOTCONN before connect, EOPNOTSUPP for listen on UDP', async () => {
    await pair([async (h) => {
      const p = h.spawn();
      const fd = p.sys.socket(AF_INET, SOCK_STREAM);
      const buf = p.proc.mm.mmap(4096);
      // tcp_sendmsg on a socket never connected: sk_stream_wait_connect's EPIPE; tcp_recvmsg: ENOTCONN
      expect(await p.sys.send(fd, buf, 10)).toBe(-EPIPE);
      expect(await p.sys.recv(fd, buf, 10)).toBe(-ENOTCONN);
      expect(await p.sys.sendmsg(fd, { iov: [{ base: buf, len: -1 }] })).toBe(-EINVAL);
      expect(await p.sys.connect(fd, sockaddr_in(hostAddr(1), 4444))).toBe(-ECONNREFUSED);
      // after a refused connect: the socket is closed, send is EPIPE
      expect(await p.sys.send(fd, buf, 10)).toBe(-EPIPE);
      const l = p.sys.socket(AF_INET, SOCK_STREAM);
      expect(p.sys.listen(l, 4)).toBe(0);
      expect(await p.sys.send(l, buf, 10)).toBe(-EPIPE);
      expect(await p.sys.recv(l, buf, 10)).toBe(-ENOTCONN);
      const u = p.sys.socket(AF_INET, 2);
      expect(p.sys.listen(u, 4)).toBe(-EOPNOTSUPP);
    }, async () => {}]);
  });

  it('MSG_ZEROCOPY: pages held and no notification until the data is acknowledged; a lost segment holds them longer', async () => {
    const data = stream(64 * 1024, 4);
    const got = { n: 0, ok: false };
    const seen: { beforeAck: number; notes: SockExtendedErr[]; heldInFlight: number } = { beforeAck: -1, notes: [], heldInFlight: 0 };
    await pair([async (h) => {
      const { p, fd, buf } = await zcConnect(h, data);
      const sk = tcp(p, fd);
      let off = 0;
      let calls = 0;
      while (off < data.length) {
        const r = await p.sys.send(fd, buf + off, Math.min(16384, data.length - off), MSG_ZEROCOPY);
        expect(r).toBeGreaterThan(0);
        off += r;
        calls++;
      }
      seen.heldInFlight = h.held().refs;
      // wait for the NIC to finish transmitting: the notification still waits for the ACKs
      await h.quiesce();
      seen.beforeAck = sk.unacked > 0 ? (await errq(p, fd)).length : -2;
      while (sk.unacked > 0) await h.dev.sleep(1024);
      await h.quiesce();
      seen.notes = await errq(p, fd);
      expect(seen.notes.reduce((a, e) => a + e.ee_data - e.ee_info + 1, 0)).toBe(calls);
      expect(p.sys.close(fd)).toBe(0);
    }, receiver(data, got)], { drop: 0.05 }, 5);
    expect(got).toEqual({ n: 64 * 1024, ok: true });
    expect(seen.heldInFlight).toBeGreaterThan(0);
    expect(seen.beforeAck).toBe(0);
    expect(seen.notes.every((e) => e.ee_code === 0)).toBe(true);
  });

  it('a process that exits with zero-copy data unacknowledged (frames being dropped) frees nothing early', async () => {
    const data = stream(48 * 1024, 6);
    const got = { n: 0, ok: false };
    const seen = { heldAtExit: 0, freedAtExit: 0, freedAfter: 0, retrans: 0 };
    await pair([async (h) => {
      const { p, fd, buf } = await zcConnect(h, data);
      expect(await p.sys.send(fd, buf, data.length, MSG_ZEROCOPY)).toBe(data.length);
      const sk = tcp(p, fd);
      const pages = Array.from({ length: 12 }, (_, i) => p.proc.mm.follow_page(buf + i * 4096)!.page);
      p.proc.exit();
      seen.heldAtExit = h.held().refs;
      seen.freedAtExit = pages.filter((pg) => h.h.host.pages.isFreedPage(pg.pfn)).length;
      await h.tcpClosed();
      await h.quiesce();
      seen.freedAfter = pages.filter((pg) => h.h.host.pages.isFreedPage(pg.pfn)).length;
      seen.retrans = sk.mib.RetransSegs;
      expect(h.held()).toEqual({ refs: 0, pins: 0, locked_vm: 0 });
      expect(h.h.host.faults).toEqual([]);
    }, receiver(data, got)], { drop: 0.1 }, 7);
    expect(got).toEqual({ n: 48 * 1024, ok: true });
    expect(seen.heldAtExit).toBeGreaterThan(0);
    expect(seen.freedAtExit).toBe(0);
    expect(seen.freedAfter).toBe(12);
    expect(seen.retrans).toBeGreaterThan(0);
  });
});
