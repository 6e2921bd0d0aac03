// `make sim SCENARIO=two-hosts`: two hosts, a NIC each, joined by a wire; the run folder gets
// the wire's capture (wire.pcap), a transcript per NIC and summary.json.

import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoRoot } from '../abi/gen.js';
import { EXIT } from '../bridge/protocol.js';
import type { PairScenario, TwoHostsOptions } from '../scenarios/two_hosts.js';
import { runPair } from '../wire/pair.js';
import { scenarioErrorText } from './errors.js';
import type { Backend } from '../testing/fixture.js';
import { WIRE_FAULT_NAMES, type WireFaults } from '../wire/wire.js';

export interface PairCliOptions {
  readonly scenario: PairScenario;
  readonly seed: number;
  readonly opts: TwoHostsOptions;
  readonly runDir: string;
  readonly maxCycles: number;
  readonly reproduce: string;
  readonly backends: readonly [Backend, Backend];
  readonly listen?: { readonly host: string; readonly port: number; readonly token?: string };
  readonly timeoutS: number;
}

/** `drop=0.01,corrupt=0.01,duplicate=0,reorder=0.02` (make sim WIRE_FAULTS=...). */
export function parseWireFaults(v: string): WireFaults | string {
  const out: Record<string, number> = {};
  for (const part of v.split(',').filter(Boolean)) {
    const m = /^([a-z]+)=([0-9.]+)$/.exec(part);
    if (!m || !(WIRE_FAULT_NAMES as readonly string[]).includes(m[1]!)) return `'${part}': expected ${WIRE_FAULT_NAMES.join('|')}=P`;
    const p = Number(m[2]);
    if (!(p >= 0 && p <= 1)) return `'${part}': a probability in 0..1`;
    out[m[1]!] = p;
  }
  return out;
}

export async function runPairCli(o: PairCliOptions): Promise<number> {
  const inst = o.scenario.setup(o.seed, o.opts);
  const pcapPath = join(o.runDir, 'wire.pcap');
  let last = performance.now();
  const r = await runPair(inst, o.backends, {
    seed: o.seed, maxCycles: o.maxCycles, pcapPath, transcript: true, runDir: o.runDir, timeoutS: o.timeoutS,
    ...(o.listen
      ? {
          listen: {
            ...o.listen,
            onListening: (nic: number, url: string) =>
              process.stderr.write(`zcnic: NIC ${nic} listening on ${url}; start its simulator with: make sim-dut URL=${url} SEED=${o.seed}${o.listen!.token ? ' TOKEN=...' : ''}\n`),
          },
        }
      : {}),
    onProgress: () => {
      const now = performance.now();
      if (now - last < 2000) return;
      last = now;
      process.stderr.write(`zcnic: ${inst.progress()}\n`);
    },
  });
  const errors = [...r.errors, ...(r.scenarioError !== undefined ? [scenarioErrorText(r.scenarioError)] : [])];
  const exitCode = r.errors.length ? EXIT.E_PEER_GONE : errors.length ? EXIT.E_SCENARIO : EXIT.OK;
  const transcripts = r.transcripts.map((t, i) => {
    const file = `transcript.host${i}.txt`;
    writeFileSync(join(o.runDir, file), t?.text() ?? '');
    return { file, messages: t?.messages ?? 0, sha256: t?.sha256() ?? null };
  });
  const summary = {
    scenario: o.scenario.name, seed: o.seed, result: exitCode === 0 ? 'pass' : 'fail', exit_code: exitCode, reproduce: o.reproduce,
    backends: o.backends,
    simulated_cycles: r.cycles,
    simulated_ns: (r.cycles * inst.hosts[0].clock.periodPs) / 1000,
    wall_seconds: Number(r.wallSeconds.toFixed(3)),
    pcap: { file: 'wire.pcap', frames: r.wire.delivered },
    transcripts,
    devices: r.stats.map((d, i) => ({ name: `nic${i}`, backend: o.backends[i], ...d })),
    host: inst.report(),
    errors,
  };
  writeFileSync(join(o.runDir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  for (const l of inst.lines?.() ?? []) process.stdout.write(`${l}\n`);
  for (const e of errors) process.stderr.write(`zcnic: ${e}\n`);
  process.stderr.write(
    `zcnic: ${summary.result.toUpperCase()} ${o.scenario.name} seed=${o.seed}: ${r.cycles} cycles in ${r.wallSeconds.toFixed(2)} s, ` +
      `${r.wire.delivered} frames on the wire (${relative(repoRoot, pcapPath)}), transcript sha256 ${transcripts.map((t) => t.sha256?.slice(0, 16) ?? '-').join(' ')}\n` +
      `zcnic: run folder ${relative(repoRoot, o.runDir)} (also sim/out/latest)\n`,
  );
  return exitCode;
}
