// The diff scenario: traffic on the RTL and on the reference model must agree on every delivered
// frame, completion field, drop and counter, for several seeds; a deliberately wrong model (one
// steering decision flipped, behind a test-only switch) must fail it, naming the frame and field.

import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../src/lib/repo.js';
import { scratchDir } from '../scratch.js';

interface DiffSummary {
  result: string;
  exit_code: number;
  compared: { frames: number; completions: number };
  first_difference: { seq: number | null; field: string; values: [string, string]; cycles: [number | null, number | null] } | null;
  rtl: { frames_delivered: number; scoreboard_mismatches: number; errors: string[] };
  model: { frames_delivered: number; scoreboard_mismatches: number; errors: string[] };
  errors: string[];
}

function diff(seed: number, extra: string[] = []): { code: number | null; s: DiffSummary; stderr: string } {
  const out = scratchDir('zcnic-diff');
  const r = spawnSync(join(repoRoot, 'node_modules/.bin/tsx'), ['src/cli/sim.ts', '--scenario', 'diff', '--seed', String(seed), '--out', out, ...extra], {
    cwd: repoRoot, encoding: 'utf8', timeout: 280_000,
  });
  const dir = join(out, readlinkSync(join(out, 'latest')));
  return { code: r.status, s: JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as DiffSummary, stderr: r.stderr };
}

describe('diff: RTL against the reference model', () => {
  it.each([1, 2, 3])('seed %i: every frame, completion field and counter agree', (seed) => {
    const { code, s, stderr } = diff(seed, ['--frames', '300']);
    expect(s.errors, stderr).toEqual([]);
    expect(code).toBe(0);
    expect(s.first_difference).toBeNull();
    expect(s.rtl.frames_delivered).toBe(s.model.frames_delivered);
    expect(s.compared.frames).toBe(s.rtl.frames_delivered);
    expect(s.compared.frames).toBeGreaterThan(280);
    expect(s.compared.completions).toBeGreaterThan(s.compared.frames);
  });

  it('a model with one steering decision flipped fails, naming the first differing frame and field', () => {
    const { code, s, stderr } = diff(1, ['--frames', '100', '--test-model-missteer', '10']);
    expect(code).toBe(1);
    const d = s.first_difference!;
    expect(d.field).toBe('completion 0 QUEUE');
    expect(Number(d.values[1])).toBe((Number(d.values[0]) + 1) % 4);
    expect(d.seq).not.toBeNull();
    expect(d.cycles.every((c) => c !== null && c > 0)).toBe(true);
    expect(stderr).toMatch(new RegExp(`E_DIFF: frame seq ${d.seq} \\(RX queue ${d.values[0]} on rtl\\): completion 0 QUEUE is ${d.values[0]} on rtl \\(cycle \\d+\\), ${d.values[1]} on model \\(cycle \\d+\\)`));
    // the model's own scoreboard saw it too; the RTL's saw nothing
    expect(s.model.scoreboard_mismatches).toBeGreaterThan(0);
    expect(s.rtl.scoreboard_mismatches).toBe(0);
  });
});
