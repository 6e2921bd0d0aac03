// The fixture for users' regression tests (docs/fixture.md): a host platform with the NIC on
// either backend, the driver probed, the test's code run as the host's software; or two hosts
// with their network stacks on a wire, each running its part; or a whole `make sim` scenario.
// The same test body runs on the RTL (over the bridge, a Verilator simulator launched for it)
// and on the reference model (in process, in milliseconds). Every run goes through the run
// harness (src/harness/): the first error fails the test at once, located (host, cycle, frame),
// and a failed run leaves a bundle (summary.json with the reproduce command, transcripts, pcaps,
// and on the RTL waves when asked for) whose folder the error names.

import { relative } from 'node:path';
import { repoRoot } from '../lib/repo.js';
import { defaultParams } from '../abi/link.js';
import type { Transcript } from '../device/transcript.js';
import type { Device } from '../device/device.js';
import { ZcnicDriver, type DeviceInfo } from '../drivers/zcnic/zcnic.js';
import { runJob, type BuiltRun, type RunJob } from '../harness/bundle.js';
import { throwIfFailed } from '../harness/errors.js';
import { BACKENDS, type Backend, type RunResult } from '../harness/run.js';
import { scenarioJob } from '../harness/scenario.js';
import type { ZcnicModel } from '../model/nic.js';
import { scenarioHost, type IommuChoice, type ScenarioHost } from '../host/machine.js';
import { NetHost, type NetHostOptions } from '../host/net_host.js';
import { stackPair } from '../scenarios/lib/stack_pair.js';
import type { ScenarioOptions } from '../scenarios/types.js';
import { WIRE_LATENCY } from '../scenarios/types.js';
import type { Wire, WireFaults } from '../wire/wire.js';
import { scratchRunDir } from './scratch.js';

export { BACKENDS, type Backend };

/** What every fixture run takes. */
export interface RunOptions {
  readonly seed?: number;
  /** Fail the run if it has not finished by this simulated cycle (default 50M). */
  readonly maxCycles?: number;
  /** Fail the run when no host made progress for this many cycles (the harness's default otherwise). */
  readonly stuckCycles?: number;
  /** The run folder; default: a new folder under sim/out/tmp. */
  readonly runDir?: string;
  /** RTL: waveforms (waves.fst and waves.gtkw per NIC, in the run folder). */
  readonly waves?: boolean;
  /**
   * RTL: a failed run without waves is run again with them, the same seed, into waves-rerun/
   * (default: the ZCNIC_RERUN_WAVES environment variable, off unless it is 1).
   */
  readonly rerunWithWaves?: boolean;
}

export interface HostOptions extends RunOptions {
  readonly iommu?: IommuChoice;
  readonly swiotlb?: 'auto' | 'off';
  /** Model only: set the model up before the body runs (e.g. the test-only wrong model). */
  readonly configureModel?: (m: ZcnicModel) => void;
  /** Probe the driver before the body (default true); the body gets `drv` and `info` then. */
  readonly probe?: boolean;
}

export interface NicHost {
  readonly backend: Backend;
  readonly dev: Device;
  /** The host platform: memory, IOMMU, DMA API, the NIC's struct device, its clock. */
  readonly h: ScenarioHost;
  readonly drv: ZcnicDriver;
  /** What probe() found (undefined with probe: false). */
  readonly info: DeviceInfo | undefined;
}

export interface HostRun {
  readonly backend: Backend;
  readonly cycles: number;
  readonly transcript?: Transcript;
  /** dma-debug reports of the host at the end (0 for a clean run). */
  readonly dmaDebugErrors: number;
  /** The run folder (summary.json and the rest are written there when a run fails). */
  readonly runDir: string;
}

