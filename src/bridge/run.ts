// One co-simulation run: listen, launch the simulator (unless it is started elsewhere), wait for
// the end, reap the child. Used by the `make sim` CLI and by the co-simulation tests.

import type { ChildProcess } from 'node:child_process';
import { launchSimulator, reap, type SimPort } from './launch.js';
import { HostBridge, type HostRunOptions, type HostRunResult } from './server.js';

export interface CosimOptions extends HostRunOptions {
  readonly runDir: string;
  readonly waves?: boolean;
  /** The launched simulator's bus port (default 'dpi'). */
  readonly simPort?: SimPort;
  /** Do not launch the simulator: wait for one started elsewhere. */
  readonly external?: boolean;
  /** Simulator progress lines. */
  readonly onSimProgress?: (line: string) => void;
}

export interface CosimResult extends HostRunResult {
  readonly url: string;
  /** Listening until the run ended: the Verilator build, the simulator's start-up and the run. */
  readonly wallSeconds: number;
  /** Listening until the simulator's HELLO (build and start-up; the whole run if it never came). */
  readonly startupSeconds: number;
  /** The handshake until the end: the simulation proper (0 if there was no handshake). */
  readonly simSeconds: number;
  /** The launched simulator's exit code (null when external or killed). */
  readonly simExitCode: number | null;
}

export async function runCosim(o: CosimOptions): Promise<CosimResult> {
  // MARKs only when the simulator traces the signals they set.
  const bridge = new HostBridge({ ...o, marks: o.waves ?? false });
  const url = await bridge.listen();
  const t0 = performance.now();
  let child: ChildProcess | undefined;
  if (!o.external) {
    child = launchSimulator({
      url,
      params: o.params,
      runDir: o.runDir,
      waves: o.waves ?? false,
      ...(o.simPort ? { simPort: o.simPort } : {}),
      timeoutS: o.timeoutS ?? 30,
      ...(o.token ? { token: o.token } : {}),
      ...(o.onSimProgress ? { onProgress: o.onSimProgress } : {}),
    });
    child.once('exit', (code, signal) => bridge.peerExited(code, signal));
  }
  const r = await bridge.done;
  const hello = r.handshakeAt ?? r.endedAt;
  const simExitCode = child ? await reap(child, 5000) : null;
  return {
    ...r, url, simExitCode,
    wallSeconds: (r.endedAt - t0) / 1000,
    startupSeconds: (hello - t0) / 1000,
    simSeconds: (r.endedAt - hello) / 1000,
  };
}
