import { GALLERY } from '../examples';
import { type Doc, docFromCircuit } from './document';

/** The circuit the app opens with: the first gallery example. */
export function initialDoc(): Doc {
  const first = GALLERY[0];
  return docFromCircuit(first.circuit, first.program);
}
