import { describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { render, staleFiles, GENERATED } from '../../../src/abi/gen.js';
import { repoRoot } from '../../../src/lib/repo.js';
import { ABI_HASH32, QUEUE, REG, REGS, queueReg, regField } from '../../../src/abi/regs.js';
import { scratchDir } from '../../scratch.js';

describe('one ABI source', () => {
  it('the committed generated files match the ABI source', () => {
    expect(staleFiles()).toEqual([]);
  });

  it('detects a stale generated file', () => {
    const root = scratchDir('zcnic-abi');
    for (const [p, text] of Object.entries(render())) {
      mkdirSync(dirname(join(root, p)), { recursive: true });
      writeFileSync(join(root, p), text);
    }
    expect(staleFiles(root)).toEqual([]);
    const vh = join(root, GENERATED.verilog);
    writeFileSync(vh, readFileSync(vh, 'utf8').replace('12\'h014', '12\'h018'));
    expect(staleFiles(root)).toEqual([GENERATED.verilog]);
  });

  it('register offsets are unique, word aligned and inside the window', () => {
    const offsets = REGS.map((r) => r.offset);
    expect(new Set(offsets).size).toBe(offsets.length);
    for (const o of offsets) {
      expect(o % 4).toBe(0);
      expect(o).toBeLessThan(0x1000);
    }
    expect(REG.ID).toBe(0x000);
    expect(REG.COPY_DOORBELL).toBe(0x104);
  });

  it('the Verilog header and the Python module carry the same hash', () => {
    const vh = readFileSync(join(repoRoot, GENERATED.verilog), 'utf8');
    const py = readFileSync(join(repoRoot, GENERATED.pyAbi), 'utf8');
    const hex = ABI_HASH32.toString(16).toUpperCase().padStart(8, '0');
    expect(vh).toContain(`\`define ZCNIC_ABI_HASH                       32'h${hex}`);
    expect(py).toContain(`ABI_HASH32 = 0x${hex}`);
  });

  it('reads bit fields and places queue registers by name', () => {
    expect(regField(0x20_0a_09_08, 'PARAMS2', 'TX_QUEUES')).toBe(8);
    expect(regField(0x20_0a_09_08, 'PARAMS2', 'RX_QUEUES')).toBe(9);
    expect(regField(0x20_0a_09_08, 'PARAMS2', 'MAX_RING_LOG2')).toBe(10);
    expect(regField(0x20_0a_09_08, 'PARAMS2', 'MAX_FRAGS')).toBe(32);
    expect(regField(0xffff_ffff, 'QUEUE_ERRORS', 'RX')).toBe(0xffff);
    expect(() => regField(0, 'PARAMS2', 'NOPE')).toThrow(/no field NOPE/);
    expect(queueReg('tx', 0, 'RING_BASE')).toBe(QUEUE.TXQ_BASE);
    expect(queueReg('rx', 3, 'PROD')).toBe(QUEUE.RXQ_BASE + 3 * QUEUE.STRIDE + 0x10);
    // every queue block fits its window, and the RX window ends where the steering tables begin
    expect(queueReg('tx', QUEUE.MAX_QUEUES - 1, 'HDR_SIZE')).toBeLessThan(QUEUE.RXQ_BASE);
    expect(queueReg('rx', QUEUE.MAX_QUEUES - 1, 'HDR_SIZE')).toBeLessThan(0xc00);
  });
});
