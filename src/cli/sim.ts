// The main job: run one co-simulation scenario and leave a run folder under sim/out/.
//
//   tsx src/cli/sim.ts [--scenario copy] [--seed 1] [--waves]            host + launched simulator
//   tsx src/cli/sim.ts --listen HOST:PORT [--token T] ...                host only; start the
//                                                                        simulator elsewhere
// Exit code: 0 when the scenario passed, else the code of the fault (docs/bridge-protocol.md).

import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from '../lib/repo.js';
import { BridgeError } from '../bridge/errors.js';
import { SIM_PORTS, type SimPort } from '../bridge/launch.js';
import { EXIT, LINK_DEFAULTS, type LinkParams } from '../abi/link.js';
import { isLoopback } from '../bridge/server.js';
import { defaultParams } from '../abi/link.js';
import { DEFAULT_SCENARIO, PAIR_SCENARIOS, SCENARIOS, scenarioNames } from '../scenarios/index.js';
import { type ScenarioOptions } from '../scenarios/types.js';
import { runDiffCli } from './diff.js';
import { reportErrors } from './errors.js';
import { WIRE_FAULT_NAMES, type WireFaults } from '../wire/wire.js';
import { newRunFolder, runJob } from '../harness/bundle.js';
import { DEFAULT_STUCK_CYCLES, type Backend } from '../harness/run.js';
import { scenarioJob } from '../harness/scenario.js';

const RUN_BACKENDS = ['rtl', 'model', 'mixed'] as const;
type RunBackend = (typeof RUN_BACKENDS)[number];

const USAGE = `usage: tsx src/cli/sim.ts [--scenario NAME] [--seed N] [--backend rtl|model|mixed] [--waves] [--port dpi|python] [--data-width 64..512] [--listen HOST:PORT] [--token T]
                          [--frames N] [--iommu strict|lazy|passthrough|off] [--pool normal|dma32] [--swiotlb auto|off] [--faults]
                          [--zerocopy 0|1] [--payload N] [--loopback 0|1] [--proto udp|tcp] [--mode shared|single|exclusive]
                          [--wire-faults drop=P,corrupt=P,duplicate=P,reorder=P]
                          [--sync-window W] [--link-latency L] [--timeout S] [--max-cycles N] [--stuck-cycles N] [--rerun-waves 0|1] [--max-frame BYTES] [--out DIR]
scenarios: ${scenarioNames().join(', ')}
make sim variables: SCENARIO= SEED= BACKEND=rtl|model|mixed WAVES=0|1 PORT=dpi|python FRAMES= IOMMU= POOL= SWIOTLB= FAULTS=1
                    ZEROCOPY= PAYLOAD= LOOPBACK= PROTO= MODE= WIRE_FAULTS= STUCK_CYCLES= RERUN_WAVES=0|1 (make help lists each scenario's)`;

function fail(msg: string, code: number = EXIT.USAGE): never {
  process.stderr.write(`zcnic: ${msg}\n${code === EXIT.USAGE ? USAGE + '\n' : ''}`);
  process.exit(code);
}

function intArg(v: string | undefined, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v)) fail(`--${name} must be a non-negative integer, got '${v}'`);
  return Number(v);
}

/** Options that change what a run does (not where its output goes or how it connects). */
const BEHAVIOUR_OPTIONS = ['--sync-window', '--link-latency', '--max-cycles', '--stuck-cycles', '--max-frame', '--timeout', '--data-width'];

