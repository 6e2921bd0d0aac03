// irq_moderation (docs/rtl-irq.md), event-driven: per vector an arm bit, the completions
// pending and the cycle of the oldest one. The RTL decides every cycle; here a decision is
// made at each event, arm and configuration change, and a timer is set for the cycle the time
// criterion would be met, which gives the same firing cycles as the per-cycle rules.

import type { Scheduler } from './sched.js';

const COUNT_MAX = 0xffff;

interface Vec {
  armed: boolean;
  pending: number;
  /** Cycle of the oldest pending event (valid while pending > 0). */
  since: number;
  frames: number;
  time: number;
  /** Generation of the time check scheduled for this vector; older checks are stale. */
  gen: number;
}

export class IrqModeration {
  private readonly v: Vec[];

  /**
   * @param fire called at the cycle of each interrupt message (the cycle after the decision)
   */
  constructor(
    vectors: number,
    private readonly sched: Scheduler,
    private readonly fire: (vector: number) => void,
  ) {
    this.v = Array.from({ length: vectors }, () => ({ armed: true, pending: 0, since: 0, frames: 0, time: 0, gen: 0 }));
  }

  /** One completion on vector `i`, now. */
  event(i: number): void {
    const v = this.v[i]!;
    if (v.pending === 0) v.since = this.sched.now;
    v.pending = Math.min(v.pending + 1, COUNT_MAX);
    this.decide(i);
  }

  arm(i: number): void {
    const v = this.v[i];
    if (!v || v.armed) return;
    v.armed = true;
    this.decide(i);
  }

  /** IRQ_FRAMES / IRQ_CYCLES of vector `i` (0 = criterion off). */
  configure(i: number, frames: number, time: number): void {
    const v = this.v[i]!;
    v.frames = frames & 0xffff;
    v.time = time & 0xffff;
    this.decide(i);
  }

  state(i: number): { readonly armed: boolean; readonly pending: number } {
    const v = this.v[i]!;
    return { armed: v.armed, pending: v.pending };
  }

  private decide(i: number): void {
    const v = this.v[i]!;
    v.gen++;
    // a disarmed vector keeps counting; its re-arm decides again
    if (v.pending === 0 || !v.armed) return;
    const now = this.sched.now;
    // age in the cycle of this decision is now - since (0 in the event's own cycle)
    const hit = (v.frames === 0 && v.time === 0) || (v.frames !== 0 && v.pending >= v.frames) || (v.time !== 0 && now - v.since >= v.time);
    if (hit) {
      v.armed = false;
      v.pending = 0;
      this.sched.at(now + 1, () => this.fire(i));
      return;
    }
    if (v.time !== 0) this.timeCheck(i, v);
  }

  /** Decide again at the cycle the oldest pending event reaches the time threshold. */
  private timeCheck(i: number, v: Vec): void {
    const gen = v.gen;
    const due = Math.max(v.since + v.time, this.sched.now + 1);
    this.sched.at(due, () => {
      if (v.gen === gen) this.decide(i);
    });
  }
}
