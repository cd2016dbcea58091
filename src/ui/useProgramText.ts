import { useMemo } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { type Position, toProgram } from '../engine';
import { docToCircuit } from '../store/document';
import { useApp } from './StoreContext';

/** Above this many nodes the program is not written out on every edit. */
const MAX_PRINTED_NODES = 1000;
const NO_POSITIONS: ReadonlyMap<string, Position> = new Map();

/**
 * The circuit in hand as a program: the text it was built from while unchanged, otherwise the
 * circuit written out by `toProgram`; null while it cannot be written (a free port, a loop,
 * a NaN value).
 */
export function useProgramText(): string | null {
  const { expression, nodes, wires, output, values, params, program } = useApp(
    useShallow((s) => ({
      expression: s.doc.expression,
      nodes: s.doc.nodes,
      wires: s.doc.wires,
      output: s.doc.output,
      values: s.doc.values,
      params: s.doc.params,
      // The store compiles on every change of structure; a value edit only re-runs it.
      program: s.program,
    })),
  );
  return useMemo(() => {
    if (expression !== null) return expression;
    if (nodes.length === 0 || nodes.length > MAX_PRINTED_NODES || !program) return null;
    return toProgram(
      docToCircuit({
        nodes,
        wires,
        output,
        values,
        params,
        positions: NO_POSITIONS,
        expression: null,
      }),
      program,
    );
  }, [expression, nodes, wires, output, values, params, program]);
}