/** The command that reproduces this run: `make sim ...`, or the CLI when other options were given. */
function reproduceCommand(scenario: string, seed: number, waves: boolean, argv: readonly string[], o: ScenarioOptions = {}, port: SimPort = 'dpi', backend: RunBackend = 'rtl'): string {
  const extra: string[] = [];
  const make = [
    backend !== 'rtl' ? ` BACKEND=${backend}` : '',
    o.frames !== undefined ? ` FRAMES=${o.frames}` : '', o.iommu ? ` IOMMU=${o.iommu}` : '', o.pool ? ` POOL=${o.pool}` : '',
    o.swiotlb ? ` SWIOTLB=${o.swiotlb}` : '', o.faults ? ' FAULTS=1' : '', port !== 'dpi' ? ` PORT=${port}` : '',
    o.zerocopy !== undefined ? ` ZEROCOPY=${o.zerocopy ? 1 : 0}` : '', o.payload !== undefined ? ` PAYLOAD=${o.payload}` : '',
    o.loopback !== undefined ? ` LOOPBACK=${o.loopback ? 1 : 0}` : '', o.proto ? ` PROTO=${o.proto}` : '', o.mode ? ` MODE=${o.mode}` : '',
  ].join('');
  const cli = [
    backend !== 'rtl' ? ` --backend ${backend}` : '',
    o.frames !== undefined ? ` --frames ${o.frames}` : '', o.iommu ? ` --iommu ${o.iommu}` : '', o.pool ? ` --pool ${o.pool}` : '',
    o.swiotlb ? ` --swiotlb ${o.swiotlb}` : '', o.faults ? ' --faults' : '', port !== 'dpi' ? ` --port ${port}` : '',
    o.zerocopy !== undefined ? ` --zerocopy ${o.zerocopy ? 1 : 0}` : '', o.payload !== undefined ? ` --payload ${o.payload}` : '',
    o.loopback !== undefined ? ` --loopback ${o.loopback ? 1 : 0}` : '', o.proto ? ` --proto ${o.proto}` : '', o.mode ? ` --mode ${o.mode}` : '',
  ].join('');
  for (let i = 0; i < argv.length; i++) {
    const [name, inline] = argv[i]!.split('=', 2) as [string, string | undefined];
    if (BEHAVIOUR_OPTIONS.includes(name)) extra.push(`${name} ${inline ?? argv[++i] ?? ''}`);
  }
  if (extra.length === 0) return `make sim SCENARIO=${scenario} SEED=${seed}${make}${waves ? ' WAVES=1' : ''}`;
  return `node_modules/.bin/tsx src/cli/sim.ts --scenario ${scenario} --seed ${seed}${cli}${waves ? ' --waves' : ''} ${extra.join(' ')}`;
}

/** FRAMES= IOMMU= POOL= FAULTS= SWIOTLB=: checked here, so a typo is a usage error, not a default. */
function scenarioOptions(
  a: {
    frames?: string | undefined; iommu?: string | undefined; pool?: string | undefined; faults?: boolean | undefined; swiotlb?: string | undefined;
    zerocopy?: string | undefined; payload?: string | undefined; loopback?: string | undefined; proto?: string | undefined;
    mode?: string | undefined;
  },
  takes: readonly (keyof ScenarioOptions)[],
): ScenarioOptions {
  const o: { -readonly [K in keyof ScenarioOptions]: ScenarioOptions[K] } = {};
  const pick = <T extends string>(name: string, v: string | undefined, allowed: readonly T[]): T | undefined => {
    if (v === undefined || v === '') return undefined;
    if (!(allowed as readonly string[]).includes(v)) fail(`--${name} must be one of ${allowed.join('|')}, got '${v}'`);
    return v as T;
  };
  if (a.frames !== undefined && a.frames !== '') {
    o.frames = intArg(a.frames, 'frames', 0);
    if (o.frames === 0) fail('--frames 0 would test nothing: give at least 1');
  }
  const iommu = pick('iommu', a.iommu, ['strict', 'lazy', 'passthrough', 'off'] as const);
  if (iommu) o.iommu = iommu;
  const pool = pick('pool', a.pool, ['normal', 'dma32'] as const);
  if (pool) o.pool = pool;
  const sw = pick('swiotlb', a.swiotlb, ['auto', 'off'] as const);
  if (sw) o.swiotlb = sw;
  if (a.faults) o.faults = true;
  const zc = pick('zerocopy', a.zerocopy, ['0', '1'] as const);
  if (zc) o.zerocopy = zc === '1';
  const lo = pick('loopback', a.loopback, ['0', '1'] as const);
  if (lo) o.loopback = lo === '1';
  if (a.payload !== undefined && a.payload !== '') o.payload = intArg(a.payload, 'payload', 0);
  const proto = pick('proto', a.proto, ['udp', 'tcp'] as const);
  if (proto) o.proto = proto;
  const mode = pick('mode', a.mode, ['shared', 'single', 'exclusive'] as const);
  if (mode) o.mode = mode;
  for (const k of Object.keys(o) as (keyof ScenarioOptions)[]) {
    if (!takes.includes(k)) fail(`this scenario takes no --${k} option`);
  }
  return o;
}

