// `make bench`: every speed figure of the project, measured in one run, with the ratios that
// matter (machines here are noisy, so compare ratios, not absolute numbers across runs).
//
//   1. Host model: IOVA map+unmap, IOTLB hit/miss translation, swiotlb bounce (bench/host.ts);
//      page_pool alloc+recycle pairs on the fast (direct) and the ring path (bench/page_pool.ts).
//   2. Bridge without a simulator: the TS host against the Python end (zcnic_tb.nosim): round
//      trips per second (empty windows), lock-step vs pipelined, and messages per second.
//   3. Simulation: the copy scenario over the bridge against the same copies run in-process
//      (cocotb + AxiRam, no bridge) and under a plain Verilator C++ harness (no cocotb, no
//      Python: the speed limit), at the default and the widest data path.
//   4. The whole NIC in MAC loopback: the whole-NIC cocotb test (tb/blocks/test_nic.py, in-process
//      memory, backpressure, 4+4 queues) against nic_bench (sim/harness/nic_bench.cpp: trivial
//      memory, one queue pair), the same RTL, at the default and the widest data path; and the
//      product's path, the traffic scenario over the bridge through the burst-level port
//      (PORT=dpi) and the cocotbext-axi port (PORT=python), with the ratios between them.

import { runScenario } from '../src/testing/fixture.js';
import { floodModel } from '../src/testing/flood.js';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runHostBench } from './host.js';
import { runPagePoolBench } from './page_pool.js';
import { runZerocopyBench } from './zerocopy.js';
import { runZcRwBench } from './zc_rw.js';
import { repoRoot } from '../src/lib/repo.js';
import { venvPython } from '../src/bridge/launch.js';
import { LINK_DEFAULTS } from '../src/abi/link.js';
import { HostBridge } from '../src/bridge/server.js';
import { defaultParams } from '../src/abi/link.js';
import type { DeviceDmaPort } from '../src/platform/dma_port.js';
import { copyCases } from '../src/scenarios/copy.js';
import { PAGE_SIZE } from '../src/mem/phys.js';

const OUT = join(repoRoot, 'sim', 'out', 'bench');
const REPEAT = 3;
// the cocotb run is long enough to be steady on its own; the harness runs REPEAT times
const NIC_COCOTB_FRAMES = 300;
const NIC_HARNESS_FRAMES = 2000;

function line(name: string, value: number, unit: string): void {
  const v = value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(2);
  process.stdout.write(`  ${name.padEnd(60)} ${v.padStart(14)} ${unit}\n`);
}

/** Run `fn` REPEAT times in sequence (never in parallel: they would share two cores). */
async function repeat<T>(fn: () => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < REPEAT; i++) out.push(await fn());
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

// --- 2. bridge without a simulator ------------------------------------------------------------

const zeroPort: DeviceDmaPort = {
  read: (_addr, len) => ({ ok: true, data: new Uint8Array(len) }),
  write: () => ({ ok: true }),
};

interface NosimResult {
  round_trips: number;
  round_trips_per_s: number;
  msgs_per_s: number;
  msgs_sent: number;
  msgs_received: number;
  wall_s: number;
  error: string | null;
}

