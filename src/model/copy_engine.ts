// copy_engine (rtl/copy_engine.v header): on a doorbell, fetch the 16-byte descriptor, check
// LEN, copy, write the status word back to desc+12, publish COPY_STATUS, raise an event. A soft
// reset clears the published status and aborts a descriptor in flight: what is on the bus
// completes, then the engine goes idle without a write-back, status or event.

import { COPY_DESC, COPY_ERR } from '../abi/regs.js';
import { layoutGet } from '../abi/layout.js';
import { DmaMaster, type DmaContext, type DmaFail } from './dma.js';

const DESC = { BYTES: 16, fields: { SRC: [0, 4], DST: [4, 4], LEN: [8, 4], STATUS: [12, 4] } } as const;
const ADDR_SPACE_END = 2 ** 32;

export interface CopyStatus {
  busy: boolean;
  done: boolean;
  error: boolean;
  errCode: number;
  errResp: number;
  errAddr: number;
  completed: number;
  bytes: number;
}

export class CopyEngine {
  readonly st: CopyStatus = { busy: false, done: false, error: false, errCode: 0, errResp: 0, errAddr: 0, completed: 0, bytes: 0 };
  private readonly dma: DmaMaster;
  /** Bumped by a soft reset: callbacks of an aborted descriptor see a stale generation. */
  private gen = 0;

  constructor(
    ctx: DmaContext,
    private readonly event: (error: boolean) => void,
  ) {
    this.dma = new DmaMaster(ctx);
  }

  softReset(): void {
    Object.assign(this.st, { done: false, error: false, errCode: 0, errResp: 0, errAddr: 0, completed: 0, bytes: 0 });
    if (this.st.busy) this.gen++;
  }

  /** COPY_DOORBELL with the engine idle (nic_regs refuses it while busy). */
  start(desc: number): void {
    const gen = this.gen;
    this.st.busy = true;
    let code: number = COPY_ERR.NONE;
    let fail: DmaFail | null = null;
    let errAddr = 0;
    const aborted = (): boolean => {
      if (gen === this.gen) return false;
      this.st.busy = false;
      return true;
    };
    const finish = (len: number): void => {
      Object.assign(this.st, {
        busy: false, done: true, error: code !== COPY_ERR.NONE, errCode: code, errResp: fail?.resp ?? 0, errAddr,
        completed: (this.st.completed + 1) >>> 0, bytes: code === COPY_ERR.NONE ? (this.st.bytes + len) >>> 0 : this.st.bytes,
      });
      this.event(code !== COPY_ERR.NONE);
    };
    this.dma.read(desc, DESC.BYTES, (d, f) => {
      if (aborted()) return;
      if (f) {
        // no cookie to return: no write-back
        code = COPY_ERR.DESC_READ;
        fail = f;
        errAddr = desc;
        return finish(0);
      }
      const src = layoutGet(DESC, d, 'SRC');
      const dst = layoutGet(DESC, d, 'DST');
      const len = layoutGet(DESC, d, 'LEN');
      const cookie = layoutGet(DESC, d, 'STATUS') & COPY_DESC.STATUS_COOKIE_MASK;
      const writeBack = (): void => {
        const status = (COPY_DESC.STATUS_DONE | (code << COPY_DESC.STATUS_ERR_SHIFT) | cookie) >>> 0;
        const w = new Uint8Array(4);
        new DataView(w.buffer).setUint32(0, status, true);
        this.dma.write(desc + COPY_DESC.STATUS, w, (wf) => {
          if (aborted()) return;
          if (wf && code === COPY_ERR.NONE) {
            code = COPY_ERR.WRITEBACK;
            fail = wf;
            errAddr = desc + COPY_DESC.STATUS;
          }
          finish(len);
        });
      };
      if (len === 0 || len > COPY_DESC.MAX_LEN || src + len > ADDR_SPACE_END || dst + len > ADDR_SPACE_END) {
        code = COPY_ERR.BAD_LEN;
        errAddr = desc;
        return writeBack();
      }
      // the RTL streams the copy chunk by chunk; whole-buffer here (differs only for overlapping src/dst)
      this.dma.read(src, len, (data, rf) => {
        if (aborted()) return;
        if (rf) {
          code = COPY_ERR.SRC_READ;
          fail = rf;
          errAddr = rf.addr;
          return writeBack();
        }
        this.dma.write(dst, data, (wf) => {
          if (aborted()) return;
          if (wf) {
            code = COPY_ERR.DST_WRITE;
            fail = wf;
            errAddr = wf.addr;
          }
          writeBack();
        });
      });
    });
  }
}
