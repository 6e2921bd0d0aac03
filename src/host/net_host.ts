// A host with its network stack up (docs/net-stack.md): the driver probed, the zcnic netdev open
// with an IPv4 address, lo, a static neighbour for the peer, and processes that make socket
// calls. `down()` is the orderly end every stack test and scenario runs: processes exit, the
// NIC finishes what it was given, the driver unloads, and then nothing may be held: no
// page_pool page in flight, no user page referenced or pinned, no locked memory charged, no
// dma-debug report, no IOMMU fault a test did not provoke.

import { inet_init } from '../net/ipv4/af_inet.js';
import { inet_hashinfo } from '../net/ipv4/inet_hashtables.js';
import type { Device } from '../device/device.js';
import { DEFAULT_NETDEV_CONFIG, type NetdevConfig } from '../drivers/zcnic/netdev.js';
import { ZcnicDriver, type DeviceInfo } from '../drivers/zcnic/zcnic.js';
import { gup_held } from '../mm/gup.js';
import { Process, all_users } from '../mm/process.js';
import { page_pool_inflight } from '../net/core/page_pool.js';
import { Net } from '../net/core/net.js';
import { zcnic_netdev_up, type ZcnicNetDevice } from '../drivers/zcnic/net_device.js';
import { SocketApi } from '../net/socket/socket.js';
import { CMSG_SPACE_RECVERR, EAGAIN, MSG_ERRQUEUE, errnoName, type Msghdr, type SockExtendedErr } from '../net/socket/uapi.js';
import type { ScenarioHost } from './machine.js';
import { watchCalls } from '../platform/watch.js';

/** Host i's address: 10.0.0.(i + 1)/24; its MAC 02:00:00:00:00:(i + 1). */
export const hostAddr = (i: number): number => (0x0a000001 + i) >>> 0;
export const hostMac = (i: number): Uint8Array => Uint8Array.of(2, 0, 0, 0, 0, i + 1);

export interface NetHostOptions {
  readonly mtu?: number;
  /** ethtool -K: NETIF_F_* bits to keep (e.g. without NETIF_F_SG). */
  readonly featureMask?: number;
  readonly config?: Partial<NetdevConfig>;
}

export interface NetProcess {
  readonly proc: Process;
  readonly sys: SocketApi;
}

export class NetHost {
  readonly procs: Process[] = [];
  private nextPid = 100;
  /** IOMMU faults a test provokes on purpose; down() fails on any other (no access to a freed or stale mapping). */
  expectedFaults = 0;

  private constructor(
    readonly index: number,
    readonly h: ScenarioHost,
    readonly dev: Device,
    readonly drv: ZcnicDriver,
    readonly info: DeviceInfo,
    readonly net: Net,
    readonly eth: ZcnicNetDevice,
  ) {}

  static async up(index: number, h: ScenarioHost, dev: Device, o: NetHostOptions = {}): Promise<NetHost> {
    const drv = new ZcnicDriver(dev, h.host, h.pdev);
    const info = await drv.probe();
    const net = new Net(h.host);
    inet_init(net);
    const eth = await zcnic_netdev_up(net, {
      dev, pdev: h.pdev, info, config: { ...DEFAULT_NETDEV_CONFIG, loopback: false, ...o.config },
      mac: hostMac(index), addr: hostAddr(index), prefixlen: 24,
      ...(o.mtu ? { mtu: o.mtu } : {}), ...(o.featureMask !== undefined ? { featureMask: o.featureMask } : {}),
    });
    net.setSleep((c) => dev.sleep(c));
    for (let p = 0; p < 2; p++) if (p !== index) net.neigh_add(hostAddr(p), hostMac(p));
    return new NetHost(index, h, dev, drv, info, net, eth);
  }

  /** fork(): a process with its own memory and file table, under `uid`. */
  spawn(uid = 1000): NetProcess {
    const proc = new Process(this.h.host, this.nextPid++, uid);
    this.procs.push(proc);
    const sys = new SocketApi(this.net, proc, (c) => this.dev.sleep(c));
    // its calls are traced for the run harness: a stuck run names the call, the process and the socket
    return { proc, sys: watchCalls(sys, this.h.host.watch, `pid ${proc.pid}`, (fd) => describeFd(proc, fd)) };
  }

