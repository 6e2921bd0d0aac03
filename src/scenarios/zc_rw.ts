// The zc-rw scenario (seed 000's zc_writev / zc_readv, src/net/socket/zc.ts): host 0 maps a
// DMA-able pool on its socket and sends FRAMES datagrams of up to PAYLOAD bytes with zc_writev,
// batches of pairs whose headers the stack writes into each area's head room; host 1 receives
// them with zc_readv into its own pool, payload pages mapped where the NIC split the headers off.
// Every byte is checked, and every byte of each received page beyond its payload must read zero.
// It prints datagrams and bytes each way, what the driver had to map for them (nothing), the
// notifications, the pages flipped into the receiver's pool and the bytes zeroed around them.

import { PAGE_SIZE } from '../mem/phys.js';
import type { UdpSock } from '../net/ipv4/udp.js';
import type { ZcPair } from '../net/socket/zc.js';
import { AF_INET, EBUSY, SOCK_DGRAM, errnoName, sockaddr_in, type Iovec } from '../net/socket/uapi.js';
import { Rng } from '../lib/rng.js';
import { drainErrqueue, hostAddr, type NetHost, type NetProcess } from '../host/net_host.js';
import { stackPair } from './lib/stack_pair.js';
import { hostReport, scenarioHost } from '../host/machine.js';
import { WIRE_LATENCY, type PairScenario } from './types.js';

const PORT = 8600;
/** Pairs per zc_writev call, and slots (pages) per element: head room page + data page. */
const BATCH = 8;
const POOL_PAGES = 2 * BATCH * 2;

function content(seq: number, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, k) => 1 + ((seq * 17 + k * 13) % 254));
}

