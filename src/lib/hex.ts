// How the model prints an address or a register value: `0x` and lower-case hex digits.

/** `0x` + lower-case hex, zero-padded to `width` digits (the kernel's %pad prints 16). */
export function hex(v: bigint | number, width = 0): string {
  return '0x' + v.toString(16).padStart(width, '0');
}
