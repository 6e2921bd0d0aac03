// The main job: run one co-simulation scenario and leave a run folder under sim/out/.
//
//   tsx src/cli/sim.ts [--scenario copy] [--seed 1] [--waves]            host + launched simulator
//   tsx src/cli/sim.ts --listen HOST:PORT [--token T] ...                host only; start the
//                                                                        simulator elsewhere
// Exit code: 0 when the scenario passed, else the code of the fault (docs/bridge-protocol.md).

import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from '../abi/gen.js';
import { BridgeError } from '../bridge/errors.js';
import { runCosim, type CosimResult } from '../bridge/run.js';
import { SIM_PORTS, WAVE_TOP, type SimPort } from '../bridge/launch.js';
import { EXIT, LINK_DEFAULTS, type LinkParams } from '../bridge/protocol.js';
import { defaultParams, isLoopback } from '../bridge/server.js';
import { DEFAULT_SCENARIO, PAIR_SCENARIOS, SCENARIOS, scenarioNames, type Scenario, type ScenarioOptions } from '../scenarios/index.js';
import { parseWireFaults, runPairCli } from './pair.js';
import { runDiffCli } from './diff.js';
import { scenarioErrorText } from './errors.js';
import type { Backend as HostBackend } from '../testing/fixture.js';
import type { WireFaults } from '../wire/wire.js';
import { faultMarkers, gtkwSave } from '../debug/gtkw.js';
import { DEFAULT_BUILD } from '../abi/regs.js';
import { eventFilterFile, type TraceRecord } from '../debug/events.js';
import { runModel } from '../model/run.js';
import { PcapWriter } from '../wire/pcap.js';
import type { Device } from '../device/device.js';
import type { FaultEvent, SessionStats } from '../bridge/session.js';
import type { Transcript } from '../bridge/transcript.js';

const BACKENDS = ['rtl', 'model', 'mixed'] as const;
type Backend = (typeof BACKENDS)[number];

/** What either backend's run leaves for the summary. */
interface Outcome {
  readonly cycles: number;
  readonly errors: string[];
  readonly exitCode: number;
  readonly transcript: Transcript | undefined;
  readonly stats: SessionStats | null;
  readonly faults: readonly FaultEvent[];
  readonly events: readonly TraceRecord[];
  readonly frames: CosimResult['frames'];
  readonly startupSeconds: number;
  readonly simSeconds: number;
  readonly wallSeconds: number;
  readonly simExitCode: number | null;
}

const USAGE = `usage: tsx src/cli/sim.ts [--scenario NAME] [--seed N] [--backend rtl|model|mixed] [--waves] [--port dpi|python] [--data-width 64..512] [--listen HOST:PORT] [--token T]
                          [--wire-faults drop=P,corrupt=P,duplicate=P,reorder=P]
                          [--sync-window W] [--link-latency L] [--timeout S] [--max-cycles N] [--max-frame BYTES] [--out DIR]
scenarios: ${scenarioNames().join(', ')}`;

/** The GTKWave translate filter for tb_evt_kind, next to waves.gtkw. */
const WAVES_EVENTS = 'waves.events.txt';

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
const BEHAVIOUR_OPTIONS = ['--sync-window', '--link-latency', '--max-cycles', '--max-frame', '--timeout', '--data-width'];

