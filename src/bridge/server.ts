// The host end of the bridge on the wire: a WebSocket server that takes exactly one simulator,
// checks its handshake, feeds its batches to a HostSession in order and answers each. Any fault
// ends the run with a BridgeError naming the cause; nothing waits without a wall-clock timeout.

import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import { decodeSimFrame, encodeFrame, type Frame } from './codec.js';
import { BridgeError } from './errors.js';
import { ERR, LINK_DEFAULTS, type ErrCode, type LinkParams } from '../abi/link.js';
import { HostSession } from './session.js';
import { Transcript } from '../device/transcript.js';
import type { DeviceDmaPort } from '../platform/dma_port.js';
import type { ManualClock } from '../platform/clock.js';

export const BRIDGE_PATH = '/zcnic';

export interface HostRunOptions {
  /** Parameters the host requires; the simulator's HELLO must match them. */
  readonly params: LinkParams;
  readonly dma: DeviceDmaPort;
  /** The host's clock, shared with its platform; the session advances it. */
  readonly clock?: ManualClock;
  /** Called after each batch with the new host time (e.g. to run the platform's timers). */
  readonly onTime?: (cycle: number) => void;
  /** The host's software: runs from cycle 0; when it resolves the host sends FINISH. */
  readonly main: (session: HostSession) => Promise<void>;
  readonly host?: string;
  readonly port?: number;
  /** Required when listening off loopback. */
  readonly token?: string;
  readonly timeoutS?: number;
  /**
   * Wall-clock seconds to wait for the simulator to connect (default 600): a cold Verilator build
   * comes first, and a launched simulator that dies is noticed through its exit anyway.
   */
  readonly connectTimeoutS?: number;
  /** Fail the scenario if it has not finished by this cycle. */
  readonly maxCycles?: number;
  /** Called once the server listens, with the URL a simulator should connect to. */
  readonly onListening?: (url: string) => void;
  /** Called after each batch, for progress reports. */
  readonly onBatch?: (session: HostSession) => void;
  /** Called once the simulator's HELLO is accepted: the simulation proper starts. */
  readonly onHandshake?: () => void;
  /**
   * Wait before replying to batch `seq` (a wire to another simulator: its frames due in this
   * reply must be known first). The watchdog does not run meanwhile.
   */
  readonly beforeReply?: (seq: number, sync: number) => Promise<void>;
  /** Send driver events as MARK messages (runs with waves only; docs/bridge-protocol.md). */
  readonly marks?: boolean;
}

export interface HostRunResult {
  readonly error?: BridgeError;
  /** The scenario's own failure, if it threw. */
  readonly scenarioError?: unknown;
  readonly cycles: number;
  readonly session?: HostSession;
  readonly transcript?: Transcript;
  readonly frames: { readonly in: number; readonly out: number; readonly bytesIn: number; readonly bytesOut: number };
  /** performance.now() when the simulator's HELLO was accepted (absent if it never came). */
  readonly handshakeAt?: number;
  /** performance.now() when the run ended. */
  readonly endedAt: number;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** Fields of HELLO that must equal the host's, in the order they are checked. */
function checkHello(got: LinkParams, want: LinkParams): void {
  if (got.proto !== want.proto) {
    throw new BridgeError(ERR.PROTOCOL_VERSION, `simulator speaks protocol ${got.proto}, host speaks ${want.proto}`);
  }
  if (got.abi_hash !== want.abi_hash) {
    throw new BridgeError(
      ERR.ABI_MISMATCH,
      `simulator ABI ${got.abi_hash.slice(0, 16)} differs from host ABI ${want.abi_hash.slice(0, 16)} (stale generated files? run: npm run gen)`,
    );
  }
  const scalar = ['clock_period_ps', 'sync_window', 'link_latency', 'seed', 'max_frame'] as const;
  for (const k of scalar) {
    if (got[k] !== want[k]) throw new BridgeError(ERR.PARAM_MISMATCH, `${k}: simulator has ${got[k]}, host expects ${want[k]}`, { field: k });
  }
  for (const k of ['data_bytes', 'irq_vectors'] as const) {
    if (got.nic[k] !== want.nic[k]) {
      throw new BridgeError(ERR.PARAM_MISMATCH, `nic.${k}: simulator has ${got.nic[k]}, host expects ${want.nic[k]}`, { field: `nic.${k}` });
    }
  }
}

/**
 * Listen, take one simulator, run the host's software against it, and resolve when the run ends
 * (orderly or not). Never rejects: faults are in the result.
 */
export class HostBridge {
  private wss?: WebSocketServer;
  private ws: WebSocket | undefined;
  private session: HostSession | undefined;
  private transcript: Transcript | undefined;
  private state: 'listening' | 'handshake' | 'running' | 'done' = 'listening';
  private queue: Promise<void> = Promise.resolve();
  private watchdog: NodeJS.Timeout | undefined;
  private finished!: (r: HostRunResult) => void;
  readonly done: Promise<HostRunResult>;
  private scenarioError: unknown;
  private frames = { in: 0, out: 0, bytesIn: 0, bytesOut: 0 };
  private handshakeAt: number | undefined;

