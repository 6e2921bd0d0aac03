// Which RX queue received a datagram or a stream, asked through the socket API as Linux offers
// it: SO_INCOMING_NAPI_ID mapped to a queue by netdev queue-get's napi-id, SO_INCOMING_CPU, and
// the model's test-only SO_ZCNIC_RXINFO control message (queue, NAPI id, completion cycle) per
// datagram. Two model hosts on a wire; steering by ethtool filters, or by RSS as reset leaves it.

import { describe, expect, it } from 'vitest';
import { NetHost, hostAddr, type NetProcess } from '../../../../src/host/net_host.js';
import { pairBarrier } from '../../../../src/scenarios/lib/stack_pair.js';
import { withPair } from '../../../../src/testing/fixture.js';
import { MIN_NAPI_ID } from '../../../../src/net/core/napi.js';
import { NetDevice } from '../../../../src/net/core/dev.js';
import { NETDEV_QUEUE_TYPE_RX, NETDEV_QUEUE_TYPE_TX, netdev_nl_queue_get, type NetdevQueueType } from '../../../../src/net/core/netdev_genl.js';
import { MS_RSS_KEY, toeplitz } from '../../../../src/model/toeplitz.js';
import { steerReset } from '../../../../src/model/steer.js';
import { IPPROTO_TCP, IPPROTO_UDP } from '../../../../src/lib/proto.js';
import {
  AF_INET, CMSG_SPACE_ZCNIC_RXINFO, EINVAL, ENOENT, ENOPROTOOPT, INADDR_LOOPBACK, MSG_CTRUNC, SCM_ZCNIC_RXINFO, SOCK_DGRAM, SOCK_STREAM, SOL_SOCKET,
  SO_INCOMING_CPU, SO_INCOMING_NAPI_ID, SO_ZCNIC_RXINFO, sockaddr_in, type Cmsg, type Msghdr, type ZcnicRxinfo, type ZcnicRxinfoCmsg,
} from '../../../../src/net/socket/uapi.js';

const PORT = 9000;
const LATENCY = 512;
/** The model NIC's queues and RSS table (checked on the device in each test). */
const RX_QUEUES = 4;
const TX_QUEUES = 4;
const RSS_ENTRIES = 128;

type Part = (h: NetHost) => Promise<void>;

async function onPair(parts: readonly [Part, Part]): Promise<void> {
  await withPair('model', parts, { latency: LATENCY });
}

/** The queue RSS picks after reset (Microsoft key, RETA entry i = i % queues, ports hashed) for a 4-tuple. */
function rssQueue(saddr: number, daddr: number, sport: number, dport: number): number {
  const t = new Uint8Array(12);
  const v = new DataView(t.buffer);
  v.setUint32(0, saddr);
  v.setUint32(4, daddr);
  v.setUint16(8, sport);
  v.setUint16(10, dport);
  return steerReset(RX_QUEUES, 0, RSS_ENTRIES).indir[toeplitz(MS_RSS_KEY, t) % RSS_ENTRIES]!;
}

/** A source port on host 0 whose datagrams to host 1's `dport` RSS puts on queue q. */
function sportFor(q: number, dport: number): number {
  for (let p = 40000; ; p++) if (rssQueue(hostAddr(0), hostAddr(1), p, dport) === q) return p;
}

/** netdev queue-get's napi-id of a queue of the host's NIC. */
function napiIdOf(h: NetHost, q: number, type: NetdevQueueType = NETDEV_QUEUE_TYPE_RX): number {
  const r = netdev_nl_queue_get(h.eth, q, type);
  if (typeof r === 'number' || r.napi_id === undefined) throw new Error(`queue-get ${q}: ${typeof r === 'number' ? r : 'no napi-id'}`);
  return r.napi_id;
}

/** The device is the one the constants describe; its RX queues' NAPI ids. */
async function rxNapiIds(h: NetHost): Promise<number[]> {
  expect([h.info.rxQueues, h.info.txQueues, await h.eth.ethtool.get_rxfh_indir_size()]).toEqual([RX_QUEUES, TX_QUEUES, RSS_ENTRIES]);
  return Array.from({ length: RX_QUEUES }, (_, q) => napiIdOf(h, q));
}

