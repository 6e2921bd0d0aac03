// The Microsoft RSS Toeplitz hash (rss_toeplitz; netmodel.py toeplitz): for every set bit of the
// input, most significant first, XOR in the 32-bit window of the key that starts at that bit.

/** Bytes of the RSS key rx_steer holds (RSS_KEY words 0..9). */
export const RSS_KEY_BYTES = 40;

/** The Microsoft sample key: rx_steer's reset key and the key of the verification suite. */
export const MS_RSS_KEY: Uint8Array = Uint8Array.from(
  '6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa'.match(/../g)!,
  (h) => Number.parseInt(h, 16),
);

const bit = (b: Uint8Array, i: number): number => ((b[i >> 3] ?? 0) >> (7 - (i & 7))) & 1;

/** Toeplitz hash of `input` under `key`; the key needs 4 bytes more than the input. */
export function toeplitz(key: Uint8Array, input: Uint8Array): number {
  if (key.length < input.length + 4) throw new RangeError(`a ${input.length}-byte input needs a key of ${input.length + 4} bytes, got ${key.length}`);
  let hash = 0;
  let win = ((key[0]! << 24) | (key[1]! << 16) | (key[2]! << 8) | key[3]!) >>> 0;
  for (let i = 0; i < 8 * input.length; i++) {
    if (bit(input, i)) hash ^= win;
    win = ((win << 1) | bit(key, 32 + i)) >>> 0;
  }
  return hash >>> 0;
}
