// The reference model's notion of time: one event queue on the simulated clock. Events run in
// (cycle, order of scheduling) order, so a run is a pure function of its inputs. The model's
// engines are callback state machines on this queue (no promises inside the model): only what
// the host can observe (an interrupt, an MMIO completion, a frame on the MAC, a sleep ending)
// resumes host code, and the runner lets that code settle before the next event.

interface Ev {
  readonly cycle: number;
  readonly order: number;
  readonly fn: () => void;
}

export class Scheduler {
  /** The cycle of the event being run (or of the last one). */
  now = 0;
  private heap: Ev[] = [];
  private order = 0;

  /** Run `fn` at `cycle` (not before now). */
  at(cycle: number, fn: () => void): void {
    if (!Number.isInteger(cycle) || cycle < this.now) throw new RangeError(`event at cycle ${cycle}, now is ${this.now}`);
    const h = this.heap;
    const e: Ev = { cycle, order: this.order++, fn };
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(e, h[p]!)) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = e;
  }

  after(cycles: number, fn: () => void): void {
    this.at(this.now + cycles, fn);
  }

  /** The cycle of the next event, if any. */
  get next(): number | undefined {
    return this.heap[0]?.cycle;
  }

  get pending(): number {
    return this.heap.length;
  }

  /** Run the earliest event; false when there is none. */
  step(): boolean {
    const h = this.heap;
    const top = h[0];
    if (!top) return false;
    const last = h.pop()!;
    if (h.length) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= h.length) break;
        const r = l + 1;
        const c = r < h.length && before(h[r]!, h[l]!) ? r : l;
        if (!before(h[c]!, last)) break;
        h[i] = h[c]!;
        i = c;
      }
      h[i] = last;
    }
    this.now = top.cycle;
    top.fn();
    return true;
  }
}

function before(a: Ev, b: Ev): boolean {
  return a.cycle < b.cycle || (a.cycle === b.cycle && a.order < b.order);
}
