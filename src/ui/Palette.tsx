import { forwardRef, memo } from 'react';
import { ALL_OPS, type OpDef } from '../engine';
import { useAppStore } from './StoreContext';

const GROUPS: { title: string; families: OpDef['family'][] }[] = [
  { title: 'Values', families: ['source'] },
  { title: 'Arithmetic', families: ['arithmetic'] },
  { title: 'Functions', families: ['function'] },
  { title: 'Matrix', families: ['matrix'] },
];

/** The MIME type a palette button carries when dragged onto the canvas. */
export const PALETTE_MIME = 'application/x-backprop-op';

/** Gates to add: click (or Enter) puts one at a free place, dragging drops it where you let go. */
export const Palette = memo(
  forwardRef<HTMLElement>(function Palette(_props, ref) {
    const store = useAppStore();
    return (
      <nav className="palette" aria-label="Gate palette" ref={ref}>
        {GROUPS.map((group) => (
          <section key={group.title} className="palette-group">
            <h2 className="palette-title">{group.title}</h2>
            <div className="palette-items">
              {ALL_OPS.filter(
                (op) => group.families.includes(op.family) && op.name !== 'identity',
              ).map((op) => (
                <button
                  key={op.name}
                  type="button"
                  className="palette-item"
                  data-op={op.name}
                  title={`${op.title}: ${op.ports.length === 0 ? 'a value' : `${op.ports.length} input${op.ports.length > 1 ? 's' : ''}`}`}
                  draggable
                  onDragStart={(e) => {
                    e.dataTransfer.setData(PALETTE_MIME, op.name);
                    e.dataTransfer.effectAllowed = 'copy';
                  }}
                  onClick={() => store.getState().addNode(op.name)}
                >
                  <span className="visually-hidden">Add </span>
                  <span className="palette-symbol" aria-hidden="true">
                    {op.symbol}
                  </span>
                  <span className="palette-name">{op.title}</span>
                </button>
              ))}
            </div>
          </section>
        ))}
      </nav>
    );
  }),
);
