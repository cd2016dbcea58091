import type { Circuit } from '../engine';
import { decodeCircuitObject } from '../share/file';
import addMultiply from './add-multiply.json';
import layer from './layer.json';
import matmul from './matmul.json';
import neuron from './neuron.json';
import neuronGate from './neuron-gate.json';
import neuronPrimitive from './neuron-primitive.json';
import notesProduct from './notes-product.json';
import patterns from './patterns.json';
import { EXAMPLE_SOURCES, type ExampleSource } from './sources';
import staged from './staged.json';
import svm from './svm.json';

const FILES: Record<string, unknown> = {
  'add-multiply': addMultiply,
  neuron,
  'neuron-primitive': neuronPrimitive,
  'neuron-gate': neuronGate,
  patterns,
  staged,
  matmul,
  'notes-product': notesProduct,
  layer,
  svm,
};

export interface Example extends ExampleSource {
  readonly circuit: Circuit;
}

/** The gallery, read through the same codec as any file a user opens. */
export const GALLERY: readonly Example[] = EXAMPLE_SOURCES.map((source) => {
  const decoded = decodeCircuitObject(FILES[source.id]);
  if (!decoded.ok) throw new Error(`gallery example ${source.id} is broken: ${decoded.error}`);
  return { ...source, circuit: decoded.circuit };
});
