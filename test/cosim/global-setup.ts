// Build the Verilated RTL once before the co-simulation tests (the slow part), so each test's
// timeout covers only its own run.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../../src/lib/repo.js';
import { venvPython } from '../../src/bridge/launch.js';

export default function setup(): void {
  execFileSync(venvPython(), ['-m', 'zcnic_tb.cosim', '--build-only'], {
    cwd: repoRoot,
    env: { ...process.env, PYTHONPATH: join(repoRoot, 'tb') },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}
