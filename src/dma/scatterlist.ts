// struct scatterlist, reduced to what mapping needs: the CPU side (physical address, length) and
// the DMA side filled in by dma_map_sg (dma_address, dma_length; a length of 0 ends the list).

import type { Page } from '../mem/page_alloc.js';
import { DMA_MAPPING_ERROR } from './types.js';

export interface Scatterlist {
  /** sg_phys(sg): page_to_phys(sg_page(sg)) + sg->offset. */
  phys: bigint;
  length: number;
  dma_address: bigint;
  dma_length: number;
}

/** sg_init_table + sg_set_buf/sg_set_page for each entry. */
export function sg_init_table(entries: readonly { readonly phys: bigint; readonly length: number }[]): Scatterlist[] {
  return entries.map((e) => ({ phys: e.phys, length: e.length, dma_address: DMA_MAPPING_ERROR, dma_length: 0 }));
}

/** sg_set_page(sg, page, len, offset). */
export function sg_set_page(sg: Scatterlist, page: Page, len: number, offset: number): void {
  sg.phys = page.phys + BigInt(offset);
  sg.length = len;
}
