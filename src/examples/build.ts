import { parse } from '../engine';
import { serializeCircuit } from '../share/file';
import { docFromCircuit, docToCircuit } from '../store/document';
import { layoutCircuit } from '../store/layout';
import type { ExampleSource } from './sources';

/** The circuit file of one example: its program parsed and laid out left to right. */
export function exampleFileText(source: ExampleSource): string {
  const doc = docFromCircuit(parse(source.program).circuit);
  return serializeCircuit(
    docToCircuit({ ...doc, positions: layoutCircuit(doc.nodes, doc.wires, doc.values) }),
  );
}
