// `make sim SCENARIO=diff`: the traffic scenario with the same seed and options on the RTL (a
// simulator launched for it) and on the reference model, then the first difference of any
// delivered frame, completion field, drop count or STAT_* counter (src/scenarios/diff.ts).
// The run folder holds both transcripts and summary.json; the exit is non-zero on a difference.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoRoot } from '../abi/gen.js';
import { EXIT, type LinkParams } from '../bridge/protocol.js';
import { runCosim } from '../bridge/run.js';
import type { SimPort } from '../bridge/launch.js';
import { runModel } from '../model/run.js';
import { firstDifference, type Delivery, type DiffSide } from '../scenarios/diff.js';
import type { ScenarioOptions } from '../scenarios/index.js';
import { trafficScenario } from '../scenarios/traffic.js';
import { scenarioErrorText } from './errors.js';

export interface DiffCliOptions {
  readonly seed: number;
  readonly opts: ScenarioOptions;
  readonly runDir: string;
  readonly params: LinkParams;
  readonly maxCycles: number;
  readonly timeoutS: number;
  readonly simPort: SimPort;
  readonly reproduce: string;
  /** Test-only: the model steers this frame (0 = the first it classifies) to the wrong queue. */
  readonly misSteer?: number;
}

interface SideRun {
  readonly side: DiffSide;
  readonly errors: string[];
  readonly mismatches: string[];
  readonly cycles: number;
  readonly transcriptSha: string | null;
}

export async function runDiffCli(o: DiffCliOptions): Promise<number> {
  const opts = (deliveries: Delivery[]): ScenarioOptions => ({ ...o.opts, deliveries, scoreboard: 'record' });
  const ethtool = (rep: Record<string, unknown>): Record<string, number> => (rep['ethtool_stats'] ?? {}) as Record<string, number>;

  process.stderr.write('zcnic: diff: traffic on the RTL\n');
  const dRtl: Delivery[] = [];
  const iRtl = trafficScenario.setup(o.seed, opts(dRtl));
  const rtlDir = join(o.runDir, 'rtl');
  mkdirSync(rtlDir, { recursive: true });
  const r = await runCosim({
    params: o.params, dma: iRtl.dma, clock: iRtl.clock, onTime: (c) => iRtl.onTime?.(c), main: (dev) => iRtl.main(dev),
    maxCycles: o.maxCycles, runDir: rtlDir, timeoutS: o.timeoutS, simPort: o.simPort,
  });
  writeFileSync(join(o.runDir, 'transcript.rtl.txt'), r.transcript?.text() ?? '');
  const repRtl = iRtl.report?.() ?? {};
  const rtl: SideRun = {
    side: { label: 'rtl', deliveries: dRtl, stats: ethtool(repRtl) },
    errors: [...(r.error ? [r.error.describe()] : []), ...(r.scenarioError !== undefined ? [scenarioErrorText(r.scenarioError)] : [])],
    mismatches: (repRtl['scoreboard_mismatches'] ?? []) as string[], cycles: r.cycles, transcriptSha: r.transcript?.sha256() ?? null,
  };

  process.stderr.write('zcnic: diff: traffic on the model\n');
  const dModel: Delivery[] = [];
  const iModel = trafficScenario.setup(o.seed, opts(dModel));
  const m = await runModel({
    clock: iModel.clock, dma: iModel.dma, onTime: (c) => iModel.onTime?.(c), main: (dev) => iModel.main(dev),
    params: { dataBytes: o.params.nic.data_bytes, latency: o.params.link_latency }, maxCycles: o.maxCycles, seed: o.seed, transcript: true,
    ...(o.misSteer !== undefined ? { configure: (dev) => dev.misSteer(o.misSteer!) } : {}),
  });
  writeFileSync(join(o.runDir, 'transcript.model.txt'), m.transcript?.text() ?? '');
  const repModel = iModel.report?.() ?? {};
  const model: SideRun = {
    side: { label: 'model', deliveries: dModel, stats: ethtool(repModel) },
    errors: m.scenarioError !== undefined ? [scenarioErrorText(m.scenarioError)] : [],
    mismatches: (repModel['scoreboard_mismatches'] ?? []) as string[], cycles: m.cycles, transcriptSha: m.transcript?.sha256() ?? null,
  };

  const diff = firstDifference(rtl.side, model.side);
  const errors = [
    ...(diff ? [`E_DIFF: ${diff.text}`] : []),
    ...rtl.errors.map((e) => `rtl: ${e}`), ...model.errors.map((e) => `model: ${e}`),
    ...rtl.mismatches.slice(0, 1).map((e) => `rtl: scoreboard: ${e}`), ...model.mismatches.slice(0, 1).map((e) => `model: scoreboard: ${e}`),
  ];
  const exitCode = errors.length ? EXIT.E_SCENARIO : EXIT.OK;
  const sideSummary = (s: SideRun): Record<string, unknown> => ({
    simulated_cycles: s.cycles, frames_delivered: s.side.deliveries.length, transcript_sha256: s.transcriptSha,
    scoreboard_mismatches: s.mismatches.length, errors: s.errors,
    stats: Object.fromEntries(Object.entries(s.side.stats).filter(([k]) => !k.startsWith('tx_queue_') && !k.startsWith('rx_queue_'))),
  });
  const summary = {
    scenario: 'diff', seed: o.seed, result: exitCode === 0 ? 'pass' : 'fail', exit_code: exitCode, reproduce: o.reproduce,
    compared: { frames: new Set([...dRtl, ...dModel].map((d) => d.seq)).size, completions: dRtl.reduce((a, d) => a + d.cqes.length, 0) },
    first_difference: diff, rtl: sideSummary(rtl), model: sideSummary(model), errors,
    ...(o.misSteer !== undefined ? { test_model_fault: { missteer: o.misSteer } } : {}),
  };
  writeFileSync(join(o.runDir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  for (const e of errors) process.stderr.write(`zcnic: ${e}\n`);
  process.stderr.write(
    `zcnic: ${summary.result.toUpperCase()} diff seed=${o.seed}: ${summary.compared.frames} frames and ${summary.compared.completions} completions compared ` +
      `(rtl ${rtl.cycles} cycles, model ${model.cycles} cycles)\nzcnic: run folder ${relative(repoRoot, o.runDir)} (also sim/out/latest)\n`,
  );
  return exitCode;
}
