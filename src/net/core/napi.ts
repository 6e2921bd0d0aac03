// NAPI (net/core/dev.c): an interrupt schedules a poll; the poll consumes up to `budget`
// completions; a poll that used less than its budget completes and lets the driver re-arm the
// interrupt. One CPU and no threads: net_rx_action runs the scheduled polls right away, in the
// context of the interrupt that scheduled them ("softirq"), and page_pool's direct recycling is
// allowed exactly while a poll runs (`in_poll`, what page_pool_napi_local() checks).
//
// Every NAPI instance the driver adds gets an id (netif_napi_add's napi_hash_add), unique on its
// host and never below MIN_NAPI_ID: the driver marks each received skb with it (skb_mark_napi_id)
// and the socket that takes the skb records it (sk_mark_napi_id), which SO_INCOMING_NAPI_ID reads
// and netdev_nl_queue_get maps back to the queue.

import type { HostPlatform } from '../../platform/host.js';

/** NAPI_POLL_WEIGHT (include/linux/netdevice.h). */
export const NAPI_POLL_WEIGHT = 64;
/** netdev_budget: completions one net_rx_action may process before it defers (net.core.netdev_budget). */
export const NETDEV_BUDGET = 300;

/**
 * CONFIG_NR_CPUS: 8192, x86-64's value under CONFIG_MAXSMP. The model's hosts have a single CPU
 * (raw_smp_processor_id); NR_CPUS only sets where NAPI ids start.
 */
export const NR_CPUS = 8192;
/** include/net/busy_poll.h: 0 is "not set", 1..NR_CPUS are sender_cpu values; NAPI ids start above. */
export const MIN_NAPI_ID = NR_CPUS + 1;

/** napi_id_valid(): an id napi_hash_add could have given (an skb's napi_id may hold sender_cpu instead). */
export function napi_id_valid(id: number): boolean {
  return id >= MIN_NAPI_ID;
}

/** raw_smp_processor_id(): the CPU the receive path runs on; one per host until the model simulates CPUs. */
export function raw_smp_processor_id(): number {
  return 0;
}

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
  /** napi->napi_id: set by netif_napi_add (0 until then); kept after netif_napi_del, as the kernel's is. */
  napi_id = 0;

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

/** The host's napi_hash and napi_gen_id (net/core/dev.c's, one per host: ids are per host here). */
interface NapiHash {
  gen: number;
  readonly byId: Map<number, NapiStruct>;
}

const napiHashes = new WeakMap<HostPlatform, NapiHash>();

function napi_hash(host: HostPlatform): NapiHash {
  let h = napiHashes.get(host);
  if (h === undefined) {
    h = { gen: NR_CPUS, byId: new Map() };
    napiHashes.set(host, h);
  }
  return h;
}

/**
 * netif_napi_add()'s napi_hash_add(): the next free id above the last one given on this host
 * (u32, wrapping back to MIN_NAPI_ID), so ids grow monotonically: MIN_NAPI_ID for the host's first.
 */
export function netif_napi_add(host: HostPlatform, napi: NapiStruct): void {
  const h = napi_hash(host);
  do {
    h.gen = (h.gen + 1) >>> 0;
    if (!napi_id_valid(h.gen)) h.gen = MIN_NAPI_ID;
  } while (h.byId.has(h.gen));
  napi.napi_id = h.gen;
  h.byId.set(h.gen, napi);
}

/** netif_napi_del()'s napi_hash_del(): the id may be given again (after the counter wraps). */
export function netif_napi_del(host: HostPlatform, napi: NapiStruct): void {
  const h = napi_hash(host);
  if (h.byId.get(napi.napi_id) === napi) h.byId.delete(napi.napi_id);
}
