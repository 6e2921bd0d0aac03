// What a host is doing, for the run harness's stuck check: the last cycle it made progress (a
// socket call returned, a frame moved, a completion arrived) and what it waits on now (the
// blocking calls in progress, and whatever the driver says of its queues). Nothing here changes
// what the host does; it only lets a stuck run say why.

import type { SimClock } from './clock.js';

/** A blocking call in progress: who made it and on what, put into words only when asked. */
export interface HostWait {
  /** e.g. `pid 101 recvmsg(fd 3)` */
  readonly what: () => string;
  /** The object it waits on, described when asked (its state may change meanwhile). */
  readonly on?: () => string;
  readonly since: number;
}

export class HostWatch {
  /** The cycle of the latest progress (0 until there is any). */
  lastProgress = 0;
  /** How many times there was progress. */
  progressCount = 0;
  private readonly waits = new Set<HostWait>();
  private readonly describers: { readonly name: string; readonly describe: () => string }[] = [];

  /** Told of an error the host cannot go on from, raised where no caller would see it (an interrupt's work). */
  onFatal: ((e: unknown) => void) | null = null;

  constructor(private readonly clock: SimClock) {}

  /**
   * Report an error of asynchronous work that the host cannot recover from (a queue the driver
   * gave up on): the run harness ends the run with it at once, instead of when, if ever, some
   * caller next looks.
   */
  fatal(e: unknown): void {
    this.onFatal?.(e);
  }

  progress(): void {
    this.lastProgress = this.clock.cycle;
    this.progressCount++;
  }

  /** A blocking call starts; `leave` it when it returns (which is progress). */
  enter(what: () => string, on?: () => string): HostWait {
    const w: HostWait = { what, since: this.clock.cycle, ...(on ? { on } : {}) };
    this.waits.add(w);
    return w;
  }

  /** The call returned; that is progress unless it only said it would block. */
  leave(w: HostWait, progress = true): void {
    this.waits.delete(w);
    if (progress) this.progress();
  }

  /** A part of the host (a driver's queues) that can say what it has outstanding ('' for nothing). */
  register(name: string, describe: () => string): () => void {
    const d = { name, describe };
    this.describers.push(d);
    return () => {
      const i = this.describers.indexOf(d);
      if (i >= 0) this.describers.splice(i, 1);
    };
  }

  /** The blocking calls in progress and what each registered part has outstanding. */
  describe(): string[] {
    const out = [...this.waits].map((w) => `${w.what()} since cycle ${w.since}${w.on ? ` on ${w.on()}` : ''}`);
    for (const d of this.describers) {
      const s = d.describe();
      if (s) out.push(`${d.name}: ${s}`);
    }
    return out;
  }
}

/** -EAGAIN: a call that would block returned at once (a polling loop is not progress). */
const EAGAIN_RET = -11;

function retOf(v: unknown): unknown {
  return v && typeof v === 'object' && 'ret' in v ? (v as { ret: unknown }).ret : v;
}

/**
 * Every method of `api` as a traced system call (in the spirit of the raw_syscalls sys_enter
 * and sys_exit tracepoints): a call that returns a promise is a blocking call the watch lists
 * while it waits (`who name(fd N)`, and what `on(fd)` says of the descriptor), and a return is
 * progress unless it is -EAGAIN. The calls themselves are unchanged.
 */
export function watchCalls<T extends object>(api: T, watch: HostWatch, who: string, on: (fd: number) => string | undefined): T {
  // one wrapper per method, made at its first call: a call costs a lookup, not a closure
  const wrapped = new Map<string, (...args: unknown[]) => unknown>();
  const wrap = (name: string, f: (...a: unknown[]) => unknown): ((...args: unknown[]) => unknown) => (...args) => {
    const r = f.apply(api, args);
    if (r instanceof Promise) {
      const fd = typeof args[0] === 'number' ? args[0] : undefined;
      const w = watch.enter(() => `${who} ${name}(${fd !== undefined ? `fd ${fd}` : '…'})`, fd !== undefined ? () => on(fd) ?? `fd ${fd}` : undefined);
      return r.then(
        (x: unknown) => {
          watch.leave(w, retOf(x) !== EAGAIN_RET);
          return x;
        },
        (e: unknown) => {
          watch.leave(w, true);
          throw e;
        },
      );
    }
    if (retOf(r) !== EAGAIN_RET) watch.progress();
    return r;
  };
  return new Proxy(api, {
    get(target, prop, receiver) {
      const v: unknown = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function' || typeof prop !== 'string') return v;
      let w = wrapped.get(prop);
      if (!w) wrapped.set(prop, (w = wrap(prop, v as (...a: unknown[]) => unknown)));
      return w;
    },
  });
}
