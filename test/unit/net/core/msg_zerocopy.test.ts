// MSG_ZEROCOPY as Linux does it (Documentation/networking/msg_zerocopy.rst, net/core/skbuff.c,
// net/core/sock.c, with the kernel's numbers; docs/net-stack.md lists the rules): SO_ZEROCOPY opt-in,
// the per-socket counter of calls, range coalescing and its u32 wrap, ENOBUFS from optmem and
// from locked memory, POLLERR, no notification for a failed or empty send, COPIED on loopback
// and on a device without scatter-gather, and pages held until the device is done even when the
// process exits first.

import { describe, expect, it } from 'vitest';
import { NetHost, hostAddr, type NetProcess } from '../../../../src/host/net_host.js';
import { stackPair } from '../../../../src/scenarios/lib/stack_pair.js';
import { withPair } from '../../../../src/testing/fixture.js';
import { drainErrqueue as errq } from '../../../../src/host/net_host.js';
import type { PollFd } from '../../../../src/net/socket/socket.js';
import { NETIF_F_IP_CSUM, NETIF_F_RXCSUM } from '../../../../src/net/core/dev.js';
import { OPTMEM_MAX_DEFAULT, ZC_NOTIFICATION_TRUESIZE } from '../../../../src/net/core/sock.js';
import {
  AF_INET, CMSG_SPACE_RECVERR, EAGAIN, EFAULT, EINVAL, EMSGSIZE, ENOBUFS, MSG_CTRUNC, MSG_DONTWAIT, MSG_ERRQUEUE, MSG_ZEROCOPY,
  POLLERR, POLLOUT, SOCK_DGRAM, SOL_SOCKET, SOL_UDP, UDP_CORK, MSG_MORE, SO_EE_CODE_ZEROCOPY_COPIED, SO_ZEROCOPY, sockaddr_in, INADDR_LOOPBACK,
  type Msghdr,
} from '../../../../src/net/socket/uapi.js';
import type { UdpSock } from '../../../../src/net/ipv4/udp.js';

type Part = (h: NetHost) => Promise<void>;

async function pair(parts: readonly [Part, Part], options?: Parameters<typeof stackPair>[0]['options']) {
  await withPair('model', parts, options ? { hosts: options } : {});
}

/** Host 0 sends; host 1 only receives (and discards) on port 8000. */
const sink: Part = async (h) => {
  const { sys } = h.spawn();
  const fd = sys.socket(AF_INET, SOCK_DGRAM);
  expect(sys.bind(fd, sockaddr_in(0, 8000))).toBe(0);
};

async function zcSocket(p: NetProcess, on = true): Promise<number> {
  const fd = p.sys.socket(AF_INET, SOCK_DGRAM);
  expect(await p.sys.connect(fd, sockaddr_in(hostAddr(1), 8000))).toBe(0);
  if (on) expect(p.sys.setsockopt(fd, SOL_SOCKET, SO_ZEROCOPY, 1)).toBe(0);
  return fd;
}

const sk = (p: NetProcess, fd: number): UdpSock => (p.proc.fget(fd) as unknown as { sk: UdpSock }).sk;

