/**
 * Seeded randomness for the whole simulator: a run with the same seed makes the same choices
 * (which charger, which connector, when). Never Math.random.
 */

/** A small, fast PRNG (sfc32) with helpers; `fork(label)` derives an independent stream. */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number;
  /** Uniform real in [min, max). */
  between(min: number, max: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** `base` ± `share` of it, e.g. jitter(1000, 0.2) is in [800, 1200). */
  jitter(base: number, share: number): number;
  /** A new generator whose sequence depends on this seed and `label` only. */
  fork(label: string): Random;
}

function hash(text: string, seed: number): number {
  // FNV-1a over the label, mixed with the seed: stable across runs and platforms.
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** A seeded generator; equal seeds give equal sequences. */
export function createRandom(seed: number): Random {
  let a = 0x9e3779b9 ^ seed;
  let b = 0x243f6a88;
  let c = 0xb7e15162 ^ (seed * 31);
  let d = 1;
  const next = (): number => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 15; i++) next();
  const random: Random = {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    between: (min, max) => min + next() * (max - min),
    chance: (p) => next() < p,
    pick: (items) => items[Math.floor(next() * items.length)],
    jitter: (base, share) => base * (1 - share + 2 * share * next()),
    fork: (label) => createRandom(hash(label, seed)),
  };
  return random;
}
