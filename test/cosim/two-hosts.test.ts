// two-hosts on the RTL (one simulator process and bridge connection per NIC) and mixed (one RTL
// NIC, one model NIC), through `make sim`'s entry point: every frame checked end to end both
// ways, the pcap read back by scapy, wire faults accounted for, and runs reproducible.

import { describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../src/lib/repo.js';
import { venvPython } from '../../src/bridge/launch.js';
import { scratchDir } from '../scratch.js';

interface HostRep { name: string; frames_sent: number; frames_checked: number; frames_filtered: number; frames_lost: number; duplicates: number; inflight_after_remove: number; dma_debug_errors: number; ethtool: Record<string, number> }
interface Summary {
  result: string;
  errors: string[];
  backends: string[];
  reproduce: string;
  pcap: { file: string; frames: number };
  transcripts: { file: string; messages: number; sha256: string }[];
  host: { hosts: HostRep[]; wire: { 'a->b': Record<string, number>; 'b->a': Record<string, number>; delivered: number } };
}

function run(backend: string, seed: number, extra: string[] = []): { code: number | null; s: Summary; stderr: string; dir: string } {
  const out = scratchDir('zcnic-two-hosts');
  const r = spawnSync(join(repoRoot, 'node_modules/.bin/tsx'), ['src/cli/sim.ts', '--scenario', 'two-hosts', '--backend', backend, '--seed', String(seed), '--out', out, ...extra], {
    cwd: repoRoot, encoding: 'utf8', timeout: 280_000,
  });
  const dir = join(out, readlinkSync(join(out, 'latest')));
  return { code: r.status, s: JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Summary, stderr: r.stderr, dir };
}

function scapyCount(path: string): number {
  const p = spawnSync(venvPython(), ['-c', 'import sys\nfrom scapy.utils import RawPcapReader\nprint(sum(1 for _ in RawPcapReader(sys.argv[1])))', path], { encoding: 'utf8' });
  if (p.status !== 0) throw new Error(p.stderr);
  return Number(p.stdout.trim());
}

function expectClean(s: Summary, frames: number): void {
  for (const h of s.host.hosts) {
    expect(h.frames_sent).toBe(frames);
    expect(h.inflight_after_remove).toBe(0);
    expect(h.dma_debug_errors).toBe(0);
  }
}

describe('two hosts on a wire over the bridge', () => {
  it('RTL + RTL: 2,000 frames over every queue, each checked end to end; the pcap holds every frame the wire carried', () => {
    const { code, s, stderr, dir } = run('rtl', 1, ['--frames', '1000']);
    expect(s.errors, stderr).toEqual([]);
    expect(code).toBe(0);
    expect(s.backends).toEqual(['rtl', 'rtl']);
    expect(s.reproduce).toBe('make sim SCENARIO=two-hosts SEED=1 FRAMES=1000');
    expectClean(s, 1000);
    for (const h of s.host.hosts) {
      expect(h.frames_checked + h.frames_filtered).toBe(1000);
      expect(h.frames_lost).toBe(0);
      for (let q = 0; q < 4; q++) {
        expect(h.ethtool[`tx_queue_${q}_packets`], `${h.name} TX queue ${q}`).toBeGreaterThan(100);
        expect(h.ethtool[`rx_queue_${q}_packets`], `${h.name} RX queue ${q}`).toBeGreaterThan(20);
      }
    }
    expect(s.pcap.frames).toBe(2000);
    expect(scapyCount(join(dir, s.pcap.file))).toBe(s.pcap.frames);
    // a frame that leaves one NIC at cycle t enters the other at t + the wire's 512 cycles
    const frames = (file: string, dirMark: string, type: string): Map<string, number> => {
      const m = new Map<string, number>();
      const re = new RegExp(`^${dirMark} (\\d+) ${type} port=0 flags=0 frame=(\\S+)$`);
      for (const l of readFileSync(join(dir, file), 'utf8').split('\n')) {
        const x = re.exec(l);
        if (x && !m.has(x[2]!)) m.set(x[2]!, Number(x[1]));
      }
      return m;
    };
    const tx0 = frames('transcript.host0.txt', '>', 'ETH_TX');
    const rx1 = frames('transcript.host1.txt', '<', 'ETH_RX');
    expect(tx0.size).toBeGreaterThan(900);
    for (const [f, t] of tx0) expect(rx1.get(f), f).toBe(t + 512);
  });

  it('RTL + RTL with wire faults: what was lost or corrupted is counted, nothing corrupted is delivered, and the run repeats byte for byte', () => {
    const faults = ['--frames', '150', '--wire-faults', 'drop=0.03,corrupt=0.03,duplicate=0.03,reorder=0.05'];
    const a = run('rtl', 4, faults);
    expect(a.s.errors, a.stderr).toEqual([]);
    expect(a.code).toBe(0);
    const w = a.s.host.wire;
    expect(w['a->b']!['dropped']! + w['b->a']!['dropped']!).toBeGreaterThan(0);
    expect(w['a->b']!['corrupted']! + w['b->a']!['corrupted']!).toBeGreaterThan(0);
    const [h0, h1] = a.s.host.hosts as [HostRep, HostRep];
    expect(h1.frames_lost).toBeGreaterThan(0);
    expect(h1.frames_checked + h1.frames_filtered + h1.frames_lost).toBe(150);
    expect(h0.ethtool['rx_drop_bad']! + h1.ethtool['rx_drop_bad']!).toBeGreaterThanOrEqual(w['a->b']!['corrupted']! + w['b->a']!['corrupted']!);
    expect(scapyCount(join(a.dir, 'wire.pcap'))).toBe(w.delivered);
    const b = run('rtl', 4, faults);
    expect(b.s.transcripts.map((t) => t.sha256)).toEqual(a.s.transcripts.map((t) => t.sha256));
    expect(readFileSync(join(b.dir, 'wire.pcap'))).toEqual(readFileSync(join(a.dir, 'wire.pcap')));
  });

  it('mixed (RTL + model): traffic both ways, checked, and reproducible', () => {
    const a = run('mixed', 2, ['--frames', '120']);
    expect(a.s.errors, a.stderr).toEqual([]);
    expect(a.code).toBe(0);
    expect(a.s.backends).toEqual(['rtl', 'model']);
    expectClean(a.s, 120);
    for (const h of a.s.host.hosts) expect(h.frames_checked + h.frames_filtered).toBe(120);
    const b = run('mixed', 2, ['--frames', '120']);
    expect(b.s.transcripts.map((t) => t.sha256)).toEqual(a.s.transcripts.map((t) => t.sha256));
  });

  it('two simulators started on their own (as on two machines) give the same run as two launched here', async () => {
    const out = scratchDir('zcnic-two-apart');
    const host = spawn(join(repoRoot, 'node_modules/.bin/tsx'), [
      'src/cli/sim.ts', '--scenario', 'two-hosts', '--seed', '3', '--frames', '60', '--listen', '127.0.0.1:0', '--token', 'sesame', '--out', out,
    ], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
    let herr = '';
    const urls = await new Promise<string[]>((resolve, reject) => {
      host.stderr!.on('data', (d: Buffer) => {
        herr += d.toString();
        const m = [...herr.matchAll(/NIC \d listening on (ws:\/\/\S+);/g)].map((x) => x[1]!);
        if (m.length === 2) resolve(m);
      });
      host.once('exit', () => reject(new Error(herr)));
    });
    const hostExit = new Promise<number | null>((resolve) => host.once('exit', resolve));
    const sims: ChildProcess[] = urls.map((url) =>
      spawn(venvPython(), ['-m', 'zcnic_tb.cosim', '--url', url, '--seed', '3', '--token', 'sesame', '--run-dir', scratchDir('zcnic-two-apart-sim'), '--quiet'], {
        cwd: repoRoot, env: { ...process.env, PYTHONPATH: join(repoRoot, 'tb') }, stdio: 'ignore',
      }),
    );
    const codes = await Promise.all(sims.map((c) => new Promise<number | null>((resolve) => c.once('exit', resolve))));
    expect(codes).toEqual([0, 0]);
    expect(await hostExit, herr).toBe(0);
    const apart = JSON.parse(readFileSync(join(out, readlinkSync(join(out, 'latest')), 'summary.json'), 'utf8')) as Summary;
    expect(apart.result).toBe('pass');
    const here = run('rtl', 3, ['--frames', '60']);
    expect(apart.transcripts.map((t) => t.sha256)).toEqual(here.s.transcripts.map((t) => t.sha256));
  });
});
