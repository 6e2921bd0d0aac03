// GTKWave save file (.gtkw) for a `make sim WAVES=1` run: the NIC's interfaces, the driver
// events and the two queue engines in groups, and a named marker (A..Z) at each of the first 26
// faults (DMA faults, queue errors). Driver events are far too many for 26 markers: they are
// signals (tb_evt_*, set by MARK messages), and tb_evt_kind shows each event by name through a
// translate filter file generated from src/debug/events.ts (eventFilterFile).
//
// Checked against the Verilator FST of the co-simulation toplevel and GTKWave 3.3.118 (Debian 12):
// - signals live in scope `zcnic_cosim_top` (`zcnic_port_top.nic` under the burst-level port), the
//   NIC below it in `<that>.nic_top_inst`
//   (`.nic_tx_inst`, `.nic_rx_inst`); the FST also has a `$rootio` copy of the ports. GTKWave
//   3.3.118 only finds a vector by its full name with the bit range, e.g.
//   `zcnic_cosim_top.s_axil_awaddr[12:0]` (the bare name is silently dropped), and a 1-bit
//   vector `[0:0]` is called `irq[0]`;
// - the dump's time unit is 1 ps (Verilator timescale 1ns/1ps) and the clock starts high at 0, so
//   cycle N's rising edge is at N * periodPs: marker times are in ps;
// - a relative [dumpfile], and a relative translate filter file (`^1 name`), are found next to
//   the .gtkw (`gtkwave run/waves.gtkw` from any directory) only with a [savefile] line before
//   them (find_dumpfile / get_relative_adjusted_name in savefile.c).
//
// Trace flags (GTKWave's TR_* bits, as in pyvcd's gtkw.py): hex=1<<1, dec=1<<2, bin=1<<3,
// rjustify=1<<5, blank=1<<9, ftranslated=1<<13, grp_begin=1<<23, grp_end=1<<24, written in hex
// after '@'.

import { DEFAULT_BUILD } from '../abi/regs.js';
import { describeTrace, FAULT_KINDS, type TraceRecord } from './events.js';

/** A named marker: a fault at a cycle. */
export interface WaveMarker {
  readonly cycle: number;
  readonly label: string;
}

export interface GtkwOptions {
  /** The dump's file name relative to the .gtkw file, e.g. 'waves.fst'. */
  readonly dumpFile: string;
  /** Clock period in ps (the dump's time unit). */
  readonly periodPs: number;
  /** AXI DMA and MAC stream data width in bytes (nic_top DATA_WIDTH / 8). */
  readonly dataBytes: number;
  /** Named markers (faults); the first 26 in time order get one. */
  readonly markers: readonly WaveMarker[];
  /** The translate filter file for tb_evt_kind, relative to the .gtkw (e.g. 'waves.events.txt'); none: numbers. */
  readonly eventFilter?: string;
  /** The scope of zcnic_cosim_top in the dump (default 'zcnic_cosim_top'; under the burst-level port 'zcnic_port_top.nic'). */
  readonly top?: string;
  /** nic_top TX_QUEUES and RX_QUEUES (irq is 1 + both wide); default: the default build. */
  readonly txQueues?: number;
  readonly rxQueues?: number;
  /** Last simulated cycle: the initial zoom fits [0, endCycle]; default: just past the last marker. */
  readonly endCycle?: number;
  /**
   * Open here (a failed run's first error): the primary marker at this cycle and the view around
   * it, FOCUS_SPAN_CYCLES wide, instead of the whole run.
   */
  readonly focusCycle?: number;
}

/** How much of the run a view opened at a focus cycle shows (most of it before the cycle). */
export const FOCUS_SPAN_CYCLES = 20_000;

/** Named markers GTKWave 3.3 keeps in a save file (A..Z). */
export const GTKW_NAMED_MARKERS = 26;

const F_HEX = 1 << 1;
const F_DEC = 1 << 2;
const F_BIN = 1 << 3;
const F_RJUSTIFY = 1 << 5;
const F_BLANK = 1 << 9;
const F_FTRANSLATED = 1 << 13;
const F_GRP_BEGIN = 1 << 23;
const F_GRP_END = 1 << 24;

export const GTKW_FLAGS = {
  hex: F_HEX | F_RJUSTIFY, // @22
  dec: F_DEC | F_RJUSTIFY, // @24
  bin: F_BIN | F_RJUSTIFY, // @28
  /** Decimal through a translate filter file (the `^1 file` line before the trace). */
  named: F_DEC | F_RJUSTIFY | F_FTRANSLATED, // @2024
  groupBegin: F_GRP_BEGIN | F_BLANK, // @800200
  groupEnd: F_GRP_END | F_BLANK, // @1000200
} as const;

