// When a test fails on the RTL: the first error ends every simulator of the run at once and is
// reported as it is on the model (host, cycle, message), what followed is listed after it, no
// simulator process is left behind, and the run folder holds what is needed to look: the
// reproduce command and, per NIC, waves whose .gtkw opens at the first error.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../src/lib/repo.js';
import { LINK_DEFAULTS } from '../../src/abi/link.js';
import { runScenario } from '../../src/testing/fixture.js';
import { DATAGRAMS, newUserTest } from '../cases/new_user.js';
import { deadQueueTest } from '../cases/dead_queue.js';
import { scratchDir } from '../scratch.js';

const PERIOD = LINK_DEFAULTS.clockPeriodPs;

/** Processes whose command line or working directory lies in `dir` (a run's simulators). */
function processesIn(dir: string): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      if (cmd.includes(dir) || cwd.startsWith(dir)) out.push(`${pid}: ${cmd.slice(0, 120)}`);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

async function failure(p: Promise<unknown>): Promise<Error> {
  const e = await p.then(() => null, (x: unknown) => x as Error);
  if (!(e instanceof Error)) throw new Error('the run passed; it should have failed');
  return e;
}

/** The run folder an error message names. */
function folderOf(e: Error): string {
  const m = /run folder: (\S+)/.exec(e.message);
  if (!m) throw new Error(`no run folder in: ${e.message}`);
  return join(repoRoot, m[1]!);
}

