import { parse } from '../engine';
import { EXAMPLE_SOURCES } from '../examples/sources';
import { type Doc, docFromCircuit } from './document';
import { layoutCircuit } from './layout';

/** The circuit the app opens with: the first gallery example. */
export function initialDoc(): Doc {
  const { program } = EXAMPLE_SOURCES[0];
  const doc = docFromCircuit(parse(program).circuit, program);
  return { ...doc, positions: layoutCircuit(doc.nodes, doc.wires) };
}