const DEFAULT_TOP = 'zcnic_cosim_top';
// Window layout written to the file; ZOOM_WIDTH_PX is about the wave area that leaves.
const SIZE = [1280, 800] as const;
const SST_WIDTH = 200;
const SIGNALS_WIDTH = 260;
const ZOOM_WIDTH_PX = 700;
const DEFAULT_SPAN_CYCLES = 256;

type Format = 'hex' | 'dec' | 'named';

/**
 * A trace: its scope, name, declared width (1: a scalar; 0: a [0:0] vector) and how vectors are
 * shown (hex unless said otherwise; scalars in binary).
 */
interface Sig {
  readonly scope: string;
  readonly name: string;
  readonly width: number;
  readonly format?: Format;
}

/** `[n-1:0]`-declared vectors whose n may be 1 (GTKWave names those `x[0]`). */
const vec = (n: number): number => (n === 1 ? 0 : n);
/** log2 width of a queue index as nic_tx/nic_rx declare it (QW). */
const qw = (queues: number): number => (queues > 1 ? Math.ceil(Math.log2(queues)) : 1);

function sigs(scope: string, list: readonly (readonly [string, number, Format?])[]): Sig[] {
  return list.map(([name, width, format]) => ({ scope, name, width, ...(format ? { format } : {}) }));
}

function groups(TOP: string, dataBytes: number, txq: number, rxq: number): readonly (readonly [string | null, readonly Sig[]])[] {
  const NIC = `${TOP}.nic_top_inst`;
  const dw = dataBytes * 8;
  const tx = `${NIC}.nic_tx_inst`;
  const rx = `${NIC}.nic_rx_inst`;
  return [
    [null, sigs(TOP, [['clk', 1], ['rst', 1]])],
    [
      'AXI-Lite registers',
      sigs(TOP, [
        ['s_axil_awvalid', 1], ['s_axil_awready', 1], ['s_axil_awaddr', 13],
        ['s_axil_wvalid', 1], ['s_axil_wready', 1], ['s_axil_wdata', 32], ['s_axil_wstrb', 4],
        ['s_axil_bvalid', 1], ['s_axil_bready', 1], ['s_axil_bresp', 2],
        ['s_axil_arvalid', 1], ['s_axil_arready', 1], ['s_axil_araddr', 13],
        ['s_axil_rvalid', 1], ['s_axil_rready', 1], ['s_axil_rdata', 32], ['s_axil_rresp', 2],
      ]),
    ],
    [
      'Driver events',
      sigs(TOP, [['tb_evt_kind', 8, 'named'], ['tb_evt_queue', 8], ['tb_evt_index', 16, 'dec'], ['tb_evt_seq', 32, 'dec']]),
    ],
    [
      'DMA read',
      sigs(TOP, [
        ['m_axi_arvalid', 1], ['m_axi_arready', 1], ['m_axi_araddr', 32], ['m_axi_arlen', 8],
        ['m_axi_arsize', 3], ['m_axi_arburst', 2],
        ['m_axi_rvalid', 1], ['m_axi_rready', 1], ['m_axi_rdata', dw], ['m_axi_rresp', 2], ['m_axi_rlast', 1],
      ]),
    ],
    [
      'DMA write',
      sigs(TOP, [
        ['m_axi_awvalid', 1], ['m_axi_awready', 1], ['m_axi_awaddr', 32], ['m_axi_awlen', 8],
        ['m_axi_awsize', 3], ['m_axi_awburst', 2],
        ['m_axi_wvalid', 1], ['m_axi_wready', 1], ['m_axi_wdata', dw], ['m_axi_wstrb', dataBytes],
        ['m_axi_wlast', 1],
        ['m_axi_bvalid', 1], ['m_axi_bready', 1], ['m_axi_bresp', 2],
      ]),
    ],
    // irq is declared [IRQ_VECTORS-1:0]: vector 0 is MISC, then the TX and the RX queues
    ['Interrupts', sigs(TOP, [['irq', vec(1 + txq + rxq)]])],
    [
      'TX queue engine (nic_tx)',
      sigs(tx, [
        ['state_reg', 3], ['cur_q_reg', vec(qw(txq))], ['cur_prod', 16], ['cur_cons', 16],
        ['q_enable', vec(txq)], ['busy_vec', vec(txq)], ['stall_reg', vec(txq)], ['err_queues', vec(txq)], ['cq_evt', vec(txq)],
        ['stat_frame', 1], ['stat_drop', 1],
      ]),
    ],
    [
      'MAC TX',
      [
        ...sigs(NIC, [['mac_loopback', 1]]),
        ...sigs(TOP, [['m_axis_tx_tvalid', 1], ['m_axis_tx_tready', 1], ['m_axis_tx_tlast', 1], ['m_axis_tx_tkeep', dataBytes], ['m_axis_tx_tdata', dw]]),
      ],
    ],
    [
      'MAC RX',
      sigs(TOP, [
        ['s_axis_rx_tvalid', 1], ['s_axis_rx_tready', 1], ['s_axis_rx_tlast', 1], ['s_axis_rx_tuser', 1],
        ['s_axis_rx_tkeep', dataBytes], ['s_axis_rx_tdata', dw],
      ]),
    ],
    [
      'RX queue engine (nic_rx)',
      sigs(rx, [
        ['s_axis_tvalid', 1], ['s_axis_tready', 1], ['s_axis_tlast', 1], ['st', 3], ['bst', 3], ['c_q', 4], ['c_cons', 16],
        ['q_enable', vec(rxq)], ['q_busy', vec(rxq)], ['err_queues', vec(rxq)], ['cq_evt', vec(rxq)],
        ['stat_frame', 1], ['stat_drop_nodesc', 1], ['stat_drop_filter', 1], ['stat_drop_queue', 1], ['stat_drop_bad', 1], ['stat_drop_dma', 1],
      ]),
    ],
  ];
}

