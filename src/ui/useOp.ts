import { type OpDef, resolveOp } from '../engine';
import { useApp } from './StoreContext';

/** The op a node names: the registry's, or one of the document's own gates. */
export function useOp(name: string | undefined): OpDef | undefined {
  const gates = useApp((s) => s.doc.gates);
  return name === undefined ? undefined : resolveOp(name, gates);
}
