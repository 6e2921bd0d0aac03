// Co-simulation scenarios: each builds its host platform for a seed and runs host software
// against the device. `make sim SCENARIO=name` picks one; `copy` is the default.

import type { Device } from '../device/device.js';
import type { DeviceDmaPort } from '../platform/dma_port.js';
import type { ManualClock } from '../platform/clock.js';

export interface ScenarioInstance {
  /** The host's clock, shared by its platform and the bridge session. */
  readonly clock: ManualClock;
  /** What the device's DMA reaches (IOMMU, memory). */
  readonly dma: DeviceDmaPort;
  /** Run time-driven host work (IOMMU flush-queue timers) once the host is told `cycle`. */
  onTime?(cycle: number): void;
  /** The host's software; throwing fails the scenario. */
  main(dev: Device): Promise<void>;
  /** Figures for summary.json. */
  report?(): Record<string, unknown>;
}

export interface Scenario {
  readonly name: string;
  readonly description: string;
  /** Fail the scenario if it has not finished by this cycle. */
  readonly maxCycles: number;
  setup(seed: number): ScenarioInstance;
}

import { copyScenario } from './copy.js';
import { faultScenario } from './fault.js';
import { probeScenario } from './probe.js';

export const SCENARIOS: Readonly<Record<string, Scenario>> = {
  [copyScenario.name]: copyScenario,
  [probeScenario.name]: probeScenario,
  [faultScenario.name]: faultScenario,
};

export function scenarioNames(): string[] {
  return Object.keys(SCENARIOS);
}
