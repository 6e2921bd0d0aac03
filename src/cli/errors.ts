// How a run's errors read on stderr, the same for every scenario: the first error (the cause,
// located), then what followed from it.

import type { RunError } from '../harness/errors.js';

export function reportErrors(errors: readonly RunError[]): void {
  const [first, ...rest] = errors;
  if (!first) return;
  process.stderr.write(`zcnic: FIRST ERROR: ${first.text()}\n`);
  for (const e of rest) process.stderr.write(`zcnic:   then ${e.text()}\n`);
}
