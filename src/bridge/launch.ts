// Launch the simulator half (cocotb + Verilator, tb/zcnic_tb/cosim.py) as a child process that
// connects back to the host's URL. Its full output goes to a log file in the run folder; lines
// tagged for progress are passed through.

import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { LinkParams } from '../abi/link.js';
import { repoRoot } from '../lib/repo.js';
import { DEFAULT_BUILD } from '../abi/regs.js';

export interface LaunchOptions {
  readonly url: string;
  readonly params: LinkParams;
  readonly runDir: string;
  readonly waves: boolean;
  /** The simulator's bus port: 'dpi' (burst-level, in C++; default) or 'python' (cocotbext-axi). */
  readonly simPort?: SimPort;
  readonly timeoutS: number;
  readonly token?: string;
  /** Receives the simulator's progress lines (those starting with `zcnic-`). */
  readonly onProgress?: (line: string) => void;
}

export type SimPort = 'dpi' | 'python';
export const SIM_PORTS: readonly SimPort[] = ['dpi', 'python'];

/** The waveform scope of zcnic_cosim_top (the NIC and the driver-event inputs) under each port. */
export const WAVE_TOP: Record<SimPort, string> = { dpi: 'zcnic_port_top.nic', python: 'zcnic_cosim_top' };

export function venvPython(): string {
  const py = join(repoRoot, '.venv', 'bin', 'python');
  if (!existsSync(py)) throw new Error(`no Python venv at ${py}: run 'make setup' (make sim and make test do it for you)`);
  return py;
}

export function simulatorArgs(o: Omit<LaunchOptions, 'onProgress'>): string[] {
  const p = o.params;
  return [
    '-m', 'zcnic_tb.cosim',
    '--url', o.url,
    '--seed', String(p.seed),
    '--sync-window', String(p.sync_window),
    '--link-latency', String(p.link_latency),
    '--clock-period-ps', String(p.clock_period_ps),
    '--timeout', String(o.timeoutS),
    '--run-dir', o.runDir,
    ...(o.waves ? ['--waves'] : []),
    '--port', o.simPort ?? 'dpi',
    ...(p.nic.data_bytes !== DEFAULT_BUILD.DATA_BYTES ? ['--param', `DATA_WIDTH=${p.nic.data_bytes * 8}`] : []),
    ...(o.token ? ['--token', o.token] : []),
  ];
}

/** The simulator's environment: this one's, less WAVES, with the testbench on PYTHONPATH. */
export function simulatorEnv(): NodeJS.ProcessEnv {
  const { WAVES: _waves, ...env } = process.env;
  return { ...env, PYTHONPATH: join(repoRoot, 'tb'), PYTHONUNBUFFERED: '1' };
}

export function launchSimulator(o: LaunchOptions): ChildProcess {
  const log = createWriteStream(join(o.runDir, 'sim.log'));
  // Its own process group: the cocotb runner starts the Verilated simulator as a child, and
  // killing the group leaves neither behind. WAVES stays out of its environment: cocotb's runner
  // reads it and would trace the shared non-waves build (waves are asked for by --waves only).
  const child = spawn(venvPython(), simulatorArgs(o), {
    cwd: repoRoot,
    env: simulatorEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  track(child);
  let partial = '';
  const onData = (chunk: Buffer): void => {
    log.write(chunk);
    if (!o.onProgress) return;
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) if (l.startsWith('zcnic-')) o.onProgress(l);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  child.once('exit', () => log.end());
  return child;
}

/** Simulators launched by this process and not yet reaped: killed, group and all, if it exits first. */
const live = new Set<ChildProcess>();

function track(child: ChildProcess): void {
  if (live.size === 0) process.once('exit', killAll);
  live.add(child);
  child.once('exit', () => live.delete(child));
}

function killAll(): void {
  for (const c of live) signalGroup(c, 'SIGKILL');
}

/** Signal a launched simulator's whole process group (the cocotb runner and the simulator under it). */
export function signalGroup(child: ChildProcess, sig: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, sig);
  } catch {
    // the group is gone already
  }
}

/**
 * Wait for a child to exit; after `graceMs` send its group SIGTERM, then SIGKILL 1 s later.
 * Resolves with its code. Whatever is left of the group then is killed too.
 */
export function reap(child: ChildProcess, graceMs: number): Promise<number | null> {
  const done = (code: number | null): number | null => {
    signalGroup(child, 'SIGKILL');
    return code;
  };
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(done(child.exitCode));
  return new Promise((resolve) => {
    const term = setTimeout(() => signalGroup(child, 'SIGTERM'), graceMs);
    const kill = setTimeout(() => signalGroup(child, 'SIGKILL'), graceMs + 1000);
    child.once('exit', (code) => {
      clearTimeout(term);
      clearTimeout(kill);
      resolve(done(code));
    });
  });
}