describe('a failing two-host test on the RTL', () => {
  it("the new user's test passes on two RTL NICs", async () => {
    const r = await newUserTest('rtl', 'pass');
    expect(r.wire.delivered).toBe(DATAGRAMS);
  });

  it('host 1 throwing at datagram 57 fails the run within 30 s, named as on the model, with no simulator left', async () => {
    const t0 = performance.now();
    const e = await failure(newUserTest('rtl', 'throw-at-57'));
    const wall = (performance.now() - t0) / 1000;
    expect(e.message).toMatch(/^host1, cycle \d+: datagram 57 \(RX queue 2, cycle \d+\): byte 0 is 0x39, the test expected 0xff/);
    expect(e.message).toMatch(/then host0, cycle \d+: E_STOPPED/);
    expect(wall).toBeLessThan(30);
    const dir = folderOf(e);
    expect(processesIn(dir)).toEqual([]);
    const s = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { result: string; first_error: { host: string; cycle: number; code: string }; reproduce: string; stop_seconds: number };
    expect(s.result).toBe('fail');
    // every host and simulator ended within 2 s of the error
    expect(s.stop_seconds).toBeLessThan(2);
    expect(s.first_error).toMatchObject({ host: 'host1', code: 'E_SCENARIO' });
    expect(s.reproduce).toMatch(/node_modules\/\.bin\/vitest run test\/cosim\/failure\.test\.ts -t '.*datagram 57.*'/);
  });

  it('a check of the wrong queue fails with the same message as on the model', async () => {
    const e = await failure(newUserTest('rtl', 'wrong-queue'));
    expect(e.message).toMatch(/^host1, cycle \d+: datagram 0 \(RX queue 2, cycle \d+\): expected 2 to be 3/);
    expect(processesIn(folderOf(e))).toEqual([]);
  });

  it('a receiver waiting for a datagram that is never sent stops at the stuck bound, naming the call', async () => {
    const e = await failure(newUserTest('rtl', 'stuck', { stuckCycles: 300_000 }));
    expect(e.message).toMatch(/^host1, cycle \d+: E_STUCK: no host made progress for 300000 cycles/);
    expect(e.message).toMatch(/host1 waits on pid \d+ recvmsg\(fd \d+\) since cycle \d+ on udp 0\.0\.0\.0:9000/);
    expect(processesIn(folderOf(e))).toEqual([]);
  });

  // the re-run is a run with the fixture's waves option (runJob's runOnce with waves), so this is its test too
  it("a failed run re-run with waves leaves each NIC's FST and a .gtkw opening at the first error's cycle", async () => {
    const e = await failure(newUserTest('rtl', 'throw-at-57', { rerunWithWaves: true }));
    const dir = folderOf(e);
    const s = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as {
      first_error: { cycle: number }; waves: { from: string; same_first_error: boolean; nics: { dump: string; gtkwave_save: string }[] };
    };
    expect(s.waves).toMatchObject({ from: 'rerun', same_first_error: true });
    expect(s.waves.nics).toHaveLength(2);
    const at = s.first_error.cycle * PERIOD;
    for (const n of s.waves.nics) {
      const gtkw = readFileSync(join(dir, n.gtkwave_save), 'utf8');
      // the primary marker (the view opens there) and named marker A at the first error
      expect(gtkw).toMatch(new RegExp(`^\\*-?[0-9.]+ ${at} ${at} `, 'm'));
      expect(gtkw).toMatch(/^\[markername\] Afirst error: /m);
      // the dump reaches past that time
      const vcd = execFileSync('fst2vcd', [join(dir, n.dump)], { maxBuffer: 1 << 30 }).toString();
      const end = [...vcd.matchAll(/^#(\d+)$/gm)].reduce((a, m) => Math.max(a, Number(m[1])), 0);
      expect(end * 1000).toBeGreaterThanOrEqual(at); // the FST's timescale is 1 ns
    }
    expect(processesIn(dir)).toEqual([]);
  });
});

describe('first error wins in one-host runs on the RTL', () => {
  it('a scoreboard mismatch in traffic fails at that frame, with its queue and sequence number', async () => {
    const e = await failure(runScenario('rtl', 'traffic', 1, { frames: 60, testWrongQueue: 20 }));
    expect(e.message).toMatch(/^host0, cycle \d+: frame seq 20 \(\d+ bytes, TX queue \d, [^)]*\) on RX queue \d at cycle \d+: queue is \d, the model says \d/);
    expect(processesIn(folderOf(e))).toEqual([]);
  });
});

describe('an unrecovered queue error on the RTL', () => {
  it('ends the run at once with the message the model gives, and leaves no simulator', async () => {
    const e = await failure(deadQueueTest('rtl'));
    expect(e.message).toMatch(/^host0, cycle \d+: E_RECOVERY: txq1 failed again \(DESC_READ, resp \d, bus address 0x[0-9a-f]+\) after 3 recoveries with nothing completed; the queue stays down \(txq1, descriptor 0, cycle \d+\)/);
    expect(processesIn(folderOf(e))).toEqual([]);
  });
});

describe('waves of a two-host run', () => {
  it('make sim WAVES=1 of a pair writes an FST and a .gtkw per NIC, and no VCD; WAVES in the environment changes nothing', () => {
    const out = scratchDir('two-hosts-waves');
    const run = (args: string[], env: NodeJS.ProcessEnv = process.env): string => {
      const r = spawnSync(join(repoRoot, 'node_modules/.bin/tsx'), ['src/cli/sim.ts', '--scenario=two-hosts', '--frames=10', `--out=${out}`, ...args], {
        cwd: repoRoot, encoding: 'utf8', env, timeout: 120_000,
      });
      expect(r.status, r.stderr).toBe(0);
      return join(out, readlinkSync(join(out, 'latest')));
    };
    const dir = run(['--waves']);
    for (const nic of ['nic0', 'nic1']) {
      expect(existsSync(join(dir, nic, 'waves.fst'))).toBe(true);
      expect(readFileSync(join(dir, nic, 'waves.gtkw'), 'utf8')).toMatch(/^\[dumpfile\] "waves.fst"/);
    }
    // WAVES=1 exported into the environment (as make does) and no --waves: no trace at all
    const plain = run([], { ...process.env, WAVES: '1' });
    const files = (d: string): string[] => readdirSync(d, { recursive: true }).map(String);
    expect(files(dir).filter((f) => f.endsWith('.vcd'))).toEqual([]);
    expect(files(plain).filter((f) => /\.(vcd|fst)$/.test(f))).toEqual([]);
  });
});
