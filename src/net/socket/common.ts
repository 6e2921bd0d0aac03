// Pieces every socket type shares (net/socket.c, net/ipv4/ip_sockglue.c): iovec lengths and
// reading the error queue (ip_recv_error), which never blocks.

import type { Sock } from '../core/sock.js';
import { CMSG_SPACE_RECVERR, EAGAIN, IP_RECVERR, MSG_CTRUNC, MSG_ERRQUEUE, SOL_IP, type Iovec, type Msghdr } from './uapi.js';

/** The sum of the iovecs' lengths; -1 for a negative one or a total past MAX_RW_COUNT (import_iovec's EINVAL). */
export function iov_total(iov: readonly Iovec[]): number {
  let n = 0;
  for (const v of iov) {
    if (!Number.isInteger(v.len) || v.len < 0) return -1;
    n += v.len;
  }
  return n > 0x7fff_f000 ? -1 : n;
}

/**
 * ip_recv_error(): the error queue's head as an IP_RECVERR control message, 0 bytes of data
 * (a zero-copy notification carries none); -EAGAIN when it is empty. Without room for the
 * control message the entry is still consumed and MSG_CTRUNC is set, as put_cmsg does.
 */
export function ip_recv_error(sk: Sock, msg: Msghdr): number {
  const e = sk.sock_dequeue_err_skb();
  if (!e) return -EAGAIN;
  msg.flags = MSG_ERRQUEUE;
  msg.control = [];
  if ((msg.controllen ?? 0) >= CMSG_SPACE_RECVERR) msg.control.push({ level: SOL_IP, type: IP_RECVERR, data: { ...e.serr } });
  else msg.flags |= MSG_CTRUNC;
  // sk_err takes the next entry's errno (0 for zero-copy notifications)
  sk.sk_err = sk.sk_error_queue[0]?.serr.ee_errno ?? 0;
  return 0;
}
