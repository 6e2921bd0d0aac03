// Network devices as the stack sees them (net/core/dev.c reduced): features, MTU, a MAC
// address, one FIFO qdisc per TX queue (pfifo_fast's single band, tx_queue_len deep) that holds
// what the driver refused with NETDEV_TX_BUSY until the queue wakes, and the loopback device.
// The zcnic adapter takes its features from the NIC's FEATURES register through the driver's
// probe, with an ethtool -K style mask a test can apply, and netdev_fix_features' rule: no
// checksum offload, no scatter-gather.

import { FEATURE } from '../../abi/regs.js';
import type { DeviceInfo } from '../../driver/zcnic.js';
import type { ZcnicNetdev } from '../../driver/netdev.js';
import { NETDEV_TX_BUSY, type XmitOffload } from '../../driver/txq.js';
import type { RxMeta } from '../../driver/rxq.js';
import { ZcnicEthtool } from '../../driver/ethtool.js';
import type { MemoryProviderOps } from './page_pool.js';
import type { NapiStruct } from './napi.js';
import { EEXIST, EINVAL, EOPNOTSUPP, ERANGE } from '../socket/uapi.js';
import { kfree_skb, skb_orphan_frags_rx, type SkBuff } from './skbuff.js';

export const NETIF_F_SG = 1 << 0;
/** Here: the IPv4 header checksum and UDP's (what the NIC's TX_CSUM inserts; TCP stays in software). */
export const NETIF_F_IP_CSUM = 1 << 1;
export const NETIF_F_RXCSUM = 1 << 2;
export const NETIF_F_LOOPBACK = 1 << 3;

export const NET_XMIT_SUCCESS = 0;
export const NET_XMIT_DROP = 1;
/** tx_queue_len's default. */
export const DEFAULT_TX_QUEUE_LEN = 1000;
export const ETH_DATA_LEN = 1500;

/** Where the stack delivers what a device received. */
export type NetifRx = (dev: NetDevice, skb: SkBuff, meta: RxMeta | null) => void;

interface Queued {
  readonly skb: SkBuff;
  readonly offload: XmitOffload;
}

export interface NetDeviceStats {
  tx_packets: number;
  tx_dropped: number;
  /** Frames the driver refused (NETDEV_TX_BUSY) and the qdisc requeued. */
  requeues: number;
  rx_packets: number;
}

export abstract class NetDevice {
  features = 0;
  /** Bytes a frame needs after its data for the device's own fields (zc_writev's tail room check). */
  needed_tailroom = 0;
  readonly stats: NetDeviceStats = { tx_packets: 0, tx_dropped: 0, requeues: 0, rx_packets: 0 };
  tx_queue_len = DEFAULT_TX_QUEUE_LEN;
  private readonly qdisc: Queued[][];

  constructor(
    readonly name: string,
    readonly ifindex: number,
    public mtu: number,
    readonly dev_addr: Uint8Array,
    readonly num_tx_queues: number,
  ) {
    this.qdisc = Array.from({ length: num_tx_queues }, () => []);
  }

  /** IFF_UP. */
  get if_up(): boolean {
    return true;
  }

  /** real_num_rx_queues. */
  get real_num_rx_queues(): number {
    return 1;
  }

  /** What netif_queue_set_napi() recorded for RX (or TX) queue q: its NAPI instance, null if none. */
  queue_napi(_rx: boolean, _q: number): NapiStruct | null {
    return null;
  }

  /** ndo_start_xmit on queue q. */
  protected abstract start_xmit(q: number, skb: SkBuff, offload: XmitOffload, xmit_more: boolean): number;

  /** Frames waiting in the qdiscs. */
  get backlog(): number {
    return this.qdisc.reduce((a, q) => a + q.length, 0);
  }

  /**
   * dev_queue_xmit for a batch of frames of one flow (the fragments of a datagram): the same TX
   * queue, the doorbell rung once at the end (xmit_more). Frames behind a stopped queue wait in
   * its qdisc, in order; a full qdisc drops (NET_XMIT_DROP for the batch's first drop).
   */
  dev_queue_xmit(skbs: readonly SkBuff[], offload: XmitOffload, q = 0): number {
    const txq = q % this.num_tx_queues;
    const qd = this.qdisc[txq]!;
    let ret = NET_XMIT_SUCCESS;
    for (const skb of skbs) {
      if (qd.length >= this.tx_queue_len) {
        this.stats.tx_dropped++;
        kfree_skb(skb);
        ret = NET_XMIT_DROP;
        continue;
      }
      qd.push({ skb, offload });
    }
    this.qdisc_run(txq);
    return ret;
  }

