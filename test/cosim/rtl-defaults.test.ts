// Every RTL module's default parameters pass its own elaboration checks (scripts/check-defaults.sh
// builds one binary that instantiates each module with its defaults and runs the initial blocks).

import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { repoRoot } from '../../src/lib/repo.js';

describe('RTL defaults', () => {
  it('every module elaborates with its default parameters', () => {
    const r = spawnSync('bash', ['scripts/check-defaults.sh'], { cwd: repoRoot, encoding: 'utf8', timeout: 240_000 });
    expect(r.stdout + r.stderr).toMatch(/defaults: \d+ modules elaborate with their default parameters/);
    expect(r.status).toBe(0);
  });
});
