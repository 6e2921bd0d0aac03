import { describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { render, staleFiles, GENERATED, repoRoot } from '../../../src/abi/gen.js';
import { ABI_HASH32, REG, REGS } from '../../../src/abi/regs.js';
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
});
