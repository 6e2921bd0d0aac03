// Two hosts on a wire (the reference model on both ends): traffic both ways checked end to end,
// the pcap read back by scapy (a reader the project did not write), wire faults accounted for
// exactly, and the run a pure function of its seed.

import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { venvPython } from '../../../src/bridge/launch.js';
import { twoHostsScenario } from '../../../src/scenarios/two_hosts.js';
import { runPair } from '../../../src/harness/index.js';
import { PcapWriter } from '../../../src/wire/pcap.js';
import { Wire, type WireEnd } from '../../../src/wire/wire.js';
import type { WireFaults } from '../../../src/wire/wire.js';
import { scratchDir } from '../../scratch.js';

interface HostRep { frames_sent: number; frames_checked: number; frames_filtered: number; frames_lost: number; duplicates: number; ethtool: Record<string, number>; inflight_after_remove: number; dma_debug_errors: number }

async function pair(seed: number, frames: number, wireFaults: WireFaults = {}) {
  const dir = scratchDir('two-hosts');
  const inst = twoHostsScenario.setup(seed, { frames, wireFaults });
  const pcapPath = join(dir, 'wire.pcap');
  const r = await runPair(inst, ['model', 'model'], { seed, maxCycles: twoHostsScenario.maxCycles, pcapPath, transcript: true });
  const rep = inst.report() as { hosts: HostRep[] };
  return { r, rep, pcapPath };
}

/** Frames and timestamps (ns) of a pcap, as scapy reads it. */
function scapyRead(path: string): { n: number; first: number; last: number; lens: number[] } {
  const py = `import json,sys\nfrom scapy.utils import RawPcapReader\nts=[];lens=[]\nfor data,meta in RawPcapReader(sys.argv[1]):\n  ts.append(meta.sec*10**9+meta.usec); lens.append(len(data))\nprint(json.dumps({'n':len(ts),'first':ts[0],'last':ts[-1],'mono':all(a<=b for a,b in zip(ts,ts[1:])),'lens':lens}))`;
  const p = spawnSync(venvPython(), ['-c', py, path], { encoding: 'utf8' });
  if (p.status !== 0) throw new Error(p.stderr);
  const j = JSON.parse(p.stdout) as { n: number; first: number; last: number; mono: boolean; lens: number[] };
  expect(j.mono).toBe(true);
  return j;
}

