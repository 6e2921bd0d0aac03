// A fake host for the simulator end's fault tests: answers HELLO with a WELCOME and each batch
// from a script, and records what the simulator sent. Used against zcnic_tb.nosim (the link code
// alone, test/unit/bridge/sim-faults.test.ts) and against the real RTL behind the burst-level
// port (test/cosim/port-faults.test.ts).

import { afterEach, expect } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Packr } from 'msgpackr';
import { WebSocketServer, type WebSocket } from 'ws';
import { repoRoot } from '../../../src/lib/repo.js';
import { venvPython } from '../../../src/bridge/launch.js';
import { EXIT } from '../../../src/abi/link.js';
import { defaultParams } from '../../../src/abi/link.js';

export const packr = new Packr({ useRecords: false });
export const MAX_FRAME = 65536;
export const W = 128;
export const L = 256;

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

/** A WELCOME as raw msgpack; `over` may put any value (even of the wrong type) in any field. */
export function welcome(over: Record<string, unknown> = {}): Uint8Array {
  return packr.pack([2, { ...defaultParams({ seed: 5, max_frame: MAX_FRAME, sync_window: W, link_latency: L }), ...over }]);
}

export const empty = (seq: number): Uint8Array => packr.pack([3, seq, []]);

/**
 * A fake host: answers HELLO with `hello` (default: a good WELCOME), then answers batch n with
 * script(n) (bytes to send, 'close' to drop the connection, or null to stay silent).
 */
export async function fakeHost(script: (seq: number) => Uint8Array | string | 'close' | null, hello: Uint8Array = welcome(), opts: { token?: string } = {}) {
  const wss = new WebSocketServer({
    host: '127.0.0.1', port: 0, path: '/zcnic', perMessageDeflate: false,
    verifyClient: (info, cb) => cb(!opts.token || (info.req.url ?? '').includes(`token=${opts.token}`), 401),
  });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  cleanup.push(() => wss.close());
  const fromSim: unknown[] = [];
  wss.on('connection', (ws: WebSocket) => {
    ws.on('message', (d: Buffer) => {
      const f = packr.unpack(d) as unknown[];
      fromSim.push(f);
      let out: Uint8Array | string | 'close' | null;
      if (f[0] === 1) out = hello;
      else if (f[0] === 3) out = script(f[1] as number);
      else return;
      if (out === 'close') ws.terminate();
      else if (out !== null) ws.send(out, { binary: typeof out !== 'string' });
    });
  });
  const port = (wss.address() as AddressInfo).port;
  return { url: `ws://127.0.0.1:${port}/zcnic`, fromSim };
}

export function runSim(url: string, extra: string[] = [], module: string[] = ['-m', 'zcnic_tb.nosim', '--batches', '0']): Promise<{ code: number | null; stderr: string; ms: number }> {
  const t0 = performance.now();
  const proc: ChildProcess = spawn(venvPython(), [
    ...module, '--url', url, '--seed', '5', '--sync-window', String(W), '--link-latency', String(L),
    '--max-frame', String(MAX_FRAME), '--timeout', '2', ...extra,
  ], { cwd: repoRoot, env: { ...process.env, PYTHONPATH: join(repoRoot, 'tb') }, stdio: ['ignore', 'ignore', 'pipe'] });
  cleanup.push(() => { if (proc.exitCode === null) proc.kill('SIGKILL'); });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => proc.once('exit', (code) => resolve({ code, stderr, ms: performance.now() - t0 })));
}

export async function expectSimFault(
  host: { url: string; fromSim: unknown[] },
  code: keyof typeof EXIT,
  message: RegExp,
  opts: { tellsHost?: boolean; extra?: string[]; module?: string[]; startupMs?: number } = {},
): Promise<void> {
  const r = await runSim(host.url, opts.extra, opts.module);
  expect(r.code, r.stderr).toBe(EXIT[code]);
  expect(r.ms).toBeLessThan(5000 + (opts.startupMs ?? 1500)); // + Python (and simulator) start-up
  expect(r.stderr).toMatch(new RegExp(`zcnic-bridge: ${code}: .*${message.source}`));
  if (opts.tellsHost ?? true) {
    expect(host.fromSim.find((f) => Array.isArray(f) && f[0] === 4)).toEqual([4, code, expect.stringMatching(message)]);
  }
}

