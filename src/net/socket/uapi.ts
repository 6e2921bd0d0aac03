// The socket UAPI the model's programs use, with Linux's values (include/uapi/asm-generic/
// errno-base.h, errno.h, socket.h; linux/errqueue.h; linux/poll.h; netinet/in.h). Calls return
// a negative errno on failure, as the kernel's syscall entry does.

export const EPERM = 1;
export const ENOENT = 2;
export const ENXIO = 6;
export const EBADF = 9;
export const EAGAIN = 11;
export const ENOMEM = 12;
export const EFAULT = 14;
export const EBUSY = 16;
export const EEXIST = 17;
export const ENODEV = 19;
export const EINVAL = 22;
export const EMFILE = 24;
export const ENOSPC = 28;
export const EPIPE = 32;
export const ERANGE = 34;
export const ENOTSOCK = 88;
export const EDESTADDRREQ = 89;
export const EMSGSIZE = 90;
export const ENOPROTOOPT = 92;
export const EPROTONOSUPPORT = 93;
export const EOPNOTSUPP = 95;
export const EAFNOSUPPORT = 97;
export const EADDRINUSE = 98;
export const EADDRNOTAVAIL = 99;
export const ENETUNREACH = 101;
export const ECONNRESET = 104;
export const ENOBUFS = 105;
export const EISCONN = 106;
export const ENOTCONN = 107;
export const ETIMEDOUT = 110;
export const ECONNREFUSED = 111;
export const EHOSTUNREACH = 113;
export const EALREADY = 114;
export const EINPROGRESS = 115;

const ERRNO_NAMES: Record<number, string> = {
  [EPERM]: 'EPERM', [ENOENT]: 'ENOENT', [EBADF]: 'EBADF', [EAGAIN]: 'EAGAIN', [ENOMEM]: 'ENOMEM', [EFAULT]: 'EFAULT', [EINVAL]: 'EINVAL',
  [EMFILE]: 'EMFILE', [ENXIO]: 'ENXIO', [EBUSY]: 'EBUSY', [EEXIST]: 'EEXIST', [ENODEV]: 'ENODEV', [ENOSPC]: 'ENOSPC', [ERANGE]: 'ERANGE', [EPIPE]: 'EPIPE', [ENOTSOCK]: 'ENOTSOCK', [EDESTADDRREQ]: 'EDESTADDRREQ', [EMSGSIZE]: 'EMSGSIZE',
  [ENOPROTOOPT]: 'ENOPROTOOPT', [EPROTONOSUPPORT]: 'EPROTONOSUPPORT', [EOPNOTSUPP]: 'EOPNOTSUPP', [EAFNOSUPPORT]: 'EAFNOSUPPORT',
  [EADDRINUSE]: 'EADDRINUSE', [EADDRNOTAVAIL]: 'EADDRNOTAVAIL', [ENETUNREACH]: 'ENETUNREACH', [ECONNRESET]: 'ECONNRESET',
  [ENOBUFS]: 'ENOBUFS', [EISCONN]: 'EISCONN', [ENOTCONN]: 'ENOTCONN', [ETIMEDOUT]: 'ETIMEDOUT', [ECONNREFUSED]: 'ECONNREFUSED',
  [EHOSTUNREACH]: 'EHOSTUNREACH', [EALREADY]: 'EALREADY', [EINPROGRESS]: 'EINPROGRESS',
};

/** "EAGAIN" for -11 or 11; the number itself for one the model does not name. */
export function errnoName(e: number): string {
  return ERRNO_NAMES[Math.abs(e)] ?? String(e);
}

export const AF_INET = 2;
export const AF_PACKET = 17;
export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const SOCK_RAW = 3;
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;
export const IPPROTO_IP = 0;

export const SOL_SOCKET = 1;
export const SOL_IP = 0;
export const SOL_TCP = 6;
export const SOL_UDP = 17;
/** include/uapi/linux/udp.h. */
export const UDP_CORK = 1;
export const SO_ERROR = 4;
export const SO_SNDBUF = 7;
export const SO_RCVBUF = 8;
export const SO_RCVLOWAT = 18;
export const SO_INCOMING_CPU = 49;
export const SO_INCOMING_NAPI_ID = 56;
export const SO_ZEROCOPY = 60;
/**
 * The model's own, test-only option (no Linux counterpart; a value far from asm-generic/socket.h's,
 * which stay below 100): with it on, recvmsg on a UDP socket gives each datagram received from a NIC
 * queue an SCM_ZCNIC_RXINFO control message (struct zcnic_rxinfo), if msg_controllen has room.
 */
