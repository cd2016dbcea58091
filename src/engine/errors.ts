import type { NodeId, PortName } from './types';

/** One thing wrong with a circuit, naming the nodes (and port) where it is. */
export interface Problem {
  readonly message: string;
  readonly nodes: readonly NodeId[];
  readonly port?: PortName;
}

/** Thrown by `compile` (strict mode) and `Program.run`; lists every problem found. */
export class CircuitError extends Error {
  readonly problems: readonly Problem[];
  constructor(problems: readonly Problem[]) {
    super(problems.map((p) => p.message).join('\n'));
    this.name = 'CircuitError';
    this.problems = problems;
  }
}

/** A syntax or naming error in an expression, at a 1-based line and column. */
export class ParseError extends Error {
  readonly line: number;
  readonly column: number;
  constructor(message: string, line: number, column: number) {
    super(`line ${line}, column ${column}: ${message}`);
    this.name = 'ParseError';
    this.line = line;
    this.column = column;
  }
}
