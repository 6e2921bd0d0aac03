// The ethtool-like API of the zcnic driver (struct ethtool_ops): filters (`ethtool -N`), RSS key
// and indirection table (`-X`), ring sizes and header split (`-G`), interrupt moderation (`-C`)
// and statistics (`-S`). Each setter validates first and returns 0 or a negative errno, as the
// kernel's ops do, and changes nothing when it refuses.

import { REG, REGS, STEER, QUEUE } from '../../abi/regs.js';
import { page_pool_ethtool_stats, page_pool_get_stats } from '../../net/core/page_pool.js';
import { EBUSY, EINVAL } from './errors.js';
import type { ZcnicNetdev } from './netdev.js';
import type { Moderation } from './ring.js';
import type { EthtoolOps, RxFlowSpec, SteeringLimits } from '../../net/core/ethtool.js';

/** Clock cycles per microsecond at the link's 4 ns period (ethtool -C counts microseconds). */
export const CYCLES_PER_USEC = 250;

export interface Coalesce {
  readonly rx_usecs: number;
  readonly rx_max_coalesced_frames: number;
  readonly tx_usecs: number;
  readonly tx_max_coalesced_frames: number;
}

const MODERATION_MAX = 0xffff;
/** The RSS key the hardware keeps (RSS_KEY words). */
export const RSS_KEY_BYTES = 40;

export class ZcnicEthtool implements EthtoolOps {
  private limits: SteeringLimits | undefined;

  constructor(private readonly nd: ZcnicNetdev) {}

  private steer(off: number): number {
    return STEER.BASE + off;
  }

  /** The table sizes the device reports (read once; slow path). */
  async steeringLimits(): Promise<SteeringLimits> {
    this.limits ??= {
      queues: await this.nd.io.read(this.steer(STEER.QUEUES)),
      filters: await this.nd.io.read(this.steer(STEER.FILTERS)),
      rssEntries: await this.nd.io.read(this.steer(STEER.RSS_ENTRIES)),
    };
    return this.limits;
  }

  /** ETHTOOL_SRXCLSRLINS */
  async set_rxnfc_insert(fs: RxFlowSpec): Promise<number> {
    const lim = await this.steeringLimits();
    if (!Number.isInteger(fs.location) || fs.location < 0 || fs.location >= lim.filters) return -EINVAL;
    if (fs.action !== 'drop' && (!Number.isInteger(fs.action) || fs.action < 0 || fs.action >= this.nd.info.rxQueues)) return -EINVAL;
    if (fs.dstMac && fs.dstMac.length !== 6) return -EINVAL;
    if (fs.etherType !== undefined && !(fs.etherType >= 0 && fs.etherType <= 0xffff)) return -EINVAL;
    if (fs.ipProto !== undefined && !(fs.ipProto >= 0 && fs.ipProto <= 0xff)) return -EINVAL;
    if (fs.dstPort !== undefined && !(fs.dstPort >= 0 && fs.dstPort <= 0xffff)) return -EINVAL;
    if (fs.dstIp !== undefined && !(fs.dstIp >= 0 && fs.dstIp <= 0xffffffff)) return -EINVAL;
    const base = this.steer(STEER.FILTER + fs.location * STEER.FILTER_STRIDE);
    const mask = (fs.dstMac ? STEER.M_DST_MAC : 0) | (fs.etherType !== undefined ? STEER.M_ETHERTYPE : 0) |
      (fs.ipProto !== undefined ? STEER.M_IP_PROTO : 0) | (fs.dstIp !== undefined ? STEER.M_DST_IP : 0) |
      (fs.dstPort !== undefined ? STEER.M_DST_PORT : 0);
    const m = fs.dstMac ?? new Uint8Array(6);
    // a live filter is disabled first, then written, then enabled (rtl-rx-steer.md)
    await this.nd.io.write(base + STEER.F_CTRL, 0);
    await this.nd.io.write(base + STEER.F_MAC_LO, ((m[2]! << 24) | (m[3]! << 16) | (m[4]! << 8) | m[5]!) >>> 0);
    await this.nd.io.write(base + STEER.F_MAC_HI, (m[0]! << 8) | m[1]!);
    await this.nd.io.write(base + STEER.F_TYPE, ((fs.ipProto ?? 0) << 16) | (fs.etherType ?? 0));
    await this.nd.io.write(base + STEER.F_DST_IP, fs.dstIp ?? 0);
    await this.nd.io.write(base + STEER.F_DST_PORT, fs.dstPort ?? 0);
    const ctrl = STEER.F_ENABLE | (fs.action === 'drop' ? STEER.F_DROP : fs.action) | (mask << STEER.F_MASK_SHIFT);
    await this.nd.io.write(base + STEER.F_CTRL, ctrl >>> 0);
    return 0;
  }

  /** ETHTOOL_SRXCLSRLDEL */
  async set_rxnfc_delete(location: number): Promise<number> {
    const lim = await this.steeringLimits();
    if (!Number.isInteger(location) || location < 0 || location >= lim.filters) return -EINVAL;
    await this.nd.io.write(this.steer(STEER.FILTER + location * STEER.FILTER_STRIDE + STEER.F_CTRL), 0);
    return 0;
  }

