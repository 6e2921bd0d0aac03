// A wire between two NICs' MAC ports, on the host side: a frame that leaves one end at cycle t
// enters the other at t + latency. Seeded faults, all off by default, act per frame: drop,
// corrupt (one byte flipped; the receiving MAC's FCS check then marks the frame bad on its RX
// stream, as a real MAC does, so the NIC drops and counts it), duplicate (a second copy one
// frame time later) and reorder (held back so that later frames overtake it). Every frame the
// wire delivers is captured to pcap at its arrival cycle, in time order.

import { Rng } from '../lib/rng.js';
import type { PcapWriter } from './pcap.js';

export interface WireFaults {
  /** Probabilities per frame, 0..1. */
  readonly drop?: number;
  readonly corrupt?: number;
  readonly duplicate?: number;
  readonly reorder?: number;
}

export interface WireOptions {
  readonly latency: number;
  readonly seed: number;
  readonly faults?: WireFaults;
  readonly pcap?: PcapWriter;
  /** Cycles a reordered frame is held back beyond the latency (default 4096). */
  readonly reorderDelay?: number;
}

/** One NIC's MAC port as the wire sees it. */
export interface WireEnd {
  readonly name: string;
  /** Register the handler for frames leaving this end's MAC (called at their last beat's cycle). */
  onFrame(h: (frame: Uint8Array, cycle: number) => void): void;
  /** Put a frame on this end's MAC RX at `cycle` (not before the current one); `bad` = FCS error. */
  deliverAt(frame: Uint8Array, bad: boolean, cycle: number): void;
}

export interface WireDirStats {
  /** Frames that left the sending MAC. */
  sent: number;
  /** Frames the wire put on the receiving MAC (duplicates included, corrupted included). */
  delivered: number;
  dropped: number;
  corrupted: number;
  duplicated: number;
  reordered: number;
}

const newStats = (): WireDirStats => ({ sent: 0, delivered: 0, dropped: 0, corrupted: 0, duplicated: 0, reordered: 0 });

export const WIRE_FAULT_NAMES = ['drop', 'corrupt', 'duplicate', 'reorder'] as const;

/** Which frames, by sequence of sending per direction, the wire did something to (for a scoreboard). */
export interface WireEvent {
  readonly dir: 'a->b' | 'b->a';
  readonly cycle: number;
  readonly fault: (typeof WIRE_FAULT_NAMES)[number];
  readonly frame: Uint8Array;
}

export class Wire {
  readonly stats: { readonly 'a->b': WireDirStats; readonly 'b->a': WireDirStats } = { 'a->b': newStats(), 'b->a': newStats() };
  readonly events: WireEvent[] = [];
  /** One stream per direction: the two ends may be simulated in any interleaving. */
  private readonly rng: { readonly 'a->b': Rng; readonly 'b->a': Rng };
  /** Per direction, the latest cycle a frame entered the wire: nothing earlier can come any more. */
  private readonly last = { 'a->b': 0, 'b->a': 0 };
  /** Captures not yet written: arrival cycle order is only final once time has passed it. */
  private captures: { cycle: number; dir: number; n: number; frame: Uint8Array }[] = [];
  /** The earliest cycle among the captures not yet written (a flush before it has nothing to do). */
  private earliest = Number.POSITIVE_INFINITY;

  private readonly ends: { a?: WireEnd; b?: WireEnd } = {};

  /** A wire with both ends now, or with `attach` later (each NIC as it comes up). */
  constructor(a: WireEnd | null, b: WireEnd | null, private readonly o: WireOptions) {
    if (!Number.isInteger(o.latency) || o.latency < 1) throw new RangeError(`wire latency must be a whole number of cycles >= 1, got ${o.latency}`);
    for (const k of WIRE_FAULT_NAMES) {
      const p = o.faults?.[k] ?? 0;
      if (!(p >= 0 && p <= 1)) throw new RangeError(`wire fault ${k}: a probability in 0..1, got ${p}`);
    }
    this.rng = { 'a->b': new Rng(BigInt(o.seed) ^ 0x77697265n), 'b->a': new Rng(BigInt(o.seed) ^ 0x7769726500n) };
    if (a) this.attach('a', a);
    if (b) this.attach('b', b);
  }

