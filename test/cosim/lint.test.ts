// The RTL stays lint clean under `verilator --lint-only -Wall` (every module as top), and so does
// the co-simulation toplevel in tb/cosim/.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../../src/abi/gen.js';

describe('rtl/ and tb/cosim/', () => {
  it('is clean under verilator --lint-only -Wall', () => {
    const r = spawnSync('bash', [join(repoRoot, 'scripts', 'lint-rtl.sh')], { cwd: repoRoot, encoding: 'utf8' });
    expect(r.stderr.split('\n').filter((l) => /%(Warning|Error)/.test(l))).toEqual([]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('lint: rtl/ and tb/cosim/ clean under verilator --lint-only -Wall');
  });
});
