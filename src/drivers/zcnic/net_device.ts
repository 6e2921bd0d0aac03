// The zcnic netdev as the stack's net_device (drivers/net/ethernet/.../zcnic's register_netdev
// side): its ndo_start_xmit, its ethtool_ops and queue_mgmt_ops, its DMA device, and the bring-up
// that registers it with a host's stack. Features come from the NIC's FEATURES register through
// probe, with an ethtool -K style mask a test can apply, and netdev_fix_features' rule: no
// checksum offload, no scatter-gather.

import { FEATURE } from '../../abi/regs.js';
import type { Device } from '../../device/device.js';
import type { Device as DmaDevice } from '../../platform/host.js';
import { ETH_DATA_LEN, NETIF_F_IP_CSUM, NETIF_F_RXCSUM, NETIF_F_SG, NetDevice, type QueueMgmtOps, type XmitOffload } from '../../net/core/dev.js';
import type { EthtoolOps } from '../../net/core/ethtool.js';
import type { NapiStruct } from '../../net/core/napi.js';
import type { Net } from '../../net/core/net.js';
import { kfree_skb, type SkBuff } from '../../net/core/skbuff.js';
import { EINVAL, ERANGE } from '../../net/socket/uapi.js';
import { ZcnicEthtool } from './ethtool.js';
import { ZcnicNetdev, type NetdevConfig } from './netdev.js';
import type { DeviceInfo } from './zcnic.js';

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

  private et: ZcnicEthtool | null = null;

  /** The driver's ethtool ops, one instance: it reads the steering limits once. */
  get ethtool(): ZcnicEthtool {
    return (this.et ??= new ZcnicEthtool(this.nd));
  }

  override get ethtool_ops(): EthtoolOps {
    return this.ethtool;
  }

  override get dma_dev(): DmaDevice {
    return this.nd.pdev;
  }

  /**
   * netdev_queue_mgmt_ops: a queue takes a provider only with header split on and read-only
   * packet pages (the stack never writes into what the provider maps); restarting on one hooks
   * the queue's frames to the binding and lets its returns feed a starved queue at once.
   */
  override get queue_mgmt_ops(): QueueMgmtOps {
    const nd = this.nd;
    return {
      check: (q) => {
        const r = nd.rxq[q];
        if (!Number.isInteger(q) || q < 0 || !r) return -ERANGE;
        return !r.cfg.hdrSplit || r.cfg.memModel !== 'readonly' ? -EINVAL : 0;
      },
      restart: async (q, b) => {
        const r = nd.rxq[q]!;
        if (!b) {
          if (nd.isUp) await nd.restartRxQueue(q, null);
          r.rxHook = null;
          return;
        }
        r.rxHook = (skb) => b.rx_frame(skb);
        // with no buffer posted no frame (so no NAPI) comes: a return schedules the poll itself
        b.kick = () => {
          if (nd.isUp && !r.resetting && r.posted < r.entries / 4) r.napi.schedule();
        };
        await nd.restartRxQueue(q, b);
      },
    };
  }
}

/** Bring up the zcnic netdev of a host as `name` with an address and register it: probe done, rings up. */
export async function zcnic_netdev_up(net: Net, o: {
  readonly dev: Device; readonly pdev: DmaDevice; readonly info: DeviceInfo; readonly config: NetdevConfig;
  readonly name?: string; readonly mac: Uint8Array; readonly addr: number; readonly prefixlen: number;
  readonly mtu?: number; readonly featureMask?: number;
}): Promise<ZcnicNetDevice> {
  let nd: ZcnicNetDevice | undefined;
  const netdev = new ZcnicNetdev(o.dev, net.host, o.pdev, o.info, o.config, (skb) => {
    if (nd) net.netif_receive_skb(nd, skb);
    else kfree_skb(skb);
  });
  await netdev.open();
  nd = new ZcnicNetDevice(netdev, o.info, o.name ?? 'eth0', net.devs.length + 1, o.mac, {
    ...(o.mtu ? { mtu: o.mtu } : {}), ...(o.featureMask !== undefined ? { featureMask: o.featureMask } : {}),
  });
  net.register_netdev(nd, o.addr, o.prefixlen);
  return nd;
}
