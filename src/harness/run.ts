// The run harness: the one place that runs host software against device backends, for one host
// or two joined by a wire, each NIC on the RTL (a Verilator simulator over the bridge) or on the
// reference model (in process). The CLI, the test fixture, the bench and the diff scenario all
// run through it. Its rules:
// - the first error wins: host code throwing, a bridge or simulator fault, a stuck run or the
//   cycle limit ends every host and every simulator of the run at once (an orderly FINISH, the
//   process group killed if it does not stop in time); what followed from it is listed after it;
// - a run where no host makes progress (a socket call returns, a frame leaves a MAC, an
//   interrupt arrives) for `stuckCycles` stops, saying what each host waits on.
//
// Two hosts on the model share one event queue, so the wire's latency is exact. On the RTL each
// NIC is its own simulator with its own bridge connection (SimBricks style): a simulator's reply
// for the window ending at S waits until the other side has simulated up to S, so every frame
// the other NIC sent before S is known and delivered at its cycle plus the wire's latency (which
// must exceed the bridge's lookahead plus a sync window). A model NIC facing an RTL NIC
// simulates only below the RTL side's time plus the wire's latency (docs/two-hosts.md).

import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../lib/repo.js';
import { simulatorEnv, venvPython, type SimPort } from '../bridge/launch.js';
import { EXIT, type LinkParams } from '../abi/link.js';
import { runCosim, type CosimResult } from '../bridge/run.js';
import { defaultParams } from '../abi/link.js';
import { newSessionStats, type FaultEvent, type SessionStats } from '../device/stats.js';
import type { Transcript } from '../device/transcript.js';
import type { TraceRecord } from '../debug/events.js';
import type { Device } from '../device/device.js';
import type { ZcnicModel, ModelParams } from '../model/nic.js';
import { runModels, type ModelsRunResult } from '../model/run.js';
import type { ManualClock } from '../platform/clock.js';
import type { DeviceDmaPort } from '../platform/dma_port.js';
import type { HostPlatform } from '../platform/host.js';
import { HostWatch } from '../platform/watch.js';
import { WaitQueue } from '../lib/wait.js';
import { PcapWriter } from '../wire/pcap.js';
import { Wire, type WireEnd, type WireFaults } from '../wire/wire.js';
import { modelWireEnd, rtlWireEnd } from './ends.js';
import { RunError, hostError } from './errors.js';

export type Backend = 'rtl' | 'model';
export const BACKENDS: readonly Backend[] = ['rtl', 'model'];

/**
 * Cycles without progress on any host after which a run stops (16 ms at 250 MHz): above TCP's
 * largest retransmission timeout, which a healthy run may wait out once.
 */
export const DEFAULT_STUCK_CYCLES = 4_000_000;

/** One host: its platform's clock and DMA port, and its software. */
export interface HostSpec {
  readonly clock: ManualClock;
  readonly dma: DeviceDmaPort;
  /** Host timers (IOMMU flush queues), run as the host is told the time. */
  readonly onTime?: (cycle: number) => void;
  /** The platform, whose watch says what the host waits on (without it only the device does). */
  readonly platform?: HostPlatform;
  /** The host's software; throwing fails the run. */
  readonly main: (dev: Device) => Promise<void>;
  /** Model only: set the model up before the software starts (the test-only wrong model). */
  readonly configureModel?: (m: ZcnicModel) => void;
}

