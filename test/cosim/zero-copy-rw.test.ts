// zc_writev / zc_readv and RX zero copy over the bridge, two RTL NICs (each its own simulator):
// make sim SCENARIO=zc-rw and SCENARIO=rx-zerocopy pass, every byte checked, no page of another
// trust domain visible, 0 dma-debug reports, and each host ends with nothing held (NetHost.down()
// fails the run otherwise).

import { describe, expect, it } from 'vitest';
import { runScenario } from './run_scenario.js';

interface Summary {
  result: string;
  errors: string[];
  reproduce: string;
  host: Record<string, unknown> & { hosts: { dma_debug_errors: number; faults: unknown[] }[] };
}

const run = (scenario: string, extra: string[]) => runScenario<Summary>(scenario, 'rtl', extra);

describe('zero-copy read/write and RX zero copy on two RTL NICs', () => {
  it('zc-rw: datagrams sent from one pool by zc_writev arrive in the other by zc_readv, pages flipped, nothing mapped per send', () => {
    const { code, s, stdout, stderr } = run('zc-rw', ['--frames', '120']);
    expect(s.errors, stderr).toEqual([]);
    expect(code).toBe(0);
    expect(s.reproduce).toBe('make sim SCENARIO=zc-rw SEED=1 FRAMES=120');
    expect([s.host['sent'], s.host['received'], s.host['flipped'], s.host['driver_maps'], s.host['bad']]).toEqual([120, 120, 120, 0, 0]);
    expect(s.host.hosts.map((h) => [h.dma_debug_errors, h.faults.length])).toEqual([[0, 0], [0, 0]]);
    expect(stdout).toContain('zc_readv: 120 datagrams');
  });

  it('rx-zerocopy (single-user): the flow delivered by reference, another domain\'s frames copied out, 0 violations', () => {
    const { code, s, stdout, stderr } = run('rx-zerocopy', ['--frames', '200', '--mode', 'single']);
    expect(s.errors, stderr).toEqual([]);
    expect(code).toBe(0);
    expect(s.reproduce).toBe('make sim SCENARIO=rx-zerocopy SEED=1 FRAMES=200 MODE=single');
    const leak = s.host['leak'] as { violations: number; pages_delivered: number };
    expect(leak.violations).toBe(0);
    expect(leak.pages_delivered).toBe(200);
    expect(s.host['trust_domain_copies']).toBeGreaterThan(0);
    expect(s.host.hosts.map((h) => [h.dma_debug_errors, h.faults.length])).toEqual([[0, 0], [0, 0]]);
    expect(stdout).toMatch(/violations=0/);
  });
});
