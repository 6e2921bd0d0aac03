// The RTL stays lint clean under `verilator --lint-only -Wall` (every module as top), and so does
// the co-simulation toplevel in tb/cosim/ and the burst-level port's wrapper in tb/cosim/port/.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../../src/lib/repo.js';

describe('rtl/, tb/cosim/ and tb/cosim/port/', () => {
  it('is clean under verilator --lint-only -Wall', () => {
    const r = spawnSync('bash', [join(repoRoot, 'scripts', 'lint-rtl.sh')], { cwd: repoRoot, encoding: 'utf8' });
    expect(r.stderr.split('\n').filter((l) => /%(Warning|Error)/.test(l))).toEqual([]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('lint: rtl/, tb/cosim/ and tb/cosim/port/ clean under verilator --lint-only -Wall');
  });
});