  constructor(private readonly opts: HostRunOptions) {
    this.done = new Promise((resolve) => (this.finished = resolve));
  }

  get timeoutMs(): number {
    return (this.opts.timeoutS ?? LINK_DEFAULTS.timeoutS) * 1000;
  }

  /** Start listening; resolves with the URL. */
  listen(): Promise<string> {
    const host = this.opts.host ?? '127.0.0.1';
    if (!isLoopback(host) && !this.opts.token) {
      return Promise.reject(new BridgeError(ERR.AUTH, `listening on ${host} (off loopback) requires a token (--token or ZCNIC_TOKEN)`));
    }
    return new Promise((resolve, reject) => {
      const wss = new WebSocketServer({
        host,
        port: this.opts.port ?? 0,
        path: BRIDGE_PATH,
        perMessageDeflate: false,
        maxPayload: this.opts.params.max_frame,
        clientTracking: false,
        verifyClient: (info: { req: IncomingMessage }, cb: (ok: boolean, code?: number, msg?: string) => void) => {
          if (this.ws !== undefined || this.state !== 'listening') return cb(false, 409, 'a simulator is already connected');
          if (this.opts.token !== undefined) {
            const url = new URL(info.req.url ?? '/', 'ws://x');
            if (url.searchParams.get('token') !== this.opts.token) return cb(false, 401, 'missing or wrong token');
          }
          cb(true);
        },
      });
      this.wss = wss;
      wss.once('error', (e) => reject(e));
      wss.once('listening', () => {
        const a = wss.address() as AddressInfo;
        const shown = a.family === 'IPv6' ? `[${a.address}]` : a.address;
        const url = `ws://${shown}:${a.port}${BRIDGE_PATH}`;
        this.armWatchdog('waiting for the simulator to connect', (this.opts.connectTimeoutS ?? 600) * 1000);
        this.opts.onListening?.(url);
        resolve(url);
      });
      wss.on('connection', (ws) => this.accept(ws));
    });
  }

  /** The simulator process (if we launched it) ended; a fault unless the run is already over. */
  peerExited(code: number | null, signal: string | null): void {
    if (this.state === 'done') return;
    // Give frames already in flight (a BYE or ERROR just before exit) their turn first.
    setTimeout(() => {
      this.fail(new BridgeError(ERR.PEER_GONE, `simulator process exited (${signal ?? `code ${code}`}) before the run ended`), false);
    }, 200);
  }

  private armWatchdog(what: string, ms = this.timeoutMs): void {
    clearTimeout(this.watchdog);
    if (ms <= 0) return;
    this.watchdog = setTimeout(() => {
      this.fail(new BridgeError(ERR.TIMEOUT, `no word from the simulator for ${ms / 1000} s while ${what}`));
    }, ms);
  }

