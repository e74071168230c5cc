// Seeded randomness for the market model: a hash that turns (seed, conId, interval, stream) into an
// independent reproducible stream, and sfc32 (a fast 32-bit generator with good statistical quality).

/** Murmur3's 32-bit finaliser: a cheap avalanche so that neighbouring inputs give unrelated outputs. */
export function mix32(x: number): number {
  let h = x | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** FNV-1a over the UTF-16 code units, then mixed: a stable 32-bit hash of a text. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return mix32(h);
}

const INV_2_32 = 1 / 4294967296;

/**
 * sfc32 with a polar-method Gaussian. Re-seed it per stream instead of allocating a new one (hot path).
 * The state lives in typed arrays: 32-bit values in object fields would be boxed (V8's small integers
 * are 31-bit), allocating on every draw.
 */
export class Rng {
  private readonly state = new Int32Array(4);
  private readonly spare = new Float64Array(1);
  private hasSpare = false;

  /** The part of a stream's seed fixed by (seed, key), computed once per instrument; seed may exceed 32 bits. */
  static baseKey(seed: number, key: number): number {
    const lo = seed >>> 0;
    const hi = Math.floor(seed / 4294967296) >>> 0;
    return mix32(mix32(lo ^ mix32(hi + 0x9e3779b9)) ^ mix32(key + 0x7f4a7c15));
  }

  /** Starts the stream of (baseKey, index, stream). */
  reseed(baseKey: number, index: number, stream: number): void {
    const h = mix32(baseKey ^ mix32(index + 0x6a09e667));
    const s = this.state;
    s[0] = baseKey;
    s[1] = h;
    s[2] = mix32(h ^ mix32(stream + 0x3c6ef372));
    s[3] = 1;
    this.hasSpare = false;
    // sfc32 needs a few rounds before its output stops reflecting the seed words.
    for (let i = 0; i < 12; i++) this.nextU32();
  }

  nextU32(): number {
    const s = this.state;
    const a = s[0] ?? 0;
    const b = s[1] ?? 0;
    const c = s[2] ?? 0;
    const d = s[3] ?? 0;
    const t = (((a + b) | 0) + d) | 0;
    s[3] = (d + 1) | 0;
    s[0] = b ^ (b >>> 9);
    s[1] = (c + (c << 3)) | 0;
    s[2] = (((c << 21) | (c >>> 11)) + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.nextU32() * INV_2_32;
  }

  /** Standard normal (Marsaglia's polar method: no trigonometry; the pair's second value is kept). */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare[0] ?? 0;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const m = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare[0] = v * m;
    this.hasSpare = true;
    return u * m;
  }
}
