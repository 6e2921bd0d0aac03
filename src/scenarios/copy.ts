// copy (the default scenario): the 32-bit copy engine moves data between buffers that live above
// 4 GiB, through a strict IOMMU. Covers unaligned starts and ends, copies crossing 4 KiB pages,
// copies larger than a burst, and one whose last byte is the last byte below 4 GiB. Every copy
// is checked byte for byte, and so are the bytes around each destination.

import { COPY_ERR } from '../abi/regs.js';
import { ZcnicDriver } from '../drivers/zcnic/zcnic.js';
import { get_order, GFP_KERNEL, type Page } from '../mem/page_alloc.js';
import { PAGE_SIZE } from '../mem/phys.js';
import { DMA_FROM_DEVICE, DMA_TO_DEVICE, dma_map_single, dma_mapping_error, dma_unmap_single } from '../platform/host.js';
import { Rng } from '../lib/rng.js';
import type { Scenario } from './types.js';
import { hex } from '../lib/hex.js';
import { hostInstance, hostReport, scenarioHost, type ScenarioHost } from '../host/machine.js';

const CANARY = 0xee;

export interface CopyCase {
  readonly name: string;
  readonly len: number;
  /** Offsets of source and destination inside their (page-aligned) buffers. */
  readonly srcOff: number;
  readonly dstOff: number;
}

/** The fixed cases plus `random` seeded ones; chunk is the engine's largest burst. */
export function copyCases(seed: number, chunk: number, random = 10): CopyCase[] {
  const rng = new Rng(seed);
  const cases: CopyCase[] = [
    { name: 'one byte', len: 1, srcOff: 7, dstOff: 3 },
    { name: 'aligned page', len: PAGE_SIZE, srcOff: 0, dstOff: 0 },
    { name: 'source crosses 4 KiB', len: 200, srcOff: PAGE_SIZE - 100, dstOff: 64 },
    { name: 'destination crosses 4 KiB', len: 300, srcOff: 8, dstOff: PAGE_SIZE - 5 },
    { name: 'both cross, misaligned', len: 3 * chunk + 13, srcOff: PAGE_SIZE - 3, dstOff: PAGE_SIZE - 1000 },
    { name: 'jumbo frame', len: 9000, srcOff: 2, dstOff: 6 },
  ];
  for (let i = 0; i < random; i++) {
    cases.push({
      name: `random ${i}`,
      len: rng.int(1, i % 3 === 0 ? 5 * chunk : chunk + 64),
      srcOff: rng.int(0, PAGE_SIZE - 1),
      dstOff: rng.int(0, PAGE_SIZE - 1),
    });
  }
  return cases;
}

interface Buf {
  readonly page: Page;
  readonly pa: bigint;
  readonly order: number;
}

function allocBuf(h: ScenarioHost, bytes: number): Buf {
  const order = get_order(bytes);
  const page = h.host.pages.alloc_pages(GFP_KERNEL, order);
  if (!page) throw new Error(`out of memory allocating ${bytes} bytes`);
  return { page, pa: page.phys, order };
}


