import { parse } from '../engine';
import { type SeededCircuit, serializeCircuit } from '../share/file';
import { docFromCircuit, docToCircuit } from '../store/document';
import { createAppStore } from '../store/store';
import type { ExampleSource } from './sources';

/**
 * The circuit file of one example: its program parsed and laid out left to right, as the app
 * lays out a typed program (each wire's label box as wide as the numbers it shows).
 */
export function exampleFileText(source: ExampleSource): string {
  const circuit: SeededCircuit = { ...parse(source.program).circuit, seed: source.seed };
  const store = createAppStore(docFromCircuit(circuit));
  store.getState().tidyUp();
  return serializeCircuit(docToCircuit(store.getState().doc));
}
