// The run folder, written in one place for every run shape: summary.json (result, the first
// error located, the reproduce command, each host's figures), the transcripts, the pcaps, and for
// RTL runs with waves a waveform and GTKWave save file per NIC whose view opens at the first
// error. A failed RTL run without waves is run again with them (the same seed gives the same
// run), into waves-rerun/, when the job asks for it (make sim does by default).

import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoRoot } from '../lib/repo.js';
import { WAVE_TOP, type SimPort } from '../bridge/launch.js';
import type { LinkParams } from '../abi/link.js';
import { eventFilterFile } from '../debug/events.js';
import { GTKW_NAMED_MARKERS, faultMarkers, gtkwSave, type WaveMarker } from '../debug/gtkw.js';
import type { RunError } from './errors.js';
import { hostName, runHosts, type Backend, type HostOutcome, type RunResult, type RunSpec } from './run.js';

/** The GTKWave translate filter for tb_evt_kind, next to each waves.gtkw. */
export const WAVES_EVENTS = 'waves.events.txt';

/** One capture the run wrote: its file in the run folder and what it holds. */
export interface PcapEntry {
  readonly file: string;
  readonly frames: number;
  readonly what: string;
}

/** What a job builds for one run: the spec, and what the scenario reports after it. */
export interface BuiltRun {
  readonly spec: RunSpec;
  readonly report?: () => Record<string, unknown>;
  /** Lines printed at the end (what the scenario's model program would print). */
  readonly lines?: () => readonly string[];
  /** Close the captures and say what they hold. */
  readonly pcaps?: (r: RunResult) => readonly PcapEntry[];
}

export interface RunJob {
  /** The scenario's name (or the test's), for the folder and the summary. */
  readonly scenario: string;
  readonly seed: number;
  readonly backends: readonly Backend[];
  readonly params: LinkParams;
  readonly simPort?: SimPort;
  readonly waves: boolean;
  /** A failed RTL run without waves is run again with them. */
  readonly rerunWithWaves: boolean;
  /** The command that reproduces the run (without WAVES=1; it is added where it applies). */
  readonly reproduce: string;
  /** Builds the run from nothing each time (a re-run must not reuse the first run's hosts). */
  build(o: { readonly waves: boolean; readonly runDir: string }): BuiltRun;
  /** Extra summary fields. */
  readonly extra?: Record<string, unknown>;
  /** Write the folder for a passing run too (default true; the fixture writes only failures). */
  readonly writeOnPass?: boolean;
}

export interface JobResult {
  readonly result: RunResult;
  readonly summary: Record<string, unknown>;
  readonly runDir: string;
  readonly lines: readonly string[];
}

