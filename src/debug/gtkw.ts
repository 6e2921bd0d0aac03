// GTKWave save file (.gtkw) for a `make sim WAVES=1` run: the NIC's interfaces in groups and a
// named marker (A..Z) at each of the first 26 driver-level events.
//
// Checked against a Verilator FST of nic_top and GTKWave 3.3.118 (Debian 12):
// - signals live in scope `nic_top` (the FST also has a `$rootio` copy of the ports); GTKWave
//   3.3.118 only finds a vector by its full name with the bit range, e.g.
//   `nic_top.s_axil_awaddr[11:0]` (the bare `nic_top.s_axil_awaddr` is silently dropped), and a
//   1-bit vector `[0:0]` is called `irq[0]`;
// - the dump's time unit is 1 ps (Verilator timescale 1ns/1ps) and the clock starts high at 0, so
//   cycle N's rising edge is at N * periodPs: marker times are in ps;
// - a relative [dumpfile] is found next to the .gtkw (`gtkwave run/waves.gtkw` from any directory)
//   only with a [savefile] line alongside it.
//
// Trace flags (GTKWave's TR_* bits, as in pyvcd's gtkw.py): hex=1<<1, bin=1<<3, rjustify=1<<5,
// blank=1<<9, grp_begin=1<<23, grp_end=1<<24, written in hex after '@'.

export interface WaveEvent {
  readonly cycle: number;
  readonly label: string;
}

export interface GtkwOptions {
  /** The dump's file name relative to the .gtkw file, e.g. 'waves.fst'. */
  readonly dumpFile: string;
  /** Clock period in ps (the dump's time unit). */
  readonly periodPs: number;
  /** AXI DMA data bus width in bytes (nic_top DATA_WIDTH / 8). */
  readonly dataBytes: number;
  readonly events: readonly WaveEvent[];
  /** nic_top IRQ_VECTORS (the width of irq); default 1. */
  readonly irqVectors?: number;
  /** Last simulated cycle: the initial zoom fits [0, endCycle]; default: just past the last event. */
  readonly endCycle?: number;
}

/** Named markers GTKWave 3.3 keeps in a save file (A..Z). */
export const GTKW_NAMED_MARKERS = 26;

const F_HEX = 1 << 1;
const F_BIN = 1 << 3;
const F_RJUSTIFY = 1 << 5;
const F_BLANK = 1 << 9;
const F_GRP_BEGIN = 1 << 23;
const F_GRP_END = 1 << 24;

export const GTKW_FLAGS = {
  hex: F_HEX | F_RJUSTIFY, // @22
  bin: F_BIN | F_RJUSTIFY, // @28
  groupBegin: F_GRP_BEGIN | F_BLANK, // @800200
  groupEnd: F_GRP_END | F_BLANK, // @1000200
} as const;

const SCOPE = 'nic_top';
// Window layout written to the file; ZOOM_WIDTH_PX is about the wave area that leaves.
const SIZE = [1280, 800] as const;
const SST_WIDTH = 200;
const SIGNALS_WIDTH = 260;
const ZOOM_WIDTH_PX = 700;
const DEFAULT_SPAN_CYCLES = 256;

type Sig = readonly [name: string, width: number];

function groups(dataBytes: number, irqVectors: number): readonly (readonly [string | null, readonly Sig[]])[] {
  const dw = dataBytes * 8;
  return [
    [null, [['clk', 1], ['rst', 1]]],
    [
      'AXI-Lite registers',
      [
        ['s_axil_awvalid', 1], ['s_axil_awready', 1], ['s_axil_awaddr', 12],
        ['s_axil_wvalid', 1], ['s_axil_wready', 1], ['s_axil_wdata', 32], ['s_axil_wstrb', 4],
        ['s_axil_bvalid', 1], ['s_axil_bready', 1], ['s_axil_bresp', 2],
        ['s_axil_arvalid', 1], ['s_axil_arready', 1], ['s_axil_araddr', 12],
        ['s_axil_rvalid', 1], ['s_axil_rready', 1], ['s_axil_rdata', 32], ['s_axil_rresp', 2],
      ],
    ],
    [
      'DMA read',
      [
        ['m_axi_arvalid', 1], ['m_axi_arready', 1], ['m_axi_araddr', 32], ['m_axi_arlen', 8],
        ['m_axi_arsize', 3], ['m_axi_arburst', 2],
        ['m_axi_rvalid', 1], ['m_axi_rready', 1], ['m_axi_rdata', dw], ['m_axi_rresp', 2], ['m_axi_rlast', 1],
      ],
    ],
    [
      'DMA write',
      [
        ['m_axi_awvalid', 1], ['m_axi_awready', 1], ['m_axi_awaddr', 32], ['m_axi_awlen', 8],
        ['m_axi_awsize', 3], ['m_axi_awburst', 2],
        ['m_axi_wvalid', 1], ['m_axi_wready', 1], ['m_axi_wdata', dw], ['m_axi_wstrb', dataBytes],
        ['m_axi_wlast', 1],
        ['m_axi_bvalid', 1], ['m_axi_bready', 1], ['m_axi_bresp', 2],
      ],
    ],
    // irq is declared [IRQ_VECTORS-1:0]: a 1-bit vector, named irq[0], is shown in binary
    ['Interrupts', [['irq', irqVectors === 1 ? 0 : irqVectors]]],
  ];
}