describe('MSG_ZEROCOPY on UDP (model, two hosts)', () => {
  it('SO_ZEROCOPY takes 0 or 1; without it the flag is ignored: a copy and no notification', async () => {
    await pair([async (h) => {
      const p = h.spawn();
      const fd = await zcSocket(p, false);
      expect(p.sys.setsockopt(fd, SOL_SOCKET, SO_ZEROCOPY, 2)).toBe(-EINVAL);
      const buf = p.proc.mm.mmap(4096);
      expect(await p.sys.send(fd, buf, 1000, MSG_ZEROCOPY)).toBe(1000);
      await h.quiesce();
      expect(await errq(p, fd)).toEqual([]);
      expect(sk(p, fd).sk_zckey).toBe(0);
      expect(sk(p, fd).tx.zc_bytes).toBe(0);
    }, sink]);
  });

  it('counts calls, not bytes; coalesces consecutive completions into one range; skips empty and failed sends', async () => {
    await pair([async (h) => {
      const p = h.spawn();
      const fd = await zcSocket(p);
      const buf = p.proc.mm.mmap(8192);
      for (let i = 0; i < 5; i++) expect(await p.sys.send(fd, buf, 100 + i * 300, MSG_ZEROCOPY)).toBe(100 + i * 300);
      // empty send: no id, no notification
      expect(await p.sys.send(fd, buf, 0, MSG_ZEROCOPY)).toBe(0);
      // a failed send (unmapped buffer): EFAULT, the id is not used
      expect(await p.sys.send(fd, 0x1000, 100, MSG_ZEROCOPY)).toBe(-EFAULT);
      await h.quiesce();
      expect(await p.sys.poll([{ fd, events: 0 }], 0)).toBe(1);
      const n = await errq(p, fd);
      expect(n.map((e) => [e.ee_info, e.ee_data, e.ee_code])).toEqual([[0, 4, 0]]);
      expect(sk(p, fd).sk_zckey).toBe(5);
      // the next call gets id 5
      expect(await p.sys.send(fd, buf, 10, MSG_ZEROCOPY)).toBe(10);
      await h.quiesce();
      expect((await errq(p, fd)).map((e) => [e.ee_info, e.ee_data])).toEqual([[5, 5]]);
    }, sink]);
  });

  it('the counter wraps after UINT_MAX and the range coalesces across the wrap; a range never grows to 2^32', async () => {
    await pair([async (h) => {
      const p = h.spawn();
      const fd = await zcSocket(p);
      const buf = p.proc.mm.mmap(4096);
      sk(p, fd).sk_zckey = 0xffff_fffe;
      for (let i = 0; i < 4; i++) expect(await p.sys.send(fd, buf, 64, MSG_ZEROCOPY)).toBe(64);
      await h.quiesce();
      expect((await errq(p, fd)).map((e) => [e.ee_info, e.ee_data])).toEqual([[0xffff_fffe, 1]]);
      expect(sk(p, fd).sk_zckey).toBe(2);
    }, sink]);
  });

  it('POLLERR while a notification waits; reading the error queue never blocks (EAGAIN when empty)', async () => {
    await pair([async (h) => {
      const p = h.spawn();
      const fd = await zcSocket(p);
      const buf = p.proc.mm.mmap(4096);
      const pfd: PollFd[] = [{ fd, events: POLLOUT }];
      expect(await p.sys.poll(pfd, 0)).toBe(1);
      expect(pfd[0]!.revents! & POLLERR).toBe(0);
      expect(await p.sys.recvmsg(fd, { iov: [], controllen: CMSG_SPACE_RECVERR }, MSG_ERRQUEUE)).toBe(-EAGAIN);
      expect(await p.sys.send(fd, buf, 500, MSG_ZEROCOPY)).toBe(500);
      // poll with POLLERR not asked for still reports it, once the NIC has completed the send
      const w: PollFd[] = [{ fd, events: 0 }];
      expect(await p.sys.poll(w, -1)).toBe(1);
      expect(w[0]!.revents).toBe(POLLERR);
      // no room for the control message: consumed, MSG_CTRUNC
      const msg: Msghdr = { iov: [] };
      expect(await p.sys.recvmsg(fd, msg, MSG_ERRQUEUE)).toBe(0);
      expect(msg.flags! & MSG_CTRUNC).toBe(MSG_CTRUNC);
      expect(await p.sys.poll(w, 0)).toBe(0);
    }, sink]);
  });

  it('ENOBUFS once optmem_max is taken by outstanding notifications; reading them frees the room', async () => {
    await pair([async (h) => {
      const p = h.spawn();
      const fd = await zcSocket(p);
      const buf = p.proc.mm.mmap(4096);
      const s = sk(p, fd);
      h.net.sysctl.optmem_max = 10 * ZC_NOTIFICATION_TRUESIZE;
      // ten sends in flight: each uarg's skb is charged to optmem until its notification is read
      for (let i = 0; i < 10; i++) expect(await p.sys.send(fd, buf, 64, MSG_ZEROCOPY | MSG_DONTWAIT)).toBe(64);
      expect(s.sk_omem_alloc).toBe(10 * ZC_NOTIFICATION_TRUESIZE);
      expect(await p.sys.send(fd, buf, 64, MSG_ZEROCOPY | MSG_DONTWAIT)).toBe(-ENOBUFS);
      expect(s.sk_zckey).toBe(10);
      await h.quiesce();
      // coalesced into one notification: one skb still charged until read
      expect(s.sk_omem_alloc).toBe(ZC_NOTIFICATION_TRUESIZE);
      expect((await errq(p, fd)).map((e) => [e.ee_info, e.ee_data])).toEqual([[0, 9]]);
      expect(s.sk_omem_alloc).toBe(0);
      expect(await p.sys.send(fd, buf, 64, MSG_ZEROCOPY)).toBe(64);
      h.net.sysctl.optmem_max = OPTMEM_MAX_DEFAULT;
    }, sink]);
  });

  it('ENOBUFS when a send would pass RLIMIT_MEMLOCK; uncharged when the notification is generated', async () => {
    await pair([async (h) => {
      const p = h.spawn();
      const fd = await zcSocket(p);
      const buf = p.proc.mm.mmap(4096);
      p.proc.mm.rlimit_memlock = 4 * 4096; // 4 pages: one send of 1 page charges (0 + 2)
      expect(await p.sys.send(fd, buf, 1000, MSG_ZEROCOPY)).toBe(1000);
      expect(await p.sys.send(fd, buf, 1000, MSG_ZEROCOPY)).toBe(1000);
      expect(h.held().locked_vm).toBe(4);
      expect(await p.sys.send(fd, buf, 1000, MSG_ZEROCOPY)).toBe(-ENOBUFS);
      await h.quiesce();
      expect(h.held().locked_vm).toBe(0);
      expect((await errq(p, fd)).map((e) => [e.ee_info, e.ee_data])).toEqual([[0, 1]]);
      // CAP_IPC_LOCK: no limit
      p.proc.mm.cap_ipc_lock = true;
      for (let i = 0; i < 4; i++) expect(await p.sys.send(fd, buf, 1000, MSG_ZEROCOPY)).toBe(1000);
      expect(h.held().locked_vm).toBe(0);
    }, sink]);
  });

  it('UDP_CORK and MSG_MORE: corked calls extend one uarg, the datagram is a copy (COPIED), and ENOBUFS on an append discards the cork', async () => {
    const got: Uint8Array[] = [];
    const seen: { notes: number[][]; cork: number[] } = { notes: [], cork: [] };
    await pair([async (h) => {
      const p = h.spawn();
      const fd = await zcSocket(p);
      const buf = p.proc.mm.mmap(4096);
      expect(p.proc.mm.copy_to_user(buf, Uint8Array.from({ length: 300 }, (_, i) => i & 0xff))).toBe(true);
      expect(p.sys.setsockopt(fd, SOL_UDP, UDP_CORK, 1)).toBe(0);
      seen.cork.push(p.sys.getsockopt(fd, SOL_UDP, UDP_CORK));
      for (let i = 0; i < 3; i++) expect(await p.sys.send(fd, buf + 100 * i, 100, MSG_ZEROCOPY)).toBe(100);
      // three calls, one uarg: ids 0..2, charged (0 + 2) pages each
      expect(h.held().locked_vm).toBe(6);
      expect(p.sys.setsockopt(fd, SOL_UDP, UDP_CORK, 0)).toBe(0);
      await h.quiesce();
      seen.notes.push(...(await errq(p, fd)).map((e) => [e.ee_info, e.ee_data, e.ee_code]));
      expect(h.held().locked_vm).toBe(0);
      // MSG_MORE corks one call; the locked-memory charge of the third append fails: ENOBUFS, cork gone
      p.proc.mm.rlimit_memlock = 4 * 4096;
      expect(await p.sys.send(fd, buf, 100, MSG_ZEROCOPY | MSG_MORE)).toBe(100);
      expect(await p.sys.send(fd, buf, 100, MSG_ZEROCOPY | MSG_MORE)).toBe(100);
      expect(await p.sys.send(fd, buf, 100, MSG_ZEROCOPY | MSG_MORE)).toBe(-ENOBUFS);
      expect(sk(p, fd).pending).toBe(null);
      await h.quiesce();
      seen.notes.push(...(await errq(p, fd)).map((e) => [e.ee_info, e.ee_data, e.ee_code]));
      // a datagram too long for the cork is EMSGSIZE and discards it too; then an uncorked send goes as one
      expect(await p.sys.send(fd, buf, 100, MSG_MORE)).toBe(100);
      expect(await p.sys.sendto(fd, buf, 65500, MSG_MORE, sockaddr_in(hostAddr(1), 8000))).toBe(-EMSGSIZE);
      expect(await p.sys.send(fd, buf, 7)).toBe(7);
      expect(h.held().locked_vm).toBe(0);
    }, async (h) => {
      const { proc, sys } = h.spawn();
      const fd = sys.socket(AF_INET, SOCK_DGRAM);
      expect(sys.bind(fd, sockaddr_in(0, 8000))).toBe(0);
      const buf = proc.mm.mmap(4096);
      for (let i = 0; i < 2; i++) {
        const { ret } = await sys.recvfrom(fd, buf, 4096);
        got.push(proc.mm.copy_from_user(buf, ret)!);
      }
    }]);
    expect(seen.cork).toEqual([1]);
    expect(got.map((g) => g.length)).toEqual([300, 7]);
    expect(got[0]).toEqual(Uint8Array.from({ length: 300 }, (_, i) => i & 0xff));
    // the corked datagram's range, COPIED; then the discarded cork's two ids (their data never left)
    expect(seen.notes).toEqual([[0, 2, SO_EE_CODE_ZEROCOPY_COPIED], [3, 4, SO_EE_CODE_ZEROCOPY_COPIED]]);
  });

  it('COPIED without scatter-gather or checksum offload (feature bits masked), bytes still exact', async () => {
    let got: Uint8Array | null = null;
    await pair([async (h) => {
      const p = h.spawn();
      const fd = await zcSocket(p);
      const buf = p.proc.mm.mmap(4096);
      p.proc.mm.copy_to_user(buf, Uint8Array.from({ length: 1200 }, (_, i) => i & 0xff));
      expect(await p.sys.send(fd, buf, 1200, MSG_ZEROCOPY)).toBe(1200);
      expect(h.held().refs).toBe(0);
      await h.quiesce();
      expect((await errq(p, fd)).map((e) => [e.ee_info, e.ee_data, e.ee_code])).toEqual([[0, 0, SO_EE_CODE_ZEROCOPY_COPIED]]);
    }, async (h) => {
      const p = h.spawn();
      const fd = p.sys.socket(AF_INET, SOCK_DGRAM);
      expect(p.sys.bind(fd, sockaddr_in(0, 8000))).toBe(0);
      const buf = p.proc.mm.mmap(4096);
      expect(await p.sys.recv(fd, buf, 4096)).toBe(1200);
      got = p.proc.mm.copy_from_user(buf, 1200);
    }], [{ featureMask: NETIF_F_RXCSUM }, {}]);
    expect(got).toEqual(Uint8Array.from({ length: 1200 }, (_, i) => i & 0xff));
    void NETIF_F_IP_CSUM;
  });

  it('COPIED over loopback to a local socket (the deferred copy), data intact', async () => {
    await pair([async (h) => {
      const p = h.spawn();
      const rx = p.sys.socket(AF_INET, SOCK_DGRAM);
      expect(p.sys.bind(rx, sockaddr_in(INADDR_LOOPBACK, 9000))).toBe(0);
      const fd = p.sys.socket(AF_INET, SOCK_DGRAM);
      expect(p.sys.setsockopt(fd, SOL_SOCKET, SO_ZEROCOPY, 1)).toBe(0);
      const buf = p.proc.mm.mmap(8192);
      p.proc.mm.copy_to_user(buf, Uint8Array.from({ length: 3000 }, (_, i) => (i * 7) & 0xff));
      expect(await p.sys.sendto(fd, buf, 3000, MSG_ZEROCOPY, sockaddr_in(INADDR_LOOPBACK, 9000))).toBe(3000);
      const out = buf + 4096;
      expect(await p.sys.recv(rx, out, 4096)).toBe(3000);
      expect(p.proc.mm.copy_from_user(out, 3000)).toEqual(Uint8Array.from({ length: 3000 }, (_, i) => (i * 7) & 0xff));
      expect((await errq(p, fd)).map((e) => [e.ee_info, e.ee_data, e.ee_code])).toEqual([[0, 0, SO_EE_CODE_ZEROCOPY_COPIED]]);
      expect(h.held().refs).toBe(0);
    }, sink]);
  });

  it('a process that exits with zero-copy sends in flight frees nothing early: pages held until the NIC is done', async () => {
    await pair([async (h) => {
      const p = h.spawn();
      const fd = await zcSocket(p);
      const buf = p.proc.mm.mmap(4 * 4096);
      for (let i = 0; i < 4; i++) expect(await p.sys.send(fd, buf + i * 4096, 1400, MSG_ZEROCOPY)).toBe(1400);
      expect(h.held().refs).toBe(4);
      const pages = [0, 1, 2, 3].map((i) => p.proc.mm.follow_page(buf + i * 4096)!.page);
      p.proc.exit();
      // unmapped and the socket closed, but the device may still read them: none freed
      expect(pages.map((pg) => [h.h.host.pages.isFreedPage(pg.pfn), pg.refcount])).toEqual(pages.map(() => [false, 1]));
      await h.quiesce();
      expect(h.held()).toEqual({ refs: 0, pins: 0, locked_vm: 0 });
      expect(pages.every((pg) => h.h.host.pages.isFreedPage(pg.pfn))).toBe(true);
      expect(h.h.host.faults).toEqual([]);
    }, sink]);
  });

  it('one zero-copy buffer sent to two destinations stays held until both are done', async () => {
    await pair([async (h) => {
      const p = h.spawn();
      const a = await zcSocket(p);
      const b = p.sys.socket(AF_INET, SOCK_DGRAM);
      expect(p.sys.setsockopt(b, SOL_SOCKET, SO_ZEROCOPY, 1)).toBe(0);
      expect(p.sys.bind(b, sockaddr_in(0, 0))).toBe(0);
      const rx = p.sys.socket(AF_INET, SOCK_DGRAM);
      expect(p.sys.bind(rx, sockaddr_in(INADDR_LOOPBACK, 9001))).toBe(0);
      const buf = p.proc.mm.mmap(4096);
      const page = p.proc.mm.follow_page(buf)!.page;
      const base = page.refcount;
      expect(await p.sys.send(a, buf, 1000, MSG_ZEROCOPY)).toBe(1000);
      expect(await p.sys.sendto(b, buf, 1000, MSG_ZEROCOPY, sockaddr_in(hostAddr(1), 8000))).toBe(1000);
      expect(page.refcount).toBe(base + 2);
      await h.quiesce();
      expect(page.refcount).toBe(base);
      expect((await errq(p, a)).length + (await errq(p, b)).length).toBe(2);
    }, sink]);
  });
});