  attach(side: 'a' | 'b', end: WireEnd): void {
    if (this.ends[side]) throw new Error(`wire end ${side} is attached already (${this.ends[side]!.name})`);
    this.ends[side] = end;
    const dir = side === 'a' ? 'a->b' : 'b->a';
    end.onFrame((f, t) => {
      const to = this.ends[side === 'a' ? 'b' : 'a'];
      if (!to) throw new Error(`${end.name} sent a frame at cycle ${t} before the other end of the wire was attached`);
      this.carry(dir, to, f, t);
    });
  }

  private chance(dir: 'a->b' | 'b->a', k: (typeof WIRE_FAULT_NAMES)[number]): boolean {
    const p = this.o.faults?.[k] ?? 0;
    // no draw at all when a fault is off: a fault-free run does not depend on the wire's stream
    return p > 0 && this.rng[dir].int(0, 999_999) < p * 1_000_000;
  }

  private carry(dir: 'a->b' | 'b->a', to: WireEnd, frame: Uint8Array, t: number): void {
    const s = this.stats[dir];
    s.sent++;
    // nothing sent from now on arrives before (the later end's last frame) + latency: captures
    // before that are final
    this.last[dir] = Math.max(this.last[dir], t);
    this.flush(Math.min(this.last['a->b'], this.last['b->a']) + this.o.latency);
    if (this.chance(dir, 'drop')) {
      s.dropped++;
      this.events.push({ dir, cycle: t, fault: 'drop', frame });
      return;
    }
    let f = frame;
    let bad = false;
    if (this.chance(dir, 'corrupt')) {
      f = new Uint8Array(frame); // a copy: frames from the bridge are Buffers, whose slice() shares
      const i = this.rng[dir].int(0, f.length - 1);
      f[i] = f[i]! ^ (1 << this.rng[dir].int(0, 7));
      bad = true;
      s.corrupted++;
      this.events.push({ dir, cycle: t, fault: 'corrupt', frame });
    }
    let at = t + this.o.latency;
    if (this.chance(dir, 'reorder')) {
      at += this.o.reorderDelay ?? 4096;
      s.reordered++;
      this.events.push({ dir, cycle: t, fault: 'reorder', frame });
    }
    this.deliver(dir, to, f, bad, at);
    if (this.chance(dir, 'duplicate')) {
      s.duplicated++;
      this.events.push({ dir, cycle: t, fault: 'duplicate', frame });
      this.deliver(dir, to, f, bad, at + 1);
    }
  }

  private deliver(dir: 'a->b' | 'b->a', to: WireEnd, f: Uint8Array, bad: boolean, at: number): void {
    const s = this.stats[dir];
    s.delivered++;
    to.deliverAt(f, bad, at);
    if (this.o.pcap) {
      // ties in time: a->b first, then each direction in its own order (never the order in
      // which two simulators' runs happened to hand the frames over)
      this.captures.push({ cycle: at, dir: dir === 'a->b' ? 0 : 1, n: s.delivered, frame: f });
      this.earliest = Math.min(this.earliest, at);
    }
  }

  private flush(before: number): void {
    const pcap = this.o.pcap;
    if (!pcap || this.captures.length === 0 || before <= this.earliest) return;
    const due = this.captures.filter((c) => c.cycle < before);
    if (due.length === 0) return;
    this.captures = this.captures.filter((c) => c.cycle >= before);
    this.earliest = this.captures.reduce((m, c) => Math.min(m, c.cycle), Number.POSITIVE_INFINITY);
    due.sort((x, y) => x.cycle - y.cycle || x.dir - y.dir || x.n - y.n);
    for (const c of due) pcap.write(c.cycle, c.frame);
  }

  /** Write every capture and close the pcap. */
  close(): void {
    this.flush(Number.POSITIVE_INFINITY);
    this.o.pcap?.close();
  }

  /** Frames the wire delivered, both ways (the pcap's frame count). */
  get delivered(): number {
    return this.stats['a->b'].delivered + this.stats['b->a'].delivered;
  }
}
