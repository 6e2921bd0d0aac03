// The transcript table: every `make sim` scenario at its defaults on each backend (and on the
// RTL through both ports), with the sha256 of each NIC's transcript. A change that must not
// change behaviour (a restructuring) records the table before and checks it after:
//
//   node_modules/.bin/tsx scripts/transcripts.ts --write     # record test/golden/transcripts.tsv
//   node_modules/.bin/tsx scripts/transcripts.ts             # run again, compare, exit 1 on a difference
//
// ONLY=name[,name] restricts the scenarios, BACKENDS=model[,rtl,mixed] the backends and PORTS=dpi the
// RTL's ports (a quick look); the check then compares those rows only.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../src/lib/repo.js';
import { PAIR_SCENARIOS, SCENARIOS } from '../src/scenarios/index.js';

const TABLE = join(repoRoot, 'test', 'golden', 'transcripts.tsv');

interface Row {
  readonly key: string;
  readonly sha: string;
}

function runs(): { key: string; args: string[] }[] {
  const only = process.env['ONLY']?.split(',').filter(Boolean);
  const out: { key: string; args: string[] }[] = [];
  const names = [...Object.keys(SCENARIOS), ...Object.keys(PAIR_SCENARIOS)].filter((n) => !only || only.includes(n));
  for (const name of names) {
    const pair = name in PAIR_SCENARIOS;
    const backends = process.env['BACKENDS']?.split(',');
    const ports = process.env['PORTS']?.split(',');
    for (const backend of (pair ? ['model', 'rtl', 'mixed'] : ['model', 'rtl']).filter((b) => !backends || backends.includes(b))) {
      for (const port of (backend === 'model' ? [null] : ['dpi', 'python']).filter((p) => p === null || !ports || ports.includes(p))) {
        out.push({
          key: `${name}\t${backend}${port ? `\t${port}` : '\t-'}`,
          args: [`--scenario=${name}`, `--backend=${backend}`, ...(port ? [`--port=${port}`] : [])],
        });
      }
    }
  }
  return out;
}

function run(args: string[]): string {
  const out = mkdtempSync(join(repoRoot, 'sim', 'out', 'tmp', 'transcripts-'));
  const r = spawnSync(join(repoRoot, 'node_modules/.bin/tsx'), ['src/cli/sim.ts', ...args, `--out=${out}`, '--rerun-waves=0'], { cwd: repoRoot, encoding: 'utf8' });
  if (r.status !== 0) return `FAILED(exit ${r.status}): ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`;
  const s = JSON.parse(readFileSync(join(out, readlinkSync(join(out, 'latest')), 'summary.json'), 'utf8')) as {
    transcript_sha256?: string | null; transcripts?: { sha256: string | null }[];
  };
  return s.transcripts ? s.transcripts.map((t) => t.sha256 ?? '-').join(' ') : (s.transcript_sha256 ?? '-');
}

function parse(text: string): Row[] {
  return text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => {
    const parts = l.split('\t');
    return { key: parts.slice(0, 3).join('\t'), sha: parts[3] ?? '' };
  });
}

function main(): number {
  mkdirSync(join(repoRoot, 'sim', 'out', 'tmp'), { recursive: true });
  const write = process.argv.includes('--write');
  const rows: Row[] = [];
  for (const r of runs()) {
    const t0 = performance.now();
    const sha = run(r.args);
    rows.push({ key: r.key, sha });
    process.stdout.write(`${r.key.padEnd(30)}\t${sha}\t(${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
  }
  if (write) {
    mkdirSync(join(repoRoot, 'test', 'golden'), { recursive: true });
    writeFileSync(TABLE, `# scenario\tbackend\tport\ttranscript sha256 (one per NIC), each scenario at its defaults: scripts/transcripts.ts\n${rows.map((r) => `${r.key}\t${r.sha}`).join('\n')}\n`);
    process.stdout.write(`recorded ${rows.length} runs in ${TABLE}\n`);
    return rows.some((r) => r.sha.startsWith('FAILED')) ? 1 : 0;
  }
  const want = new Map(parse(readFileSync(TABLE, 'utf8')).map((r) => [r.key, r.sha]));
  const bad = rows.filter((r) => want.get(r.key) !== r.sha);
  for (const r of bad) process.stdout.write(`DIFFERS ${r.key}: recorded ${want.get(r.key) ?? '(none)'}, now ${r.sha}\n`);
  process.stdout.write(`${rows.length - bad.length} same, ${bad.length} different\n`);
  return bad.length ? 1 : 0;
}

process.exit(main());
