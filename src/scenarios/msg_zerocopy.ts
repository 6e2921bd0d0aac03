// The msg-zerocopy scenario, after the kernel's tools/testing/selftests/net/msg_zerocopy.c (its
// sender and receiver, and its closing lines `tx=%lu (%lu MB) txc=%lu zc=%c` and `rx=%lu (%lu MB)`),
// over UDP or, with PROTO=tcp, TCP: host 0 sends FRAMES datagrams of PAYLOAD bytes from
// one buffer, with SO_ZEROCOPY + MSG_ZEROCOPY when ZEROCOPY=1, non-blocking, draining the error
// queue when the socket is not writable and at the end; host 1 (or a local socket with
// LOOPBACK=1) receives them and checks every byte. It prints the selftest's figures (tx, txc,
// zc=y/n) and what the kernel cannot show: the bytes actually copied per byte sent (the stack's
// copies plus swiotlb bounces below it), user pages held at the peak, and the cycles from send to
// notification.

import { gup_held } from '../mm/gup.js';
import type { UbufInfoMsgzc } from '../net/core/msg_zerocopy.js';
import type { UdpSock } from '../net/ipv4/udp.js';
import { TcpSock } from '../net/ipv4/tcp.js';
import {
  AF_INET, EAGAIN, INADDR_LOOPBACK, MSG_DONTWAIT, MSG_ZEROCOPY, POLLERR, POLLOUT,
  SOCK_DGRAM, SOCK_STREAM, SOL_SOCKET, SO_EE_CODE_ZEROCOPY_COPIED, SO_EE_ORIGIN_ZEROCOPY, SO_ZEROCOPY, errnoName, sockaddr_in,
} from '../net/socket/uapi.js';
import type { NetHost, NetProcess } from '../host/net_host.js';
import { drainErrqueue, hostAddr } from '../host/net_host.js';
import { stackPair } from './lib/stack_pair.js';
import { scenarioHost, hostReport } from '../host/machine.js';
import { WIRE_LATENCY, type PairScenario } from './types.js';

const PORT = 8000;
/** Jumbo frames on both NICs, so a datagram up to 8,972 bytes fits one frame (zero copy). */
export const MSG_ZC_MTU = 9000;

interface SenderReport {
  tx: number;
  tx_bytes: number;
  /** Completions: the ids the notifications covered. */
  txc: number;
  notifications: number;
  zerocopy_notifications: number;
  copied_notifications: number;
  eagain: number;
  bytes_copied_by_stack: number;
  bytes_bounced_by_swiotlb: number;
  peak_pages_held: number;
  notify_cycles: number[];
}

function pattern(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff);
}

