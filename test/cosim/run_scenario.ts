// Run `make sim`'s CLI for one scenario into a scratch folder and read back its summary.json.

import { spawnSync } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../src/lib/repo.js';
import { scratchDir } from '../scratch.js';

export function runScenario<S>(scenario: string, backend: string, extra: readonly string[]): { code: number | null; s: S; stdout: string; stderr: string } {
  const out = scratchDir(`zcnic-${scenario}`);
  const r = spawnSync(join(repoRoot, 'node_modules/.bin/tsx'), ['src/cli/sim.ts', '--scenario', scenario, '--backend', backend, '--out', out, ...extra], {
    cwd: repoRoot, encoding: 'utf8', timeout: 280_000,
  });
  const dir = join(out, readlinkSync(join(out, 'latest')));
  return { code: r.status, s: JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as S, stdout: r.stdout, stderr: r.stderr };
}