function stampName(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** A new run folder under `outRoot`, which `latest` then points at. */
export function newRunFolder(outRoot: string, scenario: string, seed: number): string {
  let dir = join(outRoot, `${stampName(new Date())}-${scenario}-s${seed}`);
  for (let k = 2; existsSync(dir); k++) dir = join(outRoot, `${stampName(new Date())}-${scenario}-s${seed}-${k}`);
  mkdirSync(dir, { recursive: true });
  const latest = join(outRoot, 'latest');
  rmSync(latest, { force: true });
  symlinkSync(relative(outRoot, dir), latest);
  return dir;
}


/** Run the job into `runDir`, write its folder; a failed RTL run without waves is re-run with them. */
export async function runJob(job: RunJob, runDir: string): Promise<JobResult> {
  const first = await runOnce(job, runDir, job.waves);
  let wavesFrom: 'run' | 'rerun' | null = job.waves && first.result.hosts.some((h) => h.backend === 'rtl') ? 'run' : null;
  let rerun: { dir: string; result: RunResult; sameError: boolean } | undefined;
  if (!first.result.ok && !job.waves && job.rerunWithWaves && job.backends.includes('rtl') && !first.result.errors.some((e) => e.kind === 'bridge' && e.code === 'E_AUTH')) {
    const dir = join(runDir, 'waves-rerun');
    mkdirSync(dir, { recursive: true });
    const again = await runOnce(job, dir, true);
    const a = first.result.errors[0];
    const b = again.result.errors[0];
    rerun = { dir, result: again.result, sameError: !!a && !!b && a.host === b.host && a.code === b.code && a.message === b.message };
    wavesFrom = 'rerun';
  }
  const nics = (rerun?.result ?? first.result).hosts.filter((h) => h.backend === 'rtl').map((h) => wavesEntry(h, rerun ? rerun.dir : runDir, runDir));
  const waves = wavesFrom === null ? null : {
    from: wavesFrom,
    ...(rerun ? { folder: relative(runDir, rerun.dir), same_first_error: rerun.sameError } : {}),
    // one NIC: its files right here too
    ...(job.backends.length === 1 ? nics[0] : {}),
    nics,
  };
  const summary = { ...first.summary, waves };
  if (first.written) writeFileSync(join(runDir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  return { result: first.result, summary, runDir, lines: first.lines };
}

/** One NIC's waves, named relative to the run folder; `open` is the command from the repository. */
function wavesEntry(h: HostOutcome, base: string, runDir: string): Record<string, unknown> {
  const dir = h.runDir ?? base;
  const rel = (f: string): string => relative(runDir, join(dir, f));
  return {
    name: h.name, dump: rel('waves.fst'), gtkwave_save: rel('waves.gtkw'), event_names: rel(WAVES_EVENTS),
    open: `gtkwave ${relative(repoRoot, join(dir, 'waves.gtkw'))}`,
  };
}

async function runOnce(job: RunJob, runDir: string, waves: boolean): Promise<{ result: RunResult; summary: Record<string, unknown>; lines: readonly string[]; written: boolean }> {
  const b = job.build({ waves, runDir });
  const r = await runHosts(b.spec);
  const pcaps = b.pcaps?.(r) ?? [];
  let report: Record<string, unknown> | null = null;
  try {
    report = b.report?.() ?? null;
  } catch (e) {
    report = { error: `the report could not be made: ${e instanceof Error ? e.message : String(e)}` };
  }
  const write = !r.ok || (job.writeOnPass ?? true);
  if (waves) for (const h of r.hosts) if (h.backend === 'rtl') writeWaves(h, job, r.errors[0], runDir);
  const summary = summaryOf(job, r, runDir, report, pcaps, write);
  if (write) writeFileSync(join(runDir, 'summary.json'), JSON.stringify({ ...summary, waves: null }, null, 2) + '\n');
  return { result: r, summary, lines: b.lines?.() ?? [], written: write };
}

/** The .gtkw of one NIC: its faults and driver-event faults as markers, the first error first of all. */
function writeWaves(h: HostOutcome, job: RunJob, first: RunError | undefined, base: string): void {
  const dir = h.runDir ?? base;
  const faults = faultMarkers([...h.faults], [...h.events]);
  const at = first && first.cycle !== null ? first.cycle : undefined;
  const own: WaveMarker[] = at !== undefined ? [{ cycle: at, label: `first error: ${first!.host === h.name ? '' : `${first!.host ?? 'run'}: `}${first!.code}: ${first!.message}`.slice(0, 200) }] : [];
  // the error's marker always gets a letter: other markers fill what is left
  const markers = [...own, ...faults.sort((a, b) => a.cycle - b.cycle).slice(0, GTKW_NAMED_MARKERS - own.length)];
  writeFileSync(join(dir, WAVES_EVENTS), eventFilterFile());
  writeFileSync(join(dir, 'waves.gtkw'), gtkwSave({
    dumpFile: 'waves.fst', periodPs: job.params.clock_period_ps, dataBytes: job.params.nic.data_bytes,
    markers, eventFilter: WAVES_EVENTS, endCycle: h.cycles, top: WAVE_TOP[job.simPort ?? 'dpi'],
    ...(at !== undefined ? { focusCycle: Math.min(at, h.cycles) } : {}),
  }));
}

function summaryOf(job: RunJob, r: RunResult, runDir: string, report: Record<string, unknown> | null, pcaps: readonly PcapEntry[], write: boolean): Record<string, unknown> {
  const p = job.params;
  const errors = r.errors.map((e) => e.text());
  const head = {
    scenario: job.scenario, seed: job.seed, result: r.ok ? 'pass' : 'fail', exit_code: r.exitCode,
    reproduce: job.reproduce,
    first_error: r.errors[0]?.toJSON() ?? null,
    // from the first error until every host and simulator had ended
    stop_seconds: r.stopSeconds !== null ? Number(r.stopSeconds.toFixed(3)) : null,
  };
  const transcripts = r.hosts.map((h, i) => {
    const file = r.hosts.length === 1 ? 'transcript.txt' : `transcript.${hostName(i)}.txt`;
    if (write) writeFileSync(join(runDir, file), h.transcript?.text() ?? '');
    return { file, messages: h.transcript?.messages ?? 0, sha256: h.transcript?.sha256() ?? null };
  });
  if (r.hosts.length === 1) {
    const h = r.hosts[0]!;
    return {
      ...head,
      backend: h.backend,
      port: h.backend === 'rtl' ? job.simPort ?? 'dpi' : null,
      simulated_cycles: r.cycles,
      simulated_ns: (r.cycles * p.clock_period_ps) / 1000,
      // launch until the simulator's HELLO (Verilator build, simulator start-up), then the run itself
      startup_seconds: Number(h.startupSeconds.toFixed(3)),
      sim_seconds: Number(h.simSeconds.toFixed(3)),
      wall_seconds: Number(h.wallSeconds.toFixed(3)),
      cycles_per_second: h.simSeconds > 0 ? Math.round(r.cycles / h.simSeconds) : 0,
      bridge: { messages: h.transcript?.messages ?? 0, frames_in: h.frames.in, frames_out: h.frames.out, bytes_in: h.frames.bytesIn, bytes_out: h.frames.bytesOut },
      link: { sync_window: p.sync_window, link_latency: p.link_latency, clock_period_ps: p.clock_period_ps },
      device: h.stats,
      faults: faultMarkers([...h.faults], [...h.events]),
      host: report,
      errors,
      simulator_exit_code: h.simExitCode,
      transcript_sha256: h.transcript?.sha256() ?? null,
      pcap: pcaps,
      ...job.extra,
    };
  }
  return {
    ...head,
    backends: job.backends,
    simulated_cycles: r.cycles,
    simulated_ns: (r.cycles * p.clock_period_ps) / 1000,
    wall_seconds: Number(r.wallSeconds.toFixed(3)),
    pcap: pcaps[0] ?? null,
    transcripts,
    devices: r.hosts.map((h, i) => ({
      name: `nic${i}`, backend: h.backend, ...h.stats, faults: faultMarkers([...h.faults], [...h.events]),
      simulator_exit_code: h.simExitCode, ...(h.runDir ? { folder: relative(runDir, h.runDir) || '.' } : {}),
    })),
    host: report,
    errors,
    ...job.extra,
  };
}