/** GTKWave's name for a signal: scalars bare, vectors with their range ([0:0] is written [0]). */
function traceName(name: string, width: number): string {
  if (width === 1) return `${SCOPE}.${name}`;
  if (width === 0) return `${SCOPE}.${name}[0]`;
  return `${SCOPE}.${name}[${width - 1}:0]`;
}

const flag = (f: number): string => `@${f.toString(16)}`;

/** One line of text: no control characters, runs of white space collapsed. */
function oneLine(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f\s]+/g, ' ').trim();
}

function checkInt(what: string, v: number, min: number): void {
  if (!Number.isSafeInteger(v) || v < min) throw new RangeError(`gtkwSave: ${what} must be an integer >= ${min}, got ${v}`);
}

/** The text of a .gtkw save file for the NIC's waveform (deterministic: no dates, no absolute paths). */
export function gtkwSave(o: GtkwOptions): string {
  const { dumpFile, periodPs, dataBytes, events } = o;
  const irqVectors = o.irqVectors ?? 1;
  if (dumpFile === '' || /["\r\n]/.test(dumpFile) || dumpFile.startsWith('/') || /^[A-Za-z]:[\\/]/.test(dumpFile))
    throw new RangeError(`gtkwSave: dumpFile must be a relative file name, got ${JSON.stringify(dumpFile)}`);
  checkInt('periodPs', periodPs, 1);
  if (!Number.isInteger(dataBytes) || dataBytes < 8 || dataBytes > 64 || (dataBytes & (dataBytes - 1)) !== 0)
    throw new RangeError(`gtkwSave: dataBytes must be a power of 2 in 8..64, got ${dataBytes}`);
  checkInt('irqVectors', irqVectors, 1);
  for (const e of events) {
    checkInt('event cycle', e.cycle, 0);
    checkInt('event time (cycle * periodPs)', e.cycle * periodPs, 0);
  }
  if (o.endCycle !== undefined) checkInt('endCycle', o.endCycle, 0);

  // first 26 events in time order (stable for events in the same cycle)
  const sorted = events.map((e, i) => ({ e, i })).sort((a, b) => a.e.cycle - b.e.cycle || a.i - b.i).map((x) => x.e);
  const named = sorted.slice(0, GTKW_NAMED_MARKERS);
  const more = sorted.length - named.length;
  const letter = (i: number): string => String.fromCharCode(65 + i);

  const last = sorted[sorted.length - 1];
  const spanCycles = Math.max(
    o.endCycle ?? (last === undefined ? DEFAULT_SPAN_CYCLES : Math.ceil(last.cycle * 1.05) + 16),
    16,
  );
  // GTKWave's zoom z shows 2^-z / 200 time units per pixel (its own "zoom best fit" formula)
  const zoom = -Math.log2(((spanCycles * periodPs + 1) * 200) / ZOOM_WIDTH_PX);

  const markerTimes: string[] = [];
  for (let i = 0; i < GTKW_NAMED_MARKERS; i++) {
    const e = named[i];
    markerTimes.push(e === undefined ? '-1' : String(e.cycle * periodPs));
  }

  const out: string[] = [];
  out.push(`[dumpfile] "${dumpFile}"`);
  // GTKWave resolves a relative [dumpfile] against the .gtkw's own directory only when a
  // [savefile] is present too (find_dumpfile in savefile.c); just its directory part is used.
  out.push(`[savefile] "${dumpFile.replace(/\.[^./\\]*$/, '')}.gtkw"`);
  out.push('[timestart] 0');
  out.push(`*${zoom.toFixed(6)} -1 ${markerTimes.join(' ')}`);
  named.forEach((e, i) => {
    const name = oneLine(e.label);
    if (name !== '') out.push(`[markername] ${letter(i)}${name}`);
  });
  out.push('[*]');
  out.push(`[*] zcnic nic_top; clock period ${periodPs} ps; named marker time = cycle * ${periodPs} ps`);
  if (named.length === 0) out.push('[*] no driver events');
  named.forEach((e, i) => out.push(`[*] ${letter(i)} = ${oneLine(e.label)} @ cycle ${e.cycle}`));
  if (more > 0) out.push(`[*] ${more} more event${more === 1 ? '' : 's'} in transcript.txt`);
  out.push('[*]');
  out.push(`[size] ${SIZE[0]} ${SIZE[1]}`);
  out.push('[pos] -1 -1');
  out.push(`[treeopen] ${SCOPE}.`);
  out.push(`[sst_width] ${SST_WIDTH}`);
  out.push(`[signals_width] ${SIGNALS_WIDTH}`);
  out.push('[sst_expanded] 1');

  let cur = -1;
  const trace = (f: number, line: string): void => {
    if (f !== cur) out.push(flag(f));
    cur = f;
    out.push(line);
  };
  for (const [group, sigs] of groups(dataBytes, irqVectors)) {
    if (group !== null) trace(GTKW_FLAGS.groupBegin, `-${group}`);
    for (const [name, width] of sigs) trace(width > 1 ? GTKW_FLAGS.hex : GTKW_FLAGS.bin, traceName(name, width));
    if (group !== null) trace(GTKW_FLAGS.groupEnd, `-${group}`);
  }
  out.push('[pattern_trace] 1');
  out.push('[pattern_trace] 0');
  return out.join('\n') + '\n';
}