export const zcRwScenario: PairScenario = {
  name: 'zc-rw',
  description: 'zc_writev from a DMA-able socket pool on one host, zc_readv into another\'s: headers built in the head room, no byte copied or mapped per send, received pages flipped into the pool with everything but the payload zeroed',
  maxCycles: 4_000_000_000,
  options: ['frames', 'iommu', 'payload'],
  setup(seed, opts = {}) {
    const frames = opts.frames ?? 400;
    const maxPayload = Math.max(1, Math.min(opts.payload ?? 1472, 1472));
    const iommu = opts.iommu ?? 'strict';
    const hosts = [scenarioHost(iommu), scenarioHost(iommu)] as const;
    const rep = { sent: 0, sent_bytes: 0, calls: 0, notifications: 0, ids: 0, driver_maps: 0, received: 0, received_bytes: 0, flipped: 0, copied: 0, zeroed_bytes: 0, bad: 0 };
    const sizes = ((): number[] => {
      const rng = new Rng(seed * 31 + 5);
      return Array.from({ length: frames }, () => rng.int(1, maxPayload));
    })();

    const drain = async (p: NetProcess, fd: number): Promise<void> => {
      for (const e of await drainErrqueue(p, fd)) {
        rep.notifications++;
        rep.ids += ((e.ee_data - e.ee_info) >>> 0) + 1;
      }
    };

    const sender = async (h: NetHost): Promise<void> => {
      const p = h.spawn();
      const fd = p.sys.socket(AF_INET, SOCK_DGRAM);
      if ((await p.sys.connect(fd, sockaddr_in(hostAddr(1), PORT))) !== 0) throw new Error('connect');
      const base = p.sys.mmap(fd, POOL_PAGES * PAGE_SIZE);
      if (base < 0) throw new Error(`mmap of the socket: ${errnoName(base)}`);
      const maps0 = h.eth.nd.txq.reduce((a, q) => a + q.stats.maps, 0);
      await h.dev.sleep(300_000); // the receiver maps its pool and waits
      // two halves of the pool: one batch in flight while the next is written
      for (let i = 0, half = 0; i < frames; half ^= 1) {
        const n = Math.min(BATCH, frames - i);
        const pairs: ZcPair[] = [];
        for (let j = 0; j < n; j++) {
          const area = base + (half * BATCH + j) * 2 * PAGE_SIZE;
          const data = area + PAGE_SIZE; // the whole first page is head room
          const bytes = content(i + j, sizes[i + j]!);
          if (!p.proc.mm.copy_to_user(data, bytes)) throw new Error('pool write');
          pairs.push([{ base: area, len: 2 * PAGE_SIZE }, { base: data, len: bytes.length }]);
        }
        for (;;) {
          const r = await p.sys.zc_writev(fd, pairs);
          if (r >= 0) {
            rep.sent += n;
            rep.sent_bytes += r;
            rep.calls++;
            break;
          }
          // the other half's previous batch is still in flight: wait for its notification
          if (r !== -EBUSY) throw new Error(`zc_writev: ${errnoName(r)}`);
          await h.dev.sleep(2_000);
          await drain(p, fd);
        }
        i += n;
        await h.dev.sleep(BATCH * 3_000);
      }
      await h.quiesce();
      await drain(p, fd);
      rep.driver_maps = h.eth.nd.txq.reduce((a, q) => a + q.stats.maps, 0) - maps0;
    };

    const receiver = async (h: NetHost): Promise<void> => {
      const p = h.spawn();
      const fd = p.sys.socket(AF_INET, SOCK_DGRAM);
      p.sys.bind(fd, sockaddr_in(0, PORT));
      const base = p.sys.mmap(fd, POOL_PAGES * PAGE_SIZE);
      if (base < 0) throw new Error(`mmap of the socket: ${errnoName(base)}`);
      while (rep.received < frames) {
        const iov: Iovec[] = Array.from({ length: BATCH }, (_, j) => ({ base: base + j * 2 * PAGE_SIZE, len: 2 * PAGE_SIZE }));
        const n = await p.sys.zc_readv(fd, iov);
        if (n < 0) throw new Error(`zc_readv: ${errnoName(n)}`);
        for (let j = 0; j < n; j++) {
          const a = iov[j]!;
          const seq = rep.received;
          const want = content(seq, sizes[seq]!);
          const got = p.proc.mm.copy_from_user(a.base, a.len)!;
          if (got.length !== want.length || got.some((b, k) => b !== want[k])) rep.bad++;
          // the rest of the payload's pages: zeros only
          const page0 = a.base - ((a.base - base) % PAGE_SIZE);
          const whole = p.proc.mm.copy_from_user(page0, Math.ceil((a.base - page0 + a.len) / PAGE_SIZE) * PAGE_SIZE)!;
          const off = a.base - page0;
          if (whole.some((b, k) => b !== 0 && (k < off || k >= off + a.len))) rep.bad++;
          rep.received++;
          rep.received_bytes += a.len;
        }
      }
      const sk = (p.proc.fget(fd) as unknown as { sk: UdpSock }).sk;
      rep.flipped = sk.zc.rx_flipped;
      rep.copied = sk.zc.rx_copied;
      rep.zeroed_bytes = sk.zc.zeroed_bytes;
    };

    const inst = stackPair({
      hosts, latency: WIRE_LATENCY, parts: [sender, receiver],
      check: () => {
        if (rep.bad) throw new Error(`zc-rw: ${rep.bad} datagram(s) wrong or with non-zero bytes beside the payload`);
        if (rep.ids !== rep.calls) throw new Error(`zc-rw: ${rep.ids} completions for ${rep.calls} calls`);
        if (rep.driver_maps !== 0) throw new Error(`zc-rw: the driver mapped ${rep.driver_maps} buffers for pool frames`);
      },
      report: () => ({ iommu, frames, ...rep, hosts: hosts.map((h) => hostReport(h)) }),
    });
    return {
      ...inst,
      progress: () => `${rep.sent} sent, ${rep.received} received`,
      lines: () => [
        `zc_writev: ${rep.sent} datagrams (${rep.sent_bytes} bytes) in ${rep.calls} calls, ${rep.notifications} notifications for ${rep.ids} ids, driver mappings ${rep.driver_maps}`,
        `zc_readv: ${rep.received} datagrams (${rep.received_bytes} bytes): ${rep.flipped} pages flipped into the pool, ${rep.copied} copied, ${rep.zeroed_bytes} bytes zeroed beside payloads, bad ${rep.bad}`,
      ],
    };
  },
};
