/**
 * The engine's one seeded random generator: `randn` draws from it, and the tests and
 * benchmarks use it too, so a seed means the same numbers everywhere.
 */

/** mulberry32: a small, fast, seeded 32-bit generator. Returns uniforms in [0, 1). */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples from a uniform generator (Box–Muller, two per pair of uniforms). */
export function normals(uniform: () => number, n: number): Float64Array {
  const data = new Float64Array(n);
  for (let i = 0; i < n; i += 2) {
    const u1 = 1 - uniform();
    const u2 = uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    data[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < n) data[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return data;
}
