/**
 * How the upstream gradient in use is named in text: the step panel's seed step, the
 * narration and the control itself say the same words.
 */
import type { DocSeed } from '../store/document';

/**
 * The upstream gradient a run started from, in words: "ones", "random dD (seed 7)",
 * "one-hot at [2, 1]", "typed values". `seed` is the document's choice and `usedOnes` says the
 * run fell back to ones (the choice no longer fits the output). `name` is the output's name.
 */
export function upstreamWords(seed: DocSeed | undefined, name: string, usedOnes = false): string {
  if (seed === undefined || usedOnes) return 'ones';
  switch (seed.kind) {
    case 'random':
      return `random d${name} (seed ${seed.seed})`;
    case 'onehot':
      return `one-hot at [${seed.index.join(', ')}]`;
    case 'values':
      return 'typed values';
  }
}

/** The same in TeX, for the step panel's formula line. */
export function upstreamTex(seed: DocSeed | undefined, name: string, usedOnes = false): string {
  return `\\text{${upstreamWords(seed, name, usedOnes).replace(/[\\{}$&#^_%~]/g, (c) => `\\${c}`)}}`;
}
