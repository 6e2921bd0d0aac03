// Run folders for fixture runs, inside the git-ignored sim/out/ (tests write nowhere else).
import { mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../lib/repo.js';

export function scratchRunDir(prefix: string): string {
  const root = join(repoRoot, 'sim', 'out', 'tmp');
  mkdirSync(root, { recursive: true });
  return mkdtempSync(join(root, `${prefix}-`));
}
