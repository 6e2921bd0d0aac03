// Every bridge fault, seen from the host: a fake simulator sends the offending frame to the real
// host process; the host must answer with an ERROR frame naming the cause, print it, and exit
// with that cause's code, within 5 s.

import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Packr } from 'msgpackr';
import { WebSocket } from 'ws';
import { repoRoot } from '../../../src/lib/repo.js';
import { EXIT } from '../../../src/abi/link.js';
import { defaultParams } from '../../../src/abi/link.js';
import { scratchDir } from '../../scratch.js';

const packr = new Packr({ useRecords: false });
const MAX_FRAME = 65536;

interface Host {
  readonly proc: ChildProcess;
  readonly url: string;
  readonly stderr: () => string;
  readonly exit: Promise<{ code: number | null; ms: number }>;
}

const procs: ChildProcess[] = [];
afterEach(() => {
  for (const p of procs.splice(0)) if (p.exitCode === null) p.kill('SIGKILL');
});

async function startHost(extra: string[] = []): Promise<Host> {
  const out = scratchDir('zcnic-fault');
  const proc = spawn(join(repoRoot, 'node_modules/.bin/tsx'), [
    'src/cli/sim.ts', '--listen', '127.0.0.1:0', '--scenario', 'probe', '--seed', '3',
    '--timeout', '3', '--max-frame', String(MAX_FRAME), '--out', out, ...extra,
  ], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
  procs.push(proc);
  let err = '';
  let t0 = 0;
  const exit = new Promise<{ code: number | null; ms: number }>((resolve) => proc.once('exit', (code) => resolve({ code, ms: performance.now() - t0 })));
  const url = await new Promise<string>((resolve, reject) => {
    proc.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /listening on (ws:\/\/\S+);/.exec(err);
      if (m) resolve(m[1]!);
    });
    void exit.then(() => reject(new Error(`host exited before listening:\n${err}`)));
  });
  t0 = performance.now();
  return { proc, url, stderr: () => err, exit };
}

/** A HELLO as raw msgpack; `over` may put any value (even of the wrong type) in any field. */
function hello(over: Record<string, unknown> = {}): Uint8Array {
  return packr.pack([1, { ...defaultParams({ seed: 3, max_frame: MAX_FRAME }), ...over }]);
}

/** Connect, run `script`, and collect the frames the host sends back. */
async function fakeSim(url: string, script: (ws: WebSocket) => void | Promise<void>): Promise<unknown[]> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  const got: unknown[] = [];
  ws.on('message', (d: Buffer) => got.push(packr.unpack(d)));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  await script(ws);
  await new Promise<void>((resolve) => {
    if (ws.readyState === WebSocket.CLOSED) resolve();
    else ws.once('close', () => resolve());
  });
  return got;
}

async function expectFault(
  frames: (Uint8Array | string)[],
  code: keyof typeof EXIT,
  message: RegExp,
  opts: { closeAfter?: boolean; extra?: string[] } = {},
): Promise<unknown[]> {
  const host = await startHost(opts.extra);
  const got = await fakeSim(host.url, (ws) => {
    for (const f of frames) ws.send(f, { binary: typeof f !== 'string' });
    if (opts.closeAfter) ws.terminate();
  });
  const { code: exitCode, ms } = await host.exit;
  expect(exitCode).toBe(EXIT[code]);
  expect(ms).toBeLessThan(5000);
  // the first error, located (the host and, once the run began, its cycle)
  expect(host.stderr()).toMatch(new RegExp(`zcnic: FIRST ERROR: host0(?:, cycle \\d+)?: ${code}: ${message.source}`));
  return got;
}

function errorFrame(got: unknown[]): unknown {
  return got.find((f) => Array.isArray(f) && f[0] === 4);
}