  /** __qdisc_run(): hand the driver what it takes, ring once. */
  protected qdisc_run(txq: number): void {
    const qd = this.qdisc[txq]!;
    while (qd.length) {
      const { skb, offload } = qd[0]!;
      if (this.start_xmit(txq, skb, offload, qd.length > 1) === NETDEV_TX_BUSY) {
        this.stats.requeues++;
        this.kick(txq);
        return;
      }
      qd.shift();
      this.stats.tx_packets++;
    }
  }

  /** Ring a doorbell left pending by xmit_more when the batch stopped early. */
  protected kick(_txq: number): void {}

  /** Drop what the qdiscs hold (device going down). */
  protected qdisc_reset(): void {
    for (const qd of this.qdisc) for (const { skb } of qd.splice(0)) kfree_skb(skb);
  }
}

/** The zcnic netdev (drivers/net/ethernet/.../zcnic) as the stack's device. */
export class ZcnicNetDevice extends NetDevice {
  constructor(
    readonly nd: ZcnicNetdev,
    info: DeviceInfo,
    name: string,
    ifindex: number,
    mac: Uint8Array,
    o: { readonly mtu?: number; readonly featureMask?: number } = {},
  ) {
    super(name, ifindex, o.mtu ?? ETH_DATA_LEN, mac, info.txQueues);
    let f = 0;
    if (info.features & FEATURE.TX_SG) f |= NETIF_F_SG;
    if (info.features & FEATURE.TX_CSUM) f |= NETIF_F_IP_CSUM;
    if (info.features & FEATURE.RX_CSUM) f |= NETIF_F_RXCSUM;
    f &= o.featureMask ?? ~0;
    // netdev_fix_features(): "Dropping NETIF_F_SG since no checksum feature."
    if (!(f & NETIF_F_IP_CSUM)) f &= ~NETIF_F_SG;
    this.features = f;
    for (let q = 0; q < nd.txq.length; q++) {
      const t = nd.txq[q]!;
      const prev = t.onWake;
      t.onWake = () => {
        prev?.();
        this.qdisc_run(q);
      };
    }
  }

  protected start_xmit(q: number, skb: SkBuff, offload: XmitOffload, xmit_more: boolean): number {
    return this.nd.start_xmit(q, skb, offload, xmit_more);
  }

  override get if_up(): boolean {
    return this.nd.isUp;
  }

  override get real_num_rx_queues(): number {
    return this.nd.info.rxQueues;
  }

  /** The driver's queues each have their own NAPI instance while the device is up. */
  override queue_napi(rx: boolean, q: number): NapiStruct | null {
    return (rx ? this.nd.rxq[q] : this.nd.txq[q])?.napi ?? null;
  }

  protected override kick(txq: number): void {
    const t = this.nd.txq[txq];
    if (t?.bellPending) t.flushBell(false);
  }

  /** Before ndo_stop: nothing more for the driver. */
  down(): void {
    this.qdisc_reset();
  }

  /** RX queues bound to a memory provider (RX zero copy), by queue. */
  readonly mp_bound = new Map<number, RxBinding>();
  private et: ZcnicEthtool | null = null;

  /** The driver's ethtool ops, one instance: it reads the steering limits once. */
  get ethtool(): ZcnicEthtool {
    return (this.et ??= new ZcnicEthtool(this.nd));
  }

