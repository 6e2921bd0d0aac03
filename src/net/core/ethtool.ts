// struct ethtool_ops as the stack uses it (include/linux/ethtool.h reduced): the flow filters and RSS
// that RX zero copy steers with, and the limits a device reports. A driver offers its own
// (src/drivers/zcnic/ethtool.ts) through NetDevice.ethtool_ops.

/** An exact-match filter (struct ethtool_rx_flow_spec, reduced to what the NIC matches). */
export interface RxFlowSpec {
  /** fs->location: the filter slot; lower wins. */
  readonly location: number;
  readonly dstMac?: Uint8Array;
  readonly etherType?: number;
  readonly ipProto?: number;
  /** IPv4 destination, as a 32-bit number (10.0.0.1 = 0x0a000001). */
  readonly dstIp?: number;
  readonly dstPort?: number;
  /** fs->ring_cookie: an RX queue, or 'drop' (RX_CLS_FLOW_DISC). */
  readonly action: number | 'drop';
}

export interface SteeringLimits {
  readonly filters: number;
  readonly rssEntries: number;
  readonly queues: number;
}

/** The ops the stack calls: each returns 0 or a negative errno and changes nothing when it refuses. */
export interface EthtoolOps {
  /** The table sizes the device reports. */
  steeringLimits(): Promise<SteeringLimits>;
  /** ETHTOOL_SRXCLSRLINS */
  set_rxnfc_insert(fs: RxFlowSpec): Promise<number>;
  /** ETHTOOL_SRXCLSRLDEL */
  set_rxnfc_delete(location: number): Promise<number>;
  get_rxfh_indir_size(): Promise<number>;
  set_rxfh(opts: { readonly indir?: readonly number[]; readonly key?: Uint8Array; readonly hashPorts?: { tcp: boolean; udp: boolean } }): Promise<number>;
  /** Where frames no filter and no RSS bucket takes go. */
  set_default_queue(q: number): Promise<number>;
}
