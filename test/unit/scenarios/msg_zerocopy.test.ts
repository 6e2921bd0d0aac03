// The msg-zerocopy scenario on the model: the selftest's figures, COPIED on loopback, the hidden
// swiotlb copy without an IOMMU, copy mode without notifications, and reproducibility.

import { describe, expect, it } from 'vitest';
import { msgZerocopyScenario } from '../../../src/scenarios/msg_zerocopy.js';
import type { ScenarioOptions } from '../../../src/scenarios/types.js';
import { runPair, throwIfFailed } from '../../../src/harness/index.js';

async function run(opts: ScenarioOptions) {
  const inst = msgZerocopyScenario.setup(1, opts);
  const r = await runPair(inst, ['model', 'model'], { seed: 1, maxCycles: msgZerocopyScenario.maxCycles, transcript: true });
  throwIfFailed(r.errors);
  return { rep: inst.report() as Record<string, unknown>, lines: inst.lines!(), r };
}

describe('msg-zerocopy scenario (model)', () => {
  it('zero copy through the IOMMU: every send notified zero-copy, nothing copied, pages held while in flight', async () => {
    const { rep, lines } = await run({ frames: 100 });
    expect(rep['selftest']).toBe('tx=100 (0 MB) txc=100 zc=y');
    expect(rep['copied_notifications']).toBe(0);
    expect(rep['bytes_copied_per_byte_sent']).toBe(0);
    expect(rep['peak_pages_held']).toBeGreaterThan(0);
    expect(lines[1]).toBe('tx=100 (0 MB) txc=100 zc=y');
  });

  it('loopback to a local socket completes COPIED (zc=n), every byte copied once', async () => {
    const { rep } = await run({ frames: 50, loopback: true });
    expect(rep['selftest']).toBe('tx=50 (0 MB) txc=50 zc=n');
    expect(rep['zerocopy_notifications']).toBe(0);
    expect(rep['bytes_copied_per_byte_sent']).toBe(1);
  });

  it('without an IOMMU the socket says zero copy but swiotlb bounced every byte (headers too)', async () => {
    const { rep } = await run({ frames: 50, iommu: 'off' });
    expect(rep['selftest']).toBe('tx=50 (0 MB) txc=50 zc=y');
    expect(rep['bytes_copied_by_stack']).toBe(0);
    expect(rep['bytes_bounced_by_swiotlb']).toBe(50 * (8000 + 42));
  });

  it('copy mode: no notifications, one copy per byte; same seed, same transcripts', async () => {
    const a = await run({ frames: 50, zerocopy: false });
    expect(a.rep['selftest']).toBe('tx=50 (0 MB) txc=0 zc=n');
    expect(a.rep['notifications']).toBe(0);
    expect(a.rep['bytes_copied_per_byte_sent']).toBe(1);
    const b = await run({ frames: 50, zerocopy: false });
    expect(b.r.transcripts.map((t) => t?.sha256())).toEqual(a.r.transcripts.map((t) => t?.sha256()));
  });

  it('TCP: zero copy with the notifications after the ACKs, COPIED on loopback, bounced without an IOMMU', async () => {
    const a = await run({ proto: 'tcp', frames: 20, payload: 65000 });
    expect(a.rep['selftest']).toBe('tx=20 (1 MB) txc=20 zc=y');
    expect(a.rep['bytes_copied_per_byte_sent']).toBe(0);
    const b = await run({ proto: 'tcp', frames: 20, loopback: true });
    expect(b.rep['selftest']).toBe('tx=20 (0 MB) txc=20 zc=n');
    expect(b.rep['bytes_copied_per_byte_sent']).toBe(1);
    const c = await run({ proto: 'tcp', frames: 20, iommu: 'off' });
    expect(c.rep['selftest']).toBe('tx=20 (0 MB) txc=20 zc=y');
    expect(c.rep['bytes_copied_by_stack']).toBe(0);
    expect(c.rep['bytes_copied_per_byte_sent']).toBeGreaterThan(1);
  });
});
