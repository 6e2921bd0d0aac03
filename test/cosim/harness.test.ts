// The plain Verilator C++ harness (the bench's speed limit) builds and runs the copy cases with
// every byte checked, at the default and the widest data path, so `make bench` cannot rot.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../src/abi/gen.js';
import { scratchDir } from '../scratch.js';

describe('sim/harness/copy_bench.cpp', () => {
  for (const dw of [64, 512]) {
    it(`copies byte-exact at DATA_WIDTH=${dw}`, () => {
      const dir = join(repoRoot, 'sim', 'build', `harness-dw${dw}`);
      const b = spawnSync('bash', ['sim/harness/build.sh', String(dw), dir], { cwd: repoRoot, encoding: 'utf8' });
      expect(b.status, b.stderr).toBe(0);
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
    const dir = join(repoRoot, 'sim', 'build', 'harness-split');
    const b = spawnSync('bash', ['sim/harness/build.sh', '64', dir], {
      cwd: repoRoot, encoding: 'utf8', env: { ...process.env, EXTRA_VERILATOR_ARGS: '--output-split 200' },
    });
    expect(b.status, b.stderr).toBe(0);
    const cpp = readdirSync(dir).filter((f) => /^Vnic_top.*\.cpp$/.test(f));
    expect(cpp.length).toBeGreaterThan(10);
  });
});
