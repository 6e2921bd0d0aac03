// inet_init (net/ipv4/af_inet.c): IPv4 registers its packet type with the host's stack, and the
// UDP and TCP protocols register with IPv4 (inet_add_protocol); the sockets' tables are made here.
// The core (src/net/core/net.ts) knows none of them: a frame goes down the layers, never back up.

import { IPPROTO_TCP, IPPROTO_UDP } from '../../lib/proto.js';
import type { Net } from '../core/net.js';
import { Ipv4Input, type InetPacket } from './ip.js';
import { inet_hashinfo_init } from './inet_hashtables.js';
import { tcp_v4_rcv } from './tcp_ipv4.js';
import { udp_rcv } from './udp.js';

/** Bring IPv4, UDP and TCP up on a host's stack. */
export function inet_init(net: Net): void {
  const t4 = inet_hashinfo_init(net);
  // inet_protos[]: ip_local_deliver_finish's table
  const protos = new Map<number, (p: InetPacket) => void>([
    [IPPROTO_UDP, (p) => udp_rcv(net, t4, p)],
    [IPPROTO_TCP, (p) => tcp_v4_rcv(net, t4, p)],
  ]);
  const ip = new Ipv4Input(
    (a) => net.isLocal(a),
    (p) => {
      const h = protos.get(p.protocol);
      if (!h) return false;
      h(p);
      return true;
    },
    (ns, fn) => net.delayed_work(ns, fn),
  );
  net.dev_add_pack({ func: (dev, skb) => ip.eth_rcv(dev, skb), flush: () => ip.flush() });
}
