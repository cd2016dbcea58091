import { useEffect, useMemo, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { type Position, toProgram } from '../engine';
import { docToCircuit } from '../store/document';
import { useApp } from './StoreContext';

/** Above this many nodes the program is not written out on every edit. */
const MAX_PRINTED_NODES = 1000;
const NO_POSITIONS: ReadonlyMap<string, Position> = new Map();

/**
 * How long numbers must stay unchanged to count as settled: a scrub or a held arrow key
 * changes them every frame, and what only needs the settled numbers waits until it stops.
 */
export const SETTLE_MS = 250;

/**
 * `value`, once it has stayed the same for `SETTLE_MS`: while it keeps changing, the last
 * settled one. `immediate(previous, next)` may say that a change must be taken at once (a new
 * circuit, say), without waiting.
 */
export function useSettled<T>(value: T, immediate?: (previous: T, next: T) => boolean): T {
  const [settled, setSettled] = useState(value);
  const now = settled !== value && immediate !== undefined && immediate(settled, value);
  useEffect(() => {
    if (settled === value) return undefined;
    if (now) {
      setSettled(value);
      return undefined;
    }
    const timer = window.setTimeout(() => setSettled(value), SETTLE_MS);
    return () => window.clearTimeout(timer);
  }, [value, settled, now]);
  return now ? value : settled;
}

/**
 * The circuit in hand as a program: the text it was built from while unchanged, otherwise the
 * circuit written out by `toProgram`; null while it cannot be written (a free port, a loop,
 * a NaN value). A change of structure is written out at once; a change of numbers alone
 * (an input scrubbed, a literal edited) once the numbers have settled, never per frame.
 */
export function useProgramText(): string | null {
  const live = useApp(
    useShallow((s) => ({
      expression: s.doc.expression,
      nodes: s.doc.nodes,
      wires: s.doc.wires,
      output: s.doc.output,
      values: s.doc.values,
      params: s.doc.params,
      gates: s.doc.gates,
      // The store compiles on every change of structure; a value edit only re-runs it.
      program: s.program,
    })),
  );
  const { expression, nodes, wires, output, values, params, gates, program } = useSettled(
    live,
    (a, b) =>
      a.expression !== b.expression ||
      a.nodes !== b.nodes ||
      a.wires !== b.wires ||
      a.output !== b.output ||
      a.gates !== b.gates ||
      a.program !== b.program,
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
        ...(gates ? { gates } : {}),
      }),
      program,
    );
  }, [expression, nodes, wires, output, values, params, gates, program]);
}
