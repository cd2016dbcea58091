import { useCallback, useEffect, useMemo, useState } from 'react';
import type { Evaluation, PlaybackStep, PortName } from '../../engine';
import { Tex } from '../Tex';
import type { NameOf } from './describe';
import { analyseStep, dimensionSentence, forwardShapes, type PortText } from './dimensionText';
import './dimensions.css';

type Entry = readonly [number, number];

/** True when a backward step moves a tensor: its dimension analysis replaces the scalar chain rule. */
export function isTensorStep(step: PlaybackStep | undefined): boolean {
  if (step?.kind !== 'backward') return false;
  if (typeof step.upstreamGrad !== 'number') return true;
  return step.terms.some((t) => typeof t.contribution !== 'number');
}

/**
 * The entries picked for working out, per gate and port (a Map: ids come from users), and the
 * dimension analysis of the step with them.
 */
export function useDimensions(
  evaluation: Evaluation | null,
  step: PlaybackStep | undefined,
  nameOf: NameOf,
) {
  const [picks, setPicks] = useState<ReadonlyMap<string, Entry>>(() => new Map());
  const node = step?.node;
  const tensor = isTensorStep(step);
  const analysis = useMemo(() => {
    if (!tensor || !evaluation || node === undefined || step?.kind !== 'backward') return null;
    const slot = evaluation.program.slot(node);
    if (slot < 0) return null;
    const entry = new Map<PortName, Entry>();
    for (const port of step.op.ports) {
      const picked = picks.get(pickKey(node, port));
      if (picked) entry.set(port, picked);
    }
    const analysed = analyseStep(evaluation, slot, nameOf, entry);
    if (!analysed) return null;
    const { dims, texts } = analysed;
    return { dims, texts, sentence: dimensionSentence(step, texts, nameOf(node)) };
  }, [tensor, evaluation, node, step, picks, nameOf]);
  const pick = useCallback(
    (port: PortName, at: Entry) => {
      if (node === undefined) return;
      const key = pickKey(node, port);
      setPicks((old) => {
        const was = old.get(key);
        if (was && was[0] === at[0] && was[1] === at[1]) return old;
        return new Map(old).set(key, at);
      });
    },
    [node],
  );
  useCanvasEntries(analysis?.texts, pick);
  return { analysis, pick };
}

/**
 * The entry under the cursor: an entry of a matrix drawn on the canvas, marked
 * `data-entry="row,column"` (or `data-entry="k"` for a vector) inside a node's element
 * (`data-node-id`), picks the same entry of that node's gradient when the pointer is over it
 * or it has the focus.
 */
function useCanvasEntries(
  texts: readonly PortText[] | undefined,
  pick: (port: PortName, at: Entry) => void,
) {
  useEffect(() => {
    if (!texts || texts.length === 0) return undefined;
    const ports = new Map<string, PortText['port']>();
    for (const t of texts) ports.set(t.port.from, t.port);
    const onEntry = (e: Event) => {
      const target = e.target;
      if (!(target instanceof Element)) return;
      const cell = target.closest('[data-entry]');
      const id = cell?.closest('[data-node-id]')?.getAttribute('data-node-id');
      const port = id == null ? undefined : ports.get(id);
      if (!cell || !port) return;
      const at = entryAt(cell.getAttribute('data-entry') ?? '', port.shapes.result);
      if (at) pick(port.port, at);
    };
    document.addEventListener('pointerover', onEntry);
    document.addEventListener('focusin', onEntry);
    return () => {
      document.removeEventListener('pointerover', onEntry);
      document.removeEventListener('focusin', onEntry);
    };
  }, [texts, pick]);
}

/** `"2,3"` as [2, 3]; a vector's `"4"` as [0, 4] for a row or [4, 0] for a column. */
export function entryAt(text: string, [rows]: readonly [number, number]): Entry | undefined {
  const pair = /^(\d+),(\d+)$/.exec(text);
  if (pair) return [Number(pair[1]), Number(pair[2])];
  const one = /^(\d+)$/.exec(text);
  if (!one) return undefined;
  const k = Number(one[1]);
  return rows === 1 ? [0, k] : [k, 0];
}

const pickKey = (node: string, port: string) => `${node}\u0000${port}`;

/** A backward step's dimension analysis: one block per port that receives a gradient. */
export function Dimensions({
  texts,
  onPick,
}: {
  texts: readonly PortText[];
  onPick: (port: PortName, at: Entry) => void;
}) {
  return (
    <div className="dims">
      {texts.map((t) => (
        <PortBlock key={t.port.port} text={t} onPick={onPick} />
      ))}
    </div>
  );
}

function PortBlock({
  text,
  onPick,
}: {
  text: PortText;
  onPick: (port: PortName, at: Entry) => void;
}) {
  const { port } = text;
  const [rows, cols] = port.shapes.result;
  const [i, j] = port.entry.index;
  const set = (r: number, c: number) => {
    if (Number.isInteger(r) && Number.isInteger(c) && r >= 0 && r < rows && c >= 0 && c < cols) {
      onPick(port.port, [r, c]);
    }
  };
  return (
    <div className="dims-port" data-port={port.port} data-from={port.from} data-kind={port.kind}>
      <div className="dims-line">
        <Tex tex={text.formula} />
        <span className="dims-shapes" data-shapes={text.shapes}>
          {text.shapes}
        </span>
      </div>
      <div className="dims-line">
        <Tex tex={text.rule} />
        {rows * cols > 1 && (
          <span className="dims-pick">
            <span aria-hidden="true">entry [</span>
            <input
              type="number"
              className="dims-index"
              aria-label={`Row of the entry of ${port.grad} worked out (0 to ${rows - 1})`}
              min={0}
              max={rows - 1}
              step={1}
              value={i}
              disabled={rows === 1}
              onChange={(e) => set(Number(e.target.value), j)}
            />
            <span aria-hidden="true">][</span>
            <input
              type="number"
              className="dims-index"
              aria-label={`Column of the entry of ${port.grad} worked out (0 to ${cols - 1})`}
              min={0}
              max={cols - 1}
              step={1}
              value={j}
              disabled={cols === 1}
              onChange={(e) => set(i, Number(e.target.value))}
            />
            <span aria-hidden="true">]</span>
          </span>
        )}
      </div>
      <div
        className="dims-line dims-worked"
        data-entry={`${i},${j}`}
        data-entry-value={String(port.entry.value)}
        data-entry-sum={String(port.entry.sum)}
        data-entry-terms={String(port.entry.terms.length + port.entry.omitted)}
      >
        <Tex tex={text.worked} />
      </div>
      <p className="dims-why">{text.explanation}</p>
    </div>
  );
}

/** A forward matrix product's shapes beside its formula: `[5×3] = [5×10] · [10×3]`. */
export function ForwardShapes({ step }: { step: PlaybackStep }) {
  const shapes = forwardShapes(step);
  if (!shapes) return null;
  return (
    <span className="dims-forward">
      <span className="dims-shapes" data-shapes={shapes.text}>
        {shapes.text}
      </span>
      <span className="dims-why">{shapes.words}</span>
    </span>
  );
}
