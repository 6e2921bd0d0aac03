// Co-simulation scenarios: each builds its host platform for a seed and runs host software
// against the device. `make sim SCENARIO=name` picks one; `copy` is the default.

import type { Device } from '../device/device.js';
import type { DeviceDmaPort } from '../platform/dma_port.js';
import type { ManualClock } from '../platform/clock.js';
import type { HostPlatform } from '../platform/host.js';
import type { WireFaults } from '../wire/wire.js';
import type { Delivery } from './diff.js';

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

import { copyScenario } from './copy.js';
import { faultScenario } from './fault.js';
import { probeScenario } from './probe.js';
import { trafficScenario } from './traffic.js';
import { twoHostsScenario, type PairScenario } from './two_hosts.js';
import { msgZerocopyScenario } from './msg_zerocopy.js';
import { rxZerocopyScenario } from './rx_zerocopy.js';
import { zcRwScenario } from './zc_rw.js';

/** The default of `make sim`. */
export const DEFAULT_SCENARIO = 'traffic';

export const SCENARIOS: Readonly<Record<string, Scenario>> = {
  [trafficScenario.name]: trafficScenario,
  [copyScenario.name]: copyScenario,
  [probeScenario.name]: probeScenario,
  [faultScenario.name]: faultScenario,
};

/** Scenarios of two hosts joined by a wire (src/wire/): a NIC each. */
export const PAIR_SCENARIOS: Readonly<Record<string, PairScenario>> = {
  [twoHostsScenario.name]: twoHostsScenario,
  [msgZerocopyScenario.name]: msgZerocopyScenario,
  [rxZerocopyScenario.name]: rxZerocopyScenario,
  [zcRwScenario.name]: zcRwScenario,
};

export function scenarioNames(): string[] {
  return [...Object.keys(SCENARIOS), ...Object.keys(PAIR_SCENARIOS), 'diff'];
}
