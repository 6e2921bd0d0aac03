// DMA API constants and errors (include/linux/dma-mapping.h, dma-direction.h, errno.h).

import { HostModelError } from '../mem/errors.js';

export type dma_addr_t = bigint;

/** enum dma_data_direction. */
export const DMA_BIDIRECTIONAL = 0;
export const DMA_TO_DEVICE = 1;
export const DMA_FROM_DEVICE = 2;
export const DMA_NONE = 3;
export type DmaDataDirection = typeof DMA_BIDIRECTIONAL | typeof DMA_TO_DEVICE | typeof DMA_FROM_DEVICE | typeof DMA_NONE;

export const DIR_NAME: Record<DmaDataDirection, string> = {
  0: 'DMA_BIDIRECTIONAL',
  1: 'DMA_TO_DEVICE',
  2: 'DMA_FROM_DEVICE',
  3: 'DMA_NONE',
};

export function valid_dma_direction(dir: number): dir is 0 | 1 | 2 {
  return dir === DMA_BIDIRECTIONAL || dir === DMA_TO_DEVICE || dir === DMA_FROM_DEVICE;
}

/** DMA attributes (include/linux/dma-mapping.h). */
export const DMA_ATTR_WEAK_ORDERING = 1 << 1;
export const DMA_ATTR_WRITE_COMBINE = 1 << 2;
export const DMA_ATTR_NO_KERNEL_MAPPING = 1 << 4;
export const DMA_ATTR_SKIP_CPU_SYNC = 1 << 5;
export const DMA_ATTR_FORCE_CONTIGUOUS = 1 << 6;
export const DMA_ATTR_NO_WARN = 1 << 8;

/** ~(dma_addr_t)0. Test with dma_mapping_error(), never against 0. */
export const DMA_MAPPING_ERROR: dma_addr_t = (1n << 64n) - 1n;

export function DMA_BIT_MASK(n: number): bigint {
  if (!Number.isInteger(n) || n < 0 || n > 64) throw new RangeError(`DMA_BIT_MASK(${n})`);
  return n === 64 ? (1n << 64n) - 1n : (1n << BigInt(n)) - 1n;
}

export const EIO = 5;
export const ENOMEM = 12;
export const EINVAL = 22;

/** A kernel BUG()/BUG_ON() in the DMA API: the caller broke a rule the kernel would crash on. */
export type DmaApiErrorCode = 'E_BUG_DIRECTION' | 'E_BUG' | 'E_NO_DEVICE_MASK';

export class DmaApiError extends HostModelError<DmaApiErrorCode> {}

/** min_not_zero(). */
export function min_not_zero(a: bigint, b: bigint): bigint {
  if (a === 0n) return b;
  if (b === 0n) return a;
  return a < b ? a : b;
}