export const SO_ZCNIC_RXINFO = 0x5a43;
/** Its control message's type (as SCM_TIMESTAMP is SO_TIMESTAMP's). */
export const SCM_ZCNIC_RXINFO = SO_ZCNIC_RXINFO;
export const IP_RECVERR = 11;
export const TCP_NODELAY = 1;
export const TCP_MAXSEG = 2;

export const MSG_PEEK = 0x2;
export const MSG_CTRUNC = 0x8;
export const MSG_TRUNC = 0x20;
export const MSG_DONTWAIT = 0x40;
export const MSG_WAITALL = 0x100;
export const MSG_ERRQUEUE = 0x2000;
export const MSG_NOSIGNAL = 0x4000;
export const MSG_MORE = 0x8000;
export const MSG_ZEROCOPY = 0x4000000;

export const POLLIN = 0x1;
export const POLLPRI = 0x2;
export const POLLOUT = 0x4;
export const POLLERR = 0x8;
export const POLLHUP = 0x10;
export const POLLNVAL = 0x20;
export const POLLRDNORM = 0x40;
export const POLLWRNORM = 0x100;
export const POLLRDHUP = 0x2000;

export const SHUT_RD = 0;
export const SHUT_WR = 1;
export const SHUT_RDWR = 2;

export const SO_EE_ORIGIN_NONE = 0;
export const SO_EE_ORIGIN_LOCAL = 1;
export const SO_EE_ORIGIN_ICMP = 2;
export const SO_EE_ORIGIN_ZEROCOPY = 5;
export const SO_EE_CODE_ZEROCOPY_COPIED = 1;

/** struct sock_extended_err. */
export interface SockExtendedErr {
  ee_errno: number;
  ee_origin: number;
  ee_type: number;
  ee_code: number;
  ee_info: number;
  ee_data: number;
}

/** struct sockaddr_in, with the address as a host-order number (10.0.0.1 = 0x0a000001). */
export interface SockaddrIn {
  readonly family: typeof AF_INET;
  readonly addr: number;
  readonly port: number;
}

/**
 * struct zcnic_rxinfo (the model's, test-only: SO_ZCNIC_RXINFO): where and when the NIC delivered
 * a datagram, so a failing test can name the frame.
 */
export interface ZcnicRxinfo {
  /** The RX queue the frame came in on. */
  readonly queue: number;
  /** That queue's NAPI id (what netdev_nl_queue_get reports for it). */
  readonly napi_id: number;
  /** The device cycle at which the driver took the frame's completion (RxMeta.cycle). */
  readonly cycle: number;
}

/** IP_RECVERR's control message: an error queue entry. */
export interface RecvErrCmsg {
  readonly level: typeof SOL_IP;
  readonly type: typeof IP_RECVERR;
  readonly data: SockExtendedErr;
}

export interface ZcnicRxinfoCmsg {
  readonly level: typeof SOL_SOCKET;
  readonly type: typeof SCM_ZCNIC_RXINFO;
  readonly data: ZcnicRxinfo;
}

/** One received control message (struct cmsghdr + data), told apart by level and type. */
export type Cmsg = RecvErrCmsg | ZcnicRxinfoCmsg;

/** struct iovec: user address and length. */
export interface Iovec {
  readonly base: number;
  readonly len: number;
}

/**
 * struct msghdr: what sendmsg reads and recvmsg fills in. The control messages' type defaults to
 * what recvmsg(MSG_ERRQUEUE) gives; a program that turns SO_ZCNIC_RXINFO on reads a Msghdr<Cmsg>.
 */
export interface Msghdr<C extends Cmsg = RecvErrCmsg> {
  name?: SockaddrIn;
  readonly iov: readonly Iovec[];
  /** msg_controllen: bytes the caller has room for (0: no control messages). */
  controllen?: number;
  /** Filled in by recvmsg (in order, each taking its CMSG_SPACE of controllen). */
  control?: C[];
  /** msg_flags, filled in by recvmsg. */
  flags?: number;
}

/** sizeof(struct cmsghdr) + sizeof(struct sock_extended_err) + sizeof(struct sockaddr_in), aligned. */
export const CMSG_SPACE_RECVERR = 16 + 16 + 16;
/** sizeof(struct cmsghdr) + sizeof(struct zcnic_rxinfo) (u32 queue, u32 napi_id, u64 cycle). */
export const CMSG_SPACE_ZCNIC_RXINFO = 16 + 16;

/** INADDR_ANY, INADDR_LOOPBACK. */
export const INADDR_ANY = 0;
export const INADDR_LOOPBACK = 0x7f000001;

export function sockaddr_in(addr: number, port: number): SockaddrIn {
  return { family: AF_INET, addr: addr >>> 0, port };
}
