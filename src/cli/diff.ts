// `make sim SCENARIO=diff`: the traffic scenario with the same seed and options on the RTL (a
// simulator launched for it) and on the reference model, then the first difference of any
// delivered frame, completion field, drop count or STAT_* counter (src/scenarios/lib/diff.ts).
// The run folder holds both transcripts and summary.json; the exit is non-zero on a difference.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoRoot } from '../lib/repo.js';
import { EXIT, type LinkParams } from '../abi/link.js';
import type { SimPort } from '../bridge/launch.js';
import { firstDifference, type Delivery, type DiffSide } from '../scenarios/lib/diff.js';
import type { ScenarioOptions } from '../scenarios/types.js';
import { trafficScenario } from '../scenarios/traffic.js';
import { runHosts, type Backend } from '../harness/run.js';

export interface DiffCliOptions {
  readonly seed: number;
  readonly opts: ScenarioOptions;
  readonly runDir: string;
  readonly params: LinkParams;
  readonly maxCycles: number;
  readonly stuckCycles?: number;
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
  const ethtool = (rep: Record<string, unknown>): Record<string, number> => (rep['ethtool_stats'] ?? {}) as Record<string, number>;

  /** The traffic scenario on one backend, its deliveries recorded (the diff is the judge). */
  const side = async (backend: Backend): Promise<SideRun> => {
    process.stderr.write(`zcnic: diff: traffic on the ${backend === 'rtl' ? 'RTL' : 'model'}\n`);
    const deliveries: Delivery[] = [];
    const inst = trafficScenario.setup(o.seed, { ...o.opts, deliveries, scoreboard: 'record' });
    const dir = join(o.runDir, backend);
    mkdirSync(dir, { recursive: true });
    const r = await runHosts({
      hosts: [{
        clock: inst.clock, dma: inst.dma, onTime: (c) => inst.onTime?.(c), main: (dev) => inst.main(dev), ...(inst.platform ? { platform: inst.platform } : {}),
        ...(backend === 'model' && o.misSteer !== undefined ? { configureModel: (m) => m.misSteer(o.misSteer!) } : {}),
      }],
      backends: [backend], seed: o.seed, maxCycles: o.maxCycles, params: o.params, runDir: dir, timeoutS: o.timeoutS, simPort: o.simPort, transcript: true,
      ...(o.stuckCycles !== undefined ? { stuckCycles: o.stuckCycles } : {}),
    });
    const t = r.hosts[0]!.transcript;
    writeFileSync(join(o.runDir, `transcript.${backend}.txt`), t?.text() ?? '');
    const rep = inst.report?.() ?? {};
    return {
      side: { label: backend, deliveries, stats: ethtool(rep) }, errors: r.errors.map((e) => e.text()),
      mismatches: (rep['scoreboard_mismatches'] ?? []) as string[], cycles: r.cycles, transcriptSha: t?.sha256() ?? null,
    };
  };
  const rtl = await side('rtl');
  const model = await side('model');
  const dRtl = rtl.side.deliveries;
  const dModel = model.side.deliveries;

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