  /**
   * net_mp_open_rxq() and the steering RX zero copy needs: the flow's filter (slot
   * `b.filterLocation`) to queue q, RSS and the default queue away from every bound queue, then
   * the queue restarted on the provider with its RX hook. Refusals as §4.2 gives them: -ERANGE
   * (no such queue), -EINVAL (header split off, or the queue builds writable skbs), -EEXIST
   * (already bound), -EOPNOTSUPP (no queue would be left for the rest of the traffic).
   */
  async mp_open_rxq(q: number, b: RxBinding): Promise<number> {
    const nd = this.nd;
    const r = nd.rxq[q]!;
    const c = this.mp_check_rxq(q);
    if (c) return c;
    this.mp_bound.set(q, b);
    const et = this.ethtool;
    const e = await this.steer_away();
    if (e) {
      this.mp_bound.delete(q);
      return e;
    }
    const f = await et.set_rxnfc_insert({ location: b.filterLocation, ipProto: b.flow.protocol, dstPort: b.flow.dport, ...(b.flow.daddr ? { dstIp: b.flow.daddr } : {}), action: q });
    if (f) {
      this.mp_bound.delete(q);
      await this.steer_away();
      return f;
    }
    r.rxHook = (skb) => b.rx_frame(skb);
    // returns to a starved queue post buffers at once: with none posted, no frame (so no NAPI) comes
    b.kick = () => {
      if (nd.isUp && !r.resetting && r.posted < r.entries / 4) r.napi.schedule();
    };
    await nd.restartRxQueue(q, b);
    return 0;
  }

  /** mp_open_rxq's refusals, before anything is set up; 0 if queue q may be bound. */
  mp_check_rxq(q: number): number {
    const r = this.nd.rxq[q];
    if (!Number.isInteger(q) || q < 0 || !r) return -ERANGE;
    if (!r.cfg.hdrSplit || r.cfg.memModel !== 'readonly') return -EINVAL;
    if (this.mp_bound.has(q)) return -EEXIST;
    if (this.nd.rxq.length - this.mp_bound.size < 2) return -EOPNOTSUPP;
    return 0;
  }

  /** net_mp_close_rxq(): filter off, the queue back on the page allocator, RSS over it again. */
  async mp_close_rxq(q: number): Promise<void> {
    const b = this.mp_bound.get(q);
    if (!b) return;
    const nd = this.nd;
    await this.ethtool.set_rxnfc_delete(b.filterLocation);
    this.mp_bound.delete(q);
    b.kick = null;
    await this.steer_away();
    if (nd.isUp) await nd.restartRxQueue(q, null);
    nd.rxq[q]!.rxHook = null;
  }

  /** RSS indirection and the default queue over the queues no provider holds. */
  private async steer_away(): Promise<number> {
    const et = this.ethtool;
    const free = this.nd.rxq.map((_, i) => i).filter((i) => !this.mp_bound.has(i));
    const n = await et.get_rxfh_indir_size();
    const e = await et.set_rxfh({ indir: Array.from({ length: n }, (_, i) => free[i % free.length]!) });
    return e || et.set_default_queue(free[0]!);
  }
}

/** What a bound RX queue needs of its provider's binding (src/net/core/zcrx.ts). */
export interface RxBinding extends MemoryProviderOps {
  readonly flow: { readonly protocol: number; readonly dport: number; readonly daddr?: number };
  readonly filterLocation: number;
  rx_frame(skb: SkBuff): SkBuff | null;
  /** Set by the device: the binding's returns may feed a starved queue now. */
  kick: (() => void) | null;
}

/**
 * The loopback device (drivers/net/loopback.c): what it is given comes back in as received,
 * after the current call returns (netif_rx's backlog). A zero-copy skb is copied first
 * (skb_orphan_frags_rx, done here rather than at delivery: the outcome, COPIED, is the same).
 */
export class LoopbackDevice extends NetDevice {
  constructor(private readonly rx: NetifRx) {
    super('lo', 1, 65536, new Uint8Array(6), 1);
    this.features = NETIF_F_SG | NETIF_F_IP_CSUM | NETIF_F_RXCSUM | NETIF_F_LOOPBACK;
  }

  protected start_xmit(_q: number, skb: SkBuff): number {
    if (!skb_orphan_frags_rx(skb)) {
      this.stats.tx_dropped++;
      kfree_skb(skb);
      return 0;
    }
    // loopback_xmit's skb_orphan: the sender's buffer space comes back now
    const d = skb.destructor;
    skb.destructor = null;
    d?.(skb);
    queueMicrotask(() => {
      this.stats.rx_packets++;
      this.rx(this, skb, null);
    });
    return 0;
  }
}
