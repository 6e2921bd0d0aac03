// Two hosts on a wire, on any mix of backends (docs/two-hosts.md). On the model both NICs share
// one event queue, so the wire's latency is exact. On the RTL each NIC is its own simulator
// process with its own bridge connection (SimBricks style), so the two may run on two machines;
// conservative synchronization holds across the wire: a simulator's reply for the window ending
// at S waits until the other side has simulated up to S, so every frame the other NIC sent
// before S is known and delivered at its cycle + the wire's latency (which must exceed the
// bridge's lookahead plus a sync window). A model NIC facing an RTL NIC simulates only below
// the RTL side's time plus the wire's latency.

import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../abi/gen.js';
import { venvPython, type SimPort } from '../bridge/launch.js';
import { runCosim, type CosimResult } from '../bridge/run.js';
import { defaultParams } from '../bridge/server.js';
import { newSessionStats, type HostSession, type SessionStats } from '../bridge/session.js';
import type { Transcript } from '../bridge/transcript.js';
import type { Device } from '../device/device.js';
import { runModels, type ModelsRunResult } from '../model/run.js';
import type { ZcnicModel } from '../model/nic.js';
import type { PairInstance } from '../scenarios/two_hosts.js';
import type { Backend } from '../testing/fixture.js';
import { WaitQueue } from '../net/core/sock.js';
import { PcapWriter } from './pcap.js';
import { Wire, type WireEnd } from './wire.js';

export interface PairRunOptions {
  readonly seed: number;
  readonly maxCycles: number;
  /** Capture the wire here. */
  readonly pcapPath?: string;
  readonly transcript?: boolean;
  readonly onProgress?: () => void;
  /** RTL NICs: their run folders go under it (nic0/, nic1/). */
  readonly runDir?: string;
  readonly timeoutS?: number;
  readonly simPort?: SimPort;
  /**
   * RTL NICs: do not launch the simulators; listen for them (NIC i on port + i, or any free port
   * with port 0), e.g. on two other machines, each started with `make sim-dut URL=...`.
   */
  readonly listen?: { readonly host: string; readonly port: number; readonly token?: string; readonly onListening: (nic: number, url: string) => void };
}

export interface PairRunResult {
  readonly backends: readonly [Backend, Backend];
  readonly cycles: number;
  readonly scenarioError?: unknown;
  /** Bridge faults of the RTL NICs, as text. */
  readonly errors: readonly string[];
  readonly wire: Wire;
  readonly transcripts: readonly (Transcript | undefined)[];
  readonly stats: readonly (SessionStats & { counters?: Record<string, number> })[];
  readonly wallSeconds: number;
}

/** A model NIC's MAC port as a wire end. */
export function modelWireEnd(m: ZcnicModel): WireEnd {
  return {
    name: m.name,
    onFrame: (h) => m.onEthTx((f) => h(f.frame, f.cycle)),
    deliverAt: (frame, bad, cycle) => m.macRxAt(frame, bad, cycle),
  };
}

/** An RTL NIC's MAC port (over its bridge session) as a wire end. */
export function rtlWireEnd(s: HostSession, name: string): WireEnd {
  return {
    name,
    onFrame: (h) => s.onEthTx((f) => h(f.frame, f.cycle)),
    deliverAt: (frame, bad, cycle) => s.ethRxAt(frame, bad, cycle),
  };
}

