// tcp_v4_rcv (net/ipv4/tcp_ipv4.c reduced): a received segment to its connected socket, a SYN to
// its listener, and a RST for a segment no socket takes (tcp_v4_send_reset).

import { be16, be32 } from '../../lib/proto.js';
import type { Net } from '../core/net.js';
import { inet_packet_free, type InetPacket } from './ip.js';
import type { InetHashtables } from './inet_hashtables.js';
import { TCPHDR_ACK, TCPHDR_RST, TcpSock, tcp_parse } from './tcp.js';

/** tcp_v4_rcv: checksum, lookup, the socket's state machine, or a RST. */
export function tcp_v4_rcv(net: Net, t4: InetHashtables, p: InetPacket): void {
  const t = tcp_parse(p);
  if (t === null) {
    net.tcpStats.InErrs++;
    inet_packet_free(p);
    return;
  }
  const { th } = t;
  const sport = be16(th, 0);
  const dport = be16(th, 2);
  const flags = th[13]!;
  const sk = t4.tcpEstab.get(t4.tcpKey(p.daddr, dport, p.saddr, sport));
  if (sk) return sk.rcv(p, th, t.payOff, t.payLen);
  const l = t4.tcpListen.get(dport);
  if (l && flags & 0x02 && !(flags & TCPHDR_ACK)) {
    TcpSock.passive(l, p, th);
    inet_packet_free(p);
    return;
  }
  inet_packet_free(p);
  if (flags & TCPHDR_RST) return;
  // tcp_v4_send_reset: no socket for this segment
  net.tcpStats.NoSocket++;
  net.tcpStats.OutRsts++;
  const rst = new TcpSock(net);
  rst.saddr = p.daddr;
  rst.sport = dport;
  rst.daddr = p.saddr;
  rst.dport = sport;
  const seg = (t.payLen + (flags & 0x03 ? 1 : 0)) >>> 0;
  if (flags & TCPHDR_ACK) rst.send_ack(TCPHDR_RST, be32(th, 8));
  else {
    rst.rcv_nxt = (be32(th, 4) + seg) >>> 0;
    rst.send_ack(TCPHDR_RST | TCPHDR_ACK, 0);
  }
}