function firstDiff(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** Copy `c` and check the destination and the canary bytes around it. */
async function runCase(h: ScenarioHost, drv: ZcnicDriver, c: CopyCase, rng: Rng): Promise<{ src: bigint; dst: bigint }> {
  const src = allocBuf(h, c.srcOff + c.len);
  const dst = allocBuf(h, c.dstOff + c.len);
  const dstSpan = PAGE_SIZE << dst.order;
  const data = rng.bytes(c.len);
  h.host.cpuWrite(src.pa + BigInt(c.srcOff), data);
  h.host.cpuFill(dst.pa, dstSpan, CANARY);
  const r = await drv.copy(src.pa + BigInt(c.srcOff), dst.pa + BigInt(c.dstOff), c.len);
  const where = `copy '${c.name}' (${c.len} bytes, iova ${hex(r.src)} -> ${hex(r.dst)})`;
  if (r.err !== COPY_ERR.NONE) {
    throw new Error(`${where} failed: error ${r.err}, resp ${r.resp}, at bus address ${hex(r.errAddr)}, cycle ${r.cycle}`);
  }
  const all = h.host.cpuRead(dst.pa, dstSpan);
  const got = all.subarray(c.dstOff, c.dstOff + c.len);
  const d = firstDiff(got, data);
  if (d >= 0) throw new Error(`${where}: byte ${d} is 0x${got[d]!.toString(16)}, expected 0x${data[d]!.toString(16)}`);
  for (const [lo, hi] of [[0, c.dstOff], [c.dstOff + c.len, dstSpan]] as const) {
    for (let i = lo; i < hi; i++) {
      if (all[i] !== CANARY) throw new Error(`${where}: wrote outside its destination, at offset ${i - c.dstOff} from its start`);
    }
  }
  h.host.pages.__free_pages(src.page, src.order);
  h.host.pages.__free_pages(dst.page, dst.order);
  return { src: r.src, dst: r.dst };
}

export const copyScenario: Scenario = {
  name: 'copy',
  description: 'copies between buffers above 4 GiB through a strict IOMMU, byte-exact, incl. the last byte below 4 GiB',
  maxCycles: 5_000_000,
  setup(seed) {
    const h = scenarioHost('strict');
    const rng = new Rng(seed);
    const done: Record<string, unknown>[] = [];
    let bytes = 0;
    return {
      ...hostInstance(h),
      async main(dev) {
        const drv = new ZcnicDriver(dev, h.host, h.pdev);
        // Map the top page first: IOVAs are handed out top-down from 0xFFFFF000, so this page's
        // last byte is the last byte below 4 GiB.
        const top = allocBuf(h, PAGE_SIZE);
        const topIova = dma_map_single(h.pdev, top.pa, PAGE_SIZE, DMA_FROM_DEVICE);
        if (dma_mapping_error(h.pdev, topIova) || topIova !== 0xfffff000n) {
          throw new Error(`the first IOVA is ${hex(topIova)}, expected 0xfffff000`);
        }
        const info = await drv.probe();
        const last: CopyCase = { name: 'ends at 0xFFFFFFFF', len: 700, srcOff: 5, dstOff: PAGE_SIZE - 700 };
        const src = allocBuf(h, PAGE_SIZE);
        const data = rng.bytes(last.len);
        h.host.cpuWrite(src.pa + BigInt(last.srcOff), data);
        h.host.cpuFill(top.pa, PAGE_SIZE, CANARY);
        // The destination is already mapped; map only the source around this copy.
        const srcIova = dma_map_single(h.pdev, src.pa + BigInt(last.srcOff), last.len, DMA_TO_DEVICE);
        if (dma_mapping_error(h.pdev, srcIova)) throw new Error('dma_map_single of the source failed');
        const r = await drv.copyMapped(srcIova, topIova + BigInt(last.dstOff), last.len);
        dma_unmap_single(h.pdev, srcIova, last.len, DMA_TO_DEVICE);
        dma_unmap_single(h.pdev, topIova, PAGE_SIZE, DMA_FROM_DEVICE);
        if (r.err !== COPY_ERR.NONE) throw new Error(`copy ending at 0xFFFFFFFF failed: error ${r.err} at ${hex(r.errAddr)}`);
        const got = h.host.cpuRead(top.pa + BigInt(last.dstOff), last.len);
        const d = firstDiff(got, data);
        if (d >= 0) throw new Error(`copy ending at 0xFFFFFFFF: byte ${d} differs`);
        if (h.host.cpuRead(top.pa + BigInt(last.dstOff - 1), 1)[0] !== CANARY) throw new Error('copy ending at 0xFFFFFFFF wrote below its start');
        h.host.pages.__free_pages(src.page, src.order);
        h.host.pages.__free_pages(top.page, top.order);
        done.push({ name: last.name, len: last.len, dst: hex(topIova + BigInt(last.dstOff)), end: hex(topIova + BigInt(PAGE_SIZE - 1)) });
        bytes += last.len;

        for (const c of copyCases(seed, info.chunkBytes)) {
          const { src: s, dst: t } = await runCase(h, drv, c, rng);
          done.push({ name: c.name, len: c.len, src: hex(s), dst: hex(t) });
          bytes += c.len;
        }
        await drv.remove();
        h.host.debug?.assertClean(true);
      },
      report: () => ({ copies: done.length, bytes_copied: bytes, cases: done, ...hostReport(h) }),
    };
  },
};
