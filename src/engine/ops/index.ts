import { arithmeticOps } from './arithmetic';
import { functionOps } from './functions';
import { indexingOps } from './indexing';
import { matrixOps } from './matrix';
import { sourceOps } from './source';
import type { OpDef } from './types';

export type {
  BinaryOp,
  CallSyntax,
  InfixSyntax,
  OpDef,
  OpFamily,
  OpSyntax,
  Params,
  PrefixSyntax,
  Rewrite,
  SourceOp,
  TensorGate,
  TensorOp,
  UnaryOp,
} from './types';

/** Every op the engine knows, in palette order. */
export const ALL_OPS: readonly OpDef[] = [
  ...sourceOps,
  ...arithmeticOps,
  ...functionOps,
  ...matrixOps,
  ...indexingOps,
];

const byName = new Map<string, OpDef>(ALL_OPS.map((op) => [op.name, op]));

export function getOp(name: string): OpDef | undefined {
  return byName.get(name);
}

export function isSource(op: string): boolean {
  return op === 'input' || op === 'const';
}
