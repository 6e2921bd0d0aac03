// The fixture for users' regression tests (docs/fixture.md): a host platform with the NIC on
// either backend, the driver probed, the test's code run as the host's software, and the run's
// figures returned. The same test body runs on the RTL (over the bridge, a Verilator simulator
// launched for it) and on the reference model (in process, in milliseconds).

import { runCosim } from '../bridge/run.js';
import { defaultParams } from '../bridge/server.js';
import type { Transcript } from '../bridge/transcript.js';
import type { Device } from '../device/device.js';
import { ZcnicDriver, type DeviceInfo } from '../driver/zcnic.js';
import { runModel } from '../model/run.js';
import type { ZcnicModel } from '../model/nic.js';
import { scenarioHost, type IommuChoice, type ScenarioHost } from '../scenarios/host.js';
import { scratchRunDir } from './scratch.js';
import { SCENARIOS, type ScenarioOptions } from '../scenarios/index.js';

export type Backend = 'rtl' | 'model';
export const BACKENDS: readonly Backend[] = ['rtl', 'model'];

export interface HostOptions {
  readonly iommu?: IommuChoice;
  readonly swiotlb?: 'auto' | 'off';
  readonly seed?: number;
  /** Fail the run if the body has not finished by this simulated cycle (default 50M). */
  readonly maxCycles?: number;
  /** The RTL's run folder (sim.log); default: a folder under sim/out/tmp. */
  readonly runDir?: string;
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
}

/**
 * Run `body` as the software of one host whose NIC is `backend`. Resolves when the body has
 * finished and the simulator (if any) has stopped; rejects with the body's error, or with the
 * run's (a bridge fault, a timeout of simulated time).
 */
export async function withHost(backend: Backend, body: (nh: NicHost) => Promise<void>, o: HostOptions = {}): Promise<HostRun> {
  const h = scenarioHost(o.iommu ?? 'strict', { swiotlb: o.swiotlb ?? 'auto' });
  const r = await runOn(backend, {
    clock: h.clock, dma: h.dma, onTime: (c) => h.onTime(c), maxCycles: o.maxCycles ?? 50_000_000, seed: o.seed ?? 1,
    runDir: o.runDir, scratch: 'fixture', transcript: true, ...(o.configureModel ? { configureModel: o.configureModel } : {}),
    main: async (dev) => {
      const drv = new ZcnicDriver(dev, h.host, h.pdev);
      const info = o.probe === false ? undefined : await drv.probe();
      await body({ backend, dev, h, drv, info });
    },
  });
  return { backend, ...r, dmaDebugErrors: h.host.stats().dmaDebugErrors };
}

/** One run of host software on either backend; rejects with its error (the scenario's or the bridge's). */
async function runOn(backend: Backend, o: {
  readonly clock: ScenarioHost['clock'];
  readonly dma: ScenarioHost['dma'];
  readonly onTime: (cycle: number) => void;
  readonly main: (dev: Device) => Promise<void>;
  readonly maxCycles: number;
  readonly seed: number;
  /** The RTL's run folder; without it, a scratch folder named after `scratch`. */
  readonly runDir: string | undefined;
  readonly scratch: string;
  readonly transcript: boolean;
  readonly configureModel?: (m: ZcnicModel) => void;
}): Promise<{ readonly cycles: number; readonly transcript?: Transcript }> {
  const { clock, dma, onTime, main, maxCycles, seed } = o;
  if (backend === 'model') {
    const r = await runModel({ clock, dma, onTime, main, maxCycles, seed, transcript: o.transcript, ...(o.configureModel ? { configure: o.configureModel } : {}) });
    if (r.scenarioError !== undefined) throw r.scenarioError;
    return { cycles: r.cycles, ...(r.transcript ? { transcript: r.transcript } : {}) };
  }
  const runDir = o.runDir ?? scratchRunDir(o.scratch);
  const r = await runCosim({ params: defaultParams({ seed }), dma, clock, onTime, main, maxCycles, runDir });
  if (r.scenarioError !== undefined) throw r.scenarioError;
  if (r.error) throw r.error;
  return { cycles: r.cycles, ...(r.transcript ? { transcript: r.transcript } : {}) };
}

export interface ScenarioRun {
  readonly backend: Backend;
  readonly cycles: number;
  /** The scenario's summary figures (summary.json's `host`). */
  readonly report: Record<string, unknown>;
  readonly transcript?: Transcript;
}

/** Run one `make sim` scenario on `backend`, in this process; rejects with its error. */
export async function runScenario(
  backend: Backend, name: string, seed: number, opts: ScenarioOptions = {},
  /** transcript: keep the model's transcript (default true; the RTL's is always kept) */
  o: { readonly runDir?: string; readonly transcript?: boolean } = {},
): Promise<ScenarioRun> {
  const sc = SCENARIOS[name];
  if (!sc) throw new RangeError(`no scenario '${name}'`);
  const inst = sc.setup(seed, opts);
  const r = await runOn(backend, {
    clock: inst.clock, dma: inst.dma, onTime: (c) => inst.onTime?.(c), main: (d) => inst.main(d), maxCycles: sc.maxCycles, seed,
    runDir: o.runDir, scratch: `scenario-${name}`, transcript: o.transcript ?? true,
  });
  return { backend, ...r, report: inst.report?.() ?? {} };
}
