// The socket system calls of one process on one host (net/socket.c, net/core/sock.c's
// sock_setsockopt, fs/select.c's poll), in the POSIX shape: file descriptors, user buffers by
// address in the process's own memory, and Linux's errno as a negative return. Calls that can
// block (send, recv, poll) are async and wait on simulated time; the rest return at once.

import { inet_hashinfo } from '../ipv4/inet_hashtables.js';
import type { Process } from '../../mm/process.js';
import type { Net } from '../core/net.js';
import { SK_RMEM_MAX, SK_WMEM_MAX, SOCK_MIN_RCVBUF, SOCK_MIN_SNDBUF } from '../core/sock.js';
import { UdpSock } from '../ipv4/udp.js';
import { TcpSock } from '../ipv4/tcp.js';
import type { NetDevice } from '../core/dev.js';
import { net_mp_check_rxq, net_mp_close_rxq, net_mp_open_rxq } from '../core/netdev_rx_queue.js';
import { zc_pool_create, type ZcPool } from './zc_pool.js';
import { zc_check_count, type ZcPair } from './zc.js';
import { ZCRX_AREA_MAX, ZCRX_RQ_MAX, ZcrxIfq, type ZcrxCqe, type ZcrxFlow, type ZcrxMode, type ZcrxRqe } from '../core/zcrx.js';
import { skb_copy_bits } from '../core/skbuff.js';
import { PAGE_SIZE } from '../../mem/phys.js';
import {
  AF_INET, EAFNOSUPPORT, EAGAIN, EBADF, EINVAL, ENODEV, ENOENT, ENOMEM, ENOSPC, ENXIO, EMFILE, EPERM, ENOPROTOOPT, ENOTCONN, ENOTSOCK, EOPNOTSUPP, EPROTONOSUPPORT, IPPROTO_IP,
  POLLNVAL, SOCK_CLOEXEC, SOCK_DGRAM, SOCK_NONBLOCK, SOCK_STREAM, SHUT_RD, SHUT_RDWR, SHUT_WR, SOL_SOCKET, SOL_UDP, SO_ERROR, SO_INCOMING_CPU,
  SO_INCOMING_NAPI_ID, SO_RCVBUF, SO_SNDBUF, SO_ZCNIC_RXINFO, SO_ZEROCOPY, UDP_CORK,
  type Cmsg, type Iovec, type Msghdr, type SockaddrIn,
} from './uapi.js';
import { napi_id_valid } from '../core/napi.js';
import { IPPROTO_TCP, IPPROTO_UDP } from '../../lib/proto.js';

/** struct socket + struct file: the socket and its file flags. */
/** A net_device with a DMA device behind it (not lo). */
type DmaNetDevice = NetDevice & { readonly dma_dev: NonNullable<NetDevice['dma_dev']> };

class SocketFile {
  /** The socket's DMA-able pool, once the process has mapped it. */
  pool: ZcPool | null = null;
  /** The MTU of the pool's device (what one frame carries). */
  mtu = 0;
  constructor(
    readonly net: Net,
    readonly sk: UdpSock | TcpSock,
    public nonblock: boolean,
  ) {}
  release(): void {
    if (this.sk instanceof UdpSock) inet_hashinfo(this.net).udp_unhash(this.sk);
    this.sk.release();
    this.pool?.release();
  }
}

/** An RX zero-copy binding as a file: its owner's close unbinds the queue (devmem's netlink-socket rule). */
class ZcrxFile {
  constructor(
    readonly net: Net,
    readonly dev: NetDevice,
    readonly ifq: ZcrxIfq,
    readonly proc: Process,
  ) {}
  release(): void {
    this.ifq.detach(this.proc);
    if (this.proc !== this.ifq.owner) return;
    this.ifq.unbind();
    this.net.zcrx.delete(this.ifq.id);
    this.net.queue_work(net_mp_close_rxq(this.dev, this.ifq.queue));
  }
}

/** What zcrx_register asks for (io_uring_zcrx_ifq_reg, with the steering it implies). */
export interface ZcrxRegister {
  /** if_rxq: the RX queue to bind. */
  readonly rxq: number;
  readonly mode: ZcrxMode;
  /** The area's bytes (whole pages). */
  readonly area_size: number;
  /** Refill ring entries (rounded up to a power of two). */
  readonly rq_entries: number;
  /** The flow the NIC's filter steers to the queue. */
  readonly flow: ZcrxFlow;
}

