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
  const main = async (dev: Device): Promise<void> => {
    const drv = new ZcnicDriver(dev, h.host, h.pdev);
    const info = o.probe === false ? undefined : await drv.probe();
    await body({ backend, dev, h, drv, info });
  };
  const maxCycles = o.maxCycles ?? 50_000_000;
  const seed = o.seed ?? 1;
  const dmaDebugErrors = (): number => h.host.stats().dmaDebugErrors;
  if (backend === 'model') {
    const r = await runModel({
      clock: h.clock, dma: h.dma, onTime: (c) => h.onTime(c), main, maxCycles, seed, transcript: true,
      ...(o.configureModel ? { configure: o.configureModel } : {}),
    });
    if (r.scenarioError !== undefined) throw r.scenarioError;
    return { backend, cycles: r.cycles, ...(r.transcript ? { transcript: r.transcript } : {}), dmaDebugErrors: dmaDebugErrors() };
  }
  const r = await runCosim({
    params: defaultParams({ seed }), dma: h.dma, clock: h.clock, onTime: (c) => h.onTime(c), main, maxCycles,
    runDir: o.runDir ?? scratchRunDir('fixture'),
  });
  if (r.scenarioError !== undefined) throw r.scenarioError;
  if (r.error) throw r.error;
  return { backend, cycles: r.cycles, ...(r.transcript ? { transcript: r.transcript } : {}), dmaDebugErrors: dmaDebugErrors() };
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
  const common = { clock: inst.clock, dma: inst.dma, onTime: (c: number) => inst.onTime?.(c), main: (d: Device) => inst.main(d), maxCycles: sc.maxCycles };
  if (backend === 'model') {
    const r = await runModel({ ...common, seed, transcript: o.transcript ?? true });
    if (r.scenarioError !== undefined) throw r.scenarioError;
    return { backend, cycles: r.cycles, report: inst.report?.() ?? {}, ...(r.transcript ? { transcript: r.transcript } : {}) };
  }
  const r = await runCosim({ ...common, params: defaultParams({ seed }), runDir: o.runDir ?? scratchRunDir(`scenario-${name}`) });
  if (r.scenarioError !== undefined) throw r.scenarioError;
  if (r.error) throw r.error;
  return { backend, cycles: r.cycles, report: inst.report?.() ?? {}, ...(r.transcript ? { transcript: r.transcript } : {}) };
}
