/**
 * The one table of limits. What the parser and the editor let a user build, what autosave
 * writes, and what the file and link codecs read are all bounded by these numbers, so that
 * anything a user can build can also be saved, shared and opened again.
 */
export const LIMITS = {
  /** Nodes in a circuit (inputs and gates together). */
  nodes: 12_000,
  /** Wires in a circuit. */
  wires: 24_000,
  /** Gates that may read one value (fan-out of a single node). */
  fanOut: 12_000,
  /** Numbers in one value (a 316×316 matrix is just under). */
  valueEntries: 100_000,
  /**
   * Numbers in all the values of a circuit together. Random full-precision numbers pack to
   * about 12 characters each in a `#c=` link, so this keeps every circuit within the link
   * length below, with room for 12,000 nodes beside them.
   */
  totalEntries: 120_000,
  /** Characters in a node id or a name. */
  idLength: 200,
  /** Characters in a node's label. */
  labelLength: 200,
  /** Levels of nesting in one expression of a program: parentheses, brackets, signs, exponents, calls. */
  nesting: 500,
  /** Characters of a program (the expression field, an `#expr=` link). */
  programLength: 1_400_000,
  /** Characters of a whole link's hash. */
  hashLength: 2_000_000,
  /**
   * Terms of one entry a backward step's dimension analysis lists (`dimensions.ts`); the
   * rest are counted, and still summed.
   */
  workedTerms: 400,
  /**
   * Rows (and columns) of a vector or matrix assembled from scalar gates (`[[a, b], [c, d]]`),
   * and so of the operands of a matrix product that Expand takes apart into scalar gates.
   */
  assembleSide: 3,
  /** Gates a circuit may define (composites and custom gates), and ports one gate may have. */
  gates: 200,
  gatePorts: 26,
  /**
   * Suggested groupings (`gates/suggest.ts`): a circuit of more nodes than this is not
   * searched for gates that compute a known function, and a suggested set holds at most
   * `suggestGates` gates. They bound the search, which runs at every edit.
   */
  suggestNodes: 400,
  suggestGates: 12,
  /** How far from the origin a node may be placed, in canvas units. */
  position: 1_000_000,
} as const;

export type LimitName = keyof typeof LIMITS;

/** Formats a count the way the messages write it: 12,000. */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/**
 * The sentence shared by every refusal over a limit: "the circuit has 12,001 nodes; the
 * limit is 12,000".
 */
export function overLimit(what: string, count: number, limit: number, unit: string): string {
  return `${what} has ${formatCount(count)} ${unit}; the limit is ${formatCount(limit)}`;
}