export interface PollFd {
  readonly fd: number;
  readonly events: number;
  revents?: number;
}

export class SocketApi {
  constructor(
    readonly net: Net,
    readonly proc: Process,
    /** Sleep on simulated time (the host's device clock), for poll's timeout. */
    private readonly sleep: (cycles: number) => Promise<void>,
  ) {}

  /** The host's NIC: the first device with a DMA device behind it (pools and RX zero copy are made for it), if any. */
  private nic(): DmaNetDevice | undefined {
    return this.net.devs.find((d): d is DmaNetDevice => d.dma_dev !== null);
  }

  private file(fd: number): SocketFile | number {
    const f = this.proc.fget(fd);
    if (f === undefined) return -EBADF;
    return f instanceof SocketFile ? f : -ENOTSOCK;
  }

  /** socket(domain, type, protocol). */
  socket(domain: number, type: number, protocol = 0): number {
    if (domain !== AF_INET) return -EAFNOSUPPORT;
    const base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
    let sk: UdpSock | TcpSock;
    if (base === SOCK_DGRAM && (protocol === IPPROTO_IP || protocol === IPPROTO_UDP)) sk = new UdpSock(this.net);
    else if (base === SOCK_STREAM && (protocol === IPPROTO_IP || protocol === IPPROTO_TCP)) sk = new TcpSock(this.net);
    else return -EPROTONOSUPPORT;
    sk.domain = this.proc.domain;
    const f = new SocketFile(this.net, sk, (type & SOCK_NONBLOCK) !== 0);
    const fd = this.proc.fd_install(f);
    return fd < 0 ? -EMFILE : fd;
  }

  bind(fd: number, addr: SockaddrIn): number {
    const f = this.file(fd);
    if (typeof f === 'number') return f;
    if (addr.family !== AF_INET) return -EAFNOSUPPORT;
    if (f.sk.sport) return -EINVAL;
    return f.sk instanceof UdpSock ? inet_hashinfo(this.net).udp_bind(f.sk, addr.addr, addr.port) : inet_hashinfo(this.net).tcp_bind(f.sk, addr.addr, addr.port);
  }

  /**
   * connect(): TCP's handshake (blocking unless non-blocking: EINPROGRESS), or a datagram
   * socket's default destination (and a filter on what is received).
   */
  async connect(fd: number, addr: SockaddrIn): Promise<number> {
    const f = this.file(fd);
    if (typeof f === 'number') return f;
    if (addr.family !== AF_INET) return -EAFNOSUPPORT;
    if (f.sk instanceof TcpSock) return f.sk.connect(addr, f.nonblock);
    const rt = this.net.ip_route_output(addr.addr, f.sk.saddr);
    if (typeof rt === 'number') return rt;
    if (!f.sk.sport) {
      const e = inet_hashinfo(this.net).udp_autobind(f.sk);
      if (e < 0) return e;
    }
    f.sk.daddr = addr.addr >>> 0;
    f.sk.dport = addr.port;
    return 0;
  }

  /** listen(): only stream sockets (EOPNOTSUPP otherwise); binds a port if none. */
  listen(fd: number, backlog: number): number {
    const f = this.file(fd);
    if (typeof f === 'number') return f;
    const sk = f.sk;
    if (!(sk instanceof TcpSock)) return -EOPNOTSUPP;
    if (sk.state === 'LISTEN') {
      sk.backlog = backlog;
      return 0;
    }
    if (sk.state !== 'CLOSED') return -EINVAL;
    if (!sk.sport) {
      const e = inet_hashinfo(this.net).tcp_autobind(sk);
      if (e < 0) return e;
    }
    const e = inet_hashinfo(this.net).tcp_listen(sk);
    if (e < 0) return e;
    sk.backlog = Math.max(1, Math.min(backlog, 4096));
    sk.state = 'LISTEN';
    return 0;
  }