export interface RunSpec {
  /** One host, or two joined by `wire`. */
  readonly hosts: readonly HostSpec[];
  readonly backends: readonly Backend[];
  readonly wire?: { readonly latency: number; readonly faults: WireFaults; readonly pcapPath?: string };
  readonly seed: number;
  readonly maxCycles: number;
  readonly stuckCycles?: number;
  /** The bridge's parameters (default: defaultParams with the seed). */
  readonly params?: LinkParams;
  /** RTL: the simulator's run folder (sim.log, waves); a pair's go to nic0/ and nic1/ below it. */
  readonly runDir: string;
  readonly waves?: boolean;
  readonly simPort?: SimPort;
  /** The bridge's silence timeout in seconds. */
  readonly timeoutS?: number;
  /** RTL: do not launch the simulators; wait for them (NIC i on port + i, or any free port with 0). */
  readonly listen?: { readonly host: string; readonly port: number; readonly token?: string; readonly onListening: (nic: number, url: string) => void };
  /** Keep the model's transcripts (the RTL's are always kept). */
  readonly transcript?: boolean;
  /** Called with each host's device before its software starts (captures, hooks). */
  readonly onDevice?: (i: number, dev: Device) => void;
  /** After the hosts' software, if it passed: the checks that need the wire (throws). */
  readonly check?: (wire: Wire | undefined) => void;
  /** Every batch on the RTL, every 65,536 events on the model. */
  readonly onProgress?: (i: number, cycle: number) => void;
  readonly onSimProgress?: (line: string) => void;
  /** RTL: a simulator's handshake (the simulation proper starts). */
  readonly onHandshake?: (i: number) => void;
  readonly onLaunch?: (i: number) => void;
}

export interface HostOutcome {
  readonly name: string;
  readonly backend: Backend;
  readonly cycles: number;
  readonly transcript?: Transcript;
  readonly stats: SessionStats & { readonly counters?: Record<string, number> };
  readonly faults: readonly FaultEvent[];
  readonly events: readonly TraceRecord[];
  /** RTL: bridge frames each way. */
  readonly frames: CosimResult['frames'];
  readonly startupSeconds: number;
  readonly simSeconds: number;
  /** Start-up and simulation (the RTL: listening until the end; the model: its run). */
  readonly wallSeconds: number;
  readonly simExitCode: number | null;
  /** RTL: the simulator's folder (sim.log, build.log, waves.fst). */
  readonly runDir?: string;
  readonly waves: boolean;
  readonly model?: ZcnicModel;
}

export interface RunResult {
  readonly ok: boolean;
  /** The first error is the cause; the rest followed from it. Empty for a passing run. */
  readonly errors: readonly RunError[];
  readonly hosts: readonly HostOutcome[];
  readonly cycles: number;
  readonly wire?: Wire;
  readonly wallSeconds: number;
  /** Wall seconds from the first error until every host and simulator of the run had ended. */
  readonly stopSeconds: number | null;
  readonly exitCode: number;
}

/** The host names a run uses in its errors and folders. */
export const hostName = (i: number): string => `host${i}`;

/** First error wins: every later one is listed after it, and the first aborts the run. */
class RunControl {
  readonly errors: RunError[] = [];
  private readonly ac = new AbortController();
  readonly signal = this.ac.signal;
  /** What host code threw, already recorded (the backends hand it back as their scenario error). */
  readonly recorded = new Set<unknown>();

  /** performance.now() at the first error. */
  failedAt: number | undefined;

  fail(e: RunError): void {
    this.errors.push(e);
    if (e.thrown !== undefined) this.recorded.add(e.thrown);
    this.failedAt ??= performance.now();
    if (!this.ac.signal.aborted) this.ac.abort(`${e.host ?? 'the run'} failed at cycle ${e.cycle ?? '?'} (${e.code})`);
  }

  get failed(): boolean {
    return this.ac.signal.aborted;
  }
}

