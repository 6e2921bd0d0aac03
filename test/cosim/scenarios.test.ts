// End to end: TS host + cocotb + Verilator through the real `make sim` entry point. The scenarios
// check every copied byte in host memory themselves (and throw on the first wrong one); these
// tests check the outcome, what the run folder records, and that runs are reproducible.

import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { eventFilterFile } from '../../src/debug/events.js';
import { join } from 'node:path';
import { repoRoot } from '../../src/lib/repo.js';
import { WAVE_TOP, venvPython } from '../../src/bridge/launch.js';
import { scratchDir } from '../scratch.js';

interface Summary {
  scenario: string;
  seed: number;
  result: string;
  exit_code: number;
  reproduce: string;
  simulated_cycles: number;
  startup_seconds: number;
  sim_seconds: number;
  wall_seconds: number;
  cycles_per_second: number;
  bridge: { messages: number };
  device: { dmaReads: number; dmaWrites: number; dmaFaults: number; irqs: number; mmioReads: number };
  host: Record<string, unknown> & { faults: { addr: string; access: string; reason: string; cycle: number }[]; dma_debug_errors: number };
  errors: string[];
  transcript_sha256: string;
  simulator_exit_code: number | null;
  faults: { cycle: number; label: string }[];
  waves: { dump: string; gtkwave_save: string; event_names: string; open: string } | null;
}

function sim(scenario: string, seed: number, extra: string[] = []): { code: number | null; summary: Summary; stderr: string; dir: string } {
  const out = scratchDir(`zcnic-cosim-${scenario}`);
  const r = spawnSync(join(repoRoot, 'node_modules/.bin/tsx'), ['src/cli/sim.ts', '--scenario', scenario, '--seed', String(seed), '--out', out, ...extra], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 280_000,
  });
  const dir = join(out, readlinkSync(join(out, 'latest')));
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Summary;
  return { code: r.status, summary, stderr: r.stderr, dir };
}

let wavesDir = '';

