// Seeded randomness for the model and scenarios (no Math.random anywhere): SplitMix64, which
// passes BigCrush, is trivially seedable from any integer, and is the same on every platform.

export class Rng {
  private s: bigint;
  constructor(seed: number | bigint) {
    this.s = BigInt.asUintN(64, BigInt(seed) ^ 0x9e3779b97f4a7c15n);
  }

  /** Next 64 random bits. */
  next64(): bigint {
    this.s = BigInt.asUintN(64, this.s + 0x9e3779b97f4a7c15n);
    let z = this.s;
    z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
    z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
    return z ^ (z >> 31n);
  }

  /** Uniform integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    if (!(Number.isInteger(lo) && Number.isInteger(hi)) || hi < lo) throw new RangeError(`bad range [${lo}, ${hi}]`);
    const span = BigInt(hi - lo + 1);
    return lo + Number(this.next64() % span);
  }

  /** n bytes: each 64-bit draw gives 8, least significant first. */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 8) {
      const v = this.next64();
      // two 32-bit halves as plain numbers: BigInt shifts per byte were most of the cost
      let lo = Number(v & 0xffffffffn);
      let hi = Number(v >> 32n);
      const end = Math.min(n, i + 8);
      for (let j = i; j < end; j++) {
        if (j - i < 4) {
          out[j] = lo & 0xff;
          lo >>>= 8;
        } else {
          out[j] = hi & 0xff;
          hi >>>= 8;
        }
      }
    }
    return out;
  }
}
