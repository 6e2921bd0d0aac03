// Field access for the little-endian structures of the ABI (descriptors, completions), by the
// names in src/abi/regs.ts, so the driver (and the model) never hard-code an offset.

import type { Layout } from './regs.js';

type FieldOf<L extends Layout> = keyof L['fields'] & string;

/** Read field `name` of `layout` from `buf` (the structure's bytes, starting at `base`). */
export function layoutGet<L extends Layout>(layout: L, buf: Uint8Array, name: FieldOf<L>, base = 0): number {
  const [off, len] = layout.fields[name]!;
  let v = 0;
  for (let i = len - 1; i >= 0; i--) v = v * 256 + buf[base + off + i]!;
  return v;
}

/** Write field `name` of `layout` into `buf`; the value must fit the field. */
export function layoutPut<L extends Layout>(layout: L, buf: Uint8Array, name: FieldOf<L>, value: number, base = 0): void {
  const [off, len] = layout.fields[name]!;
  if (!Number.isInteger(value) || value < 0 || value >= 2 ** (8 * len)) {
    throw new RangeError(`${name} = ${value} does not fit its ${len}-byte field`);
  }
  let v = value;
  for (let i = 0; i < len; i++) {
    buf[base + off + i] = v & 0xff;
    v = Math.floor(v / 256);
  }
}
