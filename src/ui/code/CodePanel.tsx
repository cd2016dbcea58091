/**
 * The Code panel: the circuit as staged code (Python, NumPy, PyTorch, TypeScript), beside the
 * canvas. During playback the lines of the current step are highlighted and scrolled into
 * view; a click on a line seeks playback to its step. The code is rendered as text.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
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
  const code = useMemo(
    () => generateCode(evaluation, language, { seed }),
    [evaluation, language, seed],
  );
  const listRef = useRef<HTMLDivElement>(null);

  // Keep the current step's lines in view while playing (its first line at the middle).
  useEffect(() => {
    if (!current) return;
    const el = listRef.current?.querySelector('.code-line.is-current');
    el?.scrollIntoView?.({ block: 'center' });
  }, [current]);

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
          <div className="code-text" ref={listRef} data-language={language}>
            {code.lines.map((line, i) =>
              line.step ? (
                <button
                  // biome-ignore lint/suspicious/noArrayIndexKey: lines are positional
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
                // biome-ignore lint/suspicious/noArrayIndexKey: lines are positional
                <div key={i} className="code-line">
                  {line.text || ' '}
                </div>
              ),
            )}
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
