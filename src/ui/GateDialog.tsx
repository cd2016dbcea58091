import { type ReactNode, useEffect, useId, useRef, useState } from 'react';
import { ParseError } from '../engine';
import { lowerPython } from '../engine/python/lower';
import { readStatements, tokenize } from '../engine/python/read';
import type { GateDef } from '../engine/types';
import type { DefineProblem } from '../store/slices/gates';
import { Dialog } from './Dialog';
import { useAppStore } from './StoreContext';
import './gates-palette.css';

/** The example the field shows before anything is typed. */
export const GATE_EXAMPLE = 'softplus(x) = log(1 + exp(x))\nd/dx = sigmoid(x)';

/** A definition pasted as Python: it starts a line with `def`. */
const PYTHON_DEF = /^[ \t]*def[ \t]+[A-Za-z_]/m;

/** `line L, column C: ` at the start of a ParseError's message. */
const PLACE = /^line \d+, column \d+: /;

/**
 * Python definitions (`def softplus(x): return np.log(1 + np.exp(x))`, `def dsoftplus_dx(x):
 * …` for a hand-written local gradient) as the app's language, one line per pasted line, with
 * a map from a place in that text back to the pasted one. Throws a ParseError at the pasted
 * line.
 */
function lowerDefinitions(
  text: string,
  gates: readonly GateDef[],
): { program: string; place: (line: number, column: number) => { line: number; column: number } } {
  const lowered = lowerPython(readStatements(tokenize(text)), text, {
    gates,
    definitionsOnly: true,
  });
  return { program: lowered.program, place: (l, c) => lowered.sourcePlace(l, c) };
}

/**
 * Defines gates from `text` (the app's language, or Python definitions): undefined when done,
 * else where it went wrong, its place in the text as typed.
 */
export function defineFrom(
  text: string,
  gates: readonly GateDef[],
  define: (program: string) => DefineProblem | undefined,
): DefineProblem | undefined {
  if (!PYTHON_DEF.test(text)) return define(text);
  let lowered: ReturnType<typeof lowerDefinitions>;
  try {
    lowered = lowerDefinitions(text, gates);
  } catch (error) {
    if (error instanceof ParseError) {
      return { message: error.message, line: error.line, column: error.column };
    }
    throw error;
  }
  const problem = define(lowered.program);
  if (problem === undefined || problem.line === undefined || problem.column === undefined) {
    return problem;
  }
  const at = lowered.place(problem.line, problem.column);
  return {
    message: `line ${at.line}, column ${at.column}: ${problem.message.replace(PLACE, '')}`,
    line: at.line,
    column: at.column,
  };
}

/**
 * A dialog built on `Dialog` whose Escape closes only the dialog: in the gate drawer, Escape
 * would otherwise close the drawer (and the dialog with it).
 */
function PaletteDialog(props: {
  title: string;
  open: boolean;
  onClose: () => void;
  className?: string;
  children: ReactNode;
}) {
  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: only keeps Escape inside the dialog
    <div
      className="gate-def-scope"
      onKeyDown={(event) => {
        if (event.key === 'Escape') event.stopPropagation();
      }}
    >
      <Dialog {...props} />
    </div>
  );
}

/**
 * New gate: a field for definitions in the app's language (or Python), applied with Define or
 * Ctrl+Enter. A mistake is shown under the field with its line and column, and the text stays.
 * The text lives with the caller, so closing the dialog keeps what was typed.
 */
export function GateDialog({
  open,
  onClose,
  text,
  onText,
  onDefined,
}: {
  open: boolean;
  onClose: () => void;
  text: string;
  onText: (text: string) => void;
  onDefined: () => void;
}) {
  return (
    <PaletteDialog title="New gate" open={open} onClose={onClose} className="gate-def-dialog">
      {open && <GateForm text={text} onText={onText} onDefined={onDefined} onClose={onClose} />}
    </PaletteDialog>
  );
}

