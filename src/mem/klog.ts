// The kernel log of the model (dmesg). Messages use the kernel's formats so a test can hold them
// against a real log; WARN_ONCE and printk_ratelimited keep their semantics on simulated time.

import type { SimClock } from '../platform/clock.js';

export type LogLevel = 'err' | 'warn' | 'notice' | 'info';

export interface LogLine {
  readonly cycle: number;
  readonly level: LogLevel;
  readonly msg: string;
  /** True for WARN()/dev_WARN*() splats (the kernel also prints a backtrace). */
  readonly warning: boolean;
}

/** What dev_printk needs of a device: `dev_driver_string(dev) dev_name(dev): `. */
export interface LogDevice {
  readonly name: string;
  readonly driver: string | null;
}

// include/linux/ratelimit_types.h: DEFAULT_RATELIMIT_INTERVAL (5 * HZ), DEFAULT_RATELIMIT_BURST 10.
const RATELIMIT_INTERVAL_NS = 5e9;
const RATELIMIT_BURST = 10;

interface RatelimitState {
  begin: number;
  printed: number;
  missed: number;
}

export function devPrefix(dev: LogDevice): string {
  // dev_driver_string() falls back to the bus name when no driver is bound.
  return `${dev.driver ?? 'pci'} ${dev.name}: `;
}

export class KernelLog {
  readonly lines: LogLine[] = [];
  private readonly once = new Set<string>();
  private readonly ratelimits = new Map<string, RatelimitState>();
  /** Optional sink, e.g. the run transcript. */
  sink: ((line: LogLine) => void) | null = null;

  constructor(private readonly clock: SimClock) {}

  private nowNs(): number {
    return (this.clock.cycle * this.clock.periodPs) / 1000;
  }

  printk(level: LogLevel, msg: string, warning = false): void {
    const line: LogLine = { cycle: this.clock.cycle, level, msg, warning };
    this.lines.push(line);
    this.sink?.(line);
  }

  dev_printk(level: LogLevel, dev: LogDevice, msg: string): void {
    this.printk(level, devPrefix(dev) + msg);
  }

  /** WARN_ONCE: the once-flag belongs to the call site, not to the device. Returns true if printed. */
  warnOnce(site: string, msg: string): boolean {
    if (this.once.has(site)) return false;
    this.once.add(site);
    this.printk('warn', msg, true);
    return true;
  }

  /** printk_ratelimited with the default 10 messages per 5 s burst, per call site. */
  ratelimited(site: string, level: LogLevel, msg: string): boolean {
    const now = this.nowNs();
    let rs = this.ratelimits.get(site);
    if (rs === undefined) {
      rs = { begin: now, printed: 0, missed: 0 };
      this.ratelimits.set(site, rs);
    }
    if (now - rs.begin >= RATELIMIT_INTERVAL_NS) {
      if (rs.missed > 0) this.printk('warn', `${site}: ${rs.missed} callbacks suppressed`);
      rs.begin = now;
      rs.printed = 0;
      rs.missed = 0;
    }
    if (rs.printed < RATELIMIT_BURST) {
      rs.printed++;
      this.printk(level, msg);
      return true;
    }
    rs.missed++;
    return false;
  }

  /** Lines containing `text`. */
  grep(text: string): LogLine[] {
    return this.lines.filter((l) => l.msg.includes(text));
  }

  count(text: string): number {
    return this.grep(text).length;
  }
}
