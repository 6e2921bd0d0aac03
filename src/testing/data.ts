// What tests feed the host and the NIC: seeded payload bytes, and a flat memory for a device's DMA
// without any host platform behind it.

import type { DeviceDmaPort } from '../platform/dma_port.js';

/**
 * `n` payload bytes from a seeded LCG (the same bytes for the same seed on every run);
 * `nonzero` sets the low bit of each, so a zeroed byte is told apart from data.
 */
export function pattern(n: number, seed: number, o: { readonly nonzero?: boolean } = {}): Uint8Array {
  const b = new Uint8Array(n);
  let x = (seed * 2654435761) >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = o.nonzero ? (x >>> 24) | 1 : x >>> 24;
  }
  return b;
}

/** `bytes` of memory at bus address `base` as a device's DMA port; any access outside faults (not present). */
export function flatDmaPort(base: bigint, bytes: number): DeviceDmaPort & { readonly mem: Uint8Array } {
  const mem = new Uint8Array(bytes);
  const off = (a: bigint, n: number): number | undefined => (a >= base && a + BigInt(n) <= base + BigInt(bytes) ? Number(a - base) : undefined);
  return {
    mem,
    read(addr, len) {
      const o = off(addr, len);
      return o === undefined ? { ok: false, fault: { resp: 2, reason: 'not_present', addr } } : { ok: true, data: mem.slice(o, o + len) };
    },
    write(addr, data) {
      const o = off(addr, data.length);
      if (o === undefined) return { ok: false, fault: { resp: 2, reason: 'not_present', addr } };
      mem.set(data, o);
      return { ok: true };
    },
  };
}