  private accept(ws: WebSocket): void {
    this.ws = ws;
    this.state = 'handshake';
    this.armWatchdog('waiting for HELLO');
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
      this.frames.in++;
      this.frames.bytesIn += buf.length;
      this.queue = this.queue
        .then(() => this.onFrame(buf, isBinary))
        .then(() => {
          if (this.state !== 'done') this.armWatchdog(this.state === 'handshake' ? 'waiting for HELLO' : 'waiting for the next batch');
        })
        .catch((e: unknown) => this.fail(e));
    });
    ws.on('error', (e: Error & { code?: string }) => {
      if (e.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
        this.fail(new BridgeError(ERR.OVERSIZE, `frame larger than max_frame (${this.opts.params.max_frame} bytes)`), false);
      } else {
        this.fail(new BridgeError(ERR.MALFORMED, `WebSocket error: ${e.message}`), false);
      }
    });
    ws.on('close', (code: number, reason: Buffer) => {
      // Frames received before the close are still queued: judge after them.
      this.queue = this.queue.then(() => {
        if (this.state !== 'done') {
          this.fail(new BridgeError(ERR.PEER_GONE, `simulator closed the connection (code ${code}${reason.length ? `, ${reason.toString()}` : ''}) without BYE`), false);
        }
      });
    });
  }

  private send(f: Frame): void {
    const bytes = encodeFrame(f);
    this.frames.out++;
    this.frames.bytesOut += bytes.length;
    this.ws?.send(bytes);
  }

  private async onFrame(buf: Buffer, isBinary: boolean): Promise<void> {
    if (this.state === 'done') return;
    // Handling a batch runs host software: that time is ours, not the peer's silence.
    clearTimeout(this.watchdog);
    if (!isBinary) throw new BridgeError(ERR.MALFORMED, `text frame received (${buf.length} bytes); the bridge carries binary msgpack frames only`);
    const f = decodeSimFrame(buf);
    if (f.kind === 'error') {
      throw new BridgeError(ERR.PEER_ERROR, `peer reported ${f.code}: ${f.message}`);
    }
    if (this.state === 'handshake') {
      if (f.kind !== 'hello') throw new BridgeError(ERR.SEQUENCE, `expected HELLO as the first frame, got ${f.kind.toUpperCase()}`);
      checkHello(f.params, this.opts.params);
      const { token: _t, ...welcome } = this.opts.params;
      this.send({ kind: 'welcome', params: welcome });
      this.handshakeAt = performance.now();
      this.opts.onHandshake?.();
      this.transcript = new Transcript(this.opts.params);
      const session = new HostSession(this.opts.params, this.opts.dma, {
        transcript: this.transcript,
        ...(this.opts.clock ? { clock: this.opts.clock } : {}),
        marks: this.opts.marks ?? false,
      });
      this.session = session;
      this.state = 'running';
      await session.start(
        () => this.opts.main(session),
        (e) => {
          this.scenarioError = e;
          this.transcript?.note(`scenario failed at cycle ${session.clock.cycle}: ${e instanceof Error ? e.message : String(e)}`);
          session.finish(1);
        },
      );
      return;
    }
    const session = this.session!;
    switch (f.kind) {
      case 'hello':
        throw new BridgeError(ERR.SEQUENCE, 'a second HELLO after the handshake');
      case 'batch': {
        const gate = this.opts.beforeReply;
        const out = await session.handleBatch(f.seq, f.sync, f.msgs, gate ? () => gate(f.seq, f.sync) : undefined);
        this.opts.onTime?.(f.sync);
        const max = this.opts.maxCycles;
        if (max !== undefined && f.sync >= max && session.finishCycle === undefined) {
          this.scenarioError = new Error(`scenario did not finish within ${max} cycles; it waits for ${session.describePending()}`);
          this.transcript?.note(`cycle limit ${max} reached`);
          session.finish(1);
          // finish() queued FINISH after this batch's reply was built: send it with the next one.
        }
        this.send({ kind: 'reply', seq: f.seq, msgs: out });
        this.opts.onBatch?.(session);
        return;
      }
      case 'bye':
        if (session.finishCycle === undefined) {
          throw new BridgeError(ERR.SIM_FAILED, `simulator ended on its own at cycle ${f.cycle}: ${f.reason}`, { cycle: f.cycle });
        }
        this.complete(undefined, f.cycle);
        return;
      default:
        throw new BridgeError(ERR.SEQUENCE, `unexpected ${f.kind.toUpperCase()} frame from the simulator`);
    }
  }

  /**
   * Stop the run because of something outside it (another host of the run failed): an orderly
   * FINISH while the simulator runs (its waveform is closed as on any finish), else a fault.
   * Resolves `done` as usual; `aborted` says why it ended early.
   */
  abort(reason: string): void {
    if (this.state === 'done' || this.aborted !== undefined) return;
    this.aborted = reason;
    const session = this.session;
    if (this.state === 'running' && session && session.finishCycle === undefined) {
      this.transcript?.note(`stopped at cycle ${session.clock.cycle}: ${reason}`);
      session.finish(1);
      return;
    }
    if (this.state !== 'running') this.fail(new BridgeError(ERR.SCENARIO, `stopped before the run began: ${reason}`));
  }

  /** Why abort() stopped the run, if it did. */
  aborted: string | undefined;

  /** End the run with a fault: tell the peer (if it can still hear), close, resolve. */
  fail(e: unknown, tellPeer = true): void {
    if (this.state === 'done') return;
    const err = e instanceof BridgeError ? e : new BridgeError(ERR.SCENARIO as ErrCode, `host error: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    if (tellPeer && err.code !== ERR.PEER_ERROR && err.code !== ERR.PEER_GONE) {
      try {
        this.send({ kind: 'error', code: err.code, message: err.message });
      } catch {
        /* the socket is already gone */
      }
    }
    this.transcript?.note(`fault ${err.code}: ${err.message}`);
    this.complete(err, this.session?.clock.cycle ?? 0);
  }

  private complete(error: BridgeError | undefined, cycles: number): void {
    if (this.state === 'done') return;
    this.state = 'done';
    clearTimeout(this.watchdog);
    this.ws?.close(1000);
    // terminate() after a grace period so a peer that never answers the close cannot hold us.
    const ws = this.ws;
    setTimeout(() => ws?.terminate(), 1000).unref();
    this.wss?.close();
    const r: HostRunResult = {
      ...(error ? { error } : {}),
      ...(this.scenarioError !== undefined ? { scenarioError: this.scenarioError } : {}),
      cycles,
      ...(this.session ? { session: this.session } : {}),
      ...(this.transcript ? { transcript: this.transcript } : {}),
      frames: { ...this.frames },
      ...(this.handshakeAt !== undefined ? { handshakeAt: this.handshakeAt } : {}),
      endedAt: performance.now(),
    };
    this.finished(r);
  }
}

