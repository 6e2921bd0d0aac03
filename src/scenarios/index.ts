// Co-simulation scenarios: each builds its host platform for a seed and runs host software
// against the device. `make sim SCENARIO=name` picks one; `copy` is the default.

import { copyScenario } from './copy.js';
import { faultScenario } from './fault.js';
import { probeScenario } from './probe.js';
import { trafficScenario } from './traffic.js';
import { twoHostsScenario } from './two_hosts.js';
import type { PairScenario, Scenario } from './types.js';
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
