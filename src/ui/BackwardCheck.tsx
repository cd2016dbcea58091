import { useId, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { Evaluation } from '../engine';
import {
  type BackwardFinding,
  checkBackward,
  type LoweredPython,
  looksLikePython,
  readProgram,
} from '../engine/python';
import type { Doc } from '../store/document';
import type { PastedPython } from '../store/slices/document';
import { useApp } from './StoreContext';
import { useSettled } from './useProgramText';
import './backward-check.css';

/**
 * The backward pass of the Python the circuit was built from: the paste in hand while the
 * circuit is still the one it built, else (after a reload or a link) the document's own
 * program text when it is Python. Null when there is none.
 */
function backwardSource(
  pasted: PastedPython | null,
  nodes: Doc['nodes'],
  wires: Doc['wires'],
  expression: string | null,
  gates: Doc['gates'],
): LoweredPython | null {
  if (pasted && pasted.nodes === nodes && pasted.wires === wires) return pasted.python;
  if (expression === null || !looksLikePython(expression)) return null;
  try {
    const read = readProgram(expression, { gates: gates ?? [] });
    return read.kind === 'python' ? read.python : null;
  } catch {
    return null;
  }
}

function findingsOf(python: LoweredPython, evaluation: Evaluation): BackwardFinding[] | string {
  try {
    return checkBackward(python, evaluation);
  } catch (error) {
    return `The backward pass could not be checked: ${(error as Error).message}`;
  }
}

const MARK: Readonly<Record<BackwardFinding['status'], string>> = {
  correct: '✓',
  wrong: '✗',
  unchecked: '?',
};

/**
 * The Backward check: one finding per line of the hand-written backward pass pasted with the
 * forward pass, each starting `line N`, checked against backprop at the current inputs (again
 * when they settle after a scrub). Shown under the Expression field, in the header's flow, so
 * it pushes the canvas down rather than covering it; it can be folded to its summary line.
 */
export function BackwardCheck() {
  const pasted = useApp((s) => s.pasted);
  const nodes = useApp((s) => s.doc.nodes);
  const wires = useApp((s) => s.doc.wires);
  const expression = useApp((s) => s.doc.expression);
  const gates = useApp((s) => s.doc.gates);
  const evaluation = useApp((s) => s.evaluation);
  const python = useMemo(
    () => backwardSource(pasted, nodes, wires, expression, gates),
    [pasted, nodes, wires, expression, gates],
  );
  // A new circuit is checked at once; a scrub of its inputs once the numbers settle.
  const settled = useSettled(evaluation, (a, b) => a.program !== b.program);
  const findings = useMemo(
    () => (python && python.backward.length > 0 ? findingsOf(python, settled) : null),
    [python, settled],
  );
  const [open, setOpen] = useState(true);
  const headingId = useId();
  const listId = useId();
  const listRef = useRef<HTMLOListElement>(null);
  // The list scrolls within a few lines: bring the first line to fix into view (again when the
  // list is shown after being folded, as it is drawn anew).
  // biome-ignore lint/correctness/useExhaustiveDependencies: `open` redraws the list
  useLayoutEffect(() => {
    const list = listRef.current;
    if (!list || typeof findings !== 'object' || findings === null) return;
    const first = list.querySelector<HTMLElement>('[data-status="wrong"]');
    if (!first) return;
    const bottom = first.offsetTop + first.offsetHeight;
    if (first.offsetTop < list.scrollTop || bottom > list.scrollTop + list.clientHeight) {
      list.scrollTop = Math.max(0, bottom - list.clientHeight);
    }
  }, [findings, open]);
  if (findings === null) return null;

  const list = typeof findings === 'string' ? [] : findings;
  const wrong = list.filter((f) => f.status === 'wrong').length;
  const correct = list.filter((f) => f.status === 'correct').length;
  const unchecked = list.length - wrong - correct;
  const summary =
    typeof findings === 'string'
      ? findings
      : [
          `${correct} correct`,
          wrong > 0 ? `${wrong} to fix` : '',
          unchecked > 0 ? `${unchecked} not checked` : '',
        ]
          .filter((part) => part !== '')
          .join(', ');

  return (
    <section
      className={`backward-check${wrong > 0 ? ' has-wrong' : ''}`}
      aria-labelledby={headingId}
    >
      <div className="backward-check-head">
        <h2 id={headingId} className="backward-check-title">
          Backward check
        </h2>
        <span className="backward-check-summary">{summary}</span>
        <button
          type="button"
          className="btn backward-check-toggle"
          aria-expanded={open}
          aria-controls={listId}
          onClick={() => setOpen((o) => !o)}
        >
          {open ? 'Hide' : 'Show'}
        </button>
      </div>
      {open && list.length > 0 && (
        // The list scrolls: it takes the focus so the keyboard can scroll it too.
        <ol
          id={listId}
          ref={listRef}
          className="backward-check-list"
          aria-label="Findings, one per backward line"
          // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be focusable
          tabIndex={0}
        >
          {list.map((f, i) => (
            <li
              // Findings have no id of their own; their order is fixed by the lines.
              // biome-ignore lint/suspicious/noArrayIndexKey: the list is rebuilt as a whole
              key={i}
              className={`backward-finding is-${f.status}`}
              data-line={f.line}
              data-status={f.status}
            >
              <span className="backward-finding-mark" aria-hidden="true">
                {MARK[f.status]}
              </span>
              <span className="backward-finding-text">{f.text}</span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
