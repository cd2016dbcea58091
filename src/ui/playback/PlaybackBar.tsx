import { memo, useEffect, useRef } from 'react';
import { SPEEDS, STEP_MS } from '../../store/store';
import { useApp, useAppStore } from '../StoreContext';
import { Tex } from '../Tex';
import { upstreamWords } from '../upstreamText';
import { Dimensions, ForwardShapes, useDimensions } from './Dimensions';
import { stepLabel, stepSentence, stepTex } from './describe';
import { forwardShapes } from './dimensionText';
import { useNameOf } from './names';

const SPEED_LABEL = (s: number) =>
  s < 1 ? `${s}× (slow)` : s === 1 ? '1× (normal)' : `${s}× (fast)`;

/**
 * Playback controls, the timeline and the step panel. The timer that advances Play lives in
 * an effect here: one step per STEP_MS / speed.
 */
export const PlaybackBar = memo(function PlaybackBar() {
  const store = useAppStore();
  const cursor = useApp((s) => s.cursor);
  const playing = useApp((s) => s.playing);
  const speed = useApp((s) => s.speed);
  const total = useApp((s) => (s.timeline ? s.timeline.steps.length : 0));
  const hasOutput = useApp(
    (s) => s.evaluation !== null && s.program !== null && s.program.output >= 0,
  );

  // When the next step is due. Steps keep to the beat of the speed: the time a step takes to
  // draw is not added to the wait for the next one.
  const due = useRef(0);
  useEffect(() => {
    if (!playing) return undefined;
    const now = performance.now();
    // The first step of a fresh Play is taken at once, so something moves right away.
    if (cursor === 0 || due.current < now - STEP_MS) due.current = now;
    const timer = window.setTimeout(
      () => {
        const s = store.getState();
        due.current += STEP_MS / speed;
        if (s.cursor !== null && s.cursor >= total) s.pause();
        else s.seek((s.cursor ?? 0) + 1);
      },
      Math.max(0, due.current - now),
    );
    return () => window.clearTimeout(timer);
  }, [playing, cursor, speed, total, store]);

  useEffect(() => {
    if (playing && cursor !== null && cursor >= total && total > 0) store.getState().pause();
  }, [playing, cursor, total, store]);

  const live = cursor === null;
  return (
    <section className="playback" aria-label="Playback">
      <div className="playback-controls">
        <div className="transport">
          <button
            type="button"
            className="btn"
            onClick={() => store.getState().resetPlayback()}
            disabled={!hasOutput}
          >
            Reset
          </button>
          <button
            type="button"
            className="btn"
            onClick={() => store.getState().stepBack()}
            disabled={!hasOutput || cursor === 0}
          >
            Step back
          </button>
          {playing ? (
            <button
              type="button"
              className="btn btn-primary play-button"
              onClick={() => store.getState().pause()}
            >
              Pause
            </button>
          ) : (
            <button
              type="button"
              className="btn btn-primary play-button"
              onClick={() => store.getState().play()}
              disabled={!hasOutput}
            >
              Play
            </button>
          )}
          <button
            type="button"
            className="btn"
            onClick={() => store.getState().stepForward()}
            disabled={!hasOutput || (cursor !== null && cursor >= total)}
          >
            Step forward
          </button>
        </div>
        <div className="scrub">
          <label className="speed">
            <span>Speed</span>
            <select
              aria-label="Speed"
              value={speed}
              onChange={(e) => store.getState().setSpeed(Number(e.target.value))}
            >
              {SPEEDS.map((s) => (
                <option key={s} value={s}>
                  {SPEED_LABEL(s)}
                </option>
              ))}
            </select>
          </label>
          <Timeline />
          {!live && (
            <button
              type="button"
              className="btn"
              onClick={() => store.getState().exitPlayback()}
              title="Show every number again"
            >
              Show all
            </button>
          )}
        </div>
      </div>
      <StepPanel />
    </section>
  );
});

