// The rx-zerocopy scenario on the model: the security property (no page the receiving process
// can see shows another domain's bytes, a freed-page canary or host metadata) over seeded traffic
// of three trust domains in each mode, with its counts; and the mutation check: with the clear on
// pool entry skipped (a test-only switch) the same run fails, naming the page and whose bytes
// leaked. make soak runs it for 1,000,000 deliveries.

import { afterEach, describe, expect, it } from 'vitest';
import { rxZerocopyScenario, type LeakReport } from '../../../src/scenarios/rx_zerocopy.js';
import type { ScenarioOptions } from '../../../src/scenarios/types.js';
import { ZcrxIfq } from '../../../src/net/core/zcrx.js';
import { runPair } from '../../../src/harness/index.js';

async function run(opts: ScenarioOptions) {
  const inst = rxZerocopyScenario.setup(1, opts);
  const r = await runPair(inst, ['model', 'model'], { seed: 1, maxCycles: rxZerocopyScenario.maxCycles });
  return { rep: inst.report() as Record<string, unknown> & { leak: LeakReport }, lines: inst.lines!(), r };
}

afterEach(() => {
  ZcrxIfq.skipEntryClear = false;
});

describe('rx-zerocopy scenario (model)', () => {
  for (const mode of ['single', 'shared', 'exclusive'] as const) {
    it(`${mode}: ${mode === 'exclusive' ? "B's frames dropped" : "B's frames copied out"}, pages cleared on entry and re-entry only, 0 violations`, async () => {
      const { rep, lines, r } = await run({ frames: 600, mode });
      expect(r.errors.map((e) => e.text())).toEqual([]);
      expect(r.errors).toEqual([]);
      const leak = rep.leak;
      expect(leak.violations).toBe(0);
      expect(leak.pages_delivered).toBe(rep['pages_mapped']);
      expect(leak.pages_delivered).toBeGreaterThan(400);
      expect(leak.bytes_checked).toBe(leak.pages_delivered * 4096);
      const received = rep['received'] as { A: number; B: number; C: number };
      const sent = rep['sent'] as { A: number; B: number; C: number };
      expect(received.C).toBe(sent.C);
      // every B frame landed on A's queue: copied (and then received by B) or, exclusive, dropped
      // (those the NIC did not drop first for want of descriptors)
      if (mode === 'exclusive') {
        expect(received.B).toBe(0);
        expect(rep['trust_domain_drops']).toBeGreaterThan(0);
        expect(rep['trust_domain_drops']).toBeLessThanOrEqual(sent.B);
      } else expect(rep['trust_domain_copies']).toBe(received.B);
      expect(rep['reentry_clears']).toBe(mode === 'exclusive' ? rep['trust_domain_drops'] : rep['trust_domain_copies']);
      expect(rep['entry_clears']).toBe(64);
      // the queue ran dry while A kept its buffers: drops, never a violation
      expect(rep['drops_nodesc']).toBeGreaterThan(0);
      expect(lines.at(-1)).toMatch(/violations=0$/);
    });
  }

  it('mutation: without the clear on pool entry the leak check fails, naming the page and whose bytes leaked', async () => {
    ZcrxIfq.skipEntryClear = true;
    const { rep, r } = await run({ frames: 300, mode: 'single' });
    expect(r.errors[0]?.message).toMatch(/leak violation/);
    expect(rep.leak.violations).toBeGreaterThan(0);
    // fresh area pages show the canary of the memory freed before them; a page that carried B's
    // frame goes back to the pool uncleared and shows B's bytes to A
    expect(Object.keys(rep.leak.by_source).sort()).toEqual(['domain 1002 (B)', 'freed-page canary 0xaa']);
    expect(rep.leak.first).toMatch(/^area buffer \d+ \(pfn 0x[0-9a-f]+\) delivered to domain 1001 shows 0x[0-9a-f]+ at page offset \d+: /);
  });
});
