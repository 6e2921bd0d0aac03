// The plain Verilator C++ harnesses (the bench's speed limit) build and run with every byte
// checked, so `make bench` cannot rot: copy_bench runs the copy cases, nic_bench pushes frames
// through TX, MAC loopback and RX at the default and the widest data path.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../src/lib/repo.js';
import { scratchDir } from '../scratch.js';

function build(harness: string, dw: number, env: NodeJS.ProcessEnv = process.env, dirName = `${harness}-dw${dw}`): string {
  const dir = join(repoRoot, 'sim', 'build', dirName);
  const b = spawnSync('bash', ['sim/harness/build.sh', harness, String(dw), dir], { cwd: repoRoot, encoding: 'utf8', env });
  expect(b.status, b.stderr).toBe(0);
  return dir;
}

describe('sim/harness/copy_bench.cpp', () => {
  for (const dw of [64]) {
    it(`copies byte-exact at DATA_WIDTH=${dw}`, () => {
      const dir = build('copy_bench', dw);
      const cases = join(scratchDir('harness'), 'cases.txt');
      // 1 byte, a page, a jumbo frame, 4 KiB crossings on both sides, a misaligned 700-byte copy
      writeFileSync(cases, '1 7 3\n4096 0 0\n9000 2 6\n300 4000 4090\n700 5 3396\n');
      const r = spawnSync(join(dir, 'copy_bench'), [cases, '3'], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as { copies: number; bytes: number; cycles: number };
      expect(out.copies).toBe(15);
      expect(out.bytes).toBe(3 * (1 + 4096 + 9000 + 300 + 700));
      expect(out.cycles).toBeGreaterThan(0);
    });
  }

  it('builds a model split into many C++ files (the wheel leaves the precompiled-header flag empty)', () => {
    // unoptimised: this checks that the build works, and nothing runs it
    const dir = build('copy_bench', 64, { ...process.env, EXTRA_VERILATOR_ARGS: '--output-split 200 -CFLAGS -O0 -MAKEFLAGS OPT_FAST=-O0' }, 'harness-split');
    const cpp = readdirSync(dir).filter((f) => /^Vnic_top.*\.cpp$/.test(f));
    expect(cpp.length).toBeGreaterThan(10);
  });
});

describe('sim/harness/nic_bench.cpp', () => {
  for (const dw of [64, 512]) {
    it(`loops frames back byte-exact at DATA_WIDTH=${dw}`, () => {
      const dir = build('nic_bench', dw);
      const r = spawnSync(join(dir, 'nic_bench'), ['--frames', '60', '--seed', '3', '--json'], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { frames: number; errors: number; data_width: number; cycles: number };
      expect(out).toMatchObject({ frames: 60, errors: 0, data_width: dw });
      expect(out.cycles).toBeGreaterThan(0);
    });
  }
});