  /** accept(): a new descriptor for the next connection (EAGAIN when non-blocking and none). */
  async accept(fd: number): Promise<{ fd: number; peer?: SockaddrIn }> {
    const f = this.file(fd);
    if (typeof f === 'number') return { fd: f };
    if (!(f.sk instanceof TcpSock)) return { fd: -EOPNOTSUPP };
    const c = await f.sk.accept(f.nonblock);
    if (typeof c === 'number') return { fd: c };
    const nfd = this.proc.fd_install(new SocketFile(this.net, c, false));
    if (nfd < 0) {
      c.release();
      return { fd: -EMFILE };
    }
    return { fd: nfd, peer: { family: AF_INET, addr: c.daddr, port: c.dport } };
  }

  /** shutdown(SHUT_WR) of a stream socket. */
  shutdown(fd: number, how: number): number {
    const f = this.file(fd);
    if (typeof f === 'number') return f;
    if (!(f.sk instanceof TcpSock)) return -ENOTCONN;
    if (how !== SHUT_WR && how !== SHUT_RDWR) return how === SHUT_RD ? 0 : -EINVAL;
    return f.sk.shutdown_wr();
  }

  sendmsg(fd: number, msg: Msghdr, flags = 0): Promise<number> {
    const f = this.file(fd);
    if (typeof f === 'number') return Promise.resolve(f);
    return f.sk.sendmsg(this.proc.mm, msg, flags, f.nonblock);
  }

  send(fd: number, buf: number, len: number, flags = 0): Promise<number> {
    return this.sendmsg(fd, { iov: [{ base: buf, len }] }, flags);
  }

  sendto(fd: number, buf: number, len: number, flags: number, to: SockaddrIn): Promise<number> {
    return this.sendmsg(fd, { iov: [{ base: buf, len }], name: to }, flags);
  }

  recvmsg(fd: number, msg: Msghdr<Cmsg>, flags = 0): Promise<number> {
    const f = this.file(fd);
    if (typeof f === 'number') return Promise.resolve(f);
    return f.sk.recvmsg(this.proc.mm, msg, flags, f.nonblock);
  }

  recv(fd: number, buf: number, len: number, flags = 0): Promise<number> {
    return this.recvmsg(fd, { iov: [{ base: buf, len }] }, flags);
  }

  async recvfrom(fd: number, buf: number, len: number, flags = 0): Promise<{ ret: number; from?: SockaddrIn }> {
    const msg: Msghdr = { iov: [{ base: buf, len }] };
    const ret = await this.recvmsg(fd, msg, flags);
    return { ret, ...(ret >= 0 && msg.name ? { from: msg.name } : {}) };
  }

  /** getpeername(): ENOTCONN on an unconnected socket. */
  getpeername(fd: number): SockaddrIn | number {
    const f = this.file(fd);
    if (typeof f === 'number') return f;
    if (!f.sk.dport) return -ENOTCONN;
    return { family: AF_INET, addr: f.sk.daddr, port: f.sk.dport };
  }

  getsockname(fd: number): SockaddrIn | number {
    const f = this.file(fd);
    if (typeof f === 'number') return f;
    return { family: AF_INET, addr: f.sk.saddr, port: f.sk.sport };
  }

  /**
   * setsockopt(fd, level, name, &int, sizeof int). SO_INCOMING_NAPI_ID is read-only: sk_setsockopt
   * has no case for it, so it is ENOPROTOOPT like any unknown option.
   */
  setsockopt(fd: number, level: number, name: number, val: number): number {
    const f = this.file(fd);
    if (typeof f === 'number') return f;
    if (level === SOL_UDP) return f.sk instanceof UdpSock ? udp_setsockopt(f.sk, name, val) : -ENOPROTOOPT;
    if (level !== SOL_SOCKET) return -ENOPROTOOPT;
    const sk = f.sk;
    switch (name) {
      case SO_ZEROCOPY:
        if (val !== 0 && val !== 1) return -EINVAL;
        sk.sock_zerocopy = val === 1;
        return 0;
      case SO_SNDBUF:
        sk.sk_sndbuf = Math.max(SOCK_MIN_SNDBUF, Math.min(Math.max(val, 0), SK_WMEM_MAX) * 2);
        sk.sk_write_space();
        return 0;
      case SO_RCVBUF:
        sk.sk_rcvbuf = Math.max(SOCK_MIN_RCVBUF, Math.min(Math.max(val, 0), SK_RMEM_MAX) * 2);
        return 0;
      case SO_INCOMING_CPU:
        // reuseport_update_incoming_cpu(): any int (the model has no reuseport groups to tell)
        sk.sk_incoming_cpu = val | 0;
        return 0;
      case SO_ZCNIC_RXINFO:
        sk.sock_zcnic_rxinfo = val !== 0;
        return 0;
      default:
        return -ENOPROTOOPT;
    }
  }

