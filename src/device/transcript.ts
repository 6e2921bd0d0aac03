// The transcript: every bridge message with its cycle stamp, one line each, in the order the host
// handled them. It holds nothing that varies between runs (no wall time, no ports), so two runs
// with the same seed give byte-identical transcripts and the same sha256.

import { createHash } from 'node:crypto';
import type { Msg } from '../abi/link.js';
import type { LinkParams } from '../abi/link.js';
import { MSG } from '../abi/link.js';
import { regByOffset } from '../abi/regs.js';
import { traceEventName } from '../debug/events.js';

const INLINE_BYTES = 32;

function fmtValue(v: unknown): string {
  if (v instanceof Uint8Array) {
    if (v.length <= INLINE_BYTES) return `${v.length}B:${Buffer.from(v).toString('hex')}`;
    return `${v.length}B:sha256=${createHash('sha256').update(v).digest('hex').slice(0, 16)}`;
  }
  if (typeof v === 'bigint') return `0x${v.toString(16)}`;
  return String(v);
}

function fmtField(m: Msg, f: string, v: unknown): string {
  if ((m.type === 'MMIO_RD' || m.type === 'MMIO_WR') && f === 'addr' && typeof v === 'number') {
    const r = regByOffset(v);
    return `0x${v.toString(16).padStart(3, '0')}${r ? `(${r.name})` : ''}`;
  }
  if (m.type === 'MARK' && f === 'kind' && typeof v === 'number') return `${v}(${traceEventName(v)})`;
  if (f === 'data' && typeof v === 'number') return `0x${(v >>> 0).toString(16).padStart(8, '0')}`;
  return fmtValue(v);
}

export function formatMsg(m: Msg): string {
  const rec = m as unknown as Record<string, unknown>;
  const fields = MSG[m.type].fields.map(([f]) => `${f}=${fmtField(m, f, rec[f])}`);
  return `${m.cycle} ${m.type} ${fields.join(' ')}`.trimEnd();
}

/** Lines a transcript keeps for transcript.txt; past them it only hashes (a long run's memory stays bounded). */
export const TRANSCRIPT_KEEP_LINES = 500_000;

export class Transcript {
  private readonly lines: string[] = [];
  private readonly hash = createHash('sha256');
  private count = 0;
  /** Lines hashed but not kept. */
  private unkept = 0;

  constructor(params: LinkParams) {
    this.add(
      `# zcnic bridge transcript proto=${params.proto} seed=${params.seed} W=${params.sync_window} ` +
        `L=${params.link_latency} period_ps=${params.clock_period_ps} abi=${params.abi_hash.slice(0, 16)}`,
    );
  }

  private add(line: string): void {
    if (this.lines.length < TRANSCRIPT_KEEP_LINES) this.lines.push(line);
    else this.unkept++;
    this.hash.update(line + '\n');
  }

  // Batches with no messages are not written: most windows are empty, and the cycles of the
  // messages already say where time stood.
  batchIn(seq: number, sync: number, msgs: readonly Msg[]): void {
    if (msgs.length === 0) return;
    this.add(`> batch ${seq} sync=${sync} msgs=${msgs.length}`);
    for (const m of msgs) this.add(`> ${formatMsg(m)}`);
    this.count += msgs.length;
  }

  batchOut(seq: number, msgs: readonly Msg[]): void {
    if (msgs.length === 0) return;
    this.add(`< batch ${seq} msgs=${msgs.length}`);
    for (const m of msgs) this.add(`< ${formatMsg(m)}`);
    this.count += msgs.length;
  }

  /**
   * One message outside any batch, in the order it happened: what the reference model
   * (src/model/) would have put on the bridge, '>' device to host, '<' host to device.
   */
  record(dir: '>' | '<', m: Msg): void {
    this.add(`${dir} ${formatMsg(m)}`);
    this.count++;
  }

  note(text: string): void {
    this.add(`# ${text}`);
  }

  /** Messages carried either way. */
  get messages(): number {
    return this.count;
  }

  /** The lines kept; a run longer than TRANSCRIPT_KEEP_LINES ends with a line saying how many more were hashed. */
  text(): string {
    const more = this.unkept ? `# ${this.unkept} more lines, not kept (sha256 covers them)\n` : '';
    return (this.lines.length ? this.lines.join('\n') + '\n' : '') + more;
  }

  /** sha256 of every line (text() itself, when nothing was left out), computed incrementally. */
  sha256(): string {
    return this.hash.copy().digest('hex');
  }
}