/** GTKWave's name for a signal: scalars bare, vectors with their range ([0:0] is written [0]). */
function traceName(s: Sig): string {
  if (s.width === 1) return `${s.scope}.${s.name}`;
  if (s.width === 0) return `${s.scope}.${s.name}[0]`;
  return `${s.scope}.${s.name}[${s.width - 1}:0]`;
}

const flag = (f: number): string => `@${f.toString(16)}`;

/** One line of text: no control characters, runs of white space collapsed. */
function oneLine(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f\s]+/g, ' ').trim();
}

function checkInt(what: string, v: number, min: number): void {
  if (!Number.isSafeInteger(v) || v < min) throw new RangeError(`gtkwSave: ${what} must be an integer >= ${min}, got ${v}`);
}

function checkRelative(what: string, name: string): void {
  if (name === '' || /["\r\n\s]/.test(name) || name.startsWith('/') || /^[A-Za-z]:[\\/]/.test(name))
    throw new RangeError(`gtkwSave: ${what} must be a relative file name without spaces, got ${JSON.stringify(name)}`);
}

/**
 * The named markers of a run: its DMA faults and the driver's fault events (QUEUE_ERROR), by
 * cycle. Driver events are at the cycle they show in the waveform.
 */
export function faultMarkers(faults: readonly WaveMarker[], events: readonly TraceRecord[]): WaveMarker[] {
  const fromEvents = events.filter((e) => FAULT_KINDS.has(e.kind)).map((e) => ({ cycle: e.cycle, label: describeTrace(e) }));
  return [...faults, ...fromEvents];
}

/** The text of a .gtkw save file for the NIC's waveform (deterministic: no dates, no absolute paths). */
export function gtkwSave(o: GtkwOptions): string {
  const { dumpFile, periodPs, dataBytes, markers } = o;
  const TOP = o.top ?? DEFAULT_TOP;
  const NIC = `${TOP}.nic_top_inst`;
  if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(TOP)) throw new RangeError(`gtkwSave: top must be a dotted scope, got ${TOP}`);
  const txq = o.txQueues ?? DEFAULT_BUILD.TX_QUEUES;
  const rxq = o.rxQueues ?? DEFAULT_BUILD.RX_QUEUES;
  checkRelative('dumpFile', dumpFile);
  if (o.eventFilter !== undefined) checkRelative('eventFilter', o.eventFilter);
  checkInt('periodPs', periodPs, 1);
  if (!Number.isInteger(dataBytes) || dataBytes < 8 || dataBytes > 64 || (dataBytes & (dataBytes - 1)) !== 0)
    throw new RangeError(`gtkwSave: dataBytes must be a power of 2 in 8..64, got ${dataBytes}`);
  for (const [what, q] of [['txQueues', txq], ['rxQueues', rxq]] as const) {
    if (!Number.isInteger(q) || q < 1 || q > 16) throw new RangeError(`gtkwSave: ${what} must be 1..16, got ${q}`);
  }
  for (const m of markers) {
    checkInt('marker cycle', m.cycle, 0);
    checkInt('marker time (cycle * periodPs)', m.cycle * periodPs, 0);
  }
  if (o.endCycle !== undefined) checkInt('endCycle', o.endCycle, 0);
  if (o.focusCycle !== undefined) checkInt('focusCycle', o.focusCycle, 0);

  // first 26 markers in time order (stable for markers in the same cycle)
  const sorted = markers.map((m, i) => ({ m, i })).sort((a, b) => a.m.cycle - b.m.cycle || a.i - b.i).map((x) => x.m);
  const named = sorted.slice(0, GTKW_NAMED_MARKERS);
  const more = sorted.length - named.length;
  const letter = (i: number): string => String.fromCharCode(65 + i);

  const last = sorted[sorted.length - 1];
  const focus = o.focusCycle;
  const spanCycles = focus !== undefined ? FOCUS_SPAN_CYCLES : Math.max(
    o.endCycle ?? (last === undefined ? DEFAULT_SPAN_CYCLES : Math.ceil(last.cycle * 1.05) + 16),
    16,
  );
  const startCycle = focus === undefined ? 0 : Math.max(0, focus - Math.floor((FOCUS_SPAN_CYCLES * 3) / 4));
  // GTKWave's zoom z shows 2^-z / 200 time units per pixel (its own "zoom best fit" formula)
  const zoom = -Math.log2(((spanCycles * periodPs + 1) * 200) / ZOOM_WIDTH_PX);

  const markerTimes: string[] = [];
  for (let i = 0; i < GTKW_NAMED_MARKERS; i++) {
    const m = named[i];
    markerTimes.push(m === undefined ? '-1' : String(m.cycle * periodPs));
  }

  const out: string[] = [];
  out.push(`[dumpfile] "${dumpFile}"`);
  // GTKWave resolves a relative [dumpfile] (and translate filter file) against the .gtkw's own
  // directory only when a [savefile] is present too; just its directory part is used.
  out.push(`[savefile] "${dumpFile.replace(/\.[^./\\]*$/, '')}.gtkw"`);
  out.push(`[timestart] ${startCycle * periodPs}`);
  out.push(`*${zoom.toFixed(6)} ${focus === undefined ? -1 : focus * periodPs} ${markerTimes.join(' ')}`);
  named.forEach((m, i) => {
    const name = oneLine(m.label);
    if (name !== '') out.push(`[markername] ${letter(i)}${name}`);
  });
  out.push('[*]');
  out.push(`[*] zcnic ${TOP}; clock period ${periodPs} ps; named marker time = cycle * ${periodPs} ps`);
  out.push(`[*] driver events: tb_evt_kind${o.eventFilter ? ` (named by ${o.eventFilter})` : ''}, tb_evt_queue, tb_evt_index, tb_evt_seq`);
  if (named.length === 0) out.push('[*] no faults');
  named.forEach((m, i) => out.push(`[*] ${letter(i)} = ${oneLine(m.label)} @ cycle ${m.cycle}`));
  if (more > 0) out.push(`[*] ${more} more fault${more === 1 ? '' : 's'} in summary.json`);
  out.push('[*]');
  out.push(`[size] ${SIZE[0]} ${SIZE[1]}`);
  out.push('[pos] -1 -1');
  out.push(`[treeopen] ${TOP}.`);
  out.push(`[treeopen] ${NIC}.`);
  out.push(`[sst_width] ${SST_WIDTH}`);
  out.push(`[signals_width] ${SIGNALS_WIDTH}`);
  out.push('[sst_expanded] 1');

  let cur = -1;
  const trace = (f: number, line: string): void => {
    if (f !== cur) out.push(flag(f));
    cur = f;
    out.push(line);
  };
  for (const [group, list] of groups(TOP, dataBytes, txq, rxq)) {
    if (group !== null) trace(GTKW_FLAGS.groupBegin, `-${group}`);
    for (const sig of list) {
      if (sig.width <= 1) {
        trace(GTKW_FLAGS.bin, traceName(sig));
      } else if (sig.format === 'named' && o.eventFilter !== undefined) {
        trace(GTKW_FLAGS.named, `^1 ${o.eventFilter}`);
        out.push(traceName(sig));
      } else {
        trace(sig.format === 'dec' || sig.format === 'named' ? GTKW_FLAGS.dec : GTKW_FLAGS.hex, traceName(sig));
      }
    }
    if (group !== null) trace(GTKW_FLAGS.groupEnd, `-${group}`);
  }
  out.push('[pattern_trace] 1');
  out.push('[pattern_trace] 0');
  return out.join('\n') + '\n';
}
