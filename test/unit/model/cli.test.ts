// make sim BACKEND=model through the CLI: the run folder (summary, transcript, the MAC and
// loopback captures read back by scapy) and the usage errors of options the model cannot take.

import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../../src/lib/repo.js';
import { venvPython } from '../../../src/bridge/launch.js';
import { scratchDir } from '../../scratch.js';

function cli(args: string[]): { code: number | null; stderr: string; dir: string | null } {
  const out = scratchDir('zcnic-model-cli');
  const r = spawnSync(join(repoRoot, 'node_modules/.bin/tsx'), ['src/cli/sim.ts', ...args, '--out', out], { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 });
  let dir: string | null = null;
  try {
    dir = join(out, readlinkSync(join(out, 'latest')));
  } catch {
    /* a usage error makes no run folder */
  }
  return { code: r.status, stderr: r.stderr, dir };
}

const count = (path: string): number => {
  const p = spawnSync(venvPython(), ['-c', 'import sys\nfrom scapy.utils import RawPcapReader\nprint(sum(1 for _ in RawPcapReader(sys.argv[1])))', path], { encoding: 'utf8' });
  if (p.status !== 0) throw new Error(p.stderr);
  return Number(p.stdout.trim());
};

describe('make sim BACKEND=model', () => {
  it('leaves a run folder like the RTL: summary, transcript, and pcaps of the MAC port and of loopback', () => {
    const { code, stderr, dir } = cli(['--backend', 'model', '--scenario', 'traffic', '--frames', '40', '--seed', '2']);
    expect(code, stderr).toBe(0);
    const s = JSON.parse(readFileSync(join(dir!, 'summary.json'), 'utf8')) as { backend: string; port: null; reproduce: string; transcript_sha256: string; pcap: { file: string; frames: number }[]; host: { frames_sent: number } };
    expect(s).toMatchObject({ backend: 'model', port: null, reproduce: 'make sim SCENARIO=traffic SEED=2 BACKEND=model FRAMES=40' });
    expect(readFileSync(join(dir!, 'transcript.txt'), 'utf8')).toMatch(/^# zcnic bridge transcript[^\n]*\n# backend=model/);
    // the first half loops back, the second leaves the MAC
    expect(s.pcap.map((p) => [p.file, p.frames])).toEqual([['mac.pcap', 20], ['loopback.pcap', 20]]);
    for (const p of s.pcap) expect(count(join(dir!, p.file))).toBe(p.frames);
  });

  it.each([
    [['--backend', 'model', '--waves'], /--waves needs the RTL backend/],
    [['--backend', 'model', '--port', 'python'], /--port needs the RTL backend/],
    [['--backend', 'mixed'], /mixed .* is for the two-host scenarios/],
    [['--backend', 'fpga'], /--backend fpga: expected rtl or model or mixed/],
    [['--scenario', 'two-hosts', '--backend', 'model', '--wire-faults', 'drop=2'], /drop=2': a probability in 0..1/],
    [['--scenario', 'traffic', '--backend', 'model', '--wire-faults', 'drop=0.1'], /scenario traffic has no wire/],
    [['--scenario', 'two-hosts', '--backend', 'model', '--listen', '127.0.0.1:0'], /--listen needs/],
    // make sim passes each value as one token, so a negative number meets the CLI's own check
    [['--backend=model', '--frames=-5'], /--frames must be a non-negative integer, got '-5'/],
    [['--backend=model', '--seed=-1'], /--seed must be a non-negative integer, got '-1'/],
    [['--backend=model', '--frames=0'], /--frames 0 would test nothing/],
    [['--backend=model', '--stuck-cycles=x'], /--stuck-cycles must be a non-negative integer/],
  ])('%j is a usage error', (args, msg) => {
    const { code, stderr } = cli(args);
    expect(code).toBe(2);
    expect(stderr).toMatch(msg);
    // the usage lists every make variable
    expect(stderr).toMatch(/make sim variables: SCENARIO= SEED= BACKEND=rtl\|model\|mixed WAVES=0\|1 PORT=dpi\|python FRAMES= IOMMU= POOL= SWIOTLB= FAULTS=1/);
  });

  it('make refuses WAVES=yes before anything runs', () => {
    const r = spawnSync('make', ['-s', 'sim', 'WAVES=yes'], { cwd: repoRoot, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/usage: WAVES=yes: expected WAVES=0 or WAVES=1/);
  });
});