function Timeline() {
  const store = useAppStore();
  const cursor = useApp((s) => s.cursor);
  const timeline = useApp((s) => s.timeline);
  const output = useApp((s) => s.doc.output);
  const total = timeline?.steps.length ?? 0;
  const nameOf = useNameOf();
  const outputName = output ? nameOf(output) : 'f';
  const upstream = useUpstream(outputName);
  const position = cursor ?? total;
  const label =
    cursor === null
      ? 'all steps shown'
      : cursor === 0
        ? 'reset: only inputs have values'
        : timeline
          ? `${cursor}/${total} ${stepLabel(timeline.steps[cursor - 1], nameOf, outputName, upstream)}`
          : '';
  // With every step shown there is no timeline yet (the range has no steps to go to): a press
  // on the range builds it first, with the thumb at the end, so the browser then puts the
  // thumb at the step pressed (or one key-step before the end), not at the end.
  const enterPlayback = () => {
    if (store.getState().cursor === null) store.getState().toEnd();
  };
  return (
    <div className="timeline">
      <input
        type="range"
        className="timeline-range"
        aria-label="Timeline"
        aria-valuetext={label}
        min={0}
        max={Math.max(total, 1)}
        step={1}
        value={cursor === null ? Math.max(total, 1) : position}
        onChange={(e) => store.getState().seek(Number(e.target.value))}
        onPointerDown={enterPlayback}
        onKeyDown={enterPlayback}
      />
      <span className="timeline-label" title={label}>
        {label}
      </span>
    </div>
  );
}

/**
 * The chain rule of the current step, with its numbers; the same sentence is read aloud. A step
 * that moves a tensor gets its dimension analysis instead of the scalar chain rule.
 */
function StepPanel() {
  const cursor = useApp((s) => s.cursor);
  const step = useApp((s) => (s.cursor && s.timeline ? s.timeline.steps[s.cursor - 1] : undefined));
  // The evaluation the timeline was built from (the same program), for the dimension analysis.
  const evaluation = useApp((s) =>
    s.timeline && s.evaluation && s.evaluation.program === s.timeline.program ? s.evaluation : null,
  );
  const output = useApp((s) => s.doc.output);
  const nameOf = useNameOf();
  const outputName = output ? nameOf(output) : 'f';
  const upstream = useUpstream(outputName);
  const { analysis, pick } = useDimensions(evaluation, step, nameOf);
  const lines = step && !analysis ? stepTex(step, nameOf, outputName, upstream) : [];
  const shapes = step && forwardShapes(step);
  const sentence = analysis
    ? analysis.sentence
    : step
      ? `${stepSentence(step, nameOf, outputName, upstream)}${shapes ? ` ${shapes.words}` : ''}`
      : cursor === 0
        ? 'Reset: only the inputs have values. Step forward to run the forward pass.'
        : 'Every value (above each wire) and gradient (below it) is shown. Press Play or Step forward to watch the forward pass and then backpropagation, one gate at a time.';
  return (
    // A long step scrolls inside the panel: the panel takes the focus, so the keyboard can
    // scroll it too.
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard
    <section className="step-panel" tabIndex={0} aria-label="Step explanation">
      <div className={analysis ? 'step-tex step-tex--dims' : 'step-tex'}>
        {lines.map((tex) => (
          <Tex key={tex} tex={tex} />
        ))}
        {step && <ForwardShapes step={step} />}
        {analysis && <Dimensions texts={analysis.texts} onPick={pick} />}
        {step?.kind === 'backward' && !analysis && step.op.pattern && (
          <span className="step-pattern">{step.op.pattern}</span>
        )}
        {!step && <span className="step-idle">{sentence}</span>}
      </div>
      <p className="visually-hidden" aria-live="polite">
        {sentence}
      </p>
    </section>
  );
}

/** The document's chosen upstream gradient in words ("random dD (seed 7)"), for the seed step. */
function useUpstream(outputName: string): string | undefined {
  const seed = useApp((s) => s.doc.seed);
  return seed ? upstreamWords(seed, outputName) : undefined;
}
