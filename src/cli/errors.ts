// How a run's errors read in summary.json and on stderr, the same for every scenario.

/** The line for a scenario's own failure. */
export function scenarioErrorText(e: unknown): string {
  return `E_SCENARIO: ${e instanceof Error ? e.message : String(e)}`;
}
