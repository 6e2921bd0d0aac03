// make bench: MSG_ZEROCOPY against copy sends on the model (the msg-zerocopy scenario, TCP, two
// hosts): simulated throughput at 4 KiB, 64 KiB and 1 MiB sends, the wall time the simulation
// took, and the bytes actually copied per byte sent for each IOMMU configuration. The model
// charges no simulated CPU time for a copy, so simulated throughput differs between the two only
// through what the copies change on the wire and in the send buffer; the copy figure is what a
// user of the 32-bit NIC needs to see.

import { msgZerocopyScenario } from '../src/scenarios/msg_zerocopy.js';
import type { ScenarioOptions } from '../src/scenarios/types.js';
import { runPair, throwIfFailed } from '../src/harness/index.js';
import { LINK_DEFAULTS } from '../src/abi/link.js';

/** Bytes per configuration: enough sends for a steady figure, few enough for a short bench. */
const BYTES_PER_RUN = 4 << 20;

export interface ZcFigure {
  readonly label: string;
  readonly value: number;
  readonly unit: string;
}

async function one(opts: ScenarioOptions): Promise<{ simBytesPerS: number; wallS: number; copied: number }> {
  const inst = msgZerocopyScenario.setup(1, opts);
  const t0 = performance.now();
  const r = await runPair(inst, ['model', 'model'], { seed: 1, maxCycles: msgZerocopyScenario.maxCycles });
  throwIfFailed(r.errors);
  const rep = inst.report() as { tx_bytes: number; bytes_copied_per_byte_sent: number };
  const simS = (r.cycles * LINK_DEFAULTS.clockPeriodPs) / 1e12;
  return { simBytesPerS: rep.tx_bytes / simS, wallS: (performance.now() - t0) / 1000, copied: rep.bytes_copied_per_byte_sent };
}

export async function runZerocopyBench(): Promise<ZcFigure[]> {
  const out: ZcFigure[] = [];
  for (const payload of [4096, 65536, 1 << 20]) {
    const frames = Math.max(1, Math.floor(BYTES_PER_RUN / payload));
    const k = payload >= 1 << 20 ? `${payload >> 20} MiB` : `${payload >> 10} KiB`;
    const zc = await one({ proto: 'tcp', payload, frames, zerocopy: true });
    const cp = await one({ proto: 'tcp', payload, frames, zerocopy: false });
    out.push({ label: `TCP ${k} sends, MSG_ZEROCOPY: simulated throughput`, value: (zc.simBytesPerS * 8) / 1e9, unit: 'Gbit/s' });
    out.push({ label: `TCP ${k} sends, copy: simulated throughput`, value: (cp.simBytesPerS * 8) / 1e9, unit: 'Gbit/s' });
    out.push({ label: `TCP ${k} sends, zero copy / copy simulated throughput`, value: zc.simBytesPerS / cp.simBytesPerS, unit: 'x' });
    out.push({ label: `TCP ${k} sends, zero copy / copy wall time of the run`, value: zc.wallS / cp.wallS, unit: 'x' });
  }
  for (const iommu of ['strict', 'lazy', 'passthrough', 'off'] as const) {
    const r = await one({ proto: 'tcp', payload: 65536, frames: 32, zerocopy: true, iommu });
    out.push({ label: `MSG_ZEROCOPY 64 KiB TCP, IOMMU=${iommu}: bytes copied per byte sent`, value: r.copied, unit: 'B/B' });
  }
  return out;
}
