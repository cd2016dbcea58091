/** The benchmarks draw from the engine's own seeded generator, so a seed means the same numbers everywhere. */
export { mulberry32 } from '../src/engine/random';