describe('host end: every fault ends the run with its code and a message', () => {
  it('malformed msgpack', async () => {
    const got = await expectFault([hello(), new Uint8Array([0x93, 0x03])], 'E_MALFORMED', /frame is not valid msgpack/);
    expect(errorFrame(got)).toEqual([4, 'E_MALFORMED', expect.stringMatching(/not valid msgpack/)]);
  });

  it('a frame that is not an array', async () => {
    await expectFault([hello(), packr.pack({ a: 1 })], 'E_MALFORMED', /frame must be a msgpack array/);
  });

  it('a text frame', async () => {
    await expectFault([hello(), 'hello'], 'E_MALFORMED', /text frame received/);
  });

  it('an unknown frame kind', async () => {
    const got = await expectFault([hello(), packr.pack([42, 0])], 'E_UNKNOWN_TYPE', /unknown frame kind 42/);
    expect(errorFrame(got)).toEqual([4, 'E_UNKNOWN_TYPE', 'unknown frame kind 42']);
  });

  it('an unknown message type', async () => {
    await expectFault([hello(), packr.pack([3, 0, 0, [[7, 0, 1]]])], 'E_UNKNOWN_TYPE', /unknown message code 7 \(batch 0, message 0\)/);
  });

  it('a field of the wrong type', async () => {
    await expectFault(
      [hello(), packr.pack([3, 0, 0, []]), packr.pack([3, 1, 128, [[3, 5, 'zero']]])],
      'E_BAD_FIELD', /IRQ.vector must be an unsigned 32-bit integer, got "zero"/,
    );
  });

  it('an ETH_TX with a flag bit protocol v2 does not define', async () => {
    const got = await expectFault(
      [hello(), packr.pack([3, 0, 0, []]), packr.pack([3, 1, 128, [[6, 5, 0, 2, new Uint8Array(64)]]])],
      'E_BAD_FIELD', /ETH_TX.flags 0x2 has bits outside the defined 0x1 \(cycle 5, batch 1, message 0, field ETH_TX.flags\)/,
    );
    expect(errorFrame(got)).toEqual([4, 'E_BAD_FIELD', 'ETH_TX.flags 0x2 has bits outside the defined 0x1']);
  });

  it('an empty ETH_TX frame, and one on a port the NIC does not have', async () => {
    await expectFault(
      [hello(), packr.pack([3, 0, 0, []]), packr.pack([3, 1, 128, [[6, 5, 0, 0, new Uint8Array(0)]]])],
      'E_BAD_FIELD', /ETH_TX.frame is 0 bytes, at least 1 allowed \(cycle 5, batch 1, message 0, field ETH_TX.frame\)/,
    );
    await expectFault(
      [hello(), packr.pack([3, 0, 0, []]), packr.pack([3, 1, 128, [[6, 9, 1, 0, new Uint8Array(60)]]])],
      'E_BAD_FIELD', /ETH_TX.port 1 is above its maximum 0 \(cycle 9, batch 1, message 0, field ETH_TX.port\)/,
    );
  });

  it('a protocol v1 ETH_TX (no flags field)', async () => {
    await expectFault(
      [hello(), packr.pack([3, 0, 0, []]), packr.pack([3, 1, 128, [[6, 5, 0, new Uint8Array(60)]]])],
      'E_BAD_FIELD', /ETH_TX needs 5 elements \[code, cycle, port, flags, frame\], got 4/,
    );
  });

  it('an oversized frame', async () => {
    await expectFault([hello(), new Uint8Array(MAX_FRAME + 1)], 'E_OVERSIZE', /frame larger than max_frame \(65536 bytes\)/);
  });

  it('a protocol version mismatch', async () => {
    const got = await expectFault([hello({ proto: 99 })], 'E_PROTOCOL_VERSION', /simulator speaks protocol 99, host speaks 2/);
    expect(errorFrame(got)).toEqual([4, 'E_PROTOCOL_VERSION', 'simulator speaks protocol 99, host speaks 2']);
  });

  it('an ABI mismatch', async () => {
    await expectFault([hello({ abi_hash: '0'.repeat(64) })], 'E_ABI_MISMATCH', /simulator ABI 0000000000000000 differs from host ABI/);
  });

  it('a parameter mismatch', async () => {
    await expectFault([hello({ link_latency: 512 })], 'E_PARAM_MISMATCH', /link_latency: simulator has 512, host expects 256/);
  });

  it('a timestamp going backwards', async () => {
    await expectFault(
      [hello(), packr.pack([3, 0, 0, []]), packr.pack([3, 1, 128, [[3, 40, 0], [3, 39, 0]]])],
      'E_TIME_BACKWARDS', /message cycle 39 is before the previous cycle 40/,
    );
  });

  it('a sync that jumps', async () => {
    await expectFault([hello(), packr.pack([3, 0, 0, []]), packr.pack([3, 1, 512, []])], 'E_TIME_BACKWARDS', /batch 1 must carry sync 128/);
  });

  it('a batch before HELLO', async () => {
    await expectFault([packr.pack([3, 0, 0, []])], 'E_SEQUENCE', /expected HELLO as the first frame, got BATCH/);
  });

  it('the peer going away without BYE', async () => {
    await expectFault([hello(), packr.pack([3, 0, 0, []])], 'E_PEER_GONE', /simulator closed the connection/, { closeAfter: true });
  });

  it('the peer reporting an error', async () => {
    await expectFault([hello(), packr.pack([4, 'E_CAUSALITY', 'reply stamped 3 below floor 128'])], 'E_PEER_ERROR', /peer reported E_CAUSALITY: reply stamped 3 below floor 128/);
  });

  it('the peer ending the simulation on its own', async () => {
    await expectFault([hello(), packr.pack([3, 0, 0, []]), packr.pack([5, 77, 'max_cycles'])], 'E_SIM_FAILED', /simulator ended on its own at cycle 77: max_cycles/);
  });

  it('a silent peer (wall-clock timeout)', async () => {
    await expectFault([hello()], 'E_TIMEOUT', /no word from the simulator for 3 s while waiting for the next batch/);
  });

  it('a missing or wrong token', async () => {
    const host = await startHost(['--token', 'sesame', '--timeout', '2']);
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(host.url + '?token=wrong');
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('error', () => resolve(-1));
    });
    expect(status).toBe(401);
    // The right token is still welcome afterwards.
    const got = await fakeSim(host.url + '?token=sesame', (ws) => { ws.send(hello(), { binary: true }); });
    expect((got[0] as unknown[])[0]).toBe(2);
    expect((await host.exit).code).toBe(EXIT.E_TIMEOUT);
  });

  it('refuses to listen off loopback without a token', async () => {
    const proc = spawn(join(repoRoot, 'node_modules/.bin/tsx'), ['src/cli/sim.ts', '--listen', '0.0.0.0:0', '--scenario', 'probe'], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
    procs.push(proc);
    let err = '';
    proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => proc.once('exit', resolve));
    expect(code).toBe(EXIT.E_AUTH);
    expect(err).toMatch(/listening on 0\.0\.0\.0 \(off loopback\) requires --token or ZCNIC_TOKEN/);
  });
});
