// Reading a socket's error queue to the end, as the msg_zerocopy selftest's do_recv_completions
// does: each notification's sock_extended_err, in order. Shared by the socket tests.

import { expect } from 'vitest';
import type { NetProcess } from '../../../src/host/net_host.js';
import { CMSG_SPACE_RECVERR, EAGAIN, MSG_ERRQUEUE, type Msghdr, type SockExtendedErr } from '../../../src/net/socket/uapi.js';

export async function errq(p: NetProcess, fd: number): Promise<SockExtendedErr[]> {
  const out: SockExtendedErr[] = [];
  for (;;) {
    const msg: Msghdr = { iov: [], controllen: CMSG_SPACE_RECVERR };
    const r = await p.sys.recvmsg(fd, msg, MSG_ERRQUEUE);
    if (r === -EAGAIN) return out;
    expect(r).toBe(0);
    out.push(msg.control![0]!.data);
  }
}