  /** getsockopt: the int value, or -errno. SO_ERROR reads and clears the pending error. */
  getsockopt(fd: number, level: number, name: number): number {
    const f = this.file(fd);
    if (typeof f === 'number') return f;
    if (level === SOL_UDP) return f.sk instanceof UdpSock && name === UDP_CORK ? (f.sk.corkflag ? 1 : 0) : -ENOPROTOOPT;
    if (level !== SOL_SOCKET) return -ENOPROTOOPT;
    const sk = f.sk;
    switch (name) {
      case SO_ZEROCOPY:
        return sk.sock_zerocopy ? 1 : 0;
      case SO_SNDBUF:
        return sk.sk_sndbuf;
      case SO_RCVBUF:
        return sk.sk_rcvbuf;
      case SO_ERROR:
        return sk.sock_error();
      case SO_INCOMING_CPU:
        return sk.sk_incoming_cpu;
      case SO_INCOMING_NAPI_ID:
        // aggregate non-NAPI ids down to 0 (nothing received yet, or not through a NIC queue)
        return napi_id_valid(sk.sk_napi_id) ? sk.sk_napi_id : 0;
      case SO_ZCNIC_RXINFO:
        return sk.sock_zcnic_rxinfo ? 1 : 0;
      default:
        return -ENOPROTOOPT;
    }
  }

  /** fcntl(F_SETFL, O_NONBLOCK). */
  set_nonblock(fd: number, on: boolean): number {
    const f = this.file(fd);
    if (typeof f === 'number') return f;
    f.nonblock = on;
    return 0;
  }

  /**
   * poll(fds, nfds, timeout): timeout in simulated cycles, -1 to wait for ever. Returns how many
   * entries have revents; POLLERR and POLLHUP are reported whether asked or not, POLLNVAL for a
   * descriptor that is not open.
   */
  async poll(fds: PollFd[], timeoutCycles: number): Promise<number> {
    let timedOut = timeoutCycles === 0;
    if (timeoutCycles > 0) void this.sleep(timeoutCycles).then(() => {
      timedOut = true;
      for (const p of fds) {
        const f = this.file(p.fd);
        if (typeof f !== 'number') f.sk.wq.wake_up();
      }
    });
    for (;;) {
      let n = 0;
      const waits: Promise<void>[] = [];
      for (const p of fds) {
        const f = this.file(p.fd);
        if (typeof f === 'number') {
          p.revents = POLLNVAL;
        } else {
          p.revents = f.sk.poll() & (p.events | 0x8 | 0x10);
          waits.push(f.sk.wq.wait());
        }
        if (p.revents) n++;
      }
      if (n || timedOut || !waits.length) return n;
      await Promise.race(waits);
    }
  }

  /**
   * mmap(NULL, size, PROT_READ|PROT_WRITE, MAP_SHARED, fd, 0) of a socket: its DMA-able pool
   * (src/net/socket/zc_pool.ts); the pool's address or -errno (EINVAL for a bad size or a second
   * pool, ENODEV without a NIC, ENOMEM past the locked-memory limit, EOPNOTSUPP if the NIC
   * could reach the pages only through bounce buffers).
   */
  mmap(fd: number, size: number): number {
    const f = this.file(fd);
    if (typeof f === 'number') return f;
    if (f.pool) return -EINVAL;
    const dev = this.nic();
    if (!dev) return -ENODEV;
    const p = zc_pool_create(this.proc.mm, dev.dma_dev, size);
    if (typeof p === 'number') return p;
    f.pool = p;
    f.mtu = dev.mtu;
    return p.base;
  }

  /**
   * zc_writev(fd, iov_pairs, iovcnt) (src/net/socket/zc.ts): each pair's data goes out as one
   * datagram from the socket's pool, no byte copied; bytes sent or -errno. The areas read as
   * zeros to the process until the call's MSG_ZEROCOPY-style notification.
   */
  async zc_writev(fd: number, pairs: readonly ZcPair[], iovcnt = pairs.length): Promise<number> {
    const r = this.zc_file(fd, iovcnt, pairs.length);
    if (typeof r === 'number') return r;
    return r.sk.zc_writev(r.pool, pairs.slice(0, iovcnt), r.f.nonblock);
  }

