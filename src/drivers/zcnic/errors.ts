// Errors of the zcnic driver: a stable code and where it happened (queue, descriptor, bus
// address, cycle), so a failing run points at the ring slot and the clock edge.

import { hex } from '../../lib/hex.js';

export type DriverErrorCode =
  | 'E_PROBE_ID' | 'E_PROBE_VERSION' | 'E_PROBE_ABI' | 'E_PROBE_FEATURE' | 'E_PROBE_PARAMS' | 'E_PROBE_DMA'
  | 'E_STATE' // a call in the wrong state (open twice, xmit on a closed device)
  | 'E_NOMEM' // coherent memory or a page for a ring could not be had
  | 'E_MAP' // a buffer could not be mapped for the device (dma_mapping_error)
  | 'E_DOORBELL' // the device refused a fast-path register write
  | 'E_RESET' // a queue did not go idle for its reset
  | 'E_RECOVERY' // a queue kept failing at one descriptor with nothing completed: it stays down
  | 'E_COMPLETION'; // a completion that names a descriptor the driver did not post

export interface DriverErrorContext {
  readonly queue?: string;
  readonly index?: number;
  readonly addr?: bigint;
  readonly cycle?: number;
}

export class DriverError extends Error {
  override readonly name = 'DriverError';
  constructor(
    readonly code: DriverErrorCode,
    message: string,
    readonly context: DriverErrorContext = {},
  ) {
    super(`${message}${where(context)}`);
  }
}

function where(c: DriverErrorContext): string {
  const parts: string[] = [];
  if (c.queue !== undefined) parts.push(c.queue);
  if (c.index !== undefined) parts.push(`descriptor ${c.index}`);
  if (c.addr !== undefined) parts.push(`bus address ${hex(c.addr)}`);
  if (c.cycle !== undefined) parts.push(`cycle ${c.cycle}`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/** Kernel errno values the ethtool-like API returns (negated, as the kernel's ops do). */
export const EINVAL = 22;
export const EOPNOTSUPP = 95;
export const EBUSY = 16;
export const ERANGE = 34;