export async function runHosts(spec: RunSpec): Promise<RunResult> {
  const t0 = performance.now();
  const n = spec.hosts.length;
  if (n !== 1 && n !== 2) throw new RangeError(`a run has one host or two, got ${n}`);
  if (spec.backends.length !== n) throw new RangeError(`${n} host(s) but ${spec.backends.length} backend(s)`);
  if (n === 2 && !spec.wire) throw new RangeError('two hosts need a wire');
  const params = spec.params ?? defaultParams({ seed: spec.seed });
  const stuck = spec.stuckCycles ?? DEFAULT_STUCK_CYCLES;
  const idx = spec.hosts.map((_, i) => i);
  const rtl = idx.filter((i) => spec.backends[i] === 'rtl');
  const models = idx.filter((i) => spec.backends[i] === 'model');
  const wireSpec = spec.wire;
  if (wireSpec && rtl.length) {
    const min = params.link_latency + params.sync_window;
    if (wireSpec.latency < min) throw new RangeError(`wire latency ${wireSpec.latency} cycles: with an RTL NIC it must be at least the link latency plus a sync window (${min})`);
  }
  const ctl = new RunControl();
  const watches = spec.hosts.map((h) => h.platform?.watch ?? new HostWatch(h.clock));
  const devs: (Device | undefined)[] = idx.map(() => undefined);
  const up = idx.map(() => false);
  const finished = idx.map(() => false);

  /** What each host waits on, for a stuck or timed-out run. */
  const waits = (): string =>
    idx.map((i) => {
      const w = watches[i]!.describe();
      const d = devs[i] as (Device & { describePending?: () => string }) | undefined;
      const dev = d?.describePending?.();
      // the device's own waits (MMIO, sleeps): "nothing" says nothing here
      const parts = [...w, ...(dev && !dev.startsWith('nothing') ? [`device: ${dev}`] : [])];
      return `${hostName(i)} ${finished[i] ? 'finished' : !up[i] ? 'never started' : `waits on ${parts.join('; ') || 'nothing it names'}`}`;
    }).join('; ');

  // The limit and the stuck check, each time a host is told the time.
  const tick = (i: number, cycle: number): void => {
    if (ctl.failed || finished[i]) return;
    // Which host's simulator is told the time first depends on wall-clock order: the error names
    // a host by simulated state only (the first with a blocking call, else the first unfinished).
    const named = (): number => idx.find((k) => !finished[k] && watches[k]!.describe().length > 0) ?? idx.find((k) => !finished[k]) ?? i;
    if (cycle >= spec.maxCycles) {
      ctl.fail(new RunError('limit', hostName(named()), cycle, `the run did not finish within ${spec.maxCycles} cycles; ${waits()}`, 'E_CYCLE_LIMIT'));
      return;
    }
    const last = Math.max(...watches.map((w) => w.lastProgress));
    if (cycle - last > stuck) {
      ctl.fail(new RunError('stuck', hostName(named()), cycle, `no host made progress for ${stuck} cycles (the last at cycle ${last}): ${waits()}`, 'E_STUCK'));
    }
  };
  const onTime = (i: number, c: number): void => {
    spec.hosts[i]!.onTime?.(c);
    tick(i, c);
  };

  const pcap = wireSpec?.pcapPath ? new PcapWriter(wireSpec.pcapPath, spec.hosts[0]!.clock.periodPs) : undefined;
  const wire = wireSpec ? new Wire(null, null, { latency: wireSpec.latency, seed: spec.seed, faults: wireSpec.faults, ...(pcap ? { pcap } : {}) }) : undefined;

  const hostMain = async (i: number, dev: Device, end: WireEnd): Promise<void> => {
    up[i] = true;
    devs[i] = dev;
    const w = watches[i]!;
    w.onFatal = (e) => {
      if (!ctl.failed) ctl.fail(hostError(hostName(i), dev.clock.cycle, e));
    };
    dev.onIrq(() => w.progress());
    dev.onEthTx(() => w.progress());
    wire?.attach(i === 0 ? 'a' : 'b', end);
    spec.onDevice?.(i, dev);
    try {
      await spec.hosts[i]!.main(dev);
    } catch (e) {
      if (!ctl.failed) ctl.fail(hostError(hostName(i), dev.clock.cycle, e));
      else ctl.recorded.add(e);
      throw e;
    } finally {
      finished[i] = true;
    }
  };

  // How far each side has simulated (every event below it handled), and whether it has ended.
  const reached = idx.map(() => 0);
  const ended = idx.map(() => false);
  const moved = new WaitQueue();
  const setReached = (i: number, c: number): void => {
    if (c > reached[i]!) {
      reached[i] = c;
      moved.wake_up();
    }
  };
  ctl.signal.addEventListener('abort', () => moved.wake_up(), { once: true });
  /** An RTL reply for the window ending at `sync` waits for the other side to get there. */
  const gate = async (i: number, sync: number): Promise<void> => {
    setReached(i, sync);
    while (!ctl.failed && idx.some((k) => k !== i && !ended[k] && reached[k]! < sync)) await moved.wait();
  };

  if (rtl.length > 1 && !spec.listen) buildSimulator(params, spec.simPort, spec.waves ?? false);
  const rtlDir = (i: number): string => {
    const d = n === 1 ? spec.runDir : join(spec.runDir, `nic${i}`);
    mkdirSync(d, { recursive: true });
    return d;
  };
  const rtlRuns = rtl.map(async (i) => {
    const h = spec.hosts[i]!;
    const runDir = rtlDir(i);
    const l = spec.listen;
    try {
      const r = await runCosim({
        params, dma: h.dma, clock: h.clock, onTime: (c) => onTime(i, c), runDir,
        timeoutS: spec.timeoutS ?? 60, waves: spec.waves ?? false, signal: ctl.signal,
        ...(spec.simPort ? { simPort: spec.simPort } : {}),
        ...(l
          ? { external: true, host: l.host, port: l.port ? l.port + i : 0, ...(l.token ? { token: l.token } : {}), onListening: (url: string) => l.onListening(i, url) }
          : { onListening: () => spec.onLaunch?.(i) }),
        main: (s) => hostMain(i, s, rtlWireEnd(s, `nic${i}`)),
        ...(n > 1 ? { beforeReply: (_seq: number, sync: number) => gate(i, sync) } : {}),
        onBatch: (s) => spec.onProgress?.(i, s.clock.cycle),
        ...(spec.onSimProgress ? { onSimProgress: spec.onSimProgress } : {}),
        onHandshake: () => spec.onHandshake?.(i),
      });
      if (r.error && !(ctl.failed && r.aborted !== undefined)) {
        const c = r.error.context.cycle ?? r.cycles;
        // describe() adds where in the stream it happened (batch, message, field)
        ctl.fail(new RunError('bridge', hostName(i), c, r.error.describe().slice(r.error.code.length + 2), r.error.code, {}, r.error));
      }
      if (r.scenarioError !== undefined && !ctl.recorded.has(r.scenarioError)) ctl.fail(hostError(hostName(i), r.cycles, r.scenarioError));
      if (r.aborted !== undefined && !finished[i] && ctl.errors[0]?.host !== hostName(i)) {
        ctl.errors.push(new RunError('consequence', hostName(i), r.cycles, `stopped at cycle ${r.cycles}: ${r.aborted}`, 'E_STOPPED'));
      }
      return { i, r, runDir };
    } finally {
      ended[i] = true;
      moved.wake_up();
    }
  });

  let modelRun: Promise<ModelsRunResult> | undefined;
  if (models.length) {
    modelRun = runModels({
      hosts: models.map((i) => {
        const h = spec.hosts[i]!;
        return { clock: h.clock, dma: h.dma, onTime: (c: number) => onTime(i, c), params: modelParams(params) };
      }),
      seed: spec.seed, transcript: spec.transcript ?? false, signal: ctl.signal,
      configure: (ms) => ms.forEach((m, j) => spec.hosts[models[j]!]!.configureModel?.(m)),
      onProgress: (ms) => ms.forEach((m, j) => spec.onProgress?.(models[j]!, m.sched.now)),
      ...(rtl.length
        ? {
            peers: {
              // RTL frames sent below reached[k] are known; they land a wire latency later
              horizon: () => Math.min(...rtl.map((k) => (ended[k] ? Number.POSITIVE_INFINITY : reached[k]! + wireSpec!.latency))),
              changed: () => moved.wait(),
              ended: () => rtl.every((k) => ended[k]),
              reached: (c: number) => models.forEach((i) => setReached(i, c)),
            },
          }
        : {}),
      main: async (ms) => {
        // each host's part ends on its own; the run waits for all of them
        const parts = ms.map((m, j) => hostMain(models[j]!, m, modelWireEnd(m)));
        const rs = await Promise.allSettled(parts);
        const bad = rs.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (bad) throw bad.reason;
      },
    }).then((m) => {
      if (m.scenarioError !== undefined && !ctl.recorded.has(m.scenarioError)) {
        const i = models.find((k) => !finished[k]) ?? models[0]!;
        if (m.idle) ctl.fail(new RunError('stuck', hostName(i), m.cycles, `nothing left to simulate with the software unfinished: ${waits()}`, 'E_STUCK'));
        else ctl.fail(hostError(hostName(i), m.cycles, m.scenarioError));
      }
      if (m.aborted) {
        for (const i of models) {
          if (!finished[i] && ctl.errors[0]?.host !== hostName(i)) ctl.errors.push(new RunError('consequence', hostName(i), m.cycles, `stopped at cycle ${m.cycles}: ${String(ctl.signal.reason)}`, 'E_STOPPED'));
        }
      }
      return m;
    }).finally(() => {
      for (const i of models) ended[i] = true;
      moved.wake_up();
    });
  }

  const rtlResults = await Promise.all(rtlRuns);
  const m = modelRun ? await modelRun : undefined;
  wire?.close();
  if (!ctl.failed && !up.every(Boolean)) ctl.fail(new RunError('bridge', null, null, `${idx.filter((i) => !up[i]).map(hostName).join(' and ')} never came up`, 'E_PEER_GONE'));
  if (!ctl.failed && spec.check) {
    try {
      spec.check(wire);
    } catch (e) {
      ctl.fail(new RunError('check', null, Math.max(...spec.hosts.map((h) => h.clock.cycle)), e instanceof Error ? e.message : String(e), 'E_SCENARIO', {}, e));
    }
  }

  const hosts: HostOutcome[] = idx.map((i) => {
    const rr = rtlResults.find((x) => x.i === i);
    if (rr) {
      const r = rr.r;
      return {
        name: hostName(i), backend: 'rtl', cycles: r.cycles, ...(r.transcript ? { transcript: r.transcript } : {}),
        stats: { ...(r.session?.stats ?? newSessionStats()) }, faults: r.session?.faults ?? [], events: r.session?.events ?? [],
        frames: r.frames, startupSeconds: r.startupSeconds, simSeconds: r.simSeconds, wallSeconds: r.wallSeconds, simExitCode: r.simExitCode,
        runDir: rr.runDir, waves: spec.waves ?? false,
      };
    }
    const j = models.indexOf(i);
    const d = m!.devices[j]!;
    return {
      name: hostName(i), backend: 'model', cycles: d.sched.now, ...(m!.transcripts ? { transcript: m!.transcripts[j]! } : {}),
      stats: { ...d.stats, counters: { ...d.counters } }, faults: d.faults, events: d.events,
      frames: { in: 0, out: 0, bytesIn: 0, bytesOut: 0 }, startupSeconds: 0, simSeconds: m!.wallSeconds, wallSeconds: m!.wallSeconds, simExitCode: null,
      waves: false, model: d,
    };
  });
  const errors = ctl.errors;
  const first = errors[0];
  return {
    ok: errors.length === 0, errors, hosts, cycles: Math.max(...hosts.map((h) => h.cycles)),
    ...(wire ? { wire } : {}),
    wallSeconds: (performance.now() - t0) / 1000,
    stopSeconds: ctl.failedAt !== undefined ? (performance.now() - ctl.failedAt) / 1000 : null,
    exitCode: !first ? EXIT.OK : first.kind === 'bridge' ? (EXIT as Record<string, number>)[first.code] ?? EXIT.E_SCENARIO : EXIT.E_SCENARIO,
  };
}

function modelParams(p: LinkParams): Partial<ModelParams> {
  return { dataBytes: p.nic.data_bytes, latency: p.link_latency };
}

/** Build the simulator once before two start (they would race on the build folder). */
export function buildSimulator(params: LinkParams, simPort: SimPort | undefined, waves: boolean): void {
  const dw = params.nic.data_bytes * 8;
  execFileSync(venvPython(), ['-m', 'zcnic_tb.cosim', '--build-only', ...(simPort ? ['--port', simPort] : []), ...(waves ? ['--waves'] : []),
    ...(dw !== 64 ? ['--param', `DATA_WIDTH=${dw}`] : [])], {
    cwd: repoRoot, env: simulatorEnv(), stdio: ['ignore', 'ignore', 'inherit'],
  });
}
