import type { SourceOp } from './types';

/** A value the user sets: it has a name, and its gradient is what backprop is for. */
export const input: SourceOp = {
  kind: 'source',
  name: 'input',
  title: 'input',
  family: 'source',
  symbol: 'in',
  ports: [],
  formula: 'x',
  localGradFormulas: [],
};

/** A fixed number written inside an expression, such as the 2 in `2 * x`. */
export const constant: SourceOp = {
  kind: 'source',
  name: 'const',
  title: 'constant',
  family: 'source',
  symbol: 'c',
  ports: [],
  formula: 'c',
  localGradFormulas: [],
};

export const sourceOps = [input, constant] as const;
