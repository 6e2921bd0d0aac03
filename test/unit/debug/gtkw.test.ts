import { describe, expect, it } from 'vitest';
import { GTKW_FLAGS, faultMarkers, gtkwSave, type WaveMarker } from '../../../src/debug/gtkw.js';
import { TRACE_EVENT, TRACE_QUEUE_RX } from '../../../src/debug/events.js';

const NO_MARKERS = Array.from({ length: 26 }, () => '-1');
const TOP = 'zcnic_cosim_top';
const TX = `${TOP}.nic_top_inst.nic_tx_inst`;
const RX = `${TOP}.nic_top_inst.nic_rx_inst`;

type Extra = { endCycle?: number; txQueues?: number; rxQueues?: number; dataBytes?: number; eventFilter?: string };

function save(markers: readonly WaveMarker[], extra: Extra = {}): string {
  return gtkwSave({ dumpFile: 'waves.fst', periodPs: 4000, dataBytes: 8, markers, eventFilter: 'waves.events.txt', ...extra });
}

/** The lines between a group's begin and end flags (exclusive). */
function group(lines: readonly string[], name: string): string[] {
  const b = lines.indexOf(`-${name}`);
  const e = lines.indexOf(`-${name}`, b + 1);
  expect(b).toBeGreaterThan(0);
  expect(lines[b - 1]).toBe('@800200');
  expect(lines[e - 1]).toBe('@1000200');
  return lines.slice(b + 1, e - 1);
}

