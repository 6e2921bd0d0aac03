// nic_qregs: the per-queue register window (QREGS) shared by the TX and RX engines, with the
// RTL's decode, refusals and reset rules (rtl/nic_qregs.v header, docs/nic-queues.md).

import { AXI_RESP, QUEUE, QREGS, RX_CQE, TX_CQE } from '../abi/regs.js';

export type AxiResp = (typeof AXI_RESP)[keyof typeof AXI_RESP];

export interface QueueState {
  ring_base: number;
  cq_base: number;
  size_log2: number;
  enable: boolean;
  hdr_split: boolean;
  prod: number;
  cons: number;
  cq_prod: number;
  error: boolean;
  err_code: number;
  err_resp: number;
  desc_index: number;
  err_addr: number;
  irq_frames: number;
  irq_cycles: number;
  buf_size: number;
  hdr_size: number;
}

export interface QueueHooks {
  /** CTRL.BUSY: the engine has work in flight for the queue. */
  busy(q: number): boolean;
  /** An accepted PROD write (the doorbell) or RESET. */
  kick(q: number): void;
  arm(q: number): void;
  irqConfig(q: number): void;
}

const R = Object.fromEntries(QREGS.map((r) => [r.name, r.offset])) as { readonly [K in (typeof QREGS)[number]['name']]: number };
const CTRL_ENABLE = 1 << 0;
const CTRL_RESET = 1 << 1;
const CTRL_BUSY = 1 << 2;
const CTRL_HDR_SPLIT = 1 << 3;

export class QueueRegs {
  readonly q: QueueState[];
  private readonly cqAlign: number;

  constructor(
    readonly rx: boolean,
    readonly queues: number,
    readonly maxRingLog2: number,
    private readonly hooks: QueueHooks,
  ) {
    this.cqAlign = (rx ? RX_CQE.BYTES : TX_CQE.BYTES) - 1;
    this.q = Array.from({ length: queues }, () => ({
      ring_base: 0, cq_base: 0, size_log2: QUEUE.MIN_RING_LOG2, enable: false, hdr_split: false, prod: 0, cons: 0, cq_prod: 0,
      error: false, err_code: 0, err_resp: 0, desc_index: 0, err_addr: 0, irq_frames: 0, irq_cycles: 0, buf_size: 2048, hdr_size: 256,
    }));
  }

  private mapped(o: number): boolean {
    if (o === R.BUF_SIZE || o === R.HDR_SIZE) return this.rx;
    return o <= R.IRQ_CYCLES && (o & 3) === 0;
  }

  /** `off` within the engine's 1 KiB window: queue = off[9:6], register = off[5:0]. */
  read(off: number): { readonly data: number; readonly resp: AxiResp } {
    const qi = (off >> 6) & 0xf;
    const o = off & 0x3f;
    const s = this.q[qi];
    if (!s || !this.mapped(o)) return { data: 0, resp: AXI_RESP.DECERR };
    let data = 0;
    switch (o) {
      case R.RING_BASE: data = s.ring_base; break;
      case R.CQ_BASE: data = s.cq_base; break;
      case R.SIZE_LOG2: data = s.size_log2; break;
      case R.CTRL: data = (s.enable ? CTRL_ENABLE : 0) | (this.hooks.busy(qi) ? CTRL_BUSY : 0) | (s.hdr_split ? CTRL_HDR_SPLIT : 0); break;
      case R.PROD: data = s.prod; break;
      case R.CONS: data = s.cons; break;
      case R.CQ_PROD: data = s.cq_prod; break;
      case R.STATUS: data = (s.error ? 1 : 0) | (s.err_code << 4) | (s.err_resp << 8) | (s.desc_index << 16); break;
      case R.ERR_ADDR: data = s.err_addr; break;
      case R.IRQ_FRAMES: data = s.irq_frames; break;
      case R.IRQ_CYCLES: data = s.irq_cycles; break;
      case R.BUF_SIZE: data = s.buf_size; break;
      case R.HDR_SIZE: data = s.hdr_size; break;
      default: data = 0; // IRQ_ARM is write-only
    }
    return { data: data >>> 0, resp: AXI_RESP.OKAY };
  }

  write(off: number, value: number): AxiResp {
    const qi = (off >> 6) & 0xf;
    const o = off & 0x3f;
    const s = this.q[qi];
    if (!s || !this.mapped(o)) return AXI_RESP.DECERR;
    const v = value >>> 0;
    const en = s.enable;
    const refuse = ((): boolean => {
      switch (o) {
        case R.RING_BASE: return en || (v & 0xf) !== 0;
        case R.CQ_BASE: return en || (v & this.cqAlign) !== 0;
        case R.SIZE_LOG2: return en || v < QUEUE.MIN_RING_LOG2 || v > this.maxRingLog2;
        case R.CTRL: return (v & CTRL_RESET) !== 0 && (en || this.hooks.busy(qi) || (v & CTRL_ENABLE) !== 0);
        case R.PROD: return ((v - s.cons) & 0xffff) > 1 << s.size_log2;
        case R.BUF_SIZE: return en || (v & 63) !== 0 || v < 256 || v > 4096;
        case R.HDR_SIZE: return en || (v & 15) !== 0 || v < 64 || v > 256;
        default: return false;
      }
    })();
    if (refuse) return AXI_RESP.SLVERR;
    switch (o) {
      case R.RING_BASE: s.ring_base = v; break;
      case R.CQ_BASE: s.cq_base = v; break;
      case R.SIZE_LOG2: s.size_log2 = v & 0xf; break;
      case R.CTRL:
        s.enable = (v & CTRL_ENABLE) !== 0;
        s.hdr_split = this.rx && (v & CTRL_HDR_SPLIT) !== 0;
        if (v & CTRL_RESET) {
          Object.assign(s, { prod: 0, cons: 0, cq_prod: 0, error: false, err_code: 0, err_resp: 0, desc_index: 0, err_addr: 0 });
          this.hooks.kick(qi);
        }
        break;
      case R.PROD:
        s.prod = v & 0xffff;
        this.hooks.kick(qi);
        break;
      case R.IRQ_ARM: this.hooks.arm(qi); break;
      case R.IRQ_FRAMES: s.irq_frames = v & 0xffff; this.hooks.irqConfig(qi); break;
      case R.IRQ_CYCLES: s.irq_cycles = v & 0xffff; this.hooks.irqConfig(qi); break;
      case R.BUF_SIZE: s.buf_size = v & 0x1fff; break;
      case R.HDR_SIZE: s.hdr_size = v & 0x1ff; break;
      default: break; // read-only registers: accepted and ignored
    }
    return AXI_RESP.OKAY;
  }

  /** The engine stops queue `qi` on an error (latched until RESET). */
  raise(qi: number, code: number, resp: number, index: number, addr: number): void {
    const s = this.q[qi]!;
    Object.assign(s, { error: true, err_code: code, err_resp: resp, desc_index: index & 0xffff, err_addr: addr >>> 0 });
  }

  /** Bit q set for each queue in its error state. */
  get errorBits(): number {
    return this.q.reduce((a, s, i) => a | (s.error ? 1 << i : 0), 0);
  }
}
