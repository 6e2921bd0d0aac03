// The run harness (src/harness/run.ts): what the CLI, the fixture, the bench and the diff
// scenario use to run host software on the backends.

export { BACKENDS, DEFAULT_STUCK_CYCLES, hostName, runHosts, type Backend, type HostOutcome, type HostSpec, type RunResult, type RunSpec } from './run.js';
export { RunError, RunFailure, failureText, throwIfFailed, type FrameLocation, type RunErrorKind } from './errors.js';
export { newRunFolder, runJob, type RunJob, type JobResult } from './bundle.js';
export { runPair, scenarioJob } from './scenario.js';
