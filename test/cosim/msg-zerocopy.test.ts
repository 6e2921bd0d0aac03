// make sim SCENARIO=msg-zerocopy over the bridge: two RTL NICs (each its own simulator), and a
// mixed pair. Large sends complete zero-copy, the receiver checks every byte, and each host ends
// with 0 dma-debug reports and no user page held (NetHost.down() fails the run otherwise).

import { describe, expect, it } from 'vitest';
import { runScenario } from './run_scenario.js';

interface Summary {
  result: string;
  errors: string[];
  backends: string[];
  reproduce: string;
  host: { selftest: string; rx: string; txc: number; zerocopy_notifications: number; copied_notifications: number; bytes_copied_per_byte_sent: number; hosts: { dma_debug_errors: number }[] };
}

const run = (backend: string, extra: string[]) => runScenario<Summary>('msg-zerocopy', backend, extra);

describe('msg-zerocopy scenario over the bridge', () => {
  it('RTL + RTL: 8,000-byte UDP sends complete zero-copy, every byte checked, nothing held at the end', () => {
    const { code, s, stdout, stderr } = run('rtl', ['--frames', '40']);
    expect(s.errors, stderr).toEqual([]);
    expect(code).toBe(0);
    expect(s.reproduce).toBe('make sim SCENARIO=msg-zerocopy SEED=1 FRAMES=40');
    expect(s.host.selftest).toBe('tx=40 (0 MB) txc=40 zc=y');
    expect(s.host.rx).toBe('rx=40 (0 MB)');
    expect(s.host.copied_notifications).toBe(0);
    expect(s.host.bytes_copied_per_byte_sent).toBe(0);
    expect(s.host.hosts.map((h) => h.dma_debug_errors)).toEqual([0, 0]);
    expect(stdout).toContain('tx=40 (0 MB) txc=40 zc=y');
  });

  it('mixed (RTL sender, model receiver), no IOMMU: zero copy as the socket sees it, every byte bounced by swiotlb', () => {
    const { code, s, stderr } = run('mixed', ['--frames', '20', '--iommu', 'off']);
    expect(s.errors, stderr).toEqual([]);
    expect(code).toBe(0);
    expect(s.backends).toEqual(['rtl', 'model']);
    expect(s.host.selftest).toBe('tx=20 (0 MB) txc=20 zc=y');
    expect(s.host.bytes_copied_per_byte_sent).toBeCloseTo((8000 + 42) / 8000, 6);
  });

  it('RTL + RTL, TCP: 65,000-byte sends complete zero-copy once acknowledged; loopback completes COPIED', () => {
    const a = run('rtl', ['--proto', 'tcp', '--payload', '65000', '--frames', '8']);
    expect(a.s.errors, a.stderr).toEqual([]);
    expect(a.code).toBe(0);
    expect(a.s.reproduce).toBe('make sim SCENARIO=msg-zerocopy SEED=1 FRAMES=8 PAYLOAD=65000 PROTO=tcp');
    expect(a.s.host.selftest).toBe('tx=8 (0 MB) txc=8 zc=y');
    expect(a.s.host.copied_notifications).toBe(0);
    expect(a.s.host.hosts.map((h) => h.dma_debug_errors)).toEqual([0, 0]);
    const b = run('rtl', ['--proto', 'tcp', '--loopback', '1', '--frames', '20']);
    expect(b.s.errors, b.stderr).toEqual([]);
    expect(b.s.host.selftest).toBe('tx=20 (0 MB) txc=20 zc=n');
    expect(b.s.host.zerocopy_notifications).toBe(0);
    expect(b.s.host.bytes_copied_per_byte_sent).toBe(1);
  });
});
