/**
 * The Code panel: the circuit as staged code (Python, NumPy, PyTorch, TypeScript), beside the
 * canvas. During playback the lines of the current step are highlighted and scrolled into
 * view; a click on a line seeks playback to its step. The code is rendered as text.
 */
import { useDeferredValue, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import {
  type CodeLine,
  generateCode,
  LANGUAGES,
  type Language,
  type LineStep,
} from '../../engine/codegen';
import type { PlaybackStep } from '../../engine/steps';
import { buildTimeline } from '../../store/timeline';
import { useApp, useAppStore } from '../StoreContext';
import './code.css';

/** Lines drawn beyond the visible ones, above and below (the rest is empty space). */
const OVERSCAN = 60;

const sameStep = (a: LineStep | null, b: PlaybackStep | undefined) =>
  !!a && !!b && a.kind === b.kind && a.node === b.node;

export function CodePanel({ onClose }: { onClose: () => void }) {
  const store = useAppStore();
  const evaluation = useApp((s) => s.evaluation);
  const seed = useApp((s) => s.doc.seed);
  const language = useApp((s) => s.codeLanguage);
  const current = useApp((s) =>
    s.cursor && s.timeline ? s.timeline.steps[s.cursor - 1] : undefined,
  );
  const [copied, setCopied] = useState<string | null>(null);
  // While an input is scrubbed the code follows a moment later, so the scrub stays smooth.
  const shown = useDeferredValue(evaluation);
  const code = useMemo(() => generateCode(shown, language, { seed }), [shown, language, seed]);
  const listRef = useRef<HTMLDivElement>(null);
  // Only the lines in view (and some around them) are drawn: a large circuit has tens of
  // thousands. Every line has the same height, set in the CSS (--code-line).
  const [view, setView] = useState({ top: 0, height: 800, line: 20 });
  const measure = () => {
    const el = listRef.current;
    if (!el) return;
    const line = Number.parseFloat(getComputedStyle(el).getPropertyValue('--code-line')) || 20;
    setView((v) =>
      v.top === el.scrollTop && v.height === el.clientHeight && v.line === line
        ? v
        : { top: el.scrollTop, height: el.clientHeight, line },
    );
  };
  useLayoutEffect(measure);
  const lines = code.available ? code.lines : [];
  const start = Math.max(0, Math.floor(view.top / view.line) - OVERSCAN);
  const end = Math.min(lines.length, Math.ceil((view.top + view.height) / view.line) + OVERSCAN);

  // Keep the current step's lines in view while playing (centred when they were not).
  useEffect(() => {
    const el = listRef.current;
    if (!current || !el) return;
    const first = lines.findIndex((l) => sameStep(l.step, current));
    if (first < 0) return;
    let last = first;
    while (last + 1 < lines.length && sameStep(lines[last + 1].step, current)) last++;
    const top = first * view.line;
    const bottom = (last + 1) * view.line;
    if (top >= el.scrollTop && bottom <= el.scrollTop + el.clientHeight) return;
    el.scrollTop = Math.max(0, (top + bottom) / 2 - el.clientHeight / 2);
  }, [current, lines, view.line]);

  const seekTo = (line: CodeLine) => {
    if (!line.step) return;
    const state = store.getState();
    const timeline = state.timeline ?? buildTimeline(state.evaluation);
    const k = timeline.steps.findIndex((s) => sameStep(line.step, s));
    if (k >= 0) state.seek(k + 1);
  };

  const copy = async () => {
    if (!code.available) return;
    try {
      await navigator.clipboard.writeText(code.text);
      setCopied('Copied');
    } catch {
      setCopied('This browser does not allow copying here: use Download');
    }
  };

  const download = () => {
    if (!code.available) return;
    const url = URL.createObjectURL(new Blob([code.text], { type: 'text/plain' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = code.filename;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };

  return (
    <section className="code-panel" aria-label="Code">
      <header className="code-panel-head">
        <h2 className="code-panel-title">Code</h2>
        <fieldset className="code-languages">
          <legend className="visually-hidden">Language</legend>
          {LANGUAGES.map((l) => (
            <button
              key={l.id}
              type="button"
              className={`btn code-language${l.id === language ? ' is-on' : ''}`}
              aria-pressed={l.id === language}
              onClick={() => store.getState().setCodeLanguage(l.id as Language)}
            >
              {l.title}
            </button>
          ))}
        </fieldset>
        <button
          type="button"
          className="btn code-close"
          aria-label="Close the Code panel"
          onClick={onClose}
        >
          ×
        </button>
      </header>
      {code.available ? (
        <>
          <div className="code-actions">
            <button type="button" className="btn" onClick={() => void copy()}>
              Copy
            </button>
            <button type="button" className="btn" onClick={download}>
              Download {code.filename}
            </button>
            <span className="code-status" role="status">
              {copied}
            </span>
          </div>
          <div className="code-text" ref={listRef} data-language={language} onScroll={measure}>
            <div className="code-lines" style={{ height: lines.length * view.line }}>
              <div style={{ transform: `translateY(${start * view.line}px)` }}>
                {lines.slice(start, end).map((line, k) => {
                  const i = start + k;
                  return line.step ? (
                    <button
                      key={i}
                      type="button"
                      tabIndex={-1}
                      className={`code-line code-line--step${sameStep(line.step, current) ? ' is-current' : ''}`}
                      data-step-kind={line.step.kind}
                      data-step-node={line.step.node}
                      title="Play back to this step"
                      onClick={() => seekTo(line)}
                    >
                      {line.text || ' '}
                    </button>
                  ) : (
                    <div key={i} className="code-line">
                      {line.text || ' '}
                    </div>
                  );
                })}
              </div>
            </div>
          </div>
        </>
      ) : (
        <p className="code-unavailable" role="note">
          {LANGUAGES.find((l) => l.id === language)?.title} does not apply to this circuit:{' '}
          {code.reason}.
        </p>
      )}
    </section>
  );
}
