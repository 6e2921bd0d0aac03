// One co-simulation run: listen, launch the simulator (unless it is started elsewhere), wait for
// the end, reap the child. Used by the `make sim` CLI and by the co-simulation tests.

import type { ChildProcess } from 'node:child_process';
import { launchSimulator, reap, signalGroup, type SimPort } from './launch.js';
import { BridgeError } from './errors.js';
import { ERR } from '../abi/link.js';
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
  /**
   * Stop the run early (another host of the run failed): an orderly FINISH, and the simulator's
   * process group is killed if it is not gone within ABORT_GRACE_MS.
   */
  readonly signal?: AbortSignal;
}

/** How long an aborted simulator may take to finish (waveform flushed) before it is killed. */
export const ABORT_GRACE_MS = 1500;

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
  /** Why the run was stopped early (CosimOptions.signal), if it was. */
  readonly aborted?: string;
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
  const onAbort = (): void => {
    bridge.abort(String(o.signal?.reason ?? 'aborted'));
    // a simulator that does not answer FINISH in time is not waited for
    setTimeout(() => {
      bridge.fail(new BridgeError(ERR.TIMEOUT, `the simulator did not stop within ${ABORT_GRACE_MS} ms of being told to (${bridge.aborted})`), false);
      if (child) signalGroup(child, 'SIGKILL');
    }, ABORT_GRACE_MS).unref();
  };
  if (o.signal?.aborted) onAbort();
  else o.signal?.addEventListener('abort', onAbort, { once: true });
  const r = await bridge.done;
  o.signal?.removeEventListener('abort', onAbort);
  const hello = r.handshakeAt ?? r.endedAt;
  const simExitCode = child ? await reap(child, bridge.aborted !== undefined ? 500 : 5000) : null;
  return {
    ...r, url, simExitCode, ...(bridge.aborted !== undefined ? { aborted: bridge.aborted } : {}),
    wallSeconds: (r.endedAt - t0) / 1000,
    startupSeconds: (hello - t0) / 1000,
    simSeconds: (r.endedAt - hello) / 1000,
  };
}
