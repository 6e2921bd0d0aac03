// Runs of host software against the reference model: the model's event queue is the clock.
// Host code runs at the cycle of each event that can resume it (an interrupt, an MMIO
// completion, a frame on the MAC, a sleep ending) and settles before the next event, as it
// does per message over the bridge, so a run is a pure function of its seed. Several NICs (two
// hosts on a wire) share one event queue, so they live in one simulated time.

import { Transcript } from '../device/transcript.js';
import { defaultParams } from '../abi/link.js';
import { LINK_DEFAULTS } from '../abi/link.js';
import type { ManualClock } from '../platform/clock.js';
import type { DeviceDmaPort } from '../platform/dma_port.js';
import { ZcnicModel, type ModelParams } from './nic.js';
import { Scheduler } from './sched.js';

/** One host's side of a model run. */
export interface ModelHost {
  readonly clock: ManualClock;
  readonly dma: DeviceDmaPort;
  /** Host timers (IOMMU flush queues), called once per `timerWindow` cycles of model time. */
  readonly onTime?: (cycle: number) => void;
  readonly params?: Partial<ModelParams>;
}

interface RunCommon {
  /** Write the transcript (the messages the RTL would exchange); off by default: it costs time. */
  readonly transcript?: boolean;
  readonly seed?: number;
  readonly maxCycles?: number;
  /** Default: the bridge's sync window, so timers run as often as over the bridge. */
  readonly timerWindow?: number;
  /** Called every 65,536 events (for a progress line). */
  readonly onProgress?: (devs: readonly ZcnicModel[]) => void;
  /** Stop at the next event (another host of the run failed); the result says `aborted`. */
  readonly signal?: AbortSignal;
}

export interface ModelRunOptions extends ModelHost, RunCommon {
  readonly main: (dev: ZcnicModel) => Promise<void>;
  /** Set up the model before host code starts (tests: a deliberately wrong model). */
  readonly configure?: (dev: ZcnicModel) => void;
}

/**
 * Other simulators the models exchange frames with (a mixed pair): the models may simulate only
 * below `horizon()` (frames from outside may still arrive at that cycle), and wait for
 * `changed()` at it; with nothing left to do they wait too, until `ended()`.
 */
export interface ModelPeers {
  horizon(): number;
  changed(): Promise<void>;
  ended(): boolean;
  /** Told the cycle below which every model event has run (host code settled). */
  reached(cycle: number): void;
}

export interface ModelsRunOptions extends RunCommon {
  readonly hosts: readonly ModelHost[];
  readonly peers?: ModelPeers;
  readonly main: (devs: readonly ZcnicModel[]) => Promise<void>;
  readonly configure?: (devs: readonly ZcnicModel[]) => void;
}

export interface ModelsRunResult {
  readonly cycles: number;
  readonly scenarioError?: unknown;
  readonly devices: readonly ZcnicModel[];
  /** One per host. */
  readonly transcripts?: readonly Transcript[];
  readonly events: number;
  readonly wallSeconds: number;
  /** The run was stopped by its signal before the host software finished. */
  readonly aborted?: boolean;
  /** It ended because no event was left with the host software unfinished (a deadlock). */
  readonly idle?: boolean;
}

export interface ModelRunResult extends Omit<ModelsRunResult, 'devices' | 'transcripts'> {
  readonly device: ZcnicModel;
  readonly transcript?: Transcript;
}

function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export async function runModel(o: ModelRunOptions): Promise<ModelRunResult> {
  const { main, configure, clock, dma, onTime, params, ...common } = o;
  const host: ModelHost = { clock, dma, ...(onTime ? { onTime } : {}), ...(params ? { params } : {}) };
  const r = await runModels({
    ...common, hosts: [host],
    main: ([d]) => main(d!),
    ...(configure ? { configure: ([d]: readonly ZcnicModel[]) => configure(d!) } : {}),
  });
  const { devices, transcripts, ...rest } = r;
  return { ...rest, device: devices[0]!, ...(transcripts ? { transcript: transcripts[0]! } : {}) };
}

export async function runModels(o: ModelsRunOptions): Promise<ModelsRunResult> {
  const t0 = performance.now();
  const sched = new Scheduler();
  const transcripts = o.transcript ? o.hosts.map(() => new Transcript(defaultParams({ seed: o.seed ?? 1 }))) : undefined;
  for (const t of transcripts ?? []) t.note('backend=model (src/model/): messages the RTL would exchange, in the order they happen');
  const devs = o.hosts.map((h, i) => {
    const t = transcripts?.[i];
    return new ZcnicModel(h.clock, h.dma, {
      sched, name: `nic${i}`, ...(h.params ? { params: h.params } : {}),
      ...(t ? { record: (d: '>' | '<', m: Parameters<Transcript['record']>[1]) => t.record(d, m) } : {}),
    });
  });
  o.configure?.(devs);
  const window = o.timerWindow ?? LINK_DEFAULTS.syncWindow;
  const max = o.maxCycles ?? Number.MAX_SAFE_INTEGER;
  let done = false;
  let scenarioError: unknown;
  let events = 0;
  let nextTimer = window;
  o.main(devs).then(
    () => (done = true),
    (e: unknown) => {
      scenarioError = e;
      done = true;
    },
  );
  await settle();
  const waits = (): string => devs.map((d) => `${d.name}: ${d.describePending()}`).join('; ');
  const peers = o.peers;
  const signal = o.signal;
  const aborted = signal ? new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true })) : undefined;
  let idle = false;
  while (!done && !signal?.aborted) {
    const next = sched.next;
    if (peers) {
      const h = peers.horizon();
      peers.reached(Math.min(next ?? h, h));
      if ((next === undefined || next >= h) && !peers.ended()) {
        await (aborted ? Promise.race([peers.changed(), aborted]) : peers.changed());
        continue;
      }
    }
    if (next === undefined) {
      idle = true;
      scenarioError = new Error(`the model went idle at cycle ${sched.now} with the scenario unfinished; it waits for ${waits()}`);
      break;
    }
    if (next > max) {
      scenarioError = new Error(`scenario did not finish within ${max} cycles; it waits for ${waits()}`);
      break;
    }
    for (const h of o.hosts) if (next > h.clock.cycle) h.clock.advanceTo(next);
    if (next >= nextTimer) {
      for (const h of o.hosts) h.onTime?.(next);
      nextTimer = next - (next % window) + window;
    }
    let woke = false;
    for (const d of devs) d.woke = false;
    sched.step();
    events++;
    for (const d of devs) woke ||= d.woke;
    if (woke) await settle();
    if (o.onProgress && (events & 0xffff) === 0) o.onProgress(devs);
  }
  return {
    cycles: sched.now, devices: devs, events, wallSeconds: (performance.now() - t0) / 1000,
    ...(!done && signal?.aborted ? { aborted: true } : {}), ...(idle ? { idle } : {}),
    ...(scenarioError !== undefined ? { scenarioError } : {}), ...(transcripts ? { transcripts } : {}),
  };
}
