// The types every scenario shares: what a scenario gives the run harness for one host or a
// pair, and the make sim options. The registry is index.ts; the code scenarios share is lib/.

import type { Device } from '../device/device.js';
import type { ScenarioHost } from '../host/machine.js';
import type { ManualClock } from '../platform/clock.js';
import type { DeviceDmaPort } from '../platform/dma_port.js';
import type { HostPlatform } from '../platform/host.js';
import type { Wire, WireFaults } from '../wire/wire.js';
import type { Delivery } from './lib/diff.js';

export interface ScenarioInstance {
  /** The host's clock, shared by its platform and the bridge session. */
  readonly clock: ManualClock;
  /** What the device's DMA reaches (IOMMU, memory). */
  readonly dma: DeviceDmaPort;
  /** The host platform (what it waits on, for a stuck run's report). */
  readonly platform?: HostPlatform;
  /** Run time-driven host work (IOMMU flush-queue timers) once the host is told `cycle`. */
  onTime?(cycle: number): void;
  /** The host's software; throwing fails the scenario. */
  main(dev: Device): Promise<void>;
  /** Figures for summary.json. */
  report?(): Record<string, unknown>;
  /** One line on how far the run is (frames done), for the progress line. */
  progress?(): string;
}

/** `make sim` options a scenario may take (FRAMES=, IOMMU=, POOL=, FAULTS=). */
export interface ScenarioOptions {
  readonly frames?: number;
  readonly iommu?: 'strict' | 'lazy' | 'passthrough' | 'off';
  readonly pool?: 'normal' | 'dma32';
  /** Inject IOMMU faults mid-traffic (an unmapped RX buffer, a TX fragment unmapped early). */
  readonly faults?: boolean;
  /** 'off': no swiotlb (swiotlb=noforce), so pages the device cannot reach cannot be mapped. */
  readonly swiotlb?: 'auto' | 'off';
  /** The NIC build's DMA data path in bytes (--data-width / 8; default 8): a read's last beat may overrun by this much less one. */
  readonly dataBytes?: number;
  /** traffic: every delivered frame is appended here (the diff scenario compares two runs' lists). */
  readonly deliveries?: Delivery[];
  /**
   * traffic: 'fail' (default) ends the run at the first frame that differs from the scoreboard;
   * 'record' lists such frames in the report and goes on (the diff scenario is the judge then).
   */
  readonly scoreboard?: 'fail' | 'record';
  /** traffic, test-only: the scoreboard expects the frame of this sequence number on the wrong RX queue. */
  readonly testWrongQueue?: number;
  /** msg-zerocopy: SO_ZEROCOPY + MSG_ZEROCOPY (default on), payload bytes, to a local socket. */
  readonly zerocopy?: boolean;
  readonly payload?: number;
  readonly loopback?: boolean;
  readonly proto?: 'udp' | 'tcp';
  /** rx-zerocopy: the binding's mode. */
  readonly mode?: 'shared' | 'single' | 'exclusive';
  /** Pair scenarios: seeded faults of the wire between the two NICs (all off by default). */
  readonly wireFaults?: WireFaults;
}

export interface Scenario {
  readonly name: string;
  readonly description: string;
  /** Fail the scenario if it has not finished by this cycle. */
  readonly maxCycles: number;
  setup(seed: number, opts?: ScenarioOptions): ScenarioInstance;
  /** The options it takes; any other given is a usage error. */
  readonly options?: readonly (keyof ScenarioOptions)[];
}

export type TwoHostsOptions = ScenarioOptions;

/** What a pair scenario gives the runner: two hosts, the wire's settings, and the software of both. */
export interface PairInstance {
  readonly hosts: readonly [ScenarioHost, ScenarioHost];
  readonly wire: { readonly latency: number; readonly faults: WireFaults };
  /**
   * Start both hosts' software; one promise per host. A host's part ends on its own simulated
   * time, not when the other's does: each side stops its simulator at a cycle that does not
   * depend on how the two runs interleave.
   */
  start(me: 0 | 1, dev: Device): Promise<void>;
  /** After both parts: the checks that need both hosts and the wire (throws). */
  check(wire: Wire): void;
  report(): Record<string, unknown>;
  progress(): string;
  /** Lines printed at the end of a run (what the scenario's model program would print). */
  lines?(): readonly string[];
}

export interface PairScenario {
  readonly name: string;
  readonly description: string;
  readonly maxCycles: number;
  readonly options: readonly (keyof TwoHostsOptions)[];
  setup(seed: number, opts?: TwoHostsOptions): PairInstance;
}

/** Default cycles from one MAC to the other: 2 us at 250 MHz, above the bridge's lookahead. */
export const WIRE_LATENCY = 512;