  /**
   * zc_readv(fd, iov, iovcnt): received payloads placed in the areas `iov` offers (mapped by
   * their page where the NIC allows, copied otherwise); the first elements of `iov` are rewritten
   * to point at them. How many, or -errno.
   */
  async zc_readv(fd: number, iov: Iovec[], iovcnt = iov.length): Promise<number> {
    const r = this.zc_file(fd, iovcnt, iov.length);
    if (typeof r === 'number') return r;
    const areas = iov.slice(0, iovcnt);
    const n = await r.sk.zc_readv(r.pool, areas, r.f.mtu, r.f.nonblock);
    if (n > 0) for (let i = 0; i < n; i++) iov[i] = areas[i]!;
    return n;
  }

  private zc_file(fd: number, iovcnt: number, have: number): { f: SocketFile; sk: UdpSock; pool: ZcPool } | number {
    const f = this.file(fd);
    if (typeof f === 'number') return f;
    const e = zc_check_count(iovcnt, have);
    if (e) return e;
    if (!f.pool) return -ENXIO;
    if (!(f.sk instanceof UdpSock)) return -EOPNOTSUPP;
    return { f, sk: f.sk, pool: f.pool };
  }

  /**
   * Register RX zero copy on one RX queue of the NIC (src/net/core/zcrx.ts): an area of
   * area_size bytes, cleared as it enters the queue's page_pool, a refill ring, the flow steered
   * to the queue and everything else steered away. Returns a descriptor for the binding (its
   * close unbinds) or -errno: EPERM (shared or single without CAP_NET_ADMIN), EINVAL (a bad mode,
   * size, ring or flow; header split off), ERANGE (no such queue), EEXIST (queue already bound),
   * ENOSPC (no filter slot left), ENOMEM (RLIMIT_MEMLOCK), EOPNOTSUPP (no queue left for the rest,
   * or pages the 32-bit NIC could only reach through bounce buffers), ENODEV (no NIC).
   */
  async zcrx_register(o: ZcrxRegister): Promise<number> {
    const proc = this.proc;
    if (o.mode !== 'shared' && o.mode !== 'single' && o.mode !== 'exclusive') return -EINVAL;
    if (o.mode !== 'exclusive' && !proc.cap_net_admin) return -EPERM;
    if (!Number.isInteger(o.rq_entries) || o.rq_entries <= 0 || o.rq_entries > ZCRX_RQ_MAX) return -EINVAL;
    if (!Number.isInteger(o.area_size) || o.area_size <= 0 || o.area_size % PAGE_SIZE || o.area_size > ZCRX_AREA_MAX) return -EINVAL;
    const f = o.flow;
    if ((f.protocol !== IPPROTO_UDP && f.protocol !== IPPROTO_TCP) || !Number.isInteger(f.dport) || f.dport <= 0 || f.dport > 0xffff) return -EINVAL;
    const dev = this.nic();
    if (!dev) return -ENODEV;
    const c = net_mp_check_rxq(dev, o.rxq);
    if (c) return c;
    const used = new Set([...dev.mp_bound.values()].map((b) => b.filterLocation));
    const { filters } = await dev.ethtool_ops!.steeringLimits();
    let loc = 0;
    while (loc < filters && used.has(loc)) loc++;
    if (loc === filters) return -ENOSPC;
    const ifq = ZcrxIfq.create(this.net.host, dev.dma_dev, {
      id: this.net.zcrx_id(), queue: o.rxq, mode: o.mode, owner: proc, flow: f,
      pages: o.area_size / PAGE_SIZE, rq_entries: 2 ** Math.ceil(Math.log2(o.rq_entries)), filterLocation: loc,
    });
    if (typeof ifq === 'number') return ifq;
    const e = await net_mp_open_rxq(dev, o.rxq, ifq);
    if (e) {
      ifq.unbind();
      return e;
    }
    this.net.zcrx.set(ifq.id, ifq);
    const fd = proc.fd_install(new ZcrxFile(this.net, dev, ifq, proc));
    if (fd < 0) {
      ifq.unbind();
      this.net.zcrx.delete(ifq.id);
      await net_mp_close_rxq(dev, o.rxq);
      return -EMFILE;
    }
    return fd;
  }

