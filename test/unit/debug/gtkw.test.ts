import { describe, expect, it } from 'vitest';
import { GTKW_FLAGS, gtkwSave, type WaveEvent } from '../../../src/debug/gtkw.js';

const NO_MARKERS = Array.from({ length: 26 }, () => '-1');

function save(events: readonly WaveEvent[], extra: { endCycle?: number; irqVectors?: number; dataBytes?: number } = {}) {
  return gtkwSave({ dumpFile: 'waves.fst', periodPs: 4000, dataBytes: 8, events, ...extra });
}

/** The lines between a group's begin and end flags (exclusive). */
function group(lines: readonly string[], name: string): string[] {
  const b = lines.indexOf(`-${name}`);
  const e = lines.indexOf(`-${name}`, b + 1);
  expect(lines[b - 1]).toBe('@800200');
  expect(lines[e - 1]).toBe('@1000200');
  return lines.slice(b + 1, e - 1);
}

describe('gtkwSave', () => {
  const events: WaveEvent[] = [
    { cycle: 3364, label: 'doorbell' },
    { cycle: 256, label: 'MMIO read ID' },
    { cycle: 3626, label: 'irq 0' },
    { cycle: 3500, label: 'DMA fault read 0x10000040' },
  ];
  const text = save(events, { endCycle: 4400 });
  const lines = text.split('\n');

  it('starts with the dump file, a relative save file name and time 0, and ends with a newline', () => {
    expect(lines.slice(0, 3)).toEqual(['[dumpfile] "waves.fst"', '[savefile] "waves.gtkw"', '[timestart] 0']);
    expect(text.endsWith('[pattern_trace] 0\n')).toBe(true);
  });

  it('puts named markers A.. at the events in time order, in ps (cycle * period)', () => {
    expect(lines[3]).toBe(`*-22.261717 -1 1024000 13456000 14000000 14504000 ${NO_MARKERS.slice(4).join(' ')}`);
    expect(lines[3]!.split(' ')).toHaveLength(1 + 1 + 26);
    expect(lines.filter((l) => l.startsWith('[markername]'))).toEqual([
      '[markername] AMMIO read ID',
      '[markername] Bdoorbell',
      '[markername] CDMA fault read 0x10000040',
      '[markername] Dirq 0',
    ]);
  });

  it('gives the legend in [*] comment lines', () => {
    expect(lines.filter((l) => l.startsWith('[*]'))).toEqual([
      '[*]',
      '[*] zcnic nic_top; clock period 4000 ps; named marker time = cycle * 4000 ps',
      '[*] A = MMIO read ID @ cycle 256',
      '[*] B = doorbell @ cycle 3364',
      '[*] C = DMA fault read 0x10000040 @ cycle 3500',
      '[*] D = irq 0 @ cycle 3626',
      '[*]',
    ]);
  });

  it('shows clk and rst in binary before the groups', () => {
    const i = lines.indexOf('nic_top.clk');
    expect(lines.slice(i - 1, i + 3)).toEqual(['@28', 'nic_top.clk', 'nic_top.rst', '@800200']);
  });

  it('groups the register window, vectors in hex with their bit range, 1-bit signals in binary', () => {
    const g = group(lines, 'AXI-Lite registers');
    expect(g.slice(0, 6)).toEqual(['@28', 'nic_top.s_axil_awvalid', 'nic_top.s_axil_awready', '@22', 'nic_top.s_axil_awaddr[11:0]', '@28']);
    for (const s of ['s_axil_wdata[31:0]', 's_axil_wstrb[3:0]', 's_axil_bresp[1:0]', 's_axil_araddr[11:0]', 's_axil_rdata[31:0]', 's_axil_rresp[1:0]'])
      expect(g).toContain(`nic_top.${s}`);
    for (const s of ['wvalid', 'wready', 'bvalid', 'bready', 'arvalid', 'arready', 'rvalid', 'rready'])
      expect(g).toContain(`nic_top.s_axil_${s}`);
  });

  it('groups the DMA read and write channels with the data width from dataBytes', () => {
    const rd = group(lines, 'DMA read');
    expect(rd).toEqual([
      '@28', 'nic_top.m_axi_arvalid', 'nic_top.m_axi_arready',
      '@22', 'nic_top.m_axi_araddr[31:0]', 'nic_top.m_axi_arlen[7:0]', 'nic_top.m_axi_arsize[2:0]', 'nic_top.m_axi_arburst[1:0]',
      '@28', 'nic_top.m_axi_rvalid', 'nic_top.m_axi_rready',
      '@22', 'nic_top.m_axi_rdata[63:0]', 'nic_top.m_axi_rresp[1:0]',
      '@28', 'nic_top.m_axi_rlast',
    ]);
    const wr = group(lines, 'DMA write');
    expect(wr).toContain('nic_top.m_axi_awaddr[31:0]');
    expect(wr).toContain('nic_top.m_axi_wdata[63:0]');
    expect(wr).toContain('nic_top.m_axi_wstrb[7:0]');
    expect(wr).toContain('nic_top.m_axi_bresp[1:0]');
    expect(wr).toContain('nic_top.m_axi_wlast');
    const wide = save([], { dataBytes: 64 }).split('\n');
    expect(wide).toContain('nic_top.m_axi_wdata[511:0]');
    expect(wide).toContain('nic_top.m_axi_wstrb[63:0]');
    expect(wide).toContain('nic_top.m_axi_rdata[511:0]');
  });

  it('shows irq (a [0:0] vector, named irq[0] by GTKWave) in binary, wider irq in hex', () => {
    expect(group(lines, 'Interrupts')).toEqual(['@28', 'nic_top.irq[0]']);
    expect(group(save([], { irqVectors: 4 }).split('\n'), 'Interrupts')).toEqual(['@22', 'nic_top.irq[3:0]']);
  });

  it('uses the pyvcd/GTKWave flag encoding', () => {
    expect(GTKW_FLAGS).toEqual({ hex: 0x22, bin: 0x28, groupBegin: 0x800200, groupEnd: 0x1000200 });
    expect(lines.filter((l) => l === '@800200')).toHaveLength(4);
    expect(lines.filter((l) => l === '@1000200')).toHaveLength(4);
  });

  it('names the first 26 events and counts the rest', () => {
    const many = Array.from({ length: 30 }, (_, i) => ({ cycle: 100 * (30 - i), label: `e${30 - i}` }));
    const l = save(many).split('\n');
    const times = Array.from({ length: 26 }, (_, i) => String(400000 * (i + 1)));
    expect(l[3]).toBe(`*-21.786875 -1 ${times.join(' ')}`);
    expect(l.filter((x) => x.startsWith('[markername]'))).toHaveLength(26);
    expect(l).toContain('[markername] Ze26');
    expect(l).toContain('[*] Z = e26 @ cycle 2600');
    expect(l).not.toContain('[*] e27');
    expect(l).toContain('[*] 4 more events in transcript.txt');
    expect(save(many.slice(0, 27)).split('\n')).toContain('[*] 1 more event in transcript.txt');
    expect(save(many.slice(0, 26))).not.toContain('more event');
  });

  it('keeps events in the same cycle in their given order', () => {
    const l = save([{ cycle: 5, label: 'x' }, { cycle: 5, label: 'y' }, { cycle: 1, label: 'w' }]).split('\n');
    expect(l.filter((x) => x.startsWith('[markername]'))).toEqual(['[markername] Aw', '[markername] Bx', '[markername] Cy']);
  });

  it('without events: no named markers, a default zoom, a note', () => {
    const l = save([]).split('\n');
    expect(l[3]).toBe(`*-18.158431 -1 ${NO_MARKERS.join(' ')}`);
    expect(l).toContain('[*] no driver events');
    expect(l.some((x) => x.startsWith('[markername]'))).toBe(false);
  });

  it('zooms to just past the last event when no endCycle is given', () => {
    const l = gtkwSave({ dumpFile: 'waves.fst', periodPs: 1000, dataBytes: 8, events: [{ cycle: 40, label: 'a' }] }).split('\n');
    expect(l[3]).toBe(`*-14.016435 -1 40000 ${NO_MARKERS.slice(1).join(' ')}`);
  });

  it('keeps labels on one line', () => {
    const l = save([{ cycle: 1, label: ' two\nlines\t here ' }]).split('\n');
    expect(l).toContain('[markername] Atwo lines here');
    expect(l).toContain('[*] A = two lines here @ cycle 1');
  });

  it('is deterministic: no dates, sizes or absolute paths', () => {
    expect(save(events, { endCycle: 4400 })).toBe(text);
    expect(text).not.toMatch(/dumpfile_mtime|dumpfile_size|\/tmp|\/work|\b20\d\d-\d\d|\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun) /);
  });

  it('derives the save file name from a nested relative dump file', () => {
    const l = gtkwSave({ dumpFile: 'run1/waves.fst', periodPs: 4000, dataBytes: 8, events: [] }).split('\n');
    expect(l.slice(0, 2)).toEqual(['[dumpfile] "run1/waves.fst"', '[savefile] "run1/waves.gtkw"']);
  });

  it('rejects bad input', () => {
    const ok = { dumpFile: 'waves.fst', periodPs: 4000, dataBytes: 8, events: [] };
    expect(() => gtkwSave({ ...ok, dumpFile: '/abs/waves.fst' })).toThrow(RangeError);
    expect(() => gtkwSave({ ...ok, dumpFile: 'a"b.fst' })).toThrow(RangeError);
    expect(() => gtkwSave({ ...ok, periodPs: 0 })).toThrow(RangeError);
    expect(() => gtkwSave({ ...ok, periodPs: 2.5 })).toThrow(RangeError);
    expect(() => gtkwSave({ ...ok, dataBytes: 12 })).toThrow(RangeError);
    expect(() => gtkwSave({ ...ok, events: [{ cycle: -1, label: 'x' }] })).toThrow(RangeError);
    expect(() => gtkwSave({ ...ok, events: [{ cycle: 1.5, label: 'x' }] })).toThrow(RangeError);
  });
});
