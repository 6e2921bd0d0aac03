// Pieces every socket type shares (net/socket.c, net/core/scm.c, net/ipv4/ip_sockglue.c): iovec
// lengths, control messages (put_cmsg, sock_recv_cmsgs) and reading the error queue
// (ip_recv_error), which never blocks.

import type { Sock } from '../core/sock.js';
import { napi_id_valid } from '../core/napi.js';
import { skb_get_rx_queue, type SkBuff } from '../core/skbuff.js';
import {
  CMSG_SPACE_RECVERR, CMSG_SPACE_ZCNIC_RXINFO, EAGAIN, IP_RECVERR, MSG_CTRUNC, MSG_ERRQUEUE, SCM_ZCNIC_RXINFO, SOL_IP, SOL_SOCKET,
  type Cmsg, type Iovec, type Msghdr,
} from './uapi.js';

/** The sum of the iovecs' lengths; -1 for a negative one or a total past MAX_RW_COUNT (import_iovec's EINVAL). */
export function iov_total(iov: readonly Iovec[]): number {
  let n = 0;
  for (const v of iov) {
    if (!Number.isInteger(v.len) || v.len < 0) return -1;
    n += v.len;
  }
  return n > 0x7fff_f000 ? -1 : n;
}

/** CMSG_SPACE of a control message's data. */
function cmsg_space(c: Cmsg): number {
  return c.type === IP_RECVERR ? CMSG_SPACE_RECVERR : CMSG_SPACE_ZCNIC_RXINFO;
}

/**
 * put_cmsg(): the control message goes after those already given if what is left of
 * msg_controllen holds it; otherwise it is lost and MSG_CTRUNC says so.
 */
function put_cmsg(msg: Msghdr<Cmsg>, c: Cmsg): void {
  const control = (msg.control ??= []);
  const used = control.reduce((a, x) => a + cmsg_space(x), 0);
  if ((msg.controllen ?? 0) - used >= cmsg_space(c)) control.push(c);
  else msg.flags = (msg.flags ?? 0) | MSG_CTRUNC;
}

/**
 * sock_recv_cmsgs(): the socket-level control messages of a received skb. The only one here is
 * the model's SO_ZCNIC_RXINFO, for an skb a NIC queue received (loopback's have no NAPI id).
 */
export function sock_recv_cmsgs(msg: Msghdr<Cmsg>, sk: Sock, skb: SkBuff): void {
  if (!sk.sock_zcnic_rxinfo || !napi_id_valid(skb.napi_id)) return;
  put_cmsg(msg, { level: SOL_SOCKET, type: SCM_ZCNIC_RXINFO, data: { queue: skb_get_rx_queue(skb), napi_id: skb.napi_id, cycle: skb.rx_cycle } });
}

/**
 * ip_recv_error(): the error queue's head as an IP_RECVERR control message, 0 bytes of data
 * (a zero-copy notification carries none); -EAGAIN when it is empty. Without room for the
 * control message the entry is still consumed and MSG_CTRUNC is set, as put_cmsg does.
 */
export function ip_recv_error(sk: Sock, msg: Msghdr<Cmsg>): number {
  const e = sk.sock_dequeue_err_skb();
  if (!e) return -EAGAIN;
  msg.flags = MSG_ERRQUEUE;
  msg.control = [];
  put_cmsg(msg, { level: SOL_IP, type: IP_RECVERR, data: { ...e.serr } });
  // sk_err takes the next entry's errno (0 for zero-copy notifications)
  sk.sk_err = sk.sk_error_queue[0]?.serr.ee_errno ?? 0;
  return 0;
}