describe('two hosts on a wire (model backend)', () => {
  it('carries traffic both ways, every frame checked; the pcap holds every frame the wire carried', async () => {
    const { r, rep, pcapPath } = await pair(1, 300);
    expect(r.errors.map((e) => e.text())).toEqual([]);
    for (const h of rep.hosts) {
      expect(h.frames_sent).toBe(300);
      expect(h.frames_lost).toBe(0);
      expect(h.inflight_after_remove).toBe(0);
      expect(h.dma_debug_errors).toBe(0);
    }
    // what one host sent, the other checked or filtered
    expect(rep.hosts[1]!.frames_checked + rep.hosts[1]!.frames_filtered).toBe(300);
    expect(rep.hosts[0]!.frames_checked + rep.hosts[0]!.frames_filtered).toBe(300);
    expect(rep.hosts[1]!.ethtool['rx_drop_filter']).toBe(rep.hosts[1]!.frames_filtered);
    expect(r.wire.stats['a->b']).toMatchObject({ sent: 300, delivered: 300, dropped: 0 });
    const cap = scapyRead(pcapPath);
    expect(cap.n).toBe(r.wire.delivered);
    expect(cap.n).toBe(600);
    // simulated time: cycle x 4 ns; nothing arrives before the wire's latency has passed
    expect(cap.first % 4).toBe(0);
    expect(cap.first).toBeGreaterThanOrEqual(512 * 4);
    expect(cap.last).toBeLessThanOrEqual(r.cycles * 4);
  });

  it('with wire faults: exactly what the wire dropped or corrupted is missing, corrupted copies are counted bad, duplicates recognised', async () => {
    const { r, rep, pcapPath } = await pair(4, 400, { drop: 0.03, corrupt: 0.03, duplicate: 0.03, reorder: 0.05 });
    expect(r.errors.map((e) => e.text())).toEqual([]);
    const ab = r.wire.stats['a->b'];
    const ba = r.wire.stats['b->a'];
    for (const s of [ab, ba]) {
      expect(s.dropped).toBeGreaterThan(0);
      expect(s.corrupted).toBeGreaterThan(0);
      expect(s.duplicated).toBeGreaterThan(0);
      expect(s.reordered).toBeGreaterThan(0);
      expect(s.delivered).toBe(s.sent - s.dropped + s.duplicated);
    }
    expect(rep.hosts[1]!.frames_lost).toBeGreaterThan(0);
    expect(rep.hosts[1]!.frames_checked + rep.hosts[1]!.frames_filtered + rep.hosts[1]!.frames_lost).toBe(400);
    expect(rep.hosts[1]!.ethtool['rx_drop_bad']).toBeGreaterThanOrEqual(ab.corrupted);
    expect(scapyRead(pcapPath).n).toBe(ab.delivered + ba.delivered);
  });

  it('same seed, same transcripts and capture; another seed differs', async () => {
    const a = await pair(2, 60, { drop: 0.05, reorder: 0.1 });
    const b = await pair(2, 60, { drop: 0.05, reorder: 0.1 });
    const c = await pair(3, 60, { drop: 0.05, reorder: 0.1 });
    const sha = (x: typeof a): string[] => x.r.transcripts.map((t) => t!.sha256());
    expect(sha(b)).toEqual(sha(a));
    expect(readFileSync(b.pcapPath)).toEqual(readFileSync(a.pcapPath));
    expect(sha(c)).not.toEqual(sha(a));
  });
});

describe('wire', () => {
  const ends = (): { a: WireEnd & { got: [number, boolean][]; send: (t: number) => void }; b: WireEnd & { got: [number, boolean][]; send: (t: number) => void } } => {
    const mk = (name: string) => {
      let h: ((f: Uint8Array, c: number) => void) | undefined;
      const got: [number, boolean][] = [];
      return { name, got, onFrame: (x: (f: Uint8Array, c: number) => void) => (h = x), deliverAt: (_f: Uint8Array, bad: boolean, c: number) => got.push([c, bad]), send: (t: number) => h!(new Uint8Array(64), t) };
    };
    return { a: mk('a'), b: mk('b') };
  };

  it('delivers at t + latency and refuses bad settings', () => {
    const { a, b } = ends();
    new Wire(a, b, { latency: 100, seed: 1 });
    a.send(5);
    b.send(7);
    expect(b.got).toEqual([[105, false]]);
    expect(a.got).toEqual([[107, false]]);
    expect(() => new Wire(ends().a, ends().b, { latency: 0, seed: 1 })).toThrow(/latency/);
    expect(() => new Wire(ends().a, ends().b, { latency: 1, seed: 1, faults: { drop: 1.5 } })).toThrow(/drop: a probability/);
  });

  it('a corrupted frame reaches the MAC marked bad (an FCS error)', () => {
    const { a, b } = ends();
    const w = new Wire(a, b, { latency: 10, seed: 1, faults: { corrupt: 1 } });
    a.send(0);
    expect(b.got).toEqual([[10, true]]);
    expect(w.stats['a->b']).toMatchObject({ corrupted: 1, delivered: 1 });
  });

  it('writes the pcap in arrival order even when frames are reordered', () => {
    const dir = scratchDir('pcap');
    const path = join(dir, 'w.pcap');
    const { a, b } = ends();
    const w = new Wire(a, b, { latency: 10, seed: 9, faults: { reorder: 0.5 }, reorderDelay: 50, pcap: new PcapWriter(path, 4000) });
    for (let t = 0; t < 40; t += 3) a.send(t);
    w.close();
    const cap = scapyRead(path);
    expect(cap.n).toBe(14);
    expect(w.stats['a->b'].reordered).toBeGreaterThan(0);
  });
});
