// A `make sim` scenario as a run job: one host (its MAC captured to mac.pcap, and on the model
// MAC loopback to loopback.pcap) or a pair on a wire (captured to wire.pcap).

import { join } from 'node:path';
import type { SimPort } from '../bridge/launch.js';
import type { LinkParams } from '../abi/link.js';
import type { Device } from '../device/device.js';
import type { ZcnicModel } from '../model/nic.js';
import { PcapWriter } from '../wire/pcap.js';
import type { Wire } from '../wire/wire.js';
import type { Transcript } from '../device/transcript.js';
import { PAIR_SCENARIOS, SCENARIOS } from '../scenarios/index.js';
import { type ScenarioOptions } from '../scenarios/types.js';
import type { PairInstance, TwoHostsOptions } from '../scenarios/types.js';
import { repoRoot } from '../lib/repo.js';
import type { BuiltRun, RunJob } from './bundle.js';
import { runHosts, type Backend, type RunResult, type RunSpec } from './run.js';

export interface ScenarioJobOptions {
  readonly scenario: string;
  readonly seed: number;
  readonly backends: readonly Backend[];
  readonly opts: ScenarioOptions & TwoHostsOptions;
  readonly params: LinkParams;
  readonly reproduce: string;
  readonly waves: boolean;
  readonly rerunWithWaves: boolean;
  readonly maxCycles?: number;
  readonly stuckCycles?: number;
  readonly simPort?: SimPort;
  readonly timeoutS?: number;
  readonly transcript?: boolean;
  /** The rest of the run's spec: progress callbacks, listening for simulators started elsewhere. */
  readonly spec?: Partial<Pick<RunSpec, 'listen' | 'onProgress' | 'onSimProgress' | 'onHandshake' | 'onLaunch'>>;
  /** Called with each fresh run's progress line maker (the scenario's own line). */
  readonly onBuild?: (progress: (() => string) | undefined) => void;
  /** Model only: set the model up (the test-only wrong model). */
  readonly configureModel?: (m: ZcnicModel) => void;
}

function isModel(d: Device): d is ZcnicModel {
  return 'onLoopback' in d;
}

export function scenarioJob(o: ScenarioJobOptions): RunJob {
  const pair = PAIR_SCENARIOS[o.scenario];
  const single = SCENARIOS[o.scenario];
  if (!pair && !single) throw new RangeError(`no scenario '${o.scenario}'`);
  const maxCycles = o.maxCycles ?? (pair ?? single)!.maxCycles;
  const common = (waves: boolean, runDir: string): Omit<RunSpec, 'hosts' | 'backends'> => ({
    seed: o.seed, maxCycles, runDir, waves, params: o.params, transcript: o.transcript ?? true,
    ...(o.stuckCycles !== undefined ? { stuckCycles: o.stuckCycles } : {}),
    ...(o.simPort ? { simPort: o.simPort } : {}), ...(o.timeoutS !== undefined ? { timeoutS: o.timeoutS } : {}),
    ...o.spec,
  });
  const build = ({ waves, runDir }: { readonly waves: boolean; readonly runDir: string }): BuiltRun => {
    if (pair) {
      const inst = pair.setup(o.seed, o.opts);
      o.onBuild?.(() => inst.progress());
      return {
        spec: {
          ...common(waves, runDir), backends: o.backends,
          hosts: inst.hosts.map((h, i) => ({
            clock: h.clock, dma: h.dma, onTime: (c: number) => h.onTime(c), platform: h.host, main: (d: Device) => inst.start(i as 0 | 1, d),
            ...(o.configureModel ? { configureModel: o.configureModel } : {}),
          })),
          wire: { ...inst.wire, pcapPath: join(runDir, 'wire.pcap') },
          check: (w) => inst.check(w!),
        },
        report: () => inst.report(),
        lines: () => inst.lines?.() ?? [],
        pcaps: (r) => [{ file: 'wire.pcap', frames: r.wire?.delivered ?? 0, what: 'the wire between the two NICs' }],
      };
    }
    const inst = single!.setup(o.seed, { ...o.opts, ...(o.params.nic.data_bytes !== 8 ? { dataBytes: o.params.nic.data_bytes } : {}) });
    o.onBuild?.(inst.progress ? () => inst.progress!() : undefined);
    const periodPs = o.params.clock_period_ps;
    const mac = new PcapWriter(join(runDir, 'mac.pcap'), periodPs);
    const onModel = o.backends[0] === 'model';
    const loopback = onModel ? new PcapWriter(join(runDir, 'loopback.pcap'), periodPs) : undefined;
    return {
      spec: {
        ...common(waves, runDir), backends: o.backends,
        hosts: [{
          clock: inst.clock, dma: inst.dma, onTime: (c: number) => inst.onTime?.(c), main: (d: Device) => inst.main(d),
          ...(inst.platform ? { platform: inst.platform } : {}), ...(o.configureModel ? { configureModel: o.configureModel } : {}),
        }],
        onDevice: (_i, dev) => {
          dev.onEthTx((f) => mac.write(f.cycle, f.frame));
          if (loopback && isModel(dev)) dev.onLoopback((f, c) => loopback.write(c, f));
        },
      },
      ...(inst.report ? { report: () => inst.report!() } : {}),
      pcaps: () => {
        mac.close();
        loopback?.close();
        return [
          { file: 'mac.pcap', frames: mac.frames, what: 'frames out of the MAC port' },
          ...(loopback ? [{ file: 'loopback.pcap', frames: loopback.frames, what: 'frames MAC loopback carried (the model only: the RTL keeps them inside the NIC)' }] : []),
        ];
      },
    };
  };
  return {
    scenario: o.scenario, seed: o.seed, backends: o.backends, params: o.params, waves: o.waves, rerunWithWaves: o.rerunWithWaves,
    reproduce: o.reproduce, build, ...(o.simPort ? { simPort: o.simPort } : {}),
  };
}

/** A pair scenario's instance (or stackPair's) run on two backends; the result says what failed. */
export function runPair(
  inst: PairInstance, backends: readonly [Backend, Backend],
  o: { readonly seed: number; readonly maxCycles: number; readonly transcript?: boolean; readonly pcapPath?: string; readonly stuckCycles?: number; readonly runDir?: string },
): Promise<PairResult> {
  return runHosts({
    hosts: inst.hosts.map((h, i) => ({ clock: h.clock, dma: h.dma, onTime: (c: number) => h.onTime(c), platform: h.host, main: (d: Device) => inst.start(i as 0 | 1, d) })),
    backends, seed: o.seed, maxCycles: o.maxCycles, runDir: o.runDir ?? join(repoRoot, 'sim', 'out', 'tmp', 'pair'),
    transcript: o.transcript ?? false, wire: { ...inst.wire, ...(o.pcapPath ? { pcapPath: o.pcapPath } : {}) },
    check: (w) => inst.check(w!), ...(o.stuckCycles !== undefined ? { stuckCycles: o.stuckCycles } : {}),
  }).then((r) => ({ ...r, wire: r.wire!, transcripts: r.hosts.map((h) => h.transcript) }));
}

export interface PairResult extends RunResult {
  readonly wire: Wire;
  readonly transcripts: readonly (Transcript | undefined)[];
}