async function bridgeRun(windows: number, window: number, latency: number, msgsPerBatch: number, payload: number): Promise<NosimResult> {
  const params = defaultParams({ sync_window: window, link_latency: latency });
  const bridge = new HostBridge({
    params, dma: zeroPort, timeoutS: 30,
    // The host's software just lets time pass; nosim asks for DMA every window meanwhile.
    main: async (dev) => dev.sleep(windows * window),
  });
  const url = await bridge.listen();
  const child = spawn(venvPython(), [
    '-m', 'zcnic_tb.nosim', '--url', url, '--sync-window', String(window), '--link-latency', String(latency),
    '--msgs-per-batch', String(msgsPerBatch), '--payload', String(payload),
  ], { cwd: repoRoot, env: { ...process.env, PYTHONPATH: join(repoRoot, 'tb') }, stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.once('exit', (code, sig) => bridge.peerExited(code, sig));
  const r = await bridge.done;
  await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
  if (r.error) throw new Error(`bridge bench run failed: ${r.error.describe()}`);
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as NosimResult;
}

// --- 3. simulation ----------------------------------------------------------------------------

interface SimFigures {
  cycles: number;
  wall_s: number;
  cycles_per_s: number;
}

function cosimCopy(seed: number): SimFigures & { total_wall_s: number; bytes: number } {
  const out = join(OUT, 'cosim');
  const r = spawnSync(join(repoRoot, 'node_modules/.bin/tsx'), ['src/cli/sim.ts', '--scenario', 'copy', '--seed', String(seed), '--out', out], {
    cwd: repoRoot, encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`copy scenario failed (exit ${r.status}):\n${r.stderr}`);
  const dir = join(out, readlinkSync(join(out, 'latest')));
  // The simulator's own figures exclude process start-up and the Verilator model's load.
  const sim = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as SimFigures;
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { wall_seconds: number; host: { bytes_copied: number } };
  return { cycles: sim.cycles, wall_s: sim.wall_s, cycles_per_s: sim.cycles_per_s, total_wall_s: summary.wall_seconds, bytes: summary.host.bytes_copied };
}

/** The copy scenario's cases: the copy ending at 0xFFFFFFFF, then the seeded list. */
function benchCases(seed: number, chunk: number): number[][] {
  return [[700, 5, PAGE_SIZE - 700], ...copyCases(seed, chunk).map((c) => [c.len, c.srcOff, c.dstOff])];
}

function inprocCopy(seed: number, chunk: number): SimFigures & { bytes: number } {
  const cases = benchCases(seed, chunk);
  const outFile = join(OUT, 'inproc.json');
  const r = spawnSync(venvPython(), ['tb/bench/run_inproc.py', JSON.stringify(cases), outFile], { cwd: repoRoot, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`in-process copy bench failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(readFileSync(outFile, 'utf8')) as SimFigures & { bytes: number };
}

/** Build sim/harness/<harness>.cpp for `dataWidth` (the directory the tests use); returns the binary. */
function buildHarness(harness: 'copy_bench' | 'nic_bench', dataWidth: number): string {
  const dir = join(repoRoot, 'sim', 'build', `${harness}-dw${dataWidth}`);
  const b = spawnSync('bash', ['sim/harness/build.sh', harness, String(dataWidth), dir], { cwd: repoRoot, encoding: 'utf8' });
  if (b.status !== 0) throw new Error(`harness build failed:\n${b.stderr}`);
  return join(dir, harness);
}

/** The same copies under the harness binary, the list repeated `repeat` times. */
function harnessCopy(bin: string, seed: number, chunk: number, repeat: number): SimFigures & { bytes: number } {
  const casesFile = join(OUT, 'cases.txt');
  writeFileSync(casesFile, benchCases(seed, chunk).map((c) => c.join(' ')).join('\n') + '\n');
  const r = spawnSync(bin, [casesFile, String(repeat)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`harness run failed (exit ${r.status}):\n${r.stderr}`);
  return JSON.parse(r.stdout) as SimFigures & { bytes: number };
}

interface NicFigures {
  cycles: number;
  wall_s: number;
  cycles_per_s: number;
  frames: number;
  bytes: number;
}

/** The whole-NIC loopback test under cocotb with in-process memory (one run: it is long). */
function inprocNic(dataWidth: number, frames: number): NicFigures {
  const outFile = join(OUT, `nic-inproc-dw${dataWidth}.json`);
  const r = spawnSync(venvPython(), ['tb/bench/run_nic_inproc.py', String(dataWidth), String(frames), outFile], {
    cwd: repoRoot, encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`in-process NIC bench failed (exit ${r.status}):\n${r.stdout.slice(-4000)}\n${r.stderr}`);
  return JSON.parse(readFileSync(outFile, 'utf8')) as NicFigures;
}

const TRAFFIC_FRAMES = 300;

/** `make sim SCENARIO=traffic FRAMES=n`: frames (sent) and the simulation's own wall time. */
function trafficOverBridge(frames: number, port: 'dpi' | 'python', dataWidth: number): { frames: number; cycles: number; sim_s: number } {
  const out = join(OUT, 'traffic');
  const r = spawnSync(join(repoRoot, 'node_modules/.bin/tsx'), [
    'src/cli/sim.ts', '--scenario', 'traffic', '--frames', String(frames), '--port', port, '--data-width', String(dataWidth), '--out', out,
  ], { cwd: repoRoot, encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) throw new Error(`traffic run (${port}, ${dataWidth} bits) failed (exit ${r.status}):\n${r.stderr}`);
  const s = JSON.parse(readFileSync(join(out, readlinkSync(join(out, 'latest')), 'summary.json'), 'utf8')) as {
    simulated_cycles: number; sim_seconds: number; host: { frames_sent: number };
  };
  return { frames: s.host.frames_sent, cycles: s.simulated_cycles, sim_s: s.sim_seconds };
}

const MODEL_FRAMES = 2000;
const FLOOD_FRAMES = 20_000;
const PAIR_FRAMES = 500;

/** `make sim SCENARIO=two-hosts BACKEND=b FRAMES=n`: frames the wire carried and the run's wall time. */
function pairRun(backend: 'rtl' | 'model', frames: number): { frames: number; wall_s: number } {
  const out = join(OUT, 'two-hosts');
  const r = spawnSync(join(repoRoot, 'node_modules/.bin/tsx'), ['src/cli/sim.ts', '--scenario', 'two-hosts', '--backend', backend, '--frames', String(frames), '--out', out], {
    cwd: repoRoot, encoding: 'utf8', timeout: 600_000,
  });
  if (r.status !== 0) throw new Error(`two-hosts (${backend}) failed (exit ${r.status}):\n${r.stderr}`);
  const s = JSON.parse(readFileSync(join(out, readlinkSync(join(out, 'latest')), 'summary.json'), 'utf8')) as { wall_seconds: number; pcap: { frames: number } };
  return { frames: s.pcap.frames, wall_s: s.wall_seconds };
}

/** nic_bench: frames through TX, loopback and RX, every byte checked; its last line is JSON. */
function harnessNic(bin: string, frames: number): NicFigures {
  const r = spawnSync(bin, ['--frames', String(frames), '--seed', '1', '--json'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`nic_bench failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as NicFigures;
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const results: Record<string, number> = {};
  const put = (name: string, value: number, unit: string): void => {
    results[name] = value;
    line(name, value, unit);
  };

  process.stdout.write('host model (bench/host.ts)\n');
  for (const f of runHostBench(400)) put(f.name, f.value, f.unit);
  process.stdout.write('\npage_pool (bench/page_pool.ts)\n');
  for (const f of runPagePoolBench(400)) put(f.name, f.value, f.unit);

  process.stdout.write('\nbridge, TS host <-> Python end, no simulator\n');
  const W = LINK_DEFAULTS.syncWindow;
  const rtsLock = median((await repeat(() => bridgeRun(2000, W, W, 0, 0))).map((r) => r.round_trips_per_s));
  put('round_trips_per_s (lock-step, L=W, empty windows)', rtsLock, '/s');
  const rtsPipe = median((await repeat(() => bridgeRun(2000, W, 2 * W, 0, 0))).map((r) => r.round_trips_per_s));
  put('round_trips_per_s (pipelined, L=2W, empty windows)', rtsPipe, '/s');
  put('pipelined / lock-step round trips', rtsPipe / rtsLock, 'x');
  const loaded = await repeat(() => bridgeRun(1000, W, 2 * W, 16, 64));
  put('msgs_per_s (16 DMA reads of 64 B per window, both ways)', median(loaded.map((r) => r.msgs_per_s)), '/s');
  put('round_trips_per_s (same, loaded)', median(loaded.map((r) => r.round_trips_per_s)), '/s');

  process.stdout.write('\nsimulation: the copy scenario, over the bridge vs in-process AxiRam (cocotb + Verilator)\n');
  const co: (SimFigures & { total_wall_s: number; bytes: number })[] = [];
  const inp: (SimFigures & { bytes: number })[] = [];
  for (let i = 0; i < REPEAT; i++) {
    co.push(cosimCopy(1));
    inp.push(inprocCopy(1, 512));
  }
  const coCps = median(co.map((r) => r.cycles_per_s));
  const inCps = median(inp.map((r) => r.cycles_per_s));
  put('copy over the bridge: simulated cycles', co[0]!.cycles, 'cycles');
  put('copy over the bridge: cycles_per_s (sim wall)', coCps, 'cycles/s');
  put('copy over the bridge: wall s (sim only)', median(co.map((r) => r.wall_s)), 's');
  put('copy over the bridge: wall s (whole make-sim run)', median(co.map((r) => r.total_wall_s)), 's');
  put('copy in-process AxiRam: simulated cycles', inp[0]!.cycles, 'cycles');
  put('copy in-process AxiRam: cycles_per_s', inCps, 'cycles/s');
  put('copy in-process AxiRam: wall s', median(inp.map((r) => r.wall_s)), 's');
  put('bridge / in-process cycles_per_s', coCps / inCps, 'x');
  put('bridge / in-process wall time for the same copies', median(co.map((r) => r.wall_s)) / median(inp.map((r) => r.wall_s)), 'x');

  process.stdout.write('\nspeed limit: the same copies under a plain Verilator C++ harness (no cocotb, no Python)\n');
  const coMiBs = median(co.map((r) => r.bytes / r.wall_s)) / 2 ** 20;
  const inMiBs = median(inp.map((r) => r.bytes / r.wall_s)) / 2 ** 20;
  for (const dw of [64, 512]) {
    const bin = buildHarness('copy_bench', dw);
    const runs = await repeat(async () => harnessCopy(bin, 1, 512, 300));
    const h = median(runs.map((r) => r.cycles_per_s));
    put(`harness DATA_WIDTH=${dw}: cycles_per_s`, h, 'cycles/s');
    put(`harness DATA_WIDTH=${dw}: copied MiB per wall s`, median(runs.map((r) => r.bytes / r.wall_s)) / 2 ** 20, 'MiB/s');
    if (dw === 64) {
      put('harness / in-process cocotb cycles_per_s (DATA_WIDTH=64)', h / inCps, 'x');
      put('harness / bridge cycles_per_s (DATA_WIDTH=64)', h / coCps, 'x');
    }
  }
  put('copied MiB per wall s: in-process cocotb (DATA_WIDTH=64)', inMiBs, 'MiB/s');
  put('copied MiB per wall s: over the bridge (DATA_WIDTH=64)', coMiBs, 'MiB/s');

  process.stdout.write('\nthe whole NIC in MAC loopback: cocotb + in-process memory vs the plain C++ harness\n');
  for (const dw of [64, 512]) {
    const co = inprocNic(dw, NIC_COCOTB_FRAMES);
    put(`NIC cocotb DATA_WIDTH=${dw}: simulated cycles (${co.frames} frames)`, co.cycles, 'cycles');
    put(`NIC cocotb DATA_WIDTH=${dw}: cycles_per_s`, co.cycles_per_s, 'cycles/s');
    put(`NIC cocotb DATA_WIDTH=${dw}: frames per wall s`, co.frames / co.wall_s, 'frames/s');
    // the product's path: the TS driver (rings, NAPI, page_pool, IOMMU) over the bridge, through
    // the burst-level port and through the cocotbext-axi port (a first run of each builds it)
    const traffic: Record<string, { frames: number; cycles: number; sim_s: number }> = {};
    for (const port of ['dpi', 'python'] as const) {
      trafficOverBridge(20, port, dw);
      const t = trafficOverBridge(TRAFFIC_FRAMES, port, dw);
      traffic[port] = t;
      put(`traffic over the bridge, PORT=${port}, DATA_WIDTH=${dw}: cycles_per_s (${t.frames} frames)`, t.cycles / t.sim_s, 'cycles/s');
      put(`traffic over the bridge, PORT=${port}, DATA_WIDTH=${dw}: frames per wall s (sim only)`, t.frames / t.sim_s, 'frames/s');
    }
    const cps = (t: { cycles: number; sim_s: number }): number => t.cycles / t.sim_s;
    put(`traffic PORT=dpi / PORT=python cycles_per_s (DATA_WIDTH=${dw})`, cps(traffic['dpi']!) / cps(traffic['python']!), 'x');
    put(`traffic PORT=dpi / in-process cocotb NIC cycles_per_s (DATA_WIDTH=${dw})`, cps(traffic['dpi']!) / co.cycles_per_s, 'x');
    const bin = buildHarness('nic_bench', dw);
    const runs = await repeat(async () => harnessNic(bin, NIC_HARNESS_FRAMES));
    const h = median(runs.map((r) => r.cycles_per_s));
    put(`NIC harness DATA_WIDTH=${dw}: simulated cycles (${NIC_HARNESS_FRAMES} frames)`, runs[0]!.cycles, 'cycles');
    put(`NIC harness DATA_WIDTH=${dw}: cycles_per_s`, h, 'cycles/s');
    put(`NIC harness DATA_WIDTH=${dw}: frames per wall s`, median(runs.map((r) => r.frames / r.wall_s)), 'frames/s');
    put(`NIC harness / cocotb cycles_per_s (DATA_WIDTH=${dw})`, h / co.cycles_per_s, 'x');
    put(`traffic PORT=dpi / NIC harness cycles_per_s (DATA_WIDTH=${dw})`, cps(traffic['dpi']!) / h, 'x');
  }

  process.stdout.write('\nthe reference model (src/model/) against the RTL, and two hosts on a wire\n');
  const rtlTraffic = trafficOverBridge(MODEL_FRAMES, 'dpi', 64);
  const rtlFps = rtlTraffic.frames / rtlTraffic.sim_s;
  const model = await repeat(async () => {
    const t0 = performance.now();
    const r = await runScenario('model', 'traffic', 1, { frames: MODEL_FRAMES }, { transcript: false });
    const s = (performance.now() - t0) / 1000;
    const pools = (r.report['page_pool'] as { per_queue: { recycle_stats: { cached: number; ring: number } }[] }).per_queue;
    return { fps: MODEL_FRAMES / s, cps: r.cycles / s, recycled: pools.reduce((a, p) => a + p.recycle_stats.cached + p.recycle_stats.ring, 0) };
  });
  const modelFps = median(model.map((m) => m.fps));
  const flood = await repeat(() => floodModel(FLOOD_FRAMES));
  put(`model: driver flood frames per wall s (${FLOOD_FRAMES} 64-byte frames, loopback, page_pool recycling, no scoreboard)`, median(flood.map((f) => f.frames_per_s)), 'frames/s');
  put('model: driver flood page_pool pages recycled', flood[0]!.recycled, 'pages');
  put(`model: traffic frames per wall s through the driver (${MODEL_FRAMES} frames, page_pool recycling)`, modelFps, 'frames/s');
  put('model: page_pool pages recycled in that run', model[0]!.recycled, 'pages');
  put('model: simulated cycles per wall s', median(model.map((m) => m.cps)), 'cycles/s');
  put(`RTL (PORT=dpi, 64 bits): traffic frames per wall s (${MODEL_FRAMES} frames, sim only)`, rtlFps, 'frames/s');
  put('model / RTL traffic frames per wall s', modelFps / rtlFps, 'x');
  const pair: Record<string, number> = {};
  for (const b of ['rtl', 'model'] as const) {
    pairRun(b, 20);
    const r = pairRun(b, PAIR_FRAMES);
    pair[b] = r.frames / r.wall_s;
    put(`two-hosts BACKEND=${b}: frames per wall s (${r.frames} frames both ways, incl. simulator start-up)`, pair[b]!, 'frames/s');
  }
  put('two-hosts model / RTL frames per wall s', pair['model']! / pair['rtl']!, 'x');

  process.stdout.write('\nMSG_ZEROCOPY against copy on the model (TCP, two hosts; no simulated CPU time is charged for a copy)\n');
  for (const f of await runZerocopyBench()) put(f.label, f.value, f.unit);

  process.stdout.write('\nzc_writev, RX zero copy and clearing on the model (UDP, two hosts, 9000-byte MTU)\n');
  for (const f of await runZcRwBench()) put(f.label, f.value, f.unit);

  writeFileSync(join(OUT, 'bench.json'), JSON.stringify(results, null, 2) + '\n');
  process.stdout.write(`\nfigures in ${join('sim', 'out', 'bench', 'bench.json')}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
