// Two stacked hosts on a wire for the run harness (the network pair scenarios and the fixture):
// each brings its stack up, both meet, each runs its part, both meet again, each goes down.

import type { Device } from '../../device/device.js';
import type { ScenarioHost } from '../../host/machine.js';
import { NetHost, type NetHostOptions } from '../../host/net_host.js';
import type { Wire, WireFaults } from '../../wire/wire.js';
import type { PairInstance } from '../types.js';

/** Cycles a host waits before it may know what its peer did (the wire latency). */
export interface PairBarrier {
  /** Both hosts reached barrier k (each knows only what is a wire latency old). */
  barrier(me: 0 | 1, dev: Device, k: number): Promise<void>;
}

export function pairBarrier(lag: number): PairBarrier {
  const at: number[][] = [[], []];
  return {
    async barrier(me, dev, k) {
      at[me]![k] = dev.clock.cycle;
      const seen = (): boolean => {
        const c = at[1 - me]![k];
        return c !== undefined && c <= dev.clock.cycle - lag;
      };
      while (!seen()) await dev.sleep(256);
    },
  };
}

/**
 * Two stacked hosts on a wire, for runPair: each brings its stack up, both meet, each runs its
 * part, both meet again, each goes down (checking nothing is held).
 */
export function stackPair(o: {
  readonly hosts: readonly [ScenarioHost, ScenarioHost];
  readonly latency: number;
  readonly faults?: WireFaults;
  readonly options?: readonly [NetHostOptions?, NetHostOptions?];
  readonly parts: readonly [(h: NetHost) => Promise<void>, (h: NetHost) => Promise<void>];
  /** Runs on each host once its stack is up, before the first meeting (e.g. programming a filter). */
  readonly setup?: (h: NetHost) => Promise<void>;
  readonly report?: () => Record<string, unknown>;
  readonly check?: (wire: Wire) => void;
}): PairInstance & { readonly netHosts: (NetHost | undefined)[] } {
  const b = pairBarrier(o.latency);
  const netHosts: (NetHost | undefined)[] = [undefined, undefined];
  return {
    hosts: o.hosts,
    wire: { latency: o.latency, faults: o.faults ?? {} },
    netHosts,
    async start(me, dev) {
      const nh = await NetHost.up(me, o.hosts[me], dev, o.options?.[me] ?? {});
      netHosts[me] = nh;
      await o.setup?.(nh);
      await b.barrier(me, dev, 0);
      await o.parts[me](nh);
      await b.barrier(me, dev, 1);
      await nh.down();
    },
    check: (wire) => o.check?.(wire),
    report: () => o.report?.() ?? {},
    progress: () => '',
  };
}
