// Two hosts on a wire, run on the reference model: both NICs share one event queue, so the
// wire's latency is exact and the run is one simulated time (docs/two-hosts.md).

import type { Transcript } from '../bridge/transcript.js';
import { runModels } from '../model/run.js';
import type { ZcnicModel } from '../model/nic.js';
import type { PairInstance } from '../scenarios/two_hosts.js';
import { PcapWriter } from './pcap.js';
import { Wire, type WireEnd } from './wire.js';

export interface PairRunOptions {
  readonly seed: number;
  readonly maxCycles: number;
  /** Capture the wire here. */
  readonly pcapPath?: string;
  readonly transcript?: boolean;
  readonly onProgress?: () => void;
}

export interface PairRunResult {
  readonly cycles: number;
  readonly scenarioError?: unknown;
  readonly wire: Wire;
  readonly transcripts?: readonly Transcript[];
  readonly devices: readonly ZcnicModel[];
  readonly wallSeconds: number;
}

/** A model NIC's MAC port as a wire end. */
export function modelWireEnd(m: ZcnicModel): WireEnd {
  return {
    name: m.name,
    onFrame: (h) => m.onEthTx((f) => h(f.frame, f.cycle)),
    deliverAt: (frame, bad, cycle) => m.macRxAt(frame, bad, cycle),
  };
}

export async function runPairOnModel(inst: PairInstance, o: PairRunOptions): Promise<PairRunResult> {
  const pcap = o.pcapPath ? new PcapWriter(o.pcapPath, inst.hosts[0].clock.periodPs) : undefined;
  let wire: Wire | undefined;
  const r = await runModels({
    hosts: inst.hosts.map((h) => ({ clock: h.clock, dma: h.dma, onTime: (c: number) => h.onTime(c) })),
    seed: o.seed, maxCycles: o.maxCycles, transcript: o.transcript ?? false,
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    main: async (devs) => {
      wire = new Wire(modelWireEnd(devs[0]!), modelWireEnd(devs[1]!), { latency: inst.wire.latency, seed: o.seed, faults: inst.wire.faults, ...(pcap ? { pcap } : {}) });
      await inst.main([devs[0]!, devs[1]!], wire);
    },
  });
  wire!.close();
  return {
    cycles: r.cycles, wire: wire!, devices: r.devices, wallSeconds: r.wallSeconds,
    ...(r.scenarioError !== undefined ? { scenarioError: r.scenarioError } : {}), ...(r.transcripts ? { transcripts: r.transcripts } : {}),
  };
}
