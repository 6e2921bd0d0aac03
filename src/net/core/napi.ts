// NAPI (net/core/dev.c): an interrupt schedules a poll; the poll consumes up to `budget`
// completions; a poll that used less than its budget completes and lets the driver re-arm the
// interrupt. One CPU and no threads: net_rx_action runs the scheduled polls right away, in the
// context of the interrupt that scheduled them ("softirq"), and page_pool's direct recycling is
// allowed exactly while a poll runs (`in_poll`, what page_pool_napi_local() checks).

/** NAPI_POLL_WEIGHT (include/linux/netdevice.h). */
export const NAPI_POLL_WEIGHT = 64;
/** netdev_budget: completions one net_rx_action may process before it defers (net.core.netdev_budget). */
export const NETDEV_BUDGET = 300;

export type NapiPoll = (napi: NapiStruct, budget: number) => number;

export class NapiStruct {
  /** NAPI_STATE_SCHED: scheduled or polling; napi_schedule() is a no-op while set. */
  sched = false;
  /** NAPI_STATE_DISABLE: napi_disable() holds it off (queue reset); schedules are remembered. */
  disabled = false;
  /** True while poll() runs: softirq on the owning CPU (page_pool_napi_local). */
  in_poll = false;
  /** Times poll() ran, and times it completed (used less than its budget). */
  polls = 0;
  completions = 0;

  constructor(
    readonly name: string,
    readonly poll: NapiPoll,
    readonly weight = NAPI_POLL_WEIGHT,
    /** Runs when a poll could not finish within one net_rx_action (the ksoftirqd analogue). */
    private readonly defer: (run: () => void) => void = (run) => queueMicrotask(run),
  ) {}

  /** napi_schedule(): mark scheduled and run it (unless it is already scheduled or disabled). */
  schedule(): void {
    if (this.sched) return;
    this.sched = true;
    if (!this.disabled) this.net_rx_action();
  }

  /**
   * napi_complete_done(): the poll used `work_done` < budget; clear SCHED. Returns false if the
   * poll must not re-arm (disabled meanwhile), as the kernel's does.
   */
  complete_done(work_done: number): boolean {
    void work_done;
    this.completions++;
    this.sched = false;
    return !this.disabled;
  }

  /** napi_disable(): wait for no poll to be running (there is none between events here). */
  disable(): void {
    this.disabled = true;
  }

  /** napi_enable(); a schedule that came while disabled runs now. */
  enable(): void {
    this.disabled = false;
    if (this.sched) {
      this.sched = false;
      this.schedule();
    }
  }

  private net_rx_action(): void {
    let budget = NETDEV_BUDGET;
    while (this.sched && !this.disabled) {
      this.in_poll = true;
      this.polls++;
      let work: number;
      try {
        work = this.poll(this, this.weight);
      } finally {
        this.in_poll = false;
      }
      if (work < this.weight) return; // the poll completed (napi_complete_done) and re-armed
      budget -= work;
      if (budget <= 0) {
        // time_squeeze: leave the rest to a later run, still scheduled
        this.defer(() => {
          this.sched = false;
          this.schedule();
        });
        return;
      }
    }
  }
}
