// The regression test a driver engineer writes first (issue 20): two hosts, IOMMU strict, 200
// MSG_ZEROCOPY UDP datagrams of 3,000 bytes from host 0 to host 1, an ethtool filter steering
// the flow to RX queue 2, every byte and the receiving queue checked. Its broken variants are
// the failures a user meets: the receiver throws, a check of the wrong queue, a receiver
// waiting for a datagram that is never sent. Shared by the model's tests and the RTL's.

import { expect } from 'vitest';
import { NETDEV_QUEUE_TYPE_RX, netdev_nl_queue_get } from '../../src/net/core/netdev_genl.js';
import { hostAddr, drainErrqueue, type NetHost } from '../../src/host/net_host.js';
import {
  AF_INET, CMSG_SPACE_ZCNIC_RXINFO, MSG_ZEROCOPY, SCM_ZCNIC_RXINFO, SOCK_DGRAM, SOL_SOCKET, SO_INCOMING_NAPI_ID, SO_ZCNIC_RXINFO, SO_ZEROCOPY, sockaddr_in,
  type Cmsg, type Msghdr, type ZcnicRxinfoCmsg,
} from '../../src/net/socket/uapi.js';
import { IPPROTO_UDP } from '../../src/lib/proto.js';
import { withPair, type Backend, type PairOptions, type PairRun } from '../../src/testing/fixture.js';

export const DATAGRAMS = 200;
export const LEN = 3000;
export const PORT = 9000;
export const QUEUE = 2;

export type Variant = 'pass' | 'throw-at-57' | 'wrong-queue' | 'stuck';

function payload(i: number): Uint8Array {
  const b = new Uint8Array(LEN);
  for (let k = 0; k < LEN; k++) b[k] = (i * 7 + k * 13) & 0xff;
  b[0] = i & 0xff;
  b[1] = i >> 8;
  return b;
}

/** The RX queue a NAPI id belongs to on this host (netdev queue-get), or -1. */
function queueOfNapi(h: NetHost, napiId: number): number {
  for (let q = 0; q < h.eth.real_num_rx_queues; q++) {
    const r = netdev_nl_queue_get(h.eth, q, NETDEV_QUEUE_TYPE_RX);
    if (typeof r !== 'number' && r.napi_id === napiId) return q;
  }
  return -1;
}

export function newUserTest(backend: Backend, variant: Variant, o: PairOptions = {}): Promise<PairRun> {
  return withPair(backend, [
    async (h) => {
      const { proc, sys } = h.spawn();
      const fd = sys.socket(AF_INET, SOCK_DGRAM);
      expect(sys.setsockopt(fd, SOL_SOCKET, SO_ZEROCOPY, 1)).toBe(0);
      const ring = 8;
      const buf = proc.mm.mmap(ring * LEN);
      let notified = 0;
      for (let i = 0; i < DATAGRAMS; i++) {
        const at = buf + (i % ring) * LEN;
        if (i >= ring && i % ring === 0) {
          // the buffers are reused: wait for the sends that used them to complete
          await h.quiesce();
          notified += (await drainErrqueue({ proc, sys }, fd)).length;
        }
        expect(proc.mm.copy_to_user(at, payload(i))).toBe(true);
        expect(await sys.sendto(fd, at, LEN, MSG_ZEROCOPY, sockaddr_in(hostAddr(1), PORT))).toBe(LEN);
      }
      await h.quiesce();
      notified += (await drainErrqueue({ proc, sys }, fd)).length;
      expect(notified).toBeGreaterThan(0);
      expect(sys.close(fd)).toBe(0);
    },
    async (h) => {
      const { proc, sys } = h.spawn();
      const fd = sys.socket(AF_INET, SOCK_DGRAM);
      expect(sys.bind(fd, sockaddr_in(0, PORT))).toBe(0);
      // the queue and cycle of each datagram, so a failure can name the frame
      expect(sys.setsockopt(fd, SOL_SOCKET, SO_ZCNIC_RXINFO, 1)).toBe(0);
      const buf = proc.mm.mmap(LEN);
      const want = variant === 'stuck' ? DATAGRAMS + 1 : DATAGRAMS;
      let onQueue = 0;
      for (let i = 0; i < want; i++) {
        const msg: Msghdr<Cmsg> = { iov: [{ base: buf, len: LEN }], controllen: CMSG_SPACE_ZCNIC_RXINFO };
        expect(await sys.recvmsg(fd, msg)).toBe(LEN);
        const info = msg.control?.find((c): c is ZcnicRxinfoCmsg => c.type === SCM_ZCNIC_RXINFO)?.data;
        const where = info ? ` (RX queue ${info.queue}, cycle ${info.cycle})` : '';
        const got = proc.mm.copy_from_user(buf, LEN)!;
        const exp = payload(i);
        const bad = got.findIndex((b, k) => b !== exp[k]);
        if (variant === 'throw-at-57' && i === 57) throw new Error(`datagram 57${where}: byte 0 is 0x${got[0]!.toString(16)}, the test expected 0xff`);
        if (bad >= 0) throw new Error(`datagram ${i}${where}: byte ${bad} is ${got[bad]}, sent ${exp[bad]}`);
        // SO_INCOMING_NAPI_ID names the queue of the socket's first datagram (unconnected UDP)
        if (i === 0) expect(queueOfNapi(h, sys.getsockopt(fd, SOL_SOCKET, SO_INCOMING_NAPI_ID))).toBe(QUEUE);
        // each datagram on the filter's queue (the wrong-queue variant expects the next one)
        expect(info?.queue, `datagram ${i}${where}`).toBe(variant === 'wrong-queue' ? QUEUE + 1 : QUEUE);
        onQueue++;
      }
      expect(onQueue).toBe(DATAGRAMS);
      expect(sys.close(fd)).toBe(0);
    },
  ], {
    iommu: 'strict',
    // jumbo frames: a 3,000-byte datagram in one frame (a NIC matches no port filter on fragments)
    hosts: [{ mtu: 9000 }, { mtu: 9000 }],
    // host 1 steers the flow to RX queue 2 before any traffic
    setup: async (h) => {
      if (h.index !== 1) return;
      const r = await h.eth.ethtool.set_rxnfc_insert({ location: 0, ipProto: IPPROTO_UDP, dstPort: PORT, action: QUEUE });
      expect(r).toBeGreaterThanOrEqual(0);
    },
    ...o,
  });
}
