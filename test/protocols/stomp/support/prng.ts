import { seededRandom } from '../../../helpers/seeded-random.js';

/** A small seeded PRNG (mulberry32), so that random tests print a seed that replays them. */
export interface Prng {
  readonly seed: number;
  /** [0, 1) */
  next(): number;
  /** Integer in [0, n). */
  int(n: number): number;
  pick<T>(items: readonly T[]): T;
  bytes(n: number): Buffer;
}

export function prng(seed: number = Math.floor(Math.random() * 2 ** 31)): Prng {
  const next = seededRandom(seed);
  const int = (n: number): number => Math.floor(next() * n);
  return {
    seed,
    next,
    int,
    pick: (items) => items[int(items.length)]!,
    bytes: (n) => {
      const b = Buffer.alloc(n);
      for (let i = 0; i < n; i++) b[i] = int(256);
      return b;
    },
  };
}

/** The seed from STOMP_FUZZ_SEED when set (to replay a failure), else a fresh one. */
export function seedFromEnv(): number {
  const text = process.env.STOMP_FUZZ_SEED;
  return text ? Number(text) : Math.floor(Math.random() * 2 ** 31);
}