  /** Open another process's shared binding by id: a descriptor, or -ENOENT / the attach rules' errno. */
  zcrx_open(id: number): number {
    const ifq = this.net.zcrx.get(id);
    const dev = this.nic();
    if (!ifq || !dev) return -ENOENT;
    const va = ifq.attach(this.proc);
    if (va < 0) return va;
    const fd = this.proc.fd_install(new ZcrxFile(this.net, dev, ifq, this.proc));
    return fd < 0 ? -EMFILE : fd;
  }

  /** mmap of the binding: the process's read-only view of the area (the address), or -errno. */
  zcrx_mmap(fd: number): number {
    const z = this.zcrxFile(fd);
    return typeof z === 'number' ? z : z.ifq.attach(this.proc);
  }

  /** The binding behind a descriptor (for figures and tests). */
  zcrx_ifq(fd: number): ZcrxIfq | null {
    const z = this.zcrxFile(fd);
    return typeof z === 'number' ? null : z.ifq;
  }

  /**
   * IORING_OP_RECV_ZC: up to `max` received buffers of socket `fd` through the binding `zfd`, by
   * reference where the payload lies in the area, copied into a free area buffer otherwise.
   * Blocks like recv unless non-blocking (EAGAIN). The CQEs, and ret = how many, 0 at the end of
   * a TCP stream, or -errno: EBADF/ENOTSOCK, EINVAL (the area not mapped by this process),
   * EPERM (a socket of another trust domain), ENOMEM (no free buffer for a copy).
   */
  async zcrx_recv(fd: number, zfd: number, max = 64): Promise<{ ret: number; cqes: ZcrxCqe[] }> {
    const f = this.file(fd);
    if (typeof f === 'number') return { ret: f, cqes: [] };
    const z = this.zcrxFile(zfd);
    if (typeof z === 'number') return { ret: z, cqes: [] };
    const ifq = z.ifq;
    if (ifq.view(this.proc) === null || !Number.isInteger(max) || max <= 0) return { ret: -EINVAL, cqes: [] };
    const sk = f.sk;
    if (sk.domain !== ifq.domain) return { ret: -EPERM, cqes: [] };
    for (;;) {
      const r = sk.zc_ready();
      if (r === 0) break;
      if (r > 0) return { ret: 0, cqes: [] };
      if (r !== -EAGAIN || f.nonblock) return { ret: r, cqes: [] };
      await sk.wq.wait();
    }
    const cqes: ZcrxCqe[] = [];
    while (cqes.length < max) {
      const c = sk.zc_next();
      if (!c) break;
      const got = c.len === 0 ? [{ off: 0, len: 0, eor: true }] : ifq.deliver(this.proc, c.skb, c.off, c.len) ?? ifq.deliver_copy(this.proc, skb_copy_bits(c.skb, c.off, c.len)!);
      if (!got) {
        if (!cqes.length) return { ret: -ENOMEM, cqes };
        break;
      }
      cqes.push(...got);
      sk.zc_consume(c.len);
    }
    return { ret: cqes.length, cqes };
  }

  /** Publish buffers back on the binding's refill ring: how many fit, or -errno. */
  zcrx_refill(zfd: number, rqes: readonly ZcrxRqe[]): number {
    const z = this.zcrxFile(zfd);
    return typeof z === 'number' ? z : z.ifq.refill(this.proc, rqes);
  }

  private zcrxFile(fd: number): ZcrxFile | number {
    const f = this.proc.fget(fd);
    if (f === undefined) return -EBADF;
    return f instanceof ZcrxFile ? f : -EINVAL;
  }

  /** The pool a socket has mapped (for the zero-copy calls and tests). */
  zc_pool(fd: number): ZcPool | null {
    const f = this.file(fd);
    return typeof f === 'number' ? null : f.pool;
  }

  close(fd: number): number {
    return this.proc.close_fd(fd) ? 0 : -EBADF;
  }
}

/** udp_lib_setsockopt(): UDP_CORK; clearing it sends what is corked. */
function udp_setsockopt(sk: UdpSock, name: number, val: number): number {
  if (name !== UDP_CORK) return -ENOPROTOOPT;
  sk.corkflag = val !== 0;
  if (!sk.corkflag) sk.udp_push_pending_frames();
  return 0;
}
