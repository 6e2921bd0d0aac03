// Conservative time synchronization, host side (docs/bridge-protocol.md, "Time").
// Pure rules, no I/O, so every rule has a unit test.

import { BridgeError } from './errors.js';
import { ERR } from '../abi/link.js';

export interface SyncParams {
  /** Sync window W in cycles. */
  readonly window: number;
  /** Link latency L in cycles (the lookahead); a positive multiple of W. */
  readonly latency: number;
}

export function checkSyncParams(p: SyncParams): void {
  if (!Number.isInteger(p.window) || p.window <= 0) {
    throw new BridgeError(ERR.PARAM_MISMATCH, `sync window must be a positive integer, got ${p.window}`);
  }
  if (!Number.isInteger(p.latency) || p.latency < p.window || p.latency % p.window !== 0) {
    throw new BridgeError(ERR.PARAM_MISMATCH, `link latency ${p.latency} must be a positive multiple of the sync window ${p.window}`);
  }
}

/** Tracks what the host has been told and checks each incoming batch against it. */
export class HostSync {
  private nextSeq = 0;
  /** The latest sync time received: the host's knowledge of simulated time. */
  told = 0;

  constructor(readonly p: SyncParams) {
    checkSyncParams(p);
  }

  /** Batches the simulator may run ahead of the replies it has read. */
  get inFlight(): number {
    return this.p.latency / this.p.window - 1;
  }

  /** Validate batch `seq` (sync and message cycles) and advance the host's time. */
  acceptBatch(seq: number, sync: number, cycles: readonly number[]): void {
    if (seq !== this.nextSeq) {
      throw new BridgeError(ERR.SEQUENCE, `expected batch ${this.nextSeq}, got batch ${seq}`, { seq });
    }
    const expected = seq * this.p.window;
    if (sync !== expected) {
      throw new BridgeError(ERR.TIME_BACKWARDS, `batch ${seq} must carry sync ${expected} (W=${this.p.window}), got ${sync}`, { seq, cycle: sync });
    }
    const lo = sync - this.p.window;
    let prev = lo;
    cycles.forEach((c, i) => {
      if (c < prev) {
        throw new BridgeError(ERR.TIME_BACKWARDS, `message cycle ${c} is before the previous cycle ${prev}`, { seq, msgIndex: i, cycle: c });
      }
      if (c >= sync) {
        throw new BridgeError(ERR.TIME_BACKWARDS, `message cycle ${c} is outside its window [${lo}, ${sync})`, { seq, msgIndex: i, cycle: c });
      }
      prev = c;
    });
    this.nextSeq = seq + 1;
    this.told = sync;
  }

  /** Earliest cycle at which an effect caused at host time `now` may take effect. */
  earliest(now: number): number {
    return now + this.p.latency;
  }

  /** Lower bound on every stamp in the reply to the batch with sync `sync` (what the sim checks). */
  replyFloor(sync: number): number {
    return sync - this.p.window + this.p.latency;
  }
}