function GateForm({
  text,
  onText,
  onDefined,
  onClose,
}: {
  text: string;
  onText: (text: string) => void;
  onDefined: () => void;
  onClose: () => void;
}) {
  const store = useAppStore();
  const id = useId();
  const field = useRef<HTMLTextAreaElement>(null);
  const [problem, setProblem] = useState<DefineProblem | undefined>(undefined);
  // The field takes the focus once the dialog has opened (opening focuses its first button).
  useEffect(() => {
    const frame = requestAnimationFrame(() => field.current?.focus());
    return () => cancelAnimationFrame(frame);
  }, []);

  const apply = () => {
    const state = store.getState();
    if (text.trim() === '') {
      setProblem({ message: 'Type a definition first, such as softplus(x) = log(1 + exp(x))' });
      field.current?.focus();
      return;
    }
    const found = defineFrom(text, state.doc.gates ?? [], (program) => state.defineGates(program));
    setProblem(found);
    if (found === undefined) {
      onDefined();
      return;
    }
    // Put the caret where the mistake is.
    const el = field.current;
    if (el && found.line !== undefined) {
      const lines = text.split('\n');
      let at = 0;
      for (let i = 0; i < found.line - 1 && i < lines.length; i++) at += lines[i].length + 1;
      at += Math.max(0, (found.column ?? 1) - 1);
      el.focus();
      el.setSelectionRange(Math.min(at, text.length), Math.min(at, text.length));
    }
  };

  return (
    <form
      className="gate-def-form"
      onSubmit={(e) => {
        e.preventDefault();
        apply();
      }}
    >
      <p className="gate-def-help" id={`${id}-help`}>
        A gate made from an expression over its inputs. Write one line per gate:{' '}
        <code>name(inputs) = expression</code>. Its local gradient comes from backpropagation inside
        it, unless you write one yourself on the next line (<code>d/dx = …</code>): that one is
        checked against numerical differences, and if it is wrong the gate is flagged with both
        numbers and backpropagation inside is used instead, never your formula. Python works too:{' '}
        <code>def softplus(x): return np.log(1 + np.exp(x))</code>.
      </p>
      <label className="field-label" htmlFor={`${id}-text`}>
        Gate definition
      </label>
      <textarea
        ref={field}
        id={`${id}-text`}
        className="text-field gate-def-text"
        rows={4}
        spellCheck={false}
        autoCapitalize="off"
        autoCorrect="off"
        autoComplete="off"
        placeholder={GATE_EXAMPLE}
        value={text}
        aria-describedby={`${id}-help${problem ? ` ${id}-problem` : ''}`}
        aria-invalid={problem !== undefined}
        onChange={(e) => {
          onText(e.target.value);
          if (problem) setProblem(undefined);
        }}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
            e.preventDefault();
            apply();
          }
        }}
      />
      <p className="gate-def-problem" id={`${id}-problem`} role="alert">
        {problem?.message ?? ''}
      </p>
      <div className="dialog-actions">
        <span className="gate-def-keys">Ctrl+Enter defines</span>
        <button type="button" className="btn" onClick={onClose}>
          Cancel
        </button>
        <button type="submit" className="btn btn-primary">
          Define
        </button>
      </div>
    </form>
  );
}

/**
 * Asks before deleting a gate the canvas still uses: its gates there are expanded into the
 * gates it is made of.
 */
export function DeleteGateDialog({
  name,
  uses,
  onCancel,
  onConfirm,
}: {
  name: string | undefined;
  uses: number;
  onCancel: () => void;
  onConfirm: () => void;
}) {
  const open = name !== undefined;
  return (
    <PaletteDialog title={`Delete ${name ?? 'gate'}?`} open={open} onClose={onCancel}>
      {open && (
        <div className="gate-def-delete">
          <p>
            {uses === 1 ? '1 gate' : `${uses} gates`} on the canvas {uses === 1 ? 'uses' : 'use'}{' '}
            <strong>{name}</strong>. Deleting it expands {uses === 1 ? 'that gate' : 'each of them'}{' '}
            into the gates it is made of: the circuit computes the same numbers, nothing is lost,
            and Undo brings the gate back.
          </p>
          <div className="dialog-actions">
            <button type="button" className="btn" onClick={onCancel}>
              Cancel
            </button>
            <button type="button" className="btn btn-primary" onClick={onConfirm}>
              Delete and expand
            </button>
          </div>
        </div>
      )}
    </PaletteDialog>
  );
}
