// Network devices as the stack sees them (net/core/dev.c reduced): features, MTU, a MAC
// address, one FIFO qdisc per TX queue (pfifo_fast's single band, tx_queue_len deep) that holds
// what the driver refused with NETDEV_TX_BUSY until the queue wakes, and the loopback device.
// A driver subclasses NetDevice (its net_device_ops), offers ethtool_ops and queue_mgmt_ops,
// and registers it (register_netdev in net.ts); the stack never imports a driver.

import type { Device as DmaDevice } from '../../platform/host.js';
import type { EthtoolOps } from './ethtool.js';
import type { MemoryProviderOps } from './page_pool.js';
import type { NapiStruct } from './napi.js';
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

/** Where the stack takes what a device received: the skb carries what the device knew (hash, checksum verdict, queue, NAPI id). */
export type NetifRx = (dev: NetDevice, skb: SkBuff) => void;

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

  /** The DMA device behind it (dev.dev.parent): socket pools and RX zero-copy areas are mapped for it; null for lo. */
  get dma_dev(): DmaDevice | null {
    return null;
  }

  /** dev->ethtool_ops, or null. */
  get ethtool_ops(): EthtoolOps | null {
    return null;
  }

  /** dev->queue_mgmt_ops (netdev_queue_mgmt_ops): restarting an RX queue on a memory provider, or null. */
  get queue_mgmt_ops(): QueueMgmtOps | null {
    return null;
  }

  /** RX queues bound to a memory provider (rxq->mp_params), by queue. */
  readonly mp_bound = new Map<number, RxBinding>();

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

/** What a bound RX queue needs of its provider's binding (src/net/core/zcrx.ts). */
export interface RxBinding extends MemoryProviderOps {
  readonly flow: { readonly protocol: number; readonly dport: number; readonly daddr?: number };
  readonly filterLocation: number;
  rx_frame(skb: SkBuff): SkBuff | null;
  /** Set by the device: the binding's returns may feed a starved queue now. */
  kick: (() => void) | null;
}

/** netdev_queue_mgmt_ops, as memory providers need them (net_mp_open_rxq, netdev_rx_queue_restart). */
export interface QueueMgmtOps {
  /** Whether RX queue q can take a provider: 0, or -ERANGE (no such queue), -EINVAL (its mode cannot: header split off, writable pages). */
  check(q: number): number;
  /** netdev_rx_queue_restart(): q stops, takes a page_pool from `b` (null: the page allocator again) and starts, handing its frames to `b.rx_frame`. */
  restart(q: number, b: RxBinding | null): Promise<void>;
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
      this.rx(this, skb);
    });
    return 0;
  }
}

export const NETDEV_TX_OK = 0;

export const NETDEV_TX_BUSY = 0x10;

/** What a frame asks of the NIC besides its bytes (the skb's offload requests). */
export interface XmitOffload {
  /** TX_FLAG.CSUM_IP: compute and insert the IPv4 header checksum. */
  readonly csumIp?: boolean;
  /** TX_FLAG.CSUM_UDP: compute and insert the UDP checksum (CHECKSUM_PARTIAL). */
  readonly csumL4?: boolean;
}
