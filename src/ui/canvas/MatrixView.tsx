import { type KeyboardEvent, memo, useRef, useState } from 'react';
import type { Tensor } from '../../engine';
import { MATRIX, type MatrixGrid, matrixGrid, matrixPair } from '../../store/layout';
import { exactNumber, formatCell, formatNumber } from '../format';

/**
 * The colour of an entry in a heat map: its sign (blue +, orange −, the canvas's far-out
 * colours) and its size against the largest entry, in five steps; `zero` for 0, `nan` for a
 * number that is not finite.
 */
export function heatClass(x: number, max: number): string {
  if (Number.isNaN(x)) return 'heat-nan';
  if (x === 0 || !(max > 0)) return 'heat-zero';
  const level = Number.isFinite(x)
    ? Math.min(5, Math.max(1, Math.ceil((5 * Math.abs(x)) / max)))
    : 5;
  return `heat-${x > 0 ? 'pos' : 'neg'}-${level}`;
}

/** The sign glyph of a heat-map cell: +, − or 0 (? for NaN). */
export function heatGlyph(x: number): string {
  if (Number.isNaN(x)) return '?';
  return x > 0 ? '+' : x < 0 ? '\u2212' : '0';
}

/** The largest finite magnitude among the entries (0 if none). */
export function largest(data: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < data.length; i++) {
    const a = Math.abs(data[i]);
    if (Number.isFinite(a) && a > m) m = a;
  }
  return m;
}

/** One drawn cell: the entry it stands for (the largest of its block, in a large heat map). */
interface Cell {
  readonly row: number;
  readonly col: number;
  readonly x: number;
  /** `data-entry`: "r,c" (or "k" for a 1-D vector), as the step panel reads it. */
  readonly entry: string;
  /** What it is, with every digit: `W[2][3] = −0.51234…`. */
  readonly exact: string;
}

function cellsOf(t: Tensor, grid: MatrixGrid, label: string, signed: boolean): Cell[] {
  const oneD = t.shape.length === 1;
  const index = (r: number, c: number) => (oneD ? `[${c}]` : `[${r}][${c}]`);
  const out: Cell[] = [];
  for (let br = 0; br < grid.shownRows; br++) {
    for (let bc = 0; bc < grid.shownCols; bc++) {
      const r0 = br * grid.blockRows;
      const c0 = bc * grid.blockCols;
      const r1 = Math.min(grid.rows, r0 + grid.blockRows) - 1;
      const c1 = Math.min(grid.cols, c0 + grid.blockCols) - 1;
      // In a block, the entry of largest size stands for it (so its sign shows).
      let row = r0;
      let col = c0;
      for (let r = r0; r <= r1; r++) {
        for (let c = c0; c <= c1; c++) {
          if (Math.abs(t.data[r * grid.cols + c]) > Math.abs(t.data[row * grid.cols + col])) {
            row = r;
            col = c;
          }
        }
      }
      const x = t.data[row * grid.cols + col];
      const block = r1 > r0 || c1 > c0;
      const exact = block
        ? `${label}[${r0}–${r1}][${c0}–${c1}]: largest ${label}${index(row, col)} = ${exactNumber(x, signed)}`
        : `${label}${index(row, col)} = ${exactNumber(x, signed)}`;
      out.push({ row, col, x, entry: oneD ? String(col) : `${row},${col}`, exact });
    }
  }
  return out;
}

/**
 * A tensor's value or gradient, drawn to fit its node: up to 6×6 entries as numbers
 * (rounded; a gradient with its sign), beyond that a heat map with a sign in each cell and a
 * key under it. Every cell carries its exact number on hover (its title) and on keyboard
 * focus: Tab reaches the grid, the arrow keys (Home, End) move between entries, and the
 * focused entry is named with every digit. Each cell is marked with its entry
 * (`data-entry`), which the step panel reads to work out the entry under the pointer.
 */
