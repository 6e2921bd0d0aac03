// Co-simulation scenarios: each builds its host platform for a seed and runs host software
// against the device. `make sim SCENARIO=name` picks one; `copy` is the default.

import type { Device } from '../device/device.js';
import type { DeviceDmaPort } from '../platform/dma_port.js';

export interface ScenarioInstance {
  /** What the device's DMA reaches (IOMMU, memory). */
  readonly dma: DeviceDmaPort;
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

import { probeScenario } from './probe.js';

export const SCENARIOS: Readonly<Record<string, Scenario>> = {
  [probeScenario.name]: probeScenario,
};

export function scenarioNames(): string[] {
  return Object.keys(SCENARIOS);
}