export const msgZerocopyScenario: PairScenario = {
  name: 'msg-zerocopy',
  description: 'the kernel msg_zerocopy selftest on the model hosts: UDP sends with or without MSG_ZEROCOPY between two hosts (or to a local socket), every datagram checked, notifications counted',
  maxCycles: 2_000_000_000,
  options: ['frames', 'iommu', 'swiotlb', 'zerocopy', 'payload', 'loopback', 'proto'],
  setup(_seed, opts = {}) {
    const count = opts.frames ?? 200;
    const payload = opts.payload ?? 8000;
    const zc = opts.zerocopy ?? true;
    const loopback = opts.loopback ?? false;
    const iommu = opts.iommu ?? 'strict';
    const hosts = [scenarioHost(iommu, { swiotlb: opts.swiotlb ?? 'auto' }), scenarioHost(iommu, { swiotlb: opts.swiotlb ?? 'auto' })] as const;
    const rep: SenderReport = {
      tx: 0, tx_bytes: 0, txc: 0, notifications: 0, zerocopy_notifications: 0, copied_notifications: 0, eagain: 0,
      bytes_copied_by_stack: 0, bytes_bounced_by_swiotlb: 0, peak_pages_held: 0, notify_cycles: [],
    };
    let rx = 0;
    const want = pattern(payload);
    const tcp = (opts.proto ?? 'udp') === 'tcp';
    /** The receiving socket: bound (UDP) or listening (TCP) on PORT. */
    const listener = (p: NetProcess, addr: number): number => {
      const fd = p.sys.socket(AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM);
      if (p.sys.bind(fd, sockaddr_in(addr, PORT)) !== 0) throw new Error('bind');
      if (tcp && p.sys.listen(fd, 8) !== 0) throw new Error('listen');
      return fd;
    };

    let rxBytes = 0;
    const receiver = async (p: NetProcess, fd0: number): Promise<void> => {
      const buf = p.proc.mm.mmap(payload + 4096);
      if (tcp) {
        // drain the stream (the selftest reads TCP with MSG_TRUNC; here every byte is checked)
        const { fd } = await p.sys.accept(fd0);
        if (fd < 0) throw new Error(`accept: ${errnoName(fd)}`);
        for (;;) {
          const r = await p.sys.recv(fd, buf, payload + 4096);
          if (r < 0) throw new Error(`recv: ${errnoName(r)}`);
          if (r === 0) break;
          const got = p.proc.mm.copy_from_user(buf, r)!;
          for (let i = 0; i < r; i++) if (got[i] !== want[(rxBytes + i) % payload]) throw new Error(`recv: data mismatch at stream byte ${rxBytes + i}`);
          rxBytes += r;
        }
        rx = Math.floor(rxBytes / payload);
        if (rxBytes !== count * payload) throw new Error(`recv: ${rxBytes} bytes != ${count * payload}`);
        p.sys.close(fd);
        return;
      }
      const fd = fd0;
      while (rx < count) {
        const r = await p.sys.recv(fd, buf, payload + 4096);
        if (r !== payload) throw new Error(`recv: ret=${r} != ${payload}`);
        const got = p.proc.mm.copy_from_user(buf, payload)!;
        for (let i = 0; i < payload; i++) if (got[i] !== want[i]) throw new Error(`recv: data mismatch at byte ${i} of datagram ${rx}`);
        rx++;
      }
    };

    const drain = async (p: NetProcess, fd: number): Promise<void> => {
      for (const e of await drainErrqueue(p, fd)) {
        if (e.ee_origin !== SO_EE_ORIGIN_ZEROCOPY) throw new Error(`serr: wrong origin: ${e.ee_origin}`);
        if (e.ee_errno !== 0) throw new Error(`serr: wrong error code: ${e.ee_errno}`);
        rep.notifications++;
        rep.txc += ((e.ee_data - e.ee_info) >>> 0) + 1;
        if (e.ee_code & SO_EE_CODE_ZEROCOPY_COPIED) rep.copied_notifications++;
        else rep.zerocopy_notifications++;
      }
    };

    const sender = async (h: NetHost): Promise<void> => {
      const p = h.spawn();
      let rxDone: Promise<void> = Promise.resolve();
      let dst = sockaddr_in(hostAddr(1), PORT);
      if (loopback) {
        const r = listener(p, INADDR_LOOPBACK);
        dst = sockaddr_in(INADDR_LOOPBACK, PORT);
        rxDone = receiver(p, r);
      }
      const fd = p.sys.socket(AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM);
      if (zc && p.sys.setsockopt(fd, SOL_SOCKET, SO_ZEROCOPY, 1) !== 0) throw new Error('setsockopt SO_ZEROCOPY');
      if (tcp) {
        const c = await p.sys.connect(fd, dst);
        if (c !== 0) throw new Error(`connect: ${errnoName(c)}`);
      }
      const buf = p.proc.mm.mmap(payload);
      p.proc.mm.copy_to_user(buf, want);
      h.net.onZcNotify = (u: UbufInfoMsgzc) => rep.notify_cycles.push(u.notifiedAt! - u.sentAt);
      const bounced0 = h.h.host.swiotlb?.stats.bouncedToDevice ?? 0;
      let expected = 0;
      while (rep.tx < count) {
        // TCP: blocking sends (whole), UDP: MSG_DONTWAIT as the selftest does
        const r = await p.sys.sendto(fd, buf, payload, (zc ? MSG_ZEROCOPY : 0) | (tcp ? 0 : MSG_DONTWAIT), dst);
        rep.peak_pages_held = Math.max(rep.peak_pages_held, gup_held(h.h.host).refs);
        if (r === -EAGAIN) {
          rep.eagain++;
          await p.sys.poll([{ fd, events: POLLOUT | POLLERR }], -1);
          await drain(p, fd);
          continue;
        }
        if (r < 0 || (!tcp && r !== payload)) throw new Error(`send: ${r < 0 ? errnoName(r) : r}`);
        // a short TCP send: the rest goes in the next call (each call is one id)
        if (r < payload) throw new Error(`send: short send ${r} of ${payload} (blocking sends are whole)`);
        rep.tx++;
        rep.tx_bytes += r;
        if (zc) expected++;
      }
      const s = (p.proc.fget(fd) as unknown as { sk: UdpSock | TcpSock }).sk;
      if (s instanceof TcpSock) {
        // TCP completes on the ACK: wait until nothing is unacknowledged
        while (s.unacked > 0) await h.dev.sleep(1024);
      }
      await h.quiesce();
      await drain(p, fd);
      if (rep.txc < expected) throw new Error(`missing notifications: ${rep.txc} < ${expected}`);
      if (tcp) p.sys.close(fd);
      await rxDone;
      rep.bytes_copied_by_stack = s.tx.copied_bytes + s.zcStats.deferred_copy_bytes;
      rep.bytes_bounced_by_swiotlb = (h.h.host.swiotlb?.stats.bouncedToDevice ?? 0) - bounced0;
    };

    const inst = stackPair({
      hosts, latency: WIRE_LATENCY, ...(opts.wireFaults ? { faults: opts.wireFaults } : {}),
      options: [{ mtu: MSG_ZC_MTU }, { mtu: MSG_ZC_MTU }],
      parts: [
        sender,
        async (h) => {
          if (loopback) return;
          const p = h.spawn();
          await receiver(p, listener(p, 0));
        },
      ],
      report: () => {
        const nc = rep.notify_cycles;
        const copied = rep.bytes_copied_by_stack + rep.bytes_bounced_by_swiotlb;
        return {
          protocol: tcp ? 'tcp' : 'udp', zerocopy: zc, payload, count, loopback, iommu,
          selftest: `tx=${rep.tx} (${Math.floor(rep.tx_bytes / (1 << 20))} MB) txc=${rep.txc} zc=${zc && rep.txc > 0 && rep.copied_notifications === 0 ? 'y' : 'n'}`,
          rx: `rx=${rx} (${Math.floor((rx * payload) / (1 << 20))} MB)`,
          ...rep, notify_cycles: undefined,
          bytes_copied_per_byte_sent: rep.tx_bytes ? copied / rep.tx_bytes : 0,
          notify_cycles_mean: nc.length ? nc.reduce((a, b) => a + b, 0) / nc.length : null,
          notify_cycles_max: nc.length ? Math.max(...nc) : null,
          hosts: hosts.map((h) => hostReport(h)),
        };
      },
    });
    const f = (x: number | null): string => (x === null ? '-' : x.toFixed(0));
    return {
      ...inst,
      progress: () => `${rep.tx} sent, ${rx} received, ${rep.txc} completions`,
      lines: () => {
        const r = inst.report() as { selftest: string; rx: string; bytes_copied_per_byte_sent: number; notify_cycles_mean: number | null; notify_cycles_max: number | null };
        return [
          `${tcp ? 'tcp' : 'udp'} ${zc ? '-z ' : ''}-s ${payload}${loopback ? ' (loopback)' : ''} iommu=${iommu}`,
          r.selftest,
          r.rx,
          `notifications=${rep.notifications} zerocopy=${rep.zerocopy_notifications} copied=${rep.copied_notifications} eagain=${rep.eagain}`,
          `bytes copied per byte sent=${r.bytes_copied_per_byte_sent.toFixed(3)} (stack ${rep.bytes_copied_by_stack}, swiotlb ${rep.bytes_bounced_by_swiotlb}) ` +
            `pages held at peak=${rep.peak_pages_held} send->notification cycles mean=${f(r.notify_cycles_mean)} max=${f(r.notify_cycles_max)}`,
        ];
      },
    };
  },
};