  /** Wait until the NIC has completed every frame it was given (TX rings and qdiscs empty). */
  async quiesce(): Promise<void> {
    const nd = this.eth.nd;
    while (this.eth.backlog || nd.txq.some((t) => t.inFlight > 0)) await this.dev.sleep(1024);
    await nd.settle();
  }

  /** Wait for every TCP connection to finish closing (bounded: a peer that never answers fails). */
  async tcpClosed(limitCycles = 50_000_000): Promise<void> {
    const t0 = this.dev.clock.cycle;
    while (inet_hashinfo(this.net).tcp_active > 0) {
      if (this.dev.clock.cycle - t0 > limitCycles) throw new Error(`host${this.index}: ${inet_hashinfo(this.net).tcp_active} TCP connections still open ${limitCycles} cycles after exit`);
      await this.dev.sleep(4096);
    }
  }

  /** What is still held: referenced and pinned user pages, locked memory of every user. */
  held(): { refs: number; pins: number; locked_vm: number } {
    return { ...gup_held(this.h.host), locked_vm: all_users(this.h.host).reduce((a, u) => a + u.locked_vm, 0) };
  }

  /** Processes exit, the NIC drains, the driver unloads; throws if anything is still held. */
  async down(): Promise<{ inflight_after_remove: number }> {
    for (const p of this.procs) p.exit();
    await this.net.flush_work();
    await this.tcpClosed();
    await this.quiesce();
    const nd = this.eth.nd;
    const pools = nd.rxq.map((r) => r.pool);
    this.eth.down();
    await nd.stop();
    this.net.shutdown();
    await this.drv.remove();
    const inflight = pools.reduce((a, p) => a + page_pool_inflight(p), 0);
    const held = this.held();
    const name = `host${this.index}`;
    if (inflight) throw new Error(`${name}: ${inflight} page_pool pages in flight after remove`);
    if (held.refs || held.pins) throw new Error(`${name}: ${held.refs} user page references and ${held.pins} pins still held at the end`);
    if (held.locked_vm) throw new Error(`${name}: ${held.locked_vm} pages still charged to locked memory at the end`);
    const faults = this.h.host.faults;
    if (faults.length !== this.expectedFaults) {
      throw new Error(`${name}: ${faults.length} IOMMU fault(s), ${this.expectedFaults} expected${faults[0] ? `; first: ${faults[0].message}` : ''}`);
    }
    this.h.host.driverUnbind(this.h.pdev);
    this.h.host.debug?.assertClean(true);
    return { inflight_after_remove: inflight };
  }
}

const ip = (a: number): string => `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;

/** A descriptor as a stuck run's report names it: `udp 10.0.0.2:8000 <- 10.0.0.1:0, 0 queued`. */
function describeFd(proc: Process, fd: number): string | undefined {
  const f = proc.fget(fd) as { sk?: unknown } | undefined;
  const sk = f?.sk as ({ saddr: number; sport: number; daddr: number; dport: number; state?: string; rxq?: unknown[]; sk_err: number } | undefined);
  if (!sk || typeof sk.sport !== 'number') return undefined;
  const kind = sk.state !== undefined ? `tcp ${sk.state}` : 'udp';
  const q = Array.isArray(sk.rxq) ? `, ${sk.rxq.length} queued` : '';
  return `${kind} ${ip(sk.saddr)}:${sk.sport} <- ${ip(sk.daddr)}:${sk.dport}${q}${sk.sk_err ? `, error ${sk.sk_err}` : ''}`;
}

/**
 * Read a socket's error queue to the end (recvmsg(MSG_ERRQUEUE) until EAGAIN, as the
 * msg_zerocopy selftest's do_recv_completions does): each notification's sock_extended_err.
 */
export async function drainErrqueue(p: NetProcess, fd: number): Promise<SockExtendedErr[]> {
  const out: SockExtendedErr[] = [];
  for (;;) {
    const msg: Msghdr = { iov: [], controllen: CMSG_SPACE_RECVERR };
    const r = await p.sys.recvmsg(fd, msg, MSG_ERRQUEUE);
    if (r === -EAGAIN) return out;
    const c = msg.control?.[0];
    if (r !== 0 || !c) throw new Error(`recvmsg(MSG_ERRQUEUE): ${r < 0 ? errnoName(r) : 'no cmsg'}`);
    out.push(c.data);
  }
}

