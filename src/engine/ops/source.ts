import { source } from './define';

/** A value the user sets: it has a name, and its gradient is what backprop is for. */
export const input = source({
  kind: 'source',
  name: 'input',
  title: 'input',
  family: 'source',
  symbol: 'in',
  ports: [],
  formula: 'x',
});

/**
 * A fixed number as a node of its own. Circuits of the first file format wrote every literal
 * this way; a literal is now a parameter of the gate that uses it, and this op stays so that
 * such circuits still compile and run.
 */
export const constant = source({
  kind: 'source',
  name: 'const',
  title: 'constant',
  family: 'source',
  symbol: 'c',
  ports: [],
  formula: 'c',
});

export const sourceOps = [input, constant] as const;