const opt = (p: NetProcess, fd: number, name: number): number => p.sys.getsockopt(fd, SOL_SOCKET, name);

/** One datagram by recvmsg with `controllen` bytes of control room: its length, flags and SCM_ZCNIC_RXINFO. */
async function recvInfo(p: NetProcess, fd: number, buf: number, controllen = CMSG_SPACE_ZCNIC_RXINFO): Promise<{ ret: number; flags: number; info: ZcnicRxinfo | null; control: readonly Cmsg[] }> {
  const msg: Msghdr<Cmsg> = { iov: [{ base: buf, len: 16 << 10 }], controllen };
  const ret = await p.sys.recvmsg(fd, msg);
  const c = msg.control ?? [];
  const info = c.find((x): x is ZcnicRxinfoCmsg => x.level === SOL_SOCKET && x.type === SCM_ZCNIC_RXINFO)?.data ?? null;
  return { ret, flags: msg.flags ?? 0, info, control: c };
}

describe('which RX queue received it: SO_INCOMING_NAPI_ID, SO_INCOMING_CPU, SO_ZCNIC_RXINFO (model)', () => {
  it('gives every NAPI instance of a host an id from MIN_NAPI_ID up, in netif_napi_add order, and queue-get reports it', async () => {
    const ids: { rx: number[]; tx: number[] }[] = [];
    const part: Part = async (h) => {
      ids[h.index] = { rx: await rxNapiIds(h), tx: Array.from({ length: TX_QUEUES }, (_, q) => napiIdOf(h, q, NETDEV_QUEUE_TYPE_TX)) };
      expect(netdev_nl_queue_get(h.eth, 2, NETDEV_QUEUE_TYPE_RX)).toEqual({ id: 2, type: NETDEV_QUEUE_TYPE_RX, ifindex: h.eth.ifindex, napi_id: MIN_NAPI_ID + TX_QUEUES + 2 });
      expect(netdev_nl_queue_get(h.eth, RX_QUEUES, NETDEV_QUEUE_TYPE_RX)).toBe(-EINVAL);
      expect(netdev_nl_queue_get(h.eth, -1, NETDEV_QUEUE_TYPE_TX)).toBe(-EINVAL);
      // lo's queue has no NAPI instance with an id (its backlog is not hashed)
      expect(netdev_nl_queue_get(h.net.lo, 0, NETDEV_QUEUE_TYPE_RX)).toEqual({ id: 0, type: NETDEV_QUEUE_TYPE_RX, ifindex: 1 });
    };
    // a device that is not up answers nothing
    class DownDevice extends NetDevice {
      override get if_up(): boolean {
        return false;
      }
      protected start_xmit(): number {
        return 0;
      }
    }
    expect(netdev_nl_queue_get(new DownDevice('dn0', 9, 1500, new Uint8Array(6), 1), 0, NETDEV_QUEUE_TYPE_RX)).toBe(-ENOENT);
    await onPair([part, part]);
    // the driver opens the TX queues first; each host counts from MIN_NAPI_ID on its own
    const want = { rx: [0, 1, 2, 3].map((q) => MIN_NAPI_ID + TX_QUEUES + q), tx: [0, 1, 2, 3].map((q) => MIN_NAPI_ID + q) };
    expect(MIN_NAPI_ID).toBe(8193);
    expect(ids).toEqual([want, want]);
  });

  it('a UDP port steered to RX queue 2: each datagram names its queue, NAPI id and a completion cycle between send and recv; SO_INCOMING_NAPI_ID is 0 until then', async () => {
    const sizes = [64, 1472, 3000, 200, 900];
    const sentAt: number[] = [];
    const got: { ret: number; flags: number; info: ZcnicRxinfo | null; at: number }[] = [];
    let ids: number[] = [];
    const b = pairBarrier(LATENCY);
    await onPair([
      async (h) => {
        const p = h.spawn();
        const fd = p.sys.socket(AF_INET, SOCK_DGRAM);
        const buf = p.proc.mm.mmap(16 << 10);
        await b.barrier(0, h.dev, 0);
        for (const n of sizes) {
          sentAt.push(h.dev.clock.cycle);
          expect(await p.sys.sendto(fd, buf, n, 0, sockaddr_in(hostAddr(1), PORT))).toBe(n);
        }
      },
      async (h) => {
        ids = await rxNapiIds(h);
        const p = h.spawn();
        const fd = p.sys.socket(AF_INET, SOCK_DGRAM);
        expect(p.sys.bind(fd, sockaddr_in(0, PORT))).toBe(0);
        // nothing received yet: no NAPI id, no CPU (sock_init_data's -1), the model's option off
        expect([opt(p, fd, SO_INCOMING_NAPI_ID), opt(p, fd, SO_INCOMING_CPU), opt(p, fd, SO_ZCNIC_RXINFO)]).toEqual([0, -1, 0]);
        // read-only: sk_setsockopt has no case for it
        expect(p.sys.setsockopt(fd, SOL_SOCKET, SO_INCOMING_NAPI_ID, ids[2]!)).toBe(-ENOPROTOOPT);
        expect(opt(p, fd, SO_INCOMING_NAPI_ID)).toBe(0);
        expect(p.sys.setsockopt(fd, SOL_SOCKET, SO_ZCNIC_RXINFO, 1)).toBe(0);
        expect(opt(p, fd, SO_ZCNIC_RXINFO)).toBe(1);
        expect(await h.eth.ethtool.set_rxnfc_insert({ location: 0, ipProto: IPPROTO_UDP, dstPort: PORT, action: 2 })).toBe(0);
        await b.barrier(1, h.dev, 0);
        const buf = p.proc.mm.mmap(16 << 10);
        for (let i = 0; i < sizes.length; i++) {
          // the last read leaves room for a header only: the control message is lost, MSG_CTRUNC
          const r = await recvInfo(p, fd, buf, i === sizes.length - 1 ? 16 : CMSG_SPACE_ZCNIC_RXINFO);
          got.push({ ret: r.ret, flags: r.flags, info: r.info, at: h.dev.clock.cycle });
        }
        // the first datagram's (sk_mark_napi_id_once), though one came in on another queue since
        expect(opt(p, fd, SO_INCOMING_NAPI_ID)).toBe(ids[2]);
        // an unconnected UDP socket never records its CPU (only __udp_queue_rcv_skb's connected case does)
        expect(opt(p, fd, SO_INCOMING_CPU)).toBe(-1);
        // SO_INCOMING_CPU may be set to anything (reuseport_update_incoming_cpu)
        expect(p.sys.setsockopt(fd, SOL_SOCKET, SO_INCOMING_CPU, 5)).toBe(0);
        expect(opt(p, fd, SO_INCOMING_CPU)).toBe(5);

        // a datagram through lo: no NAPI id, so no SO_INCOMING_NAPI_ID and no control message
        const lo = p.sys.socket(AF_INET, SOCK_DGRAM);
        expect(p.sys.bind(lo, sockaddr_in(INADDR_LOOPBACK, PORT + 1))).toBe(0);
        expect(p.sys.setsockopt(lo, SOL_SOCKET, SO_ZCNIC_RXINFO, 1)).toBe(0);
        expect(await p.sys.sendto(fd, buf, 10, 0, sockaddr_in(INADDR_LOOPBACK, PORT + 1))).toBe(10);
        const l = await recvInfo(p, lo, buf);
        expect([l.ret, l.flags, l.control]).toEqual([10, 0, []]);
        expect(opt(p, lo, SO_INCOMING_NAPI_ID)).toBe(0);
      },
    ]);
    const q2 = MIN_NAPI_ID + TX_QUEUES + 2;
    expect(ids[2]).toBe(q2);
    // the 3000-byte datagram is fragmented: the NIC parses no L4 header of a fragment, so the port
    // filter misses and RSS hashes the addresses alone; the message names the first fragment's queue
    const fragQ = rssQueue(hostAddr(0), hostAddr(1), 0, 0);
    expect(fragQ).not.toBe(2);
    expect(got.map((g) => [g.ret, g.flags, g.info?.queue ?? null, g.info?.napi_id ?? null])).toEqual([
      [64, 0, 2, q2], [1472, 0, 2, q2], [3000, 0, fragQ, ids[fragQ]], [200, 0, 2, q2], [900, MSG_CTRUNC, null, null],
    ]);
    // each completion after its send had crossed the wire and before recvmsg returned it; on one
    // queue in order (frames a poll takes together share its cycle)
    const onQ2: number[] = [];
    got.slice(0, -1).forEach((g, i) => {
      const c = g.info!.cycle;
      expect(c).toBeGreaterThanOrEqual(sentAt[i]! + LATENCY);
      expect(c).toBeLessThanOrEqual(g.at);
      if (g.info!.queue === 2) onQ2.push(c);
    });
    expect(onQ2).toEqual([...onQ2].sort((x, y) => x - y));
  });

  it('without filters RSS places each flow; a connected socket follows its packets to a new queue and records CPU 0, an unconnected one keeps the first NAPI id', async () => {
    // flows RSS puts on queues 1 and 3; later a filter moves both ports to queue 2
    const sportU = sportFor(1, PORT);
    const sportC = sportFor(3, PORT + 1);
    const seen: Record<'U' | 'C', { queue: number[]; napi: number[]; cpu: number[] }> = { U: { queue: [], napi: [], cpu: [] }, C: { queue: [], napi: [], cpu: [] } };
    let ids: number[] = [];
    const b = pairBarrier(LATENCY);
    await onPair([
      async (h) => {
        const p = h.spawn();
        const buf = p.proc.mm.mmap(4096);
        const u = p.sys.socket(AF_INET, SOCK_DGRAM);
        const c = p.sys.socket(AF_INET, SOCK_DGRAM);
        expect(p.sys.bind(u, sockaddr_in(0, sportU))).toBe(0);
        expect(p.sys.bind(c, sockaddr_in(0, sportC))).toBe(0);
        await b.barrier(0, h.dev, 0);
        for (let phase = 0; phase < 2; phase++) {
          expect(await p.sys.sendto(u, buf, 100, 0, sockaddr_in(hostAddr(1), PORT))).toBe(100);
          expect(await p.sys.sendto(c, buf, 100, 0, sockaddr_in(hostAddr(1), PORT + 1))).toBe(100);
          await b.barrier(0, h.dev, phase + 1);
        }
      },
      async (h) => {
        ids = await rxNapiIds(h);
        const p = h.spawn();
        const buf = p.proc.mm.mmap(16 << 10);
        const socks = { U: p.sys.socket(AF_INET, SOCK_DGRAM), C: p.sys.socket(AF_INET, SOCK_DGRAM) };
        expect(p.sys.bind(socks.U, sockaddr_in(0, PORT))).toBe(0);
        expect(p.sys.bind(socks.C, sockaddr_in(0, PORT + 1))).toBe(0);
        expect(await p.sys.connect(socks.C, sockaddr_in(hostAddr(0), sportC))).toBe(0);
        for (const fd of Object.values(socks)) expect(p.sys.setsockopt(fd, SOL_SOCKET, SO_ZCNIC_RXINFO, 1)).toBe(0);
        await b.barrier(1, h.dev, 0);
        for (let phase = 0; phase < 2; phase++) {
          for (const k of ['U', 'C'] as const) {
            const r = await recvInfo(p, socks[k], buf);
            expect(r.ret).toBe(100);
            seen[k].queue.push(r.info!.queue);
            seen[k].napi.push(opt(p, socks[k], SO_INCOMING_NAPI_ID));
            seen[k].cpu.push(opt(p, socks[k], SO_INCOMING_CPU));
          }
          if (phase === 0) {
            expect(await h.eth.ethtool.set_rxnfc_insert({ location: 0, ipProto: IPPROTO_UDP, dstPort: PORT, action: 2 })).toBe(0);
            expect(await h.eth.ethtool.set_rxnfc_insert({ location: 1, ipProto: IPPROTO_UDP, dstPort: PORT + 1, action: 2 })).toBe(0);
          }
          await b.barrier(1, h.dev, phase + 1);
        }
      },
    ]);
    expect(ids).toEqual([0, 1, 2, 3].map((q) => MIN_NAPI_ID + TX_QUEUES + q));
    expect(seen).toEqual({
      // sk_mark_napi_id_once: the first datagram's NAPI id stays; no CPU recorded
      U: { queue: [1, 2], napi: [ids[1], ids[1]], cpu: [-1, -1] },
      // connected: sk_mark_napi_id and sk_incoming_cpu_update on every datagram
      C: { queue: [3, 2], napi: [ids[3], ids[2]], cpu: [0, 0] },
    });
  });

  it('TCP: the accepted socket names the queue its flow is steered to, the client the queue RSS picks for the replies; no per-datagram message on a stream', async () => {
    const N = 40_000;
    const r = { accepted: [0, 0], listener: [0, 0], client: [0, 0], clientBefore: [0, 0], clientWant: 0, serverWant: 0, control: -1 };
    const b = pairBarrier(LATENCY);
    await onPair([
      async (h) => {
        const p = h.spawn();
        const fd = p.sys.socket(AF_INET, SOCK_STREAM);
        r.clientBefore = [opt(p, fd, SO_INCOMING_NAPI_ID), opt(p, fd, SO_INCOMING_CPU)];
        const buf = p.proc.mm.mmap(N);
        await b.barrier(0, h.dev, 0);
        expect(await p.sys.connect(fd, sockaddr_in(hostAddr(1), PORT))).toBe(0);
        const me = p.sys.getsockname(fd);
        if (typeof me === 'number') throw new Error(`getsockname: ${me}`);
        // the server's segments come back to host 0 where RSS puts (host 1:PORT -> host 0:port)
        r.clientWant = napiIdOf(h, rssQueue(hostAddr(1), hostAddr(0), PORT, me.port));
        expect(await p.sys.send(fd, buf, N)).toBe(N);
        expect(p.sys.shutdown(fd, 1)).toBe(0);
        expect(await p.sys.recv(fd, buf, N)).toBe(0);
        r.client = [opt(p, fd, SO_INCOMING_NAPI_ID), opt(p, fd, SO_INCOMING_CPU)];
        expect(p.sys.close(fd)).toBe(0);
      },
      async (h) => {
        r.serverWant = (await rxNapiIds(h))[2]!;
        const p = h.spawn();
        const l = p.sys.socket(AF_INET, SOCK_STREAM);
        expect(p.sys.bind(l, sockaddr_in(0, PORT))).toBe(0);
        expect(p.sys.setsockopt(l, SOL_SOCKET, SO_ZCNIC_RXINFO, 1)).toBe(0);
        expect(p.sys.listen(l, 4)).toBe(0);
        expect(await h.eth.ethtool.set_rxnfc_insert({ location: 0, ipProto: IPPROTO_TCP, dstPort: PORT, action: 2 })).toBe(0);
        await b.barrier(1, h.dev, 0);
        const { fd } = await p.sys.accept(l);
        expect(fd).toBeGreaterThanOrEqual(0);
        // the accepted socket inherits the option (sock_copy) but a stream gets no per-datagram message
        expect(opt(p, fd, SO_ZCNIC_RXINFO)).toBe(1);
        const buf = p.proc.mm.mmap(N);
        let total = 0;
        for (;;) {
          const msg: Msghdr<Cmsg> = { iov: [{ base: buf, len: N }], controllen: 4 * CMSG_SPACE_ZCNIC_RXINFO };
          const n = await p.sys.recvmsg(fd, msg);
          expect(n).toBeGreaterThanOrEqual(0);
          r.control = Math.max(r.control, msg.control?.length ?? 0);
          if (n === 0) break;
          total += n;
        }
        expect(total).toBe(N);
        r.accepted = [opt(p, fd, SO_INCOMING_NAPI_ID), opt(p, fd, SO_INCOMING_CPU)];
        r.listener = [opt(p, l, SO_INCOMING_NAPI_ID), opt(p, l, SO_INCOMING_CPU)];
        expect(p.sys.close(fd)).toBe(0);
        expect(p.sys.close(l)).toBe(0);
      },
    ]);
    expect(r.serverWant).toBe(MIN_NAPI_ID + TX_QUEUES + 2);
    expect(r.clientWant).toBeGreaterThanOrEqual(MIN_NAPI_ID + TX_QUEUES);
    expect([r.clientBefore, r.client, r.accepted]).toEqual([[0, -1], [r.clientWant, 0], [r.serverWant, 0]]);
    // a listener records neither (tcp_v4_rcv leaves TCP_LISTEN before sk_incoming_cpu_update)
    expect(r.listener).toEqual([0, -1]);
    expect(r.control).toBe(0);
  });
});
