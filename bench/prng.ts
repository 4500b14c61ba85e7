/** A small seeded PRNG (mulberry32): the same seed gives the same buckets and operations. */
export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)];
  const subset = <T>(xs: readonly T[], p: number): T[] => xs.filter(() => next() < p);
  return { next, int, pick, subset, chance: (p: number) => next() < p };
}
export type Rng = ReturnType<typeof prng>;
