// Simulated time as the host model sees it. The simulator owns time; the bridge advances this
// clock as it is told (never the wall clock), so everything timed in the model is deterministic.

export interface SimClock {
  /** The latest cycle the host has been told about. */
  readonly cycle: number;
  /** Clock period in picoseconds. */
  readonly periodPs: number;
}

export class ManualClock implements SimClock {
  cycle = 0;
  constructor(readonly periodPs = 4000) {}

  advanceTo(cycle: number): void {
    if (cycle < this.cycle) throw new RangeError(`clock cannot go back from cycle ${this.cycle} to ${cycle}`);
    this.cycle = cycle;
  }

  /** Simulated nanoseconds since cycle 0. */
  get nowNs(): number {
    return (this.cycle * this.periodPs) / 1000;
  }
}
