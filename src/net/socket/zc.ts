// zc_writev / zc_readv (seed 000's proposal, with the sanity checks it lists): the calls' shape
// and the checks they share. Both work only on a socket's DMA-able pool (zc_pool.ts); the
// protocol does the rest (UDP: src/net/ipv4/udp.ts).
//
// int zc_writev(int fd, const struct iovec (*iov)[2], int iovcnt): each element is a pair, the
// whole area (head and tail room included) then the data inside it; returns bytes sent.
// int zc_readv(int fd, struct iovec *iov, int iovcnt): the iovecs are areas a payload may be
// placed in; on return the first ones point at the payloads; returns how many.
//
// Errnos, one per rule, and a failed call sends or takes nothing:
//   EINVAL  iovcnt out of [1, UIO_MAXIOV]; an area or data of no bytes; an area that does not
//           start on a page boundary (slots are whole pages: they are lent and swapped as such)
//   EFAULT  an area not inside this socket's pool (so not known to be reachable by the device)
//   EBUSY   areas that share a page with each other, or with one still in flight
//   ERANGE  (zc_writev) data not inside its area
//   ENOSPC  (zc_writev) head or tail room too small for this socket's headers and the NIC's
//           fields; (zc_readv) an area too small for the largest payload one frame carries
//   EMSGSIZE (zc_writev) data larger than one frame carries; (zc_readv) the next datagram is
//           larger than the area offered for it (it stays queued for recv)
//   ENXIO   the socket has no pool (mmap it first)
//   EOPNOTSUPP  a stream socket (not built yet), or a route not through the pool's device, or a
//           device without scatter-gather

import { PAGE_SIZE } from '../../mem/phys.js';
import type { ZcPool } from './zc_pool.js';
import { EBUSY, EFAULT, EINVAL, EMSGSIZE, ENOSPC, ERANGE, type Iovec } from './uapi.js';

/** UIO_MAXIOV. */
export const UIO_MAXIOV = 1024;

/** One zc_writev element: iov[i][0], the area, and iov[i][1], the data inside it. */
export type ZcPair = readonly [area: Iovec, data: Iovec];

/** EINVAL for a bad iovcnt. */
export function zc_check_count(n: number, have: number): number {
  return Number.isInteger(n) && n >= 1 && n <= UIO_MAXIOV && n <= have ? 0 : -EINVAL;
}

/** The area rules both calls share (EINVAL, EFAULT, EBUSY above); 0 if all hold. */
export function zc_check_areas(pool: ZcPool, areas: readonly Iovec[]): number {
  const seen = new Set<number>();
  for (const a of areas) {
    if (!Number.isInteger(a.base) || !Number.isInteger(a.len) || a.len <= 0) return -EINVAL;
    if ((a.base - pool.base) % PAGE_SIZE !== 0) return -EINVAL;
    if (!pool.contains(a.base, a.len)) return -EFAULT;
    for (const k of pool.slots(a.base, a.len)) {
      if (seen.has(k) || pool.isLent(k)) return -EBUSY;
      seen.add(k);
    }
  }
  return 0;
}

/**
 * zc_writev's data rules (EINVAL, ERANGE, ENOSPC, EMSGSIZE above) for a protocol that writes
 * `headroom` bytes of headers before the data, a device needing `tailroom` after it, and frames
 * carrying at most `max` bytes of data.
 */
export function zc_check_data(pairs: readonly ZcPair[], headroom: number, tailroom: number, max: number): number {
  for (const [a, d] of pairs) {
    if (!Number.isInteger(d.base) || !Number.isInteger(d.len) || d.len <= 0) return -EINVAL;
    if (d.base < a.base || d.base + d.len > a.base + a.len) return -ERANGE;
    if (d.base - a.base < headroom || a.base + a.len - (d.base + d.len) < tailroom) return -ENOSPC;
    if (d.len > max) return -EMSGSIZE;
  }
  return 0;
}