describe('co-simulation: host + cocotb + Verilator', () => {
  it('copy: byte-exact copies through a strict IOMMU, incl. 4 KiB crossings and the last byte below 4 GiB', () => {
    const { code, summary, stderr } = sim('copy', 7);
    expect(summary.errors, stderr).toEqual([]);
    expect(code).toBe(0);
    expect(summary).toMatchObject({ scenario: 'copy', seed: 7, result: 'pass', exit_code: 0, simulator_exit_code: 0, reproduce: 'make sim SCENARIO=copy SEED=7' });
    const cases = summary.host['cases'] as { name: string; len: number; dst: string; end?: string }[];
    expect(cases[0]).toEqual({ name: 'ends at 0xFFFFFFFF', len: 700, dst: '0xfffffd44', end: '0xffffffff' });
    expect(cases.map((c) => c.name)).toEqual(expect.arrayContaining(['source crosses 4 KiB', 'destination crosses 4 KiB', 'both cross, misaligned', 'jumbo frame']));
    expect(summary.host['copies']).toBe(17);
    expect(summary.host.faults).toEqual([]);
    expect(summary.host.dma_debug_errors).toBe(0);
    expect(summary.device.dmaFaults).toBe(0);
    // One interrupt per copy; descriptor fetch + data + write-back per copy at least.
    expect(summary.device.irqs).toBe(17);
    expect(summary.device.dmaReads).toBeGreaterThanOrEqual(34);
    expect(summary.simulated_cycles).toBeGreaterThan(0);
  });

  it('reports start-up (build, simulator launch) and simulation time apart; cycles/s counts the simulation only', () => {
    const { summary, stderr } = sim('probe', 2);
    const { startup_seconds: up, sim_seconds: run, wall_seconds: wall, simulated_cycles: cycles } = summary;
    expect(up).toBeGreaterThan(0.1); // a Python process and a simulator start, at least
    expect(run).toBeGreaterThan(0);
    expect(Math.abs(wall - (up + run))).toBeLessThanOrEqual(0.002); // rounding of three figures
    // sim_seconds is rounded to the millisecond; cycles_per_second divides by the exact figure
    expect(summary.cycles_per_second).toBeGreaterThanOrEqual(Math.floor(cycles / (run + 0.0005)));
    expect(summary.cycles_per_second).toBeLessThanOrEqual(Math.ceil(cycles / Math.max(run - 0.0005, 1e-6)));
    expect(summary.cycles_per_second).toBeGreaterThan(Math.round(cycles / wall));
    const m = /zcnic: PASS probe seed=2: (\d+) cycles in ([\d.]+) s \((\d+) cycles\/s; start-up ([\d.]+) s, wall ([\d.]+) s\), /.exec(stderr);
    expect(m, stderr).not.toBeNull();
    const [, c, r, cps, u, w] = m!.map(Number);
    expect([c, cps]).toEqual([cycles, summary.cycles_per_second]);
    for (const [shown, exact] of [[r, run], [u, up], [w, wall]] as const) expect(Math.abs(shown! - exact)).toBeLessThanOrEqual(0.006);
  });

  it('two runs with the same seed give the same transcript, a different seed another', () => {
    const a = sim('copy', 11);
    const b = sim('copy', 11);
    const c = sim('copy', 12);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    expect(c.code).toBe(0);
    expect(a.summary.transcript_sha256).toBe(b.summary.transcript_sha256);
    expect(readFileSync(join(a.dir, 'transcript.txt'), 'utf8')).toBe(readFileSync(join(b.dir, 'transcript.txt'), 'utf8'));
    expect(c.summary.transcript_sha256).not.toBe(a.summary.transcript_sha256);
  });

  it('fault: unmapped IOVAs end as DMA errors at the RTL, latched and recorded; the engine recovers', () => {
    const { code, summary, stderr } = sim('fault', 1);
    expect(summary.errors, stderr).toEqual([]);
    expect(code).toBe(0);
    const results = summary.host['results'] as { what: string; err: number; resp?: number; err_addr?: string }[];
    expect(results.map((r) => [r.what, r.err, r.resp, r.err_addr])).toEqual([
      ['write to an unmapped IOVA', 3, 2, '0x10000000'],
      ['read of an unmapped IOVA', 2, 2, '0x10000040'],
      ['write through a stale (unmapped) IOVA', 2, 2, expect.stringMatching(/^0xffff[0-9a-f]{4}$/)],
      ['good copy after faults', 0, undefined, undefined],
    ]);
    expect(summary.host.faults.map((f) => [f.addr, f.access, f.reason])).toEqual([
      ['0x10000000', 'write', 'not_present'],
      ['0x10000040', 'read', 'not_present'],
      [expect.stringMatching(/^0xffff[0-9a-f]{4}$/), 'read', 'not_present'],
    ]);
    expect(summary.device.dmaFaults).toBe(3);
    expect(summary.faults.map((f) => f.label)).toEqual([
      'DMA write fault 0x10000000 (not_present)', 'DMA read fault 0x10000040 (not_present)', expect.stringMatching(/^DMA read fault 0xffff[0-9a-f]{4} \(not_present\)$/),
    ]);
    expect(summary.waves).toBeNull();
  });

  it('fault with waves: a GTKWave save file with named markers at the faults, and the event-name filter', () => {
    const { code, summary, stderr, dir } = sim('fault', 1, ['--waves']);
    expect(summary.errors, stderr).toEqual([]);
    expect(code).toBe(0);
    expect(summary.waves).toMatchObject({ dump: 'waves.fst', gtkwave_save: 'waves.gtkw', event_names: 'waves.events.txt' });
    expect(readFileSync(join(dir, 'waves.events.txt'), 'utf8')).toBe(eventFilterFile());
    const gtkw = readFileSync(join(dir, 'waves.gtkw'), 'utf8').split('\n');
    expect(gtkw.filter((l) => l.startsWith('[markername]'))).toEqual(summary.faults.map((f, i) => `[markername] ${'ABC'[i]}${f.label}`));
    expect(gtkw).toContain('^1 waves.events.txt');
    expect(readFileSync(join(dir, 'waves.fst')).subarray(0, 1)[0]).toBe(0); // FST block type: header
    wavesDir = dir;
  });

  // GTKWave itself, headless (Debian's gtkwave and xvfb, which make test installs): every trace of
  // the save file is found in the dump, the markers are set, and tb_evt_kind reads as names.
  it('fault with waves: GTKWave loads every trace of waves.gtkw', () => {
    expect(wavesDir).not.toBe('');
    const tcl = join(scratchDir('zcnic-gtkwave'), 'check.tcl');
    writeFileSync(tcl, [
      'foreach s [gtkwave::getDisplayedSignals] { puts "SIG $s" }',
      // the default port's scope (the run above has no --port)
      `puts "KIND_FLAGS [gtkwave::getTraceFlagsFromName {${WAVE_TOP.dpi}.tb_evt_kind[7:0]}]"`,
      'gtkwave::/File/Quit',
    ].join('\n'));
    // from another directory: the dump and the filter file are found next to the save file
    const r = spawnSync('xvfb-run', ['-a', 'gtkwave', '-S', tcl, join(wavesDir, 'waves.gtkw')], { cwd: '/', encoding: 'utf8', timeout: 60_000 });
    expect(r.error, 'needs gtkwave and xvfb-run: make test installs them (make gtkwave-deps)').toBeUndefined();
    const shown = r.stdout.split('\n').filter((l) => l.startsWith('SIG ')).map((l) => l.slice(4)).sort();
    const wanted = readFileSync(join(wavesDir, 'waves.gtkw'), 'utf8').split('\n').filter((l) => /^[a-z]/.test(l)).sort();
    expect(wanted.length).toBeGreaterThan(80);
    expect(shown).toEqual(wanted);
    expect(r.stdout).toContain(`KIND_FLAGS ${0x2024}`);
  });

  it('a scenario that cannot finish fails with exit 1, names the cause, and records how to reproduce it', () => {
    const { code, summary } = sim('copy', 2, ['--max-cycles', '3000']);
    expect(code).toBe(1);
    expect(summary).toMatchObject({
      result: 'fail', exit_code: 1, simulator_exit_code: 0,
      reproduce: 'node_modules/.bin/tsx src/cli/sim.ts --scenario copy --seed 2 --max-cycles 3000',
    });
    expect(summary.errors).toEqual([expect.stringMatching(/^host0, cycle \d+: E_CYCLE_LIMIT: the run did not finish within 3000 cycles; host0 waits on /)]);
    expect(summary.simulated_cycles).toBeGreaterThanOrEqual(3000);
  });

  it('probe: ID, version, ABI hash, scratch, and a refused register write', () => {
    const { code, summary, stderr } = sim('probe', 1);
    expect(summary.errors, stderr).toEqual([]);
    expect(code).toBe(0);
    expect(summary.host['device']).toMatchObject({
      id: '0x5a434e43', version: '2.0.0', dataBytes: 8, irqVectors: 9, txQueues: 4, rxQueues: 4, maxRingEntries: 1024, maxFrags: 32,
    });
  });
});

