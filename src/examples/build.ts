import { parse } from '../engine';
import { serializeCircuit } from '../share/file';
import { docFromCircuit, docToCircuit } from '../store/document';
import { createAppStore } from '../store/store';
import type { ExampleSource } from './sources';

/**
 * The circuit file of one example: its program parsed and laid out left to right, as the app
 * lays out a typed program (each wire's label box as wide as the numbers it shows).
 */
export function exampleFileText(source: ExampleSource): string {
  const store = createAppStore(docFromCircuit(parse(source.program).circuit));
  store.getState().tidyUp();
  return serializeCircuit(docToCircuit(store.getState().doc));
}