/** `drop=0.01,corrupt=0.01,duplicate=0,reorder=0.02` (make sim WIRE_FAULTS=...). */
export function parseWireFaults(v: string): WireFaults | string {
  const out: Record<string, number> = {};
  for (const part of v.split(',').filter(Boolean)) {
    const m = /^([a-z]+)=([0-9.]+)$/.exec(part);
    if (!m || !(WIRE_FAULT_NAMES as readonly string[]).includes(m[1]!)) return `'${part}': expected ${WIRE_FAULT_NAMES.join('|')}=P`;
    const p = Number(m[2]);
    if (!(p >= 0 && p <= 1)) return `'${part}': a probability in 0..1`;
    out[m[1]!] = p;
  }
  return out;
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        scenario: { type: 'string', default: DEFAULT_SCENARIO },
        frames: { type: 'string' },
        iommu: { type: 'string' },
        pool: { type: 'string' },
        faults: { type: 'boolean', default: false },
        swiotlb: { type: 'string' },
        zerocopy: { type: 'string' },
        payload: { type: 'string' },
        loopback: { type: 'string' },
        proto: { type: 'string' },
        mode: { type: 'string' },
        seed: { type: 'string' },
        waves: { type: 'boolean', default: false },
        port: { type: 'string' },
        backend: { type: 'string' },
        'wire-faults': { type: 'string' },
        'test-model-missteer': { type: 'string' },
        'data-width': { type: 'string' },
        listen: { type: 'string' },
        token: { type: 'string' },
        'sync-window': { type: 'string' },
        'link-latency': { type: 'string' },
        timeout: { type: 'string' },
        'max-cycles': { type: 'string' },
        'stuck-cycles': { type: 'string' },
        'rerun-waves': { type: 'string' },
        'max-frame': { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }).values;
  } catch (e) {
    fail((e as Error).message);
  }
  if (args.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const isDiff = args.scenario === 'diff';
  const pair = PAIR_SCENARIOS[args.scenario ?? ''];
  const scenario = pair ?? SCENARIOS[isDiff ? 'traffic' : (args.scenario ?? DEFAULT_SCENARIO)];
  if (!scenario) fail(`unknown scenario '${args.scenario}'`);
  const sopts = scenarioOptions(args, scenario.options ?? []);
  let wireFaults: WireFaults | undefined;
  if (args['wire-faults'] !== undefined && args['wire-faults'] !== '') {
    if (!pair) fail(`--wire-faults: scenario ${scenario.name} has no wire`);
    const w = parseWireFaults(args['wire-faults']);
    if (typeof w === 'string') fail(`--wire-faults ${w}`);
    wireFaults = w;
  }
  const seed = intArg(args.seed, 'seed', 1);
  const simPort = (args.port ?? 'dpi') as SimPort;
  if (!SIM_PORTS.includes(simPort)) fail(`--port ${args.port}: expected ${SIM_PORTS.join(' or ')}`);
  const backend = (args.backend ?? 'rtl') as RunBackend;
  if (!RUN_BACKENDS.includes(backend)) fail(`--backend ${args.backend}: expected ${RUN_BACKENDS.join(' or ')}`);
  if (backend === 'mixed' && !pair) fail('--backend mixed (one RTL NIC, one model NIC) is for the two-host scenarios');
  if (backend === 'model') {
    // the model is in this process: no simulator, no bus port, no waveform
    for (const o of ['waves', 'listen', 'port', 'token'] as const) {
      if (args[o] !== undefined && args[o] !== false) fail(`--${o} needs the RTL backend (--backend rtl)`);
    }
  }
  const token = args.token ?? process.env['ZCNIC_TOKEN'];
  const timeoutS = intArg(args.timeout ?? process.env['ZCNIC_BRIDGE_TIMEOUT'], 'timeout', LINK_DEFAULTS.timeoutS);
  let host = '127.0.0.1';
  let port = 0;
  if (args.listen !== undefined) {
    const m = /^(.*):(\d+)$/.exec(args.listen);
    if (!m) fail(`--listen wants HOST:PORT, got '${args.listen}'`);
    host = m[1]!.replace(/^\[(.*)\]$/, '$1');
    port = Number(m[2]);
    if (!isLoopback(host) && !token) fail(`listening on ${host} (off loopback) requires --token or ZCNIC_TOKEN`, EXIT.E_AUTH);
  }

  let params: LinkParams = defaultParams({
    sync_window: intArg(args['sync-window'], 'sync-window', LINK_DEFAULTS.syncWindow),
    link_latency: intArg(args['link-latency'], 'link-latency', LINK_DEFAULTS.linkLatency),
    seed,
    max_frame: intArg(args['max-frame'], 'max-frame', LINK_DEFAULTS.maxFrameBytes),
  });
  if (args['data-width'] !== undefined) {
    // the simulator builds nic_top with this DATA_WIDTH (launch.ts passes it on)
    const dw = intArg(args['data-width'], 'data-width', 64);
    if (![64, 128, 256, 512].includes(dw)) fail(`--data-width ${dw}: expected 64, 128, 256 or 512`);
    params = { ...params, nic: { ...params.nic, data_bytes: dw / 8 } };
  }

  const outRoot = args.out ?? join(repoRoot, 'sim', 'out');
  const runDir = newRunFolder(outRoot, isDiff ? 'diff' : scenario.name, seed);
  const maxCycles = intArg(args['max-cycles'], 'max-cycles', scenario.maxCycles);
  const stuckArg = args['stuck-cycles'];
  const stuckCycles = stuckArg !== undefined && stuckArg !== '' ? intArg(stuckArg, 'stuck-cycles', DEFAULT_STUCK_CYCLES) : undefined;
  const rerun = (args['rerun-waves'] ?? '1') !== '0';

  if (args['test-model-missteer'] !== undefined && !isDiff) fail('--test-model-missteer is for the diff scenario');
  if (isDiff) {
    if (backend !== 'rtl' || args.listen !== undefined || args.waves) fail('the diff scenario launches the RTL and runs the model itself: no --backend, --listen or --waves');
    const miss = args['test-model-missteer'];
    return runDiffCli({
      seed, opts: sopts, runDir, params, timeoutS, simPort, maxCycles,
      ...(stuckCycles !== undefined ? { stuckCycles } : {}),
      reproduce: reproduceCommand('diff', seed, false, process.argv.slice(2), sopts, simPort),
      ...(miss !== undefined ? { misSteer: intArg(miss, 'test-model-missteer', 0) } : {}),
    });
  }
  const backends: Backend[] = pair ? (backend === 'mixed' ? ['rtl', 'model'] : [backend, backend]) : [backend as Backend];
  if (pair && args.listen !== undefined && backend === 'model') fail('--listen needs an RTL NIC (--backend rtl or mixed)');
  const external = args.listen !== undefined;
  const wf = wireFaults ? ` WIRE_FAULTS=${args['wire-faults']}` : '';
  const reproduce = reproduceCommand(scenario.name, seed, false, process.argv.slice(2), sopts, simPort, backend).replace(/^(make sim .*)$/, `$1${wf}`);
  process.stderr.write(`zcnic: scenario ${scenario.name} (seed ${seed}), run folder ${relative(repoRoot, runDir)}\n`);
  // Progress figures count from the handshake: the build and the simulator's start-up come first.
  let simStart = performance.now();
  let lastReport = simStart;
  let progress: (() => string) | undefined;
  const job = scenarioJob({
    scenario: scenario.name, seed, backends, opts: { ...sopts, ...(wireFaults ? { wireFaults } : {}) }, params, reproduce,
    waves: args.waves ?? false, rerunWithWaves: rerun && !external, maxCycles, simPort, timeoutS, transcript: true,
    ...(stuckCycles !== undefined ? { stuckCycles } : {}),
    onBuild: (p) => (progress = p),
    spec: {
      ...(external
        ? {
            listen: {
              host, port, ...(token ? { token } : {}),
              onListening: (nic: number, url: string) =>
                process.stderr.write(`zcnic: ${pair ? `NIC ${nic} ` : ''}listening on ${url}; start ${pair ? 'its' : 'the'} simulator with: make sim-dut URL=${url} SEED=${seed}${token ? ' TOKEN=...' : ''}\n`),
            },
          }
        : {}),
      onLaunch: (i) => process.stderr.write(`zcnic: building and starting the simulator${pair ? ` of nic${i}` : ''} (log: ${relative(repoRoot, join(runDir, pair ? `nic${i}` : '', 'sim.log'))})\n`),
      onSimProgress: (l) => process.stderr.write(`${l}\n`),
      onHandshake: () => {
        simStart = lastReport = performance.now();
      },
      onProgress: (_i, cycle) => {
        const now = performance.now();
        if (now - lastReport < 2000) return;
        lastReport = now;
        const cps = Math.round(cycle / Math.max((now - simStart) / 1000, 1e-3));
        process.stderr.write(`zcnic: cycle ${cycle} (${cps} cycles/s)${progress ? `, ${progress()}` : ''}\n`);
      },
    },
  });
  let out;
  try {
    out = await runJob(job, runDir);
  } catch (e) {
    if (e instanceof BridgeError) fail(e.describe(), e.exitCode);
    throw e;
  }
  const { result: r, summary, lines } = out;
  for (const l of lines) process.stdout.write(`${l}\n`);
  reportErrors(r.errors);
  const w = summary['waves'] as { from: string; nics: { open: string }[] } | null;
  const h0 = r.hosts[0]!;
  process.stderr.write(
    `zcnic: ${r.ok ? 'PASS' : 'FAIL'} ${scenario.name} seed=${seed}: ${r.cycles} cycles in ` +
      (r.hosts.length === 1
        ? `${h0.simSeconds.toFixed(2)} s (${summary['cycles_per_second']} cycles/s; start-up ${h0.startupSeconds.toFixed(2)} s, wall ${h0.wallSeconds.toFixed(2)} s)`
        : `${r.wallSeconds.toFixed(2)} s`) +
      `, transcript sha256 ${r.hosts.map((h) => h.transcript?.sha256().slice(0, 16) ?? '-').join(' ')}\n` +
      (r.ok ? '' : `zcnic: reproduce: ${reproduce}\n`) +
      `zcnic: run folder ${relative(repoRoot, runDir)} (also ${relative(repoRoot, join(outRoot, 'latest'))})\n` +
      (w ? w.nics.map((n) => `zcnic: waves${w.from === 'rerun' ? ' (re-run of the same seed)' : ''}: ${n.open}\n`).join('') : ''),
  );
  return r.exitCode;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`zcnic: internal error: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(EXIT.E_SCENARIO);
  },
);
