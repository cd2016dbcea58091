/**
 * The document's own gates as store actions: Group, open in place (Expand) and Collapse,
 * define and delete. Each is one edit of the document (one undo step); a refusal is returned
 * (and shown as a notice) with the reason.
 */
import { ParseError } from '../../engine';
import { numbersOf } from '../document';
import { closeDoc, defineDoc, deleteGateDoc, gateUses, groupDoc, openDoc } from '../group';
import { limitProblem } from '../limits';
import type { GetState, SetState, SliceContext } from './types';

/** Where a definition went wrong, for the field it was typed in. */
export interface DefineProblem {
  readonly message: string;
  readonly line?: number;
  readonly column?: number;
}

export interface GatesSlice {
  /** The selected gates as one composite named `name`. Undefined when done, else why not. */
  groupSelection(name: string): string | undefined;
  /** Opens composite `id` in place (its gates put back in a frame). Undefined when done. */
  openComposite(id: string): string | undefined;
  /** Folds the opened composite that `id` belongs to back into one gate. */
  closeComposite(id: string): string | undefined;
  /** Adds (or replaces) gates defined by `text` (`softplus(x) = log(1 + exp(x))`). */
  defineGates(text: string): DefineProblem | undefined;
  /** Removes gate `name`, expanding its uses on the canvas first. */
  deleteGate(name: string): string | undefined;
}

export function createGatesSlice(_set: SetState, get: GetState, ctx: SliceContext): GatesSlice {
  const refuse = (what: string, problem: string) => {
    get().notify(`${what}: ${problem}.`);
    return problem;
  };
  return {
    groupSelection(name) {
      const { doc, selectedNodes } = get();
      const made = groupDoc(doc, selectedNodes, name);
      if (typeof made === 'string') return refuse('Not grouped', made);
      const removed = doc.nodes.length - made.doc.nodes.length;
      ctx.commit(made.doc, undefined, {
        selectedNodes: [made.id],
        selectedWires: [],
        fitRequest: get().fitRequest + 1,
      });
      get().notify(
        `Grouped into one ${made.def.name} gate: ${removed} fewer gate${removed === 1 ? '' : 's'}, the same numbers everywhere else.`,
        'info',
      );
      return undefined;
    },
    openComposite(id) {
      const { doc } = get();
      const opened = openDoc(doc, id);
      if (typeof opened === 'string') return refuse('Not expanded', opened);
      const problem = limitProblem(opened.doc, numbersOf(opened.doc));
      if (problem !== undefined) return refuse('Not expanded', problem);
      ctx.commit(opened.doc, undefined, {
        selectedNodes: [...opened.members],
        selectedWires: [],
        fitRequest: get().fitRequest + 1,
      });
      return undefined;
    },
    closeComposite(id) {
      const { doc } = get();
      const closed = closeDoc(doc, id);
      if (typeof closed === 'string') return refuse('Not collapsed', closed);
      ctx.commit(closed.doc, undefined, {
        selectedNodes: [closed.id],
        selectedWires: [],
        fitRequest: get().fitRequest + 1,
      });
      return undefined;
    },
    defineGates(text) {
      const { doc } = get();
      try {
        const defined = defineDoc(doc, text);
        ctx.commit(defined.doc);
        get().notify(
          `Added to the palette: ${defined.names.join(', ')}. Use ${defined.names.length === 1 ? 'it' : 'them'} in a program by name.`,
          'info',
        );
        return undefined;
      } catch (e) {
        if (e instanceof ParseError) return { message: e.message, line: e.line, column: e.column };
        throw e;
      }
    },
    deleteGate(name) {
      const { doc } = get();
      const next = deleteGateDoc(doc, name);
      if (typeof next === 'string') return refuse(`${name} not deleted`, next);
      const uses = gateUses(doc, name).nodes;
      ctx.commit(next, undefined, uses > 0 ? { fitRequest: get().fitRequest + 1 } : undefined);
      get().notify(
        uses > 0
          ? `Deleted ${name}: its ${uses} gate${uses === 1 ? ' was' : 's were'} expanded into the gates ${uses === 1 ? 'it was' : 'they were'} made of.`
          : `Deleted ${name} from the palette.`,
        'info',
      );
      return undefined;
    },
  };
}