describe('co-simulation: the two halves started apart', () => {
  it('a host waiting on --listen with a token, and a simulator started on its own with the URL', async () => {
    const out = scratchDir('zcnic-apart');
    const host = spawn(join(repoRoot, 'node_modules/.bin/tsx'), [
      'src/cli/sim.ts', '--scenario', 'probe', '--seed', '4', '--listen', '127.0.0.1:0', '--token', 'sesame', '--out', out,
    ], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
    let herr = '';
    const url = await new Promise<string>((resolve, reject) => {
      host.stderr!.on('data', (d: Buffer) => {
        herr += d.toString();
        const m = /listening on (ws:\/\/\S+);/.exec(herr);
        if (m) resolve(m[1]!);
      });
      host.once('exit', () => reject(new Error(herr)));
    });
    const hostExit = new Promise<number | null>((resolve) => host.once('exit', resolve));
    const simDir = scratchDir('zcnic-apart-sim');
    const sim = spawnSync(venvPython(), ['-m', 'zcnic_tb.cosim', '--url', url, '--seed', '4', '--token', 'sesame', '--run-dir', simDir], {
      cwd: repoRoot, env: { ...process.env, PYTHONPATH: join(repoRoot, 'tb') }, encoding: 'utf8', timeout: 120_000,
    });
    expect(sim.status, sim.stderr).toBe(0);
    expect(await hostExit).toBe(0);
    const summary = JSON.parse(readFileSync(join(out, readlinkSync(join(out, 'latest')), 'summary.json'), 'utf8')) as Summary;
    expect(summary).toMatchObject({ scenario: 'probe', seed: 4, result: 'pass', simulator_exit_code: null });
  });
});