/** The vitest command that runs the current test again, with the environment that shaped it. */
export async function reproduceTest(): Promise<string> {
  if (!process.env['VITEST']) return `node ${process.argv.slice(1).join(' ')}`;
  const { expect } = await import('vitest');
  const st = expect.getState();
  const file = st.testPath ? relative(repoRoot, st.testPath) : '<test file>';
  const env = Object.entries(process.env).filter(([k]) => k.startsWith('ZCNIC_')).map(([k, v]) => `${k}=${v} `).join('');
  // -t takes a regular expression: the test's own title, its metacharacters escaped
  const name = ((st.currentTestName ?? '').split(' > ').at(-1) ?? '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return `${env}node_modules/.bin/vitest run ${file}${name ? ` -t '${name.replace(/'/g, `'\\''`)}'` : ''}`;
}

async function fixtureJob(scenario: string, backends: readonly Backend[], o: RunOptions, build: RunJob['build']): Promise<RunJob> {
  return {
    scenario, seed: o.seed ?? 1, backends, params: defaultParams({ seed: o.seed ?? 1 }), waves: o.waves ?? false,
    rerunWithWaves: o.rerunWithWaves ?? process.env['ZCNIC_RERUN_WAVES'] === '1', reproduce: await reproduceTest(), build,
    writeOnPass: false,
  };
}

async function runFixture(job: RunJob, o: RunOptions, scratch: string): Promise<{ r: RunResult; runDir: string }> {
  const runDir = o.runDir ?? scratchRunDir(scratch);
  const { result } = await runJob(job, runDir);
  throwIfFailed(result.errors, relative(repoRoot, runDir));
  return { r: result, runDir };
}

/**
 * Run `body` as the software of one host whose NIC is `backend`. Resolves when the body has
 * finished and the simulator (if any) has stopped; rejects with the body's error located (host,
 * cycle), or with the run's (a bridge fault, a stuck run, the cycle limit).
 */
export async function withHost(backend: Backend, body: (nh: NicHost) => Promise<void>, o: HostOptions = {}): Promise<HostRun> {
  let h!: ScenarioHost;
  const job = await fixtureJob('fixture', [backend], o, ({ waves, runDir }): BuiltRun => {
    h = scenarioHost(o.iommu ?? 'strict', { swiotlb: o.swiotlb ?? 'auto' });
    return {
      spec: {
        hosts: [{
          clock: h.clock, dma: h.dma, onTime: (c) => h.onTime(c), platform: h.host, ...(o.configureModel ? { configureModel: o.configureModel } : {}),
          main: async (dev) => {
            const drv = new ZcnicDriver(dev, h.host, h.pdev);
            const info = o.probe === false ? undefined : await drv.probe();
            await body({ backend, dev, h, drv, info });
          },
        }],
        backends: [backend], seed: o.seed ?? 1, maxCycles: o.maxCycles ?? 50_000_000, runDir, waves, transcript: true,
        ...(o.stuckCycles !== undefined ? { stuckCycles: o.stuckCycles } : {}),
      },
    };
  });
  const { r, runDir } = await runFixture(job, o, 'fixture');
  const t = r.hosts[0]!.transcript;
  return { backend, cycles: r.cycles, ...(t ? { transcript: t } : {}), dmaDebugErrors: h.host.stats().dmaDebugErrors, runDir };
}

export interface PairOptions extends RunOptions {
  readonly iommu?: IommuChoice;
  readonly swiotlb?: 'auto' | 'off';
  /** Each host's stack options (MTU, ethtool -K features, queue set-up). */
  readonly hosts?: readonly [NetHostOptions?, NetHostOptions?];
  /** Runs on each host once its stack is up, before either part starts (e.g. an ethtool filter). */
  readonly setup?: (h: NetHost) => Promise<void>;
  readonly wireFaults?: WireFaults;
  /** Cycles from one MAC to the other (default WIRE_LATENCY). */
  readonly latency?: number;
  /** After both parts: checks that need the wire (throws). */
  readonly check?: (wire: Wire) => void;
}

export interface PairRun {
  readonly backends: readonly [Backend, Backend];
  readonly cycles: number;
  readonly wire: Wire;
  readonly transcripts: readonly (Transcript | undefined)[];
  readonly runDir: string;
  /** The two hosts as they were at the end (after down()). */
  readonly hosts: readonly [NetHost, NetHost];
}

/**
 * Two hosts with their network stacks up (driver probed, netdev open, addresses 10.0.0.1 and
 * 10.0.0.2), joined by a wire, each running its part: the parts get a NetHost to spawn
 * processes and make socket calls. Both meet before the parts and after; at the end each host
 * goes down and must hold nothing (pages, pins, locked memory, dma-debug reports, faults).
 * Rejects with the first error of either host, located.
 */
export async function withPair(
  backends: Backend | readonly [Backend, Backend],
  parts: readonly [(h: NetHost) => Promise<void>, (h: NetHost) => Promise<void>],
  o: PairOptions = {},
): Promise<PairRun> {
  const bk: readonly [Backend, Backend] = typeof backends === 'string' ? [backends, backends] : backends;
  let netHosts: (NetHost | undefined)[] = [];
  const job = await fixtureJob('pair', bk, o, ({ waves, runDir }): BuiltRun => {
    const mk = (): ScenarioHost => scenarioHost(o.iommu ?? 'strict', { swiotlb: o.swiotlb ?? 'auto' });
    const setup = o.setup;
    const inst = stackPair({
      hosts: [mk(), mk()], latency: o.latency ?? WIRE_LATENCY, faults: o.wireFaults ?? {},
      ...(o.hosts ? { options: o.hosts } : {}),
      parts,
      ...(setup ? { setup } : {}),
      ...(o.check ? { check: o.check } : {}),
    });
    netHosts = inst.netHosts;
    return {
      spec: {
        hosts: inst.hosts.map((h, i) => ({ clock: h.clock, dma: h.dma, onTime: (c: number) => h.onTime(c), platform: h.host, main: (d: Device) => inst.start(i as 0 | 1, d) })),
        backends: bk, seed: o.seed ?? 1, maxCycles: o.maxCycles ?? 200_000_000, runDir, waves, transcript: true,
        wire: { ...inst.wire },
        check: (w) => inst.check(w!),
        ...(o.stuckCycles !== undefined ? { stuckCycles: o.stuckCycles } : {}),
      },
    };
  });
  const { r, runDir } = await runFixture(job, o, 'pair');
  return {
    backends: bk, cycles: r.cycles, wire: r.wire!, transcripts: r.hosts.map((h) => h.transcript), runDir,
    hosts: [netHosts[0]!, netHosts[1]!],
  };
}

export interface ScenarioRun {
  readonly backend: Backend;
  readonly cycles: number;
  /** The scenario's summary figures (summary.json's `host`). */
  readonly report: Record<string, unknown>;
  readonly transcript?: Transcript;
}

/** Run one `make sim` scenario (one host) on `backend`, in this process; rejects with its first error. */
export async function runScenario(
  backend: Backend, name: string, seed: number, opts: ScenarioOptions = {},
  /** transcript: keep the model's transcript (default true; the RTL's is always kept) */
  o: RunOptions & { readonly transcript?: boolean } = {},
): Promise<ScenarioRun> {
  let report: Record<string, unknown> = {};
  const job = scenarioJob({
    scenario: name, seed, backends: [backend], opts, params: defaultParams({ seed }), reproduce: await reproduceTest(),
    waves: o.waves ?? false, rerunWithWaves: o.rerunWithWaves ?? process.env['ZCNIC_RERUN_WAVES'] === '1', transcript: o.transcript ?? true,
    ...(o.maxCycles !== undefined ? { maxCycles: o.maxCycles } : {}), ...(o.stuckCycles !== undefined ? { stuckCycles: o.stuckCycles } : {}),
  });
  const runDir = o.runDir ?? scratchRunDir(`scenario-${name}`);
  const { result, summary } = await runJob({ ...job, writeOnPass: false }, runDir);
  throwIfFailed(result.errors, relative(repoRoot, runDir));
  report = (summary['host'] ?? {}) as Record<string, unknown>;
  const t = result.hosts[0]!.transcript;
  return { backend, cycles: result.cycles, report, ...(t ? { transcript: t } : {}) };
}
