/**
 * Expand and Collapse as store actions: each is one edit of the document (one undo step),
 * refused with a notice saying why when it cannot be done.
 */
import { isComposite, resolveOp, type Shape } from '../../engine';
import { numbersOf } from '../document';
import { collapseProduct, expandAction, expandProduct, type ShapeOf } from '../expand';
import { openedOf } from '../group';
import { limitProblem } from '../limits';
import type { GetState, SetState, SliceContext } from './types';

export interface ExpandSlice {
  /**
   * Takes matrix product `id` apart into scalar gates, in place. Undefined when done; else
   * the reason (also shown as a notice): not a product, or larger than 3×3 · 3×3.
   */
  expandGate(id: string): string | undefined;
  /**
   * Puts the expanded product that gate `id` belongs to back together as one product gate.
   * Undefined when done; else the reason (also shown as a notice).
   */
  collapseGate(id: string): string | undefined;
}

/** Shapes of the nodes in the current run, by id. */
export function shapesOf(get: GetState): ShapeOf {
  const { program } = get();
  return (id: string): Shape | undefined => {
    const slot = program.slot(id);
    return slot < 0 ? undefined : program.shapes[slot];
  };
}

export function createExpandSlice(_set: SetState, get: GetState, ctx: SliceContext): ExpandSlice {
  const run = (id: string, what: 'Expand' | 'Collapse') => {
    const { doc } = get();
    const next =
      what === 'Expand'
        ? expandProduct(doc, id, shapesOf(get))
        : collapseProduct(doc, id, shapesOf(get));
    // Expanding adds gates and wires: the circuit must stay within the limits.
    const problem = typeof next === 'string' ? next : limitProblem(next, numbersOf(next));
    if (problem !== undefined) {
      get().notify(`${what === 'Expand' ? 'Not expanded' : 'Not collapsed'}: ${problem}.`);
      return problem;
    }
    // The circuit grew (or shrank) round the product: show the whole of it again.
    ctx.commit(next as Exclude<typeof next, string>, undefined, {
      fitRequest: get().fitRequest + 1,
    });
    return undefined;
  };
  const isCompositeNode = (id: string) => {
    const { doc } = get();
    const node = doc.nodes.find((n) => n.id === id);
    return node !== undefined && isComposite(resolveOp(node.op, doc.gates));
  };
  return {
    // A composite opens in place; a matrix product is taken apart into its entries.
    expandGate: (id) => (isCompositeNode(id) ? get().openComposite(id) : run(id, 'Expand')),
    // Inside an opened composite, Collapse folds it back; else it looks for a product.
    collapseGate: (id) =>
      openedOf(get().doc, id) ? get().closeComposite(id) : run(id, 'Collapse'),
  };
}

/** What Expand / Collapse offers for the one selected gate, if anything. */
export function selectedExpandAction(get: GetState) {
  const { selectedNodes, doc } = get();
  if (selectedNodes.length !== 1) return undefined;
  return expandAction(doc, selectedNodes[0], shapesOf(get));
}