  /** get_rxfh_indir_size */
  async get_rxfh_indir_size(): Promise<number> {
    return (await this.steeringLimits()).rssEntries;
  }

  /** set_rxfh: a 40-byte key and/or an indirection table of exactly RSS_ENTRIES queues. */
  async set_rxfh(opts: { readonly indir?: readonly number[]; readonly key?: Uint8Array; readonly hashPorts?: { tcp: boolean; udp: boolean } }): Promise<number> {
    const lim = await this.steeringLimits();
    if (opts.key && opts.key.length !== RSS_KEY_BYTES) return -EINVAL;
    if (opts.indir) {
      if (opts.indir.length !== lim.rssEntries) return -EINVAL;
      if (opts.indir.some((q) => !Number.isInteger(q) || q < 0 || q >= this.nd.info.rxQueues)) return -EINVAL;
    }
    if (opts.key) {
      for (let k = 0; k < RSS_KEY_BYTES / 4; k++) {
        const b = opts.key.subarray(4 * k, 4 * k + 4);
        await this.nd.io.write(this.steer(STEER.RSS_KEY + 4 * k), ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0);
      }
    }
    if (opts.indir) {
      for (let w = 0; w < lim.rssEntries / 4; w++) {
        const e = opts.indir.slice(4 * w, 4 * w + 4);
        await this.nd.io.write(this.steer(STEER.RETA + 4 * w), (e[0]! | (e[1]! << 8) | (e[2]! << 16) | (e[3]! << 24)) >>> 0);
      }
    }
    if (opts.hashPorts) {
      await this.nd.io.write(this.steer(STEER.RSS_CTRL), (opts.hashPorts.tcp ? 1 : 0) | (opts.hashPorts.udp ? 2 : 0));
    }
    return 0;
  }

  /** The queue for frames that no filter takes and that are not IPv4. */
  async set_default_queue(q: number): Promise<number> {
    if (!Number.isInteger(q) || q < 0 || q >= this.nd.info.rxQueues) return -EINVAL;
    await this.nd.io.write(this.steer(STEER.DEFAULT_QUEUE), q);
    return 0;
  }

  /**
   * set_ringparam (`ethtool -G rx N tx N rx-buf-len B tcp-data-split on|off`): validated against
   * the device's limits; takes effect at the next open (the kernel's drivers restart the device).
   */
  check_ringparam(p: { readonly rx_pending?: number; readonly tx_pending?: number; readonly rx_buf_len?: number; readonly tcp_data_split?: boolean }): number {
    const max = this.nd.info.maxRingEntries;
    const min = 1 << QUEUE.MIN_RING_LOG2;
    for (const n of [p.rx_pending, p.tx_pending]) {
      if (n === undefined) continue;
      if (!Number.isInteger(n) || n < min || n > max || (n & (n - 1)) !== 0) return -EINVAL;
    }
    if (p.rx_buf_len !== undefined && (p.rx_buf_len % 64 !== 0 || p.rx_buf_len < 256 || p.rx_buf_len > 4096)) return -EINVAL;
    if (this.nd.isUp) return -EBUSY;
    return 0;
  }

  /** set_coalesce (`ethtool -C`); microseconds become IRQ_CYCLES at 250 cycles per microsecond. */
  async set_coalesce(c: Coalesce): Promise<number> {
    const rx: Moderation = { frames: c.rx_max_coalesced_frames, cycles: c.rx_usecs * CYCLES_PER_USEC };
    const tx: Moderation = { frames: c.tx_max_coalesced_frames, cycles: c.tx_usecs * CYCLES_PER_USEC };
    for (const m of [rx, tx]) {
      if (!Number.isInteger(m.frames) || !Number.isInteger(m.cycles) || m.frames < 0 || m.cycles < 0 || m.frames > MODERATION_MAX || m.cycles > MODERATION_MAX) return -EINVAL;
    }
    for (const t of this.nd.txq) await t.setModeration(tx);
    for (const r of this.nd.rxq) await r.setModeration(rx);
    return 0;
  }

  /** get_ethtool_stats (`ethtool -S`): per queue, page_pool, and the device's STAT_* registers. */
  async get_ethtool_stats(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const t of this.nd.txq) {
      for (const [k, v] of Object.entries(t.stats)) out[`tx_queue_${t.q}_${k}`] = v;
      out[`tx_queue_${t.q}_errors`] = t.errors;
      out[`tx_queue_${t.q}_restarts`] = t.restarts;
    }
    for (const r of this.nd.rxq) {
      for (const [k, v] of Object.entries(r.stats)) out[`rx_queue_${r.q}_${k}`] = v;
      out[`rx_queue_${r.q}_errors`] = r.errors;
      out[`rx_queue_${r.q}_restarts`] = r.restarts;
      for (const [k, v] of Object.entries(page_pool_ethtool_stats(page_pool_get_stats(r.pool)))) out[`rx_queue_${r.q}_${k}`] = v;
    }
    for (const reg of REGS) {
      if (!reg.name.startsWith('STAT_')) continue;
      out[reg.name.slice(5).toLowerCase()] = await this.nd.io.read(REG[reg.name]);
    }
    return out;
  }
}