export async function runPair(inst: PairInstance, backends: readonly [Backend, Backend], o: PairRunOptions): Promise<PairRunResult> {
  const t0 = performance.now();
  const pcap = o.pcapPath ? new PcapWriter(o.pcapPath, inst.hosts[0].clock.periodPs) : undefined;
  const params = defaultParams({ seed: o.seed });
  const minLatency = params.link_latency + params.sync_window;
  if (backends.includes('rtl') && inst.wire.latency < minLatency) {
    throw new RangeError(`wire latency ${inst.wire.latency} cycles: with an RTL NIC it must be at least the link latency plus a sync window (${minLatency})`);
  }
  const rtl = [0, 1].filter((i) => backends[i] === 'rtl');
  const models = [0, 1].filter((i) => backends[i] === 'model');
  if (rtl.length && !o.listen) {
    // one build for both simulators, before either starts (they would race on the build folder)
    execFileSync(venvPython(), ['-m', 'zcnic_tb.cosim', '--build-only', ...(o.simPort ? ['--port', o.simPort] : [])], {
      cwd: repoRoot, env: { ...process.env, PYTHONPATH: join(repoRoot, 'tb') }, stdio: ['ignore', 'ignore', 'inherit'],
    });
  }

  // How far each side has simulated (every event below it handled), and whether it has ended.
  const reached = [0, 0];
  const ended = [false, false];
  const progress = new WaitQueue();
  const setReached = (i: number, c: number): void => {
    if (c > reached[i]!) {
      reached[i] = c;
      progress.wake_up();
    }
  };
  const others = (i: number): number[] => [0, 1].filter((k) => k !== i);
  /** An RTL reply for the window ending at `sync` waits for the other side to get there. */
  const gate = async (i: number, sync: number): Promise<void> => {
    setReached(i, sync);
    while (others(i).some((k) => !ended[k] && reached[k]! < sync)) await progress.wait();
  };

  // Each host's software starts at its own cycle 0, whenever the other side comes up.
  const wire = new Wire(null, null, { latency: inst.wire.latency, seed: o.seed, faults: inst.wire.faults, ...(pcap ? { pcap } : {}) });
  const up = [false, false];
  const arrive = (i: number, d: Device, end: WireEnd): Promise<void> => {
    up[i] = true;
    wire.attach(i === 0 ? 'a' : 'b', end);
    return inst.start(i as 0 | 1, d);
  };

  const rtlRuns = rtl.map(async (i) => {
    const runDir = join(o.runDir ?? join(repoRoot, 'sim', 'out', 'tmp'), `nic${i}`);
    mkdirSync(runDir, { recursive: true });
    const h = inst.hosts[i]!;
    try {
      return await runCosim({
        params, dma: h.dma, clock: h.clock, onTime: (c) => h.onTime(c), runDir, maxCycles: o.maxCycles,
        timeoutS: o.timeoutS ?? 60, ...(o.simPort ? { simPort: o.simPort } : {}),
        ...(o.listen
          ? {
              external: true, host: o.listen.host, port: o.listen.port ? o.listen.port + i : 0,
              ...(o.listen.token ? { token: o.listen.token } : {}), onListening: (url: string) => o.listen!.onListening(i, url),
            }
          : {}),
        main: (s) => arrive(i, s, rtlWireEnd(s, `nic${i}`)),
        beforeReply: (_seq, sync) => gate(i, sync),
        onBatch: () => o.onProgress?.(),
      });
    } finally {
      ended[i] = true;
      progress.wake_up();
    }
  });

  let modelRun: Promise<ModelsRunResult> | undefined;
  if (models.length) {
    modelRun = runModels({
      hosts: models.map((i) => {
        const h = inst.hosts[i]!;
        return { clock: h.clock, dma: h.dma, onTime: (c: number) => h.onTime(c) };
      }),
      seed: o.seed, maxCycles: o.maxCycles, transcript: o.transcript ?? false,
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
      ...(rtl.length
        ? {
            peers: {
              // RTL frames sent below reached[k] are known; they land a wire latency later
              horizon: () => Math.min(...rtl.map((k) => (ended[k] ? Number.POSITIVE_INFINITY : reached[k]! + inst.wire.latency))),
              changed: () => progress.wait(),
              ended: () => rtl.every((k) => ended[k]),
              reached: (c: number) => models.forEach((i) => setReached(i, c)),
            },
          }
        : {}),
      main: async (ms) => {
        await Promise.all(ms.map((m, j) => arrive(models[j]!, m, modelWireEnd(m))));
      },
    }).finally(() => {
      for (const i of models) ended[i] = true;
      progress.wake_up();
    });
  }

  const rtlResults = await Promise.all(rtlRuns);
  const m = modelRun ? await modelRun : undefined;
  wire.close();
  const byHost = (i: number): { r?: CosimResult; m?: ZcnicModel; t?: Transcript } => {
    const ri = rtl.indexOf(i);
    if (ri >= 0) return { r: rtlResults[ri]!, ...(rtlResults[ri]!.transcript ? { t: rtlResults[ri]!.transcript } : {}) };
    const mi = models.indexOf(i);
    return { m: m!.devices[mi]!, ...(m!.transcripts ? { t: m!.transcripts[mi]! } : {}) };
  };
  const hosts = [byHost(0), byHost(1)];
  let scenarioError = [...rtlResults.map((r) => r.scenarioError), m?.scenarioError].find((e) => e !== undefined);
  if (scenarioError === undefined && up[0] && up[1]) {
    try {
      inst.check(wire);
    } catch (e) {
      scenarioError = e;
    }
  }
  const errors = rtlResults.flatMap((r, k) => (r.error ? [`nic${rtl[k]}: ${r.error.describe()}`] : []));
  if (!(up[0] && up[1]) && scenarioError === undefined && errors.length === 0) errors.push('the two NICs never both came up');
  return {
    backends, cycles: Math.max(...rtlResults.map((r) => r.cycles), m?.cycles ?? 0),
    ...(scenarioError !== undefined ? { scenarioError } : {}), errors,
    wire,
    transcripts: hosts.map((h) => h.t),
    stats: hosts.map((h) => (h.m ? { ...h.m.stats, counters: { ...h.m.counters } } : { ...(h.r!.session?.stats ?? newSessionStats()) })),
    wallSeconds: (performance.now() - t0) / 1000,
  };
}


/** Both NICs on the model (kept for the tests and the bench). */
export function runPairOnModel(inst: PairInstance, o: PairRunOptions): Promise<PairRunResult> {
  return runPair(inst, ['model', 'model'], o);
}
