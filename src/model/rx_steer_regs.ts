// rx_steer_regs: the steering tables behind STEER.BASE (docs/rtl-rx-steer.md "Local register
// map"), with the RTL's refusals, and the SteerTables view that steerDecide works on.

import { STEER } from '../abi/regs.js';
import { MS_RSS_KEY, RSS_KEY_BYTES } from './toeplitz.js';
import { NO_FILTER, type SteerFilter, type SteerTables } from './steer.js';

const KEY_BASE = 0x10; // word addresses
const RETA_BASE = 0x100;
const FILT_BASE = 0x200;
const KEY_WORDS = RSS_KEY_BYTES / 4;

type Region = 'none' | 'global' | 'key' | 'reta' | 'filt';

/** Bits a filter word keeps (filt_bits); CTRL keeps the queue field's QW bits. */
function filtBits(w: number, qmask: number): number {
  switch (w) {
    case 0: return (0xc01f0000 | qmask) >>> 0;
    case 2: return 0xffff;
    case 3: return 0xffffff;
    case 5: return 0xffff;
    default: return 0xffffffff;
  }
}

export class SteerRegs {
  private readonly key = new Uint32Array(KEY_WORDS);
  private readonly reta: Uint32Array;
  private readonly filt: Uint32Array;
  private defaultQueue = 0;
  private rssCtrl = 0x3;
  private readonly qmask: number;
  private cached: SteerTables | undefined;

  constructor(
    readonly queues: number,
    readonly filters: number,
    readonly rssEntries: number,
  ) {
    this.qmask = (1 << Math.max(1, Math.ceil(Math.log2(queues)))) - 1;
    this.reta = new Uint32Array(rssEntries / 4);
    this.filt = new Uint32Array(filters * 8);
    const kv = new DataView(MS_RSS_KEY.buffer, MS_RSS_KEY.byteOffset, RSS_KEY_BYTES);
    for (let k = 0; k < KEY_WORDS; k++) this.key[k] = kv.getUint32(4 * k);
    for (let i = 0; i < rssEntries; i++) this.reta[i >> 2] = (this.reta[i >> 2]! | ((i % queues) << (8 * (i & 3)))) >>> 0;
  }

  private region(a: number): Region {
    if (a < KEY_BASE) return a <= 4 ? 'global' : 'none';
    if (a < KEY_BASE + KEY_WORDS) return 'key';
    if (a >= RETA_BASE && a < RETA_BASE + this.reta.length) return 'reta';
    if (a >= FILT_BASE && a < FILT_BASE + this.filt.length && (a & 7) <= 5) return 'filt';
    return 'none';
  }

  /** `off`: the byte address within the 4 KiB steering window. `err`: reg_rd_err (DECERR at nic_top). */
  read(off: number): { readonly data: number; readonly err: boolean } {
    const a = (off >> 2) & 0x3ff;
    switch (this.region(a)) {
      case 'global':
        return { data: [this.queues, this.filters, this.rssEntries, this.defaultQueue, this.rssCtrl][a]!, err: false };
      case 'key': return { data: this.key[a - KEY_BASE]!, err: false };
      case 'reta': return { data: this.reta[a - RETA_BASE]!, err: false };
      case 'filt': return { data: this.filt[a - FILT_BASE]!, err: false };
      default: return { data: 0, err: true };
    }
  }

  /** A whole-word write; false = refused (reg_wr_err, SLVERR at nic_top), nothing changes. */
  write(off: number, value: number): boolean {
    const a = (off >> 2) & 0x3ff;
    const v = value >>> 0;
    const r = this.region(a);
    if (r === 'none') return false;
    if ((r === 'global' && a === 3) || (r === 'filt' && (a & 7) === 0)) {
      if ((v & 0xffff) >= this.queues) return false;
    } else if (r === 'reta') {
      for (let b = 0; b < 4; b++) if (((v >>> (8 * b)) & 0xff) >= this.queues) return false;
    }
    this.cached = undefined;
    switch (r) {
      case 'global':
        if (a === 3) this.defaultQueue = v & this.qmask;
        else if (a === 4) this.rssCtrl = v & 3;
        break;
      case 'key': this.key[a - KEY_BASE] = v; break;
      case 'reta': this.reta[a - RETA_BASE] = v; break;
      default: this.filt[a - FILT_BASE] = (v & filtBits(a & 7, this.qmask)) >>> 0;
    }
    return true;
  }

  /** The tables as flow_steer sees them now. */
  tables(): SteerTables {
    if (this.cached) return this.cached;
    const key = new Uint8Array(RSS_KEY_BYTES);
    const kv = new DataView(key.buffer);
    this.key.forEach((w, k) => kv.setUint32(4 * k, w));
    const indir = Array.from({ length: this.rssEntries }, (_, i) => ((this.reta[i >> 2]! >>> (8 * (i & 3))) & 0xff) & this.qmask);
    const filters: SteerFilter[] = Array.from({ length: this.filters }, (_, f) => {
      const w = (k: number): number => this.filt[f * 8 + k]!;
      const ctrl = w(0);
      if (!(ctrl & STEER.F_ENABLE)) return NO_FILTER;
      return {
        enable: true, drop: (ctrl & STEER.F_DROP) !== 0, mask: (ctrl >>> STEER.F_MASK_SHIFT) & 0x1f, queue: ctrl & this.qmask,
        dst_mac: (w(2) & 0xffff) * 2 ** 32 + w(1), ethertype: w(3) & 0xffff, ip_proto: (w(3) >>> 16) & 0xff,
        dst_ip: w(4), dst_port: w(5) & 0xffff,
      };
    });
    this.cached = { key, indir, filters, default_queue: this.defaultQueue, rss_ctrl: this.rssCtrl };
    return this.cached;
  }
}