describe('gtkwSave', () => {
  const markers: WaveMarker[] = [
    { cycle: 3364, label: 'DMA write fault 0x10000000 (not_present)' },
    { cycle: 256, label: 'QUEUE_ERROR RXQ 1 index 17' },
    { cycle: 3500, label: 'DMA read fault 0x10000040 (not_present)' },
  ];
  const text = save(markers, { endCycle: 4400 });
  const lines = text.split('\n');

  it('starts with the dump file, a relative save file name and time 0, and ends with a newline', () => {
    expect(lines.slice(0, 3)).toEqual(['[dumpfile] "waves.fst"', '[savefile] "waves.gtkw"', '[timestart] 0']);
    expect(text.endsWith('[pattern_trace] 0\n')).toBe(true);
  });

  it('puts named markers A.. at the faults in time order, in ps (cycle * period)', () => {
    expect(lines[3]).toBe(`*-22.261717 -1 1024000 13456000 14000000 ${NO_MARKERS.slice(3).join(' ')}`);
    expect(lines[3]!.split(' ')).toHaveLength(1 + 1 + 26);
    expect(lines.filter((l) => l.startsWith('[markername]'))).toEqual([
      '[markername] AQUEUE_ERROR RXQ 1 index 17',
      '[markername] BDMA write fault 0x10000000 (not_present)',
      '[markername] CDMA read fault 0x10000040 (not_present)',
    ]);
  });

  it('gives the legend in [*] comment lines', () => {
    expect(lines.filter((l) => l.startsWith('[*]'))).toEqual([
      '[*]',
      '[*] zcnic zcnic_cosim_top; clock period 4000 ps; named marker time = cycle * 4000 ps',
      '[*] driver events: tb_evt_kind (named by waves.events.txt), tb_evt_queue, tb_evt_index, tb_evt_seq',
      '[*] A = QUEUE_ERROR RXQ 1 index 17 @ cycle 256',
      '[*] B = DMA write fault 0x10000000 (not_present) @ cycle 3364',
      '[*] C = DMA read fault 0x10000040 (not_present) @ cycle 3500',
      '[*]',
    ]);
  });

  it('opens the toplevel and the NIC in the hierarchy', () => {
    expect(lines.filter((l) => l.startsWith('[treeopen]'))).toEqual([`[treeopen] ${TOP}.`, `[treeopen] ${TOP}.nic_top_inst.`]);
  });

  it('shows clk and rst in binary before the groups', () => {
    const i = lines.indexOf(`${TOP}.clk`);
    expect(lines.slice(i - 1, i + 3)).toEqual(['@28', `${TOP}.clk`, `${TOP}.rst`, '@800200']);
  });

  it('has the groups in order', () => {
    expect(lines.filter((l, i) => l.startsWith('-') && lines[i - 1] === '@800200')).toEqual([
      '-AXI-Lite registers', '-Driver events', '-DMA read', '-DMA write', '-Interrupts',
      '-TX queue engine (nic_tx)', '-MAC TX', '-MAC RX', '-RX queue engine (nic_rx)',
    ]);
  });

  it('shows the driver events, the kind by name through the translate filter file', () => {
    expect(group(lines, 'Driver events')).toEqual([
      '@2024', '^1 waves.events.txt', `${TOP}.tb_evt_kind[7:0]`,
      '@22', `${TOP}.tb_evt_queue[7:0]`,
      '@24', `${TOP}.tb_evt_index[15:0]`, `${TOP}.tb_evt_seq[31:0]`,
    ]);
    // without a filter file the kind is a plain decimal number
    expect(group(gtkwSave({ dumpFile: 'w.fst', periodPs: 4000, dataBytes: 8, markers: [] }).split('\n'), 'Driver events').slice(0, 3))
      .toEqual(['@24', `${TOP}.tb_evt_kind[7:0]`, '@22']);
  });

  it('groups the register window, vectors in hex with their bit range, 1-bit signals in binary', () => {
    const g = group(lines, 'AXI-Lite registers');
    expect(g.slice(0, 6)).toEqual(['@28', `${TOP}.s_axil_awvalid`, `${TOP}.s_axil_awready`, '@22', `${TOP}.s_axil_awaddr[12:0]`, '@28']);
    for (const s of ['s_axil_wdata[31:0]', 's_axil_wstrb[3:0]', 's_axil_bresp[1:0]', 's_axil_araddr[12:0]', 's_axil_rdata[31:0]', 's_axil_rresp[1:0]'])
      expect(g).toContain(`${TOP}.${s}`);
  });

  it('groups the DMA read and write channels with the data width from dataBytes', () => {
    expect(group(lines, 'DMA read')).toEqual([
      '@28', `${TOP}.m_axi_arvalid`, `${TOP}.m_axi_arready`,
      '@22', `${TOP}.m_axi_araddr[31:0]`, `${TOP}.m_axi_arlen[7:0]`, `${TOP}.m_axi_arsize[2:0]`, `${TOP}.m_axi_arburst[1:0]`,
      '@28', `${TOP}.m_axi_rvalid`, `${TOP}.m_axi_rready`,
      '@22', `${TOP}.m_axi_rdata[63:0]`, `${TOP}.m_axi_rresp[1:0]`,
      '@28', `${TOP}.m_axi_rlast`,
    ]);
    const wr = group(lines, 'DMA write');
    for (const s of ['m_axi_awaddr[31:0]', 'm_axi_wdata[63:0]', 'm_axi_wstrb[7:0]', 'm_axi_bresp[1:0]', 'm_axi_wlast']) expect(wr).toContain(`${TOP}.${s}`);
    const wide = save([], { dataBytes: 64 }).split('\n');
    for (const s of ['m_axi_wdata[511:0]', 'm_axi_wstrb[63:0]', 'm_axi_rdata[511:0]', 'm_axis_tx_tdata[511:0]', 's_axis_rx_tkeep[63:0]'])
      expect(wide).toContain(`${TOP}.${s}`);
  });

  it('shows the MAC streams and the loopback switch', () => {
    expect(group(lines, 'MAC TX')).toEqual([
      '@28', `${TOP}.nic_top_inst.mac_loopback`, `${TOP}.m_axis_tx_tvalid`, `${TOP}.m_axis_tx_tready`, `${TOP}.m_axis_tx_tlast`,
      '@22', `${TOP}.m_axis_tx_tkeep[7:0]`, `${TOP}.m_axis_tx_tdata[63:0]`,
    ]);
    expect(group(lines, 'MAC RX')).toEqual([
      '@28', `${TOP}.s_axis_rx_tvalid`, `${TOP}.s_axis_rx_tready`, `${TOP}.s_axis_rx_tlast`, `${TOP}.s_axis_rx_tuser`,
      '@22', `${TOP}.s_axis_rx_tkeep[7:0]`, `${TOP}.s_axis_rx_tdata[63:0]`,
    ]);
  });

  it('shows the queue engines with widths from the queue counts', () => {
    expect(group(lines, 'TX queue engine (nic_tx)')).toEqual([
      '@22', `${TX}.state_reg[2:0]`, `${TX}.cur_q_reg[1:0]`, `${TX}.cur_prod[15:0]`, `${TX}.cur_cons[15:0]`,
      `${TX}.q_enable[3:0]`, `${TX}.busy_vec[3:0]`, `${TX}.stall_reg[3:0]`, `${TX}.err_queues[3:0]`, `${TX}.cq_evt[3:0]`,
      '@28', `${TX}.stat_frame`, `${TX}.stat_drop`,
    ]);
    expect(group(lines, 'RX queue engine (nic_rx)')).toEqual([
      '@28', `${RX}.s_axis_tvalid`, `${RX}.s_axis_tready`, `${RX}.s_axis_tlast`,
      '@22', `${RX}.st[2:0]`, `${RX}.bst[2:0]`, `${RX}.c_q[3:0]`, `${RX}.c_cons[15:0]`,
      `${RX}.q_enable[3:0]`, `${RX}.q_busy[3:0]`, `${RX}.err_queues[3:0]`, `${RX}.cq_evt[3:0]`,
      '@28', `${RX}.stat_frame`, `${RX}.stat_drop_nodesc`, `${RX}.stat_drop_filter`, `${RX}.stat_drop_queue`, `${RX}.stat_drop_bad`, `${RX}.stat_drop_dma`,
    ]);
    // one TX queue: 1-bit vectors are named x[0] and shown in binary; three RX queues: [2:0]
    const small = save([], { txQueues: 1, rxQueues: 3 }).split('\n');
    expect(group(small, 'TX queue engine (nic_tx)').slice(0, 9)).toEqual([
      '@22', `${TX}.state_reg[2:0]`, '@28', `${TX}.cur_q_reg[0]`, '@22', `${TX}.cur_prod[15:0]`, `${TX}.cur_cons[15:0]`, '@28', `${TX}.q_enable[0]`,
    ]);
    expect(small).toContain(`${RX}.q_enable[2:0]`);
    expect(group(small, 'Interrupts')).toEqual(['@22', `${TOP}.irq[4:0]`]);
  });

  it('shows irq (1 + TX_QUEUES + RX_QUEUES wide) in hex', () => {
    expect(group(lines, 'Interrupts')).toEqual(['@22', `${TOP}.irq[8:0]`]);
  });

  it('uses the pyvcd/GTKWave flag encoding', () => {
    expect(GTKW_FLAGS).toEqual({ hex: 0x22, dec: 0x24, bin: 0x28, named: 0x2024, groupBegin: 0x800200, groupEnd: 0x1000200 });
    expect(lines.filter((l) => l === '@800200')).toHaveLength(9);
    expect(lines.filter((l) => l === '@1000200')).toHaveLength(9);
  });

  it('names the first 26 faults and counts the rest', () => {
    const many = Array.from({ length: 30 }, (_, i) => ({ cycle: 100 * (30 - i), label: `e${30 - i}` }));
    const l = save(many).split('\n');
    const times = Array.from({ length: 26 }, (_, i) => String(400000 * (i + 1)));
    expect(l[3]).toBe(`*-21.786875 -1 ${times.join(' ')}`);
    expect(l.filter((x) => x.startsWith('[markername]'))).toHaveLength(26);
    expect(l).toContain('[markername] Ze26');
    expect(l).toContain('[*] Z = e26 @ cycle 2600');
    expect(l).not.toContain('[*] e27');
    expect(l).toContain('[*] 4 more faults in summary.json');
    expect(save(many.slice(0, 27)).split('\n')).toContain('[*] 1 more fault in summary.json');
    expect(save(many.slice(0, 26))).not.toContain('more fault');
  });

  it('keeps markers in the same cycle in their given order', () => {
    const l = save([{ cycle: 5, label: 'x' }, { cycle: 5, label: 'y' }, { cycle: 1, label: 'w' }]).split('\n');
    expect(l.filter((x) => x.startsWith('[markername]'))).toEqual(['[markername] Aw', '[markername] Bx', '[markername] Cy']);
  });

  it('without faults: no named markers, a default zoom, a note', () => {
    const l = save([]).split('\n');
    expect(l[3]).toBe(`*-18.158431 -1 ${NO_MARKERS.join(' ')}`);
    expect(l).toContain('[*] no faults');
    expect(l.some((x) => x.startsWith('[markername]'))).toBe(false);
  });

  it('zooms to just past the last marker when no endCycle is given', () => {
    const l = gtkwSave({ dumpFile: 'waves.fst', periodPs: 1000, dataBytes: 8, markers: [{ cycle: 40, label: 'a' }] }).split('\n');
    expect(l[3]).toBe(`*-14.016435 -1 40000 ${NO_MARKERS.slice(1).join(' ')}`);
  });

  it('keeps labels on one line', () => {
    const l = save([{ cycle: 1, label: ' two\nlines\t here ' }]).split('\n');
    expect(l).toContain('[markername] Atwo lines here');
    expect(l).toContain('[*] A = two lines here @ cycle 1');
  });

  it('is deterministic: no dates, sizes or absolute paths', () => {
    expect(save(markers, { endCycle: 4400 })).toBe(text);
    expect(text).not.toMatch(/dumpfile_mtime|dumpfile_size|\/tmp|\/work|\b20\d\d-\d\d|\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun) /);
  });

  it('derives the save file name from a nested relative dump file', () => {
    const l = gtkwSave({ dumpFile: 'run1/waves.fst', periodPs: 4000, dataBytes: 8, markers: [] }).split('\n');
    expect(l.slice(0, 2)).toEqual(['[dumpfile] "run1/waves.fst"', '[savefile] "run1/waves.gtkw"']);
  });

  it('rejects bad input', () => {
    const ok = { dumpFile: 'waves.fst', periodPs: 4000, dataBytes: 8, markers: [] };
    expect(() => gtkwSave({ ...ok, dumpFile: '/abs/waves.fst' })).toThrow(RangeError);
    expect(() => gtkwSave({ ...ok, dumpFile: 'a"b.fst' })).toThrow(RangeError);
    expect(() => gtkwSave({ ...ok, eventFilter: 'two words.txt' })).toThrow(/eventFilter must be a relative file name without spaces/);
    expect(() => gtkwSave({ ...ok, eventFilter: '/abs/events.txt' })).toThrow(RangeError);
    expect(() => gtkwSave({ ...ok, periodPs: 0 })).toThrow(RangeError);
    expect(() => gtkwSave({ ...ok, periodPs: 2.5 })).toThrow(RangeError);
    expect(() => gtkwSave({ ...ok, dataBytes: 12 })).toThrow(RangeError);
    expect(() => gtkwSave({ ...ok, txQueues: 0 })).toThrow(/txQueues must be 1..16, got 0/);
    expect(() => gtkwSave({ ...ok, rxQueues: 17 })).toThrow(/rxQueues must be 1..16, got 17/);
    expect(() => gtkwSave({ ...ok, markers: [{ cycle: -1, label: 'x' }] })).toThrow(RangeError);
    expect(() => gtkwSave({ ...ok, markers: [{ cycle: 1.5, label: 'x' }] })).toThrow(RangeError);
  });
});

describe('faultMarkers', () => {
  it('names DMA faults and the driver\'s queue errors, and nothing else of the driver events', () => {
    const ev = (kind: number, queue: number, index: number, cycle: number) => ({ cycle, hostCycle: cycle - 256, kind, queue, index });
    expect(faultMarkers(
      [{ cycle: 900, label: 'DMA read fault 0x10000040 (not_present)' }],
      [ev(TRACE_EVENT.DOORBELL_TX, 0, 5, 300), ev(TRACE_EVENT.QUEUE_ERROR, TRACE_QUEUE_RX | 1, 17, 1200), ev(TRACE_EVENT.IRQ, 0, 1, 1300), ev(TRACE_EVENT.QUEUE_ERROR, 2, 3, 400)],
    )).toEqual([
      { cycle: 900, label: 'DMA read fault 0x10000040 (not_present)' },
      { cycle: 1200, label: 'QUEUE_ERROR RXQ 1 index 17' },
      { cycle: 400, label: 'QUEUE_ERROR TXQ 2 index 3' },
    ]);
  });
});