/** The command that reproduces this run: `make sim ...`, or the CLI when other options were given. */
function reproduceCommand(scenario: string, seed: number, waves: boolean, argv: readonly string[], o: ScenarioOptions = {}, port: SimPort = 'dpi', backend: Backend = 'rtl'): string {
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
  if (a.frames !== undefined && a.frames !== '') o.frames = intArg(a.frames, 'frames', 0);
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

function stampName(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
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
  const backend = (args.backend ?? 'rtl') as Backend;
  if (!BACKENDS.includes(backend)) fail(`--backend ${args.backend}: expected ${BACKENDS.join(' or ')}`);
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
  const runDir = join(outRoot, `${stampName(new Date())}-${isDiff ? 'diff' : scenario.name}-s${seed}`);
  mkdirSync(runDir, { recursive: true });
  const latest = join(outRoot, 'latest');
  rmSync(latest, { force: true });
  symlinkSync(relative(outRoot, runDir), latest);

  if (args['test-model-missteer'] !== undefined && !isDiff) fail('--test-model-missteer is for the diff scenario');
  if (isDiff) {
    if (backend !== 'rtl' || args.listen !== undefined || args.waves) fail('the diff scenario launches the RTL and runs the model itself: no --backend, --listen or --waves');
    const miss = args['test-model-missteer'];
    return runDiffCli({
      seed, opts: sopts, runDir, params, timeoutS, simPort,
      maxCycles: intArg(args['max-cycles'], 'max-cycles', scenario.maxCycles),
      reproduce: reproduceCommand('diff', seed, false, process.argv.slice(2), sopts, simPort),
      ...(miss !== undefined ? { misSteer: intArg(miss, 'test-model-missteer', 0) } : {}),
    });
  }
  if (pair) {
    const one = backend as HostBackend;
    const backends: [HostBackend, HostBackend] = backend === 'mixed' ? ['rtl', 'model'] : [one, one];
    const wf = wireFaults ? ` WIRE_FAULTS=${args['wire-faults']}` : '';
    if (args.listen !== undefined && backend === 'model') fail('--listen needs an RTL NIC (--backend rtl or mixed)');
    return runPairCli({
      ...(args.listen !== undefined ? { listen: { host, port, ...(token ? { token } : {}) } } : {}),
      timeoutS,
      scenario: pair, seed, backends, opts: { ...sopts, ...(wireFaults ? { wireFaults } : {}) }, runDir,
      maxCycles: intArg(args['max-cycles'], 'max-cycles', pair.maxCycles),
      reproduce: reproduceCommand(pair.name, seed, false, process.argv.slice(2), sopts, 'dpi', backend).replace(/^(make sim .*)$/, `$1${wf}`),
    });
  }
  const instance = (scenario as Scenario).setup(seed, { ...sopts, ...(params.nic.data_bytes !== DEFAULT_BUILD.DATA_BYTES ? { dataBytes: params.nic.data_bytes } : {}) });
  // Progress figures count from the handshake: the build and the simulator's start-up come first.
  let simStart = performance.now();
  let lastReport = simStart;
  const external = args.listen !== undefined;
  process.stderr.write(`zcnic: scenario ${scenario.name} (seed ${seed}), run folder ${relative(repoRoot, runDir)}\n`);
  // Captures: frames out of the MAC port (both backends), and MAC loopback (the model's tap)
  const captures = {
    mac: new PcapWriter(join(runDir, 'mac.pcap'), params.clock_period_ps),
    loopback: new PcapWriter(join(runDir, 'loopback.pcap'), params.clock_period_ps),
  };
  const captured = (dev: Device): Promise<void> => {
    dev.onEthTx((f) => captures.mac.write(f.cycle, f.frame));
    return instance.main(dev);
  };
  let out: Outcome;
  if (backend === 'model') {
    const r = await runModel({
      clock: instance.clock,
      dma: instance.dma,
      onTime: (c) => instance.onTime?.(c),
      main: (dev) => {
        dev.onLoopback((f, c) => captures.loopback.write(c, f));
        return captured(dev);
      },
      params: { dataBytes: params.nic.data_bytes, latency: params.link_latency },
      transcript: true,
      seed,
      maxCycles: intArg(args['max-cycles'], 'max-cycles', scenario.maxCycles),
      onProgress: ([dev]) => {
        const now = performance.now();
        if (now - lastReport < 2000) return;
        lastReport = now;
        process.stderr.write(`zcnic: cycle ${dev!.sched.now}${instance.progress ? `, ${instance.progress()}` : ''}\n`);
      },
    });
    const errors = r.scenarioError !== undefined ? [scenarioErrorText(r.scenarioError)] : [];
    const st = r.device.stats;
    out = {
      cycles: r.cycles, errors, exitCode: errors.length ? EXIT.E_SCENARIO : EXIT.OK, transcript: r.transcript, stats: { ...st },
      faults: r.device.faults, events: r.device.events,
      frames: { in: 0, out: 0, bytesIn: 0, bytesOut: 0 },
      startupSeconds: 0, simSeconds: r.wallSeconds, wallSeconds: (performance.now() - simStart) / 1000, simExitCode: null,
    };
  } else {
    let r: CosimResult;
    try {
      r = await runCosim({
        params,
        dma: instance.dma,
        clock: instance.clock,
        onTime: (c) => instance.onTime?.(c),
        main: (dev) => instance.main(dev),
        host,
        port,
        ...(token ? { token } : {}),
        timeoutS,
        maxCycles: intArg(args['max-cycles'], 'max-cycles', scenario.maxCycles),
        runDir,
        waves: args.waves ?? false,
        simPort,
        external,
        onListening: (url) => {
          if (external) {
            process.stderr.write(`zcnic: listening on ${url}; start the simulator with: make sim-dut URL=${url} SEED=${seed}${token ? ' TOKEN=...' : ''}\n`);
          } else {
            process.stderr.write(`zcnic: building and starting the simulator (log: ${relative(repoRoot, join(runDir, 'sim.log'))})\n`);
          }
        },
        onSimProgress: (l) => process.stderr.write(`${l}\n`),
        onHandshake: () => {
          simStart = lastReport = performance.now();
        },
        onBatch: (s) => {
          const now = performance.now();
          if (now - lastReport < 2000) return;
          lastReport = now;
          const cps = Math.round(s.clock.cycle / ((now - simStart) / 1000));
          process.stderr.write(`zcnic: cycle ${s.clock.cycle}, ${s.stats.batches} batches, ${cps} cycles/s${instance.progress ? `, ${instance.progress()}` : ''}\n`);
        },
      });
    } catch (e) {
      if (e instanceof BridgeError) fail(e.describe(), e.exitCode);
      fail(`cannot listen on ${host}:${port}: ${(e as Error).message}`, EXIT.E_PEER_GONE);
    }
    const errors: string[] = [];
    if (r.error) errors.push(r.error.describe());
    if (r.scenarioError !== undefined) {
      errors.push(scenarioErrorText(r.scenarioError));
    }
    out = {
      cycles: r.cycles, errors, exitCode: r.error ? r.error.exitCode : r.scenarioError !== undefined ? EXIT.E_SCENARIO : EXIT.OK,
      transcript: r.transcript, stats: r.session ? { ...r.session.stats } : null, faults: r.session?.faults ?? [], events: r.session?.events ?? [],
      frames: r.frames, startupSeconds: r.startupSeconds, simSeconds: r.simSeconds, wallSeconds: r.wallSeconds, simExitCode: r.simExitCode,
    };
  }
  const r = out;
  captures.mac.close();
  captures.loopback.close();
  if (backend !== 'model') rmSync(join(runDir, 'loopback.pcap'), { force: true });
  const pcaps = [
    { file: 'mac.pcap', frames: captures.mac.frames, what: 'frames out of the MAC port' },
    ...(backend === 'model' ? [{ file: 'loopback.pcap', frames: captures.loopback.frames, what: 'frames MAC loopback carried (the model only: the RTL keeps them inside the NIC)' }] : []),
  ];
  const { errors, exitCode } = r;
  const wallS = r.wallSeconds;
  const simS = r.simSeconds;
  const simExit = r.simExitCode;
  const transcript = r.transcript?.text() ?? '';
  writeFileSync(join(runDir, 'transcript.txt'), transcript);
  const markers = faultMarkers([...r.faults], [...r.events]);
  if (args.waves) {
    // Groups the NIC's interfaces, the driver events (tb_evt_kind named by waves.events.txt) and
    // the queue engines; named markers at faults only.
    writeFileSync(join(runDir, WAVES_EVENTS), eventFilterFile());
    writeFileSync(join(runDir, 'waves.gtkw'), gtkwSave({
      dumpFile: 'waves.fst', periodPs: params.clock_period_ps, dataBytes: params.nic.data_bytes,
      markers, eventFilter: WAVES_EVENTS, endCycle: r.cycles, top: WAVE_TOP[simPort],
    }));
  }
  const summary = {
    scenario: scenario.name,
    seed,
    result: exitCode === 0 ? 'pass' : 'fail',
    exit_code: exitCode,
    reproduce: reproduceCommand(scenario.name, seed, args.waves ?? false, process.argv.slice(2), sopts, simPort, backend),
    backend,
    port: backend === 'rtl' ? simPort : null,
    simulated_cycles: r.cycles,
    simulated_ns: (r.cycles * params.clock_period_ps) / 1000,
    // launch until the simulator's HELLO (Verilator build, simulator start-up), then the run itself
    startup_seconds: Number(r.startupSeconds.toFixed(3)),
    sim_seconds: Number(simS.toFixed(3)),
    wall_seconds: Number(wallS.toFixed(3)),
    cycles_per_second: simS > 0 ? Math.round(r.cycles / simS) : 0,
    bridge: {
      messages: r.transcript?.messages ?? 0,
      frames_in: r.frames.in,
      frames_out: r.frames.out,
      bytes_in: r.frames.bytesIn,
      bytes_out: r.frames.bytesOut,
    },
    link: { sync_window: params.sync_window, link_latency: params.link_latency, clock_period_ps: params.clock_period_ps },
    device: r.stats,
    faults: markers,
    host: instance.report?.() ?? null,
    errors,
    simulator_exit_code: simExit,
    transcript_sha256: r.transcript?.sha256() ?? null,
    pcap: pcaps,
    waves: args.waves ? { dump: 'waves.fst', gtkwave_save: 'waves.gtkw', event_names: WAVES_EVENTS, open: `gtkwave ${relative(repoRoot, join(runDir, 'waves.gtkw'))}` } : null,
  };
  writeFileSync(join(runDir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  for (const e of errors) process.stderr.write(`zcnic: ${e}\n`);
  process.stderr.write(
    `zcnic: ${summary.result.toUpperCase()} ${scenario.name} seed=${seed}: ${r.cycles} cycles in ${simS.toFixed(2)} s ` +
      `(${summary.cycles_per_second} cycles/s; start-up ${r.startupSeconds.toFixed(2)} s, wall ${wallS.toFixed(2)} s), ${summary.bridge.messages} bridge messages, transcript sha256 ${summary.transcript_sha256?.slice(0, 16) ?? '-'}\n` +
      `zcnic: run folder ${relative(repoRoot, runDir)} (also sim/out/latest)\n` +
      (args.waves ? `zcnic: waves: gtkwave ${relative(repoRoot, join(runDir, 'waves.gtkw'))}\n` : ''),
  );
  return exitCode;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`zcnic: internal error: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(EXIT.E_SCENARIO);
  },
);
