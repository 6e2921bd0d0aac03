// The sockets' tables of one host (net/ipv4/inet_hashtables.c, udp.c's udp_table reduced): UDP
// sockets by port, TCP listeners, connected TCP sockets by 4-tuple and bound ports, and the one
// ephemeral port allocator both protocols take from (inet_get_port's role). Kept per host beside
// its Net (as netns_ipv4 hangs off struct net), so the core imports nothing of IPv4.

import { EADDRINUSE, EADDRNOTAVAIL, EAGAIN, INADDR_ANY } from '../socket/uapi.js';
import type { Net } from '../core/net.js';
import type { TcpSock } from './tcp.js';
import type { UdpSock } from './udp.js';

/** The ephemeral port range (net.ipv4.ip_local_port_range). */
export const LOCAL_PORT_LOW = 32768;
export const LOCAL_PORT_HIGH = 60999;

export class InetHashtables {
  readonly udpPorts = new Map<number, UdpSock[]>();
  readonly tcpListen = new Map<number, TcpSock>();
  readonly tcpEstab = new Map<string, TcpSock>();
  private readonly tcpBound = new Map<number, Set<TcpSock>>();
  private nextPort = LOCAL_PORT_LOW;
  private isn = 0x1000;

  constructor(private readonly net: Net) {}

  /** The next free ephemeral port by `inUse`, from one cursor for both protocols; -1 if none. */
  private inet_get_port(inUse: (port: number) => boolean): number {
    for (let i = 0; i <= LOCAL_PORT_HIGH - LOCAL_PORT_LOW; i++) {
      const port = this.nextPort;
      this.nextPort = port === LOCAL_PORT_HIGH ? LOCAL_PORT_LOW : port + 1;
      if (!inUse(port)) return port;
    }
    return -1;
  }

  /** secure_tcp_seq's role: a deterministic initial sequence number per connection. */
  tcp_isn(): number {
    this.isn = (Math.imul(this.isn, 1103515245) + 12345) >>> 0;
    return this.isn;
  }

  tcpKey(laddr: number, lport: number, raddr: number, rport: number): string {
    return `${laddr >>> 0}:${lport}>${raddr >>> 0}:${rport}`;
  }

  /** inet_hash of a connected (or connecting) socket. */
  tcp_hash(sk: TcpSock): void {
    this.tcpEstab.set(this.tcpKey(sk.saddr, sk.sport, sk.daddr, sk.dport), sk);
  }

  tcp_unhash(sk: TcpSock): void {
    const k = this.tcpKey(sk.saddr, sk.sport, sk.daddr, sk.dport);
    if (this.tcpEstab.get(k) === sk) this.tcpEstab.delete(k);
    if (this.tcpListen.get(sk.sport) === sk) this.tcpListen.delete(sk.sport);
    const owners = this.tcpBound.get(sk.sport);
    if (owners?.delete(sk) && owners.size === 0) this.tcpBound.delete(sk.sport);
  }

  /** inet_csk_get_port for bind(); 0 or -errno. */
  tcp_bind(sk: TcpSock, addr: number, port: number): number {
    if (addr !== INADDR_ANY && !this.net.isLocal(addr)) return -EADDRNOTAVAIL;
    sk.saddr = addr >>> 0;
    if (port === 0) return this.tcp_autobind(sk);
    if (this.tcpBound.has(port)) return -EADDRINUSE;
    this.tcpBound.set(port, new Set([sk]));
    sk.sport = port;
    return 0;
  }

  /** An ephemeral port no TCP and no UDP socket holds; 0 or -EAGAIN. */
  tcp_autobind(sk: TcpSock): number {
    const port = this.inet_get_port((p) => this.tcpBound.has(p) || this.udpPorts.has(p));
    if (port < 0) return -EAGAIN;
    this.tcpBound.set(port, new Set([sk]));
    sk.sport = port;
    return 0;
  }

  tcp_listen(sk: TcpSock): number {
    if (this.tcpListen.has(sk.sport)) return -EADDRINUSE;
    this.tcpListen.set(sk.sport, sk);
    return 0;
  }

  /** Connections still open or closing (their retransmit queues may hold pages). */
  get tcp_active(): number {
    return this.tcpEstab.size;
  }

  /** udp_v4_get_port for bind(); 0 or -errno. */
  udp_bind(sk: UdpSock, addr: number, port: number): number {
    if (addr !== INADDR_ANY && !this.net.isLocal(addr)) return -EADDRNOTAVAIL;
    if (port === 0) {
      sk.saddr = addr >>> 0;
      return this.udp_autobind(sk);
    }
    const users = this.udpPorts.get(port) ?? [];
    if (users.some((s) => s.saddr === INADDR_ANY || addr === INADDR_ANY || s.saddr === addr >>> 0)) return -EADDRINUSE;
    sk.saddr = addr >>> 0;
    sk.sport = port;
    this.udpPorts.set(port, [...users, sk]);
    return 0;
  }

  /** inet_autobind: an ephemeral port no UDP socket holds; 0 or -EAGAIN. */
  udp_autobind(sk: UdpSock): number {
    const port = this.inet_get_port((p) => this.udpPorts.has(p));
    if (port < 0) return -EAGAIN;
    sk.sport = port;
    this.udpPorts.set(port, [sk]);
    return 0;
  }

  udp_unhash(sk: UdpSock): void {
    const users = this.udpPorts.get(sk.sport)?.filter((s) => s !== sk);
    if (!users) return;
    if (users.length) this.udpPorts.set(sk.sport, users);
    else this.udpPorts.delete(sk.sport);
  }
}

const tables = new WeakMap<Net, InetHashtables>();

/** The host's socket tables (made by inet_init). */
export function inet_hashinfo(net: Net): InetHashtables {
  const t = tables.get(net);
  if (!t) throw new RangeError('inet_hashinfo: inet_init was not run on this host');
  return t;
}

export function inet_hashinfo_init(net: Net): InetHashtables {
  const t = new InetHashtables(net);
  tables.set(net, t);
  return t;
}