export const MatrixView = memo(function MatrixView({
  name,
  value,
  kind,
  partial = false,
}: {
  name: string;
  value: Tensor;
  kind: 'value' | 'grad';
  /** A gradient still being added up at a fork. */
  partial?: boolean;
}) {
  const grid = matrixGrid(value.shape);
  const signed = kind === 'grad';
  const label = signed ? `d${name}` : name;
  const cells = cellsOf(value, grid, label, signed);
  const max = grid.kind === 'heat' ? largest(value.data) : 0;
  const [active, setActive] = useState(0);
  const [focused, setFocused] = useState(false);
  const box = useRef<HTMLTableElement>(null);
  const current = Math.min(active, cells.length - 1);

  const move = (event: KeyboardEvent<HTMLTableElement>) => {
    const cols = grid.shownCols;
    let next = current;
    if (event.key === 'ArrowRight') next = Math.min(cells.length - 1, current + 1);
    else if (event.key === 'ArrowLeft') next = Math.max(0, current - 1);
    else if (event.key === 'ArrowDown')
      next = current + cols < cells.length ? current + cols : current;
    else if (event.key === 'ArrowUp') next = current - cols >= 0 ? current - cols : current;
    else if (event.key === 'Home') next = event.ctrlKey ? 0 : current - (current % cols);
    else if (event.key === 'End')
      next = event.ctrlKey ? cells.length - 1 : current - (current % cols) + cols - 1;
    else return;
    // The canvas would move the node, and playback would step: these keys are the grid's.
    event.preventDefault();
    event.stopPropagation();
    setActive(next);
    const el = box.current?.querySelectorAll<HTMLElement>('td')[next];
    el?.focus();
  };

  const what = `${signed ? `gradient d${name}` : name}, ${value.shape.join('×')}${grid.kind === 'heat' ? ', heat map' : ''}`;
  return (
    <div
      className={`matrix-view matrix-view--${grid.kind} matrix-view--${kind}${partial ? ' is-partial' : ''}`}
      style={{ width: grid.width, height: grid.height }}
    >
      <span className="matrix-gutter" aria-hidden="true">
        {signed ? '∂' : ''}
      </span>
      <table
        ref={box}
        className="matrix-cells nodrag nowheel"
        // biome-ignore lint/a11y/noNoninteractiveElementToInteractiveRole: an ARIA grid is a table whose entries the arrow keys move through
        role="grid"
        aria-label={`${what}: arrow keys move between entries`}
        onKeyDown={move}
        onFocus={() => setFocused(true)}
        onBlur={(e) => {
          if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setFocused(false);
        }}
      >
        <tbody>
          {rowsOf(cells, grid.shownCols).map((row, r) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: rows are positional
            <tr key={r}>
              {row.map((cell, c) => {
                const k = r * grid.shownCols + c;
                return (
                  <td
                    // biome-ignore lint/suspicious/noArrayIndexKey: cells are positional
                    key={c}
                    className={`matrix-cell${grid.kind === 'heat' ? ` ${heatClass(cell.x, max)}` : ''}${k === current && focused ? ' is-current' : ''}`}
                    style={{ width: grid.cellWidth, height: grid.cellHeight }}
                    data-entry={cell.entry}
                    tabIndex={k === current ? 0 : -1}
                    title={cell.exact}
                    aria-label={cell.exact}
                    onFocus={() => setActive(k)}
                  >
                    {grid.kind === 'heat' ? heatGlyph(cell.x) : formatCell(cell.x, signed)}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
      {grid.kind === 'heat' && <HeatKey max={max} wide={grid.shownCols * grid.cellWidth >= 150} />}
      {focused && cells[current] && (
        <span className="matrix-tip" aria-hidden="true">
          {cells[current].exact}
        </span>
      )}
    </div>
  );
});

function rowsOf<T>(list: readonly T[], cols: number): T[][] {
  const rows: T[][] = [];
  for (let i = 0; i < list.length; i += cols) rows.push(list.slice(i, i + cols));
  return rows;
}

const KEY_STEPS = ['neg-5', 'neg-3', 'neg-1', 'zero', 'pos-1', 'pos-3', 'pos-5'] as const;
const KEY_STEPS_SHORT = ['neg-5', 'zero', 'pos-5'] as const;

/**
 * The heat map's scale: from −max (deep orange) through 0 to +max (deep blue); under a
 * narrow map, three steps only.
 */
function HeatKey({ max, wide }: { max: number; wide: boolean }) {
  return (
    <span className="heat-key" aria-hidden="true">
      <span className="heat-key-end">{max > 0 ? `\u2212${formatNumber(max, 2)}` : '0'}</span>
      {(wide ? KEY_STEPS : KEY_STEPS_SHORT).map((step) => (
        <span key={step} className={`heat-key-swatch heat-${step}`} />
      ))}
      <span className="heat-key-end">{max > 0 ? `+${formatNumber(max, 2)}` : '0'}</span>
    </span>
  );
}

/**
 * A tensor's value and its gradient together, as the layout sized them (`matrixPair`): the
 * value above the gradient, or beside it when the grid is taller than wide. Before the
 * gradient arrives (during playback) its place is kept empty.
 */
export function MatrixPair({
  name,
  value,
  grad,
  partial = false,
}: {
  name: string;
  value: Tensor;
  grad: Tensor | undefined;
  partial?: boolean;
}) {
  const pair = matrixPair(value.shape);
  const sameShape = grad !== undefined && grad.shape.join('×') === value.shape.join('×');
  return (
    <div
      className={`matrix-pair matrix-pair--${pair.arrangement}`}
      style={{ width: pair.width, height: pair.height, gap: MATRIX.gap }}
    >
      <MatrixView name={name} value={value} kind="value" />
      {sameShape ? (
        <MatrixView name={name} value={grad} kind="grad" partial={partial} />
      ) : (
        <span
          className="matrix-view matrix-view--pending"
          style={{ width: pair.grid.width, height: pair.grid.height }}
        >
          <span className="matrix-gutter" aria-hidden="true">
            ∂
          </span>
        </span>
      )}
    </div>
  );
}
