import { memo } from 'react';
import { GALLERY } from '../examples';
import { useApp, useAppStore, useTemporal } from './StoreContext';
import type { Theme } from './theme';

/** Gallery, undo/redo and view buttons. */
export const Toolbar = memo(function Toolbar({
  theme,
  onToggleTheme,
  onHelp,
  onFit,
  onShare,
  panels,
  onTogglePalette,
  onToggleInspector,
}: {
  theme: Theme;
  onToggleTheme: () => void;
  onHelp: () => void;
  onFit: () => void;
  onShare: () => void;
  panels: { palette: boolean; inspector: boolean };
  onTogglePalette: () => void;
  onToggleInspector: () => void;
}) {
  const store = useAppStore();
  const canUndo = useTemporal((t) => t.pastStates.length > 0);
  const canRedo = useTemporal((t) => t.futureStates.length > 0);
  const expression = useApp((s) => s.doc.expression);
  const current = GALLERY.find((g) => g.program === expression)?.id ?? '';
  return (
    <div className="toolbar">
      <label className="visually-hidden" htmlFor="gallery">
        Example
      </label>
      <select
        id="gallery"
        className="gallery-select"
        value={current}
        onChange={(e) => {
          const example = GALLERY.find((g) => g.id === e.target.value);
          if (example)
            store.getState().loadCircuit(example.circuit, { expression: example.program });
        }}
      >
        <option value="" disabled>
          Examples…
        </option>
        {GALLERY.map((g) => (
          <option key={g.id} value={g.id}>
            {g.title}
          </option>
        ))}
      </select>
      <button
        type="button"
        className="btn"
        title="Start an empty circuit (undo brings the old one back)"
        onClick={() => store.getState().loadCircuit({ nodes: [], wires: [], output: null })}
      >
        New
      </button>
      <div className="btn-group">
        <button
          type="button"
          className="btn"
          onClick={() => store.temporal.getState().undo()}
          disabled={!canUndo}
          title="Undo (Ctrl+Z)"
        >
          Undo
        </button>
        <button
          type="button"
          className="btn"
          onClick={() => store.temporal.getState().redo()}
          disabled={!canRedo}
          title="Redo (Ctrl+Shift+Z)"
        >
          Redo
        </button>
      </div>
      <button
        type="button"
        className="btn btn-primary"
        onClick={onShare}
        title="Share a link, embed it, download or open a file"
      >
        Share
      </button>
      <details className="menu">
        <summary className="btn">View ▾</summary>
        <div className="menu-items">
          <MenuItem onClick={() => store.getState().tidyUp()} keys="T">
            Tidy up
          </MenuItem>
          <MenuItem onClick={onFit} keys="F">
            Fit to screen
          </MenuItem>
          <MenuItem onClick={onTogglePalette} keys="G" pressed={panels.palette}>
            Gate palette
          </MenuItem>
          <MenuItem onClick={onToggleInspector} keys="I" pressed={panels.inspector}>
            Inspector
          </MenuItem>
          <MenuItem onClick={onToggleTheme} keys="Shift+D" pressed={theme === 'dark'}>
            Dark mode
          </MenuItem>
          <MenuItem onClick={() => store.getState().setMode({ present: true })} keys="P">
            Presentation mode
          </MenuItem>
        </div>
      </details>
      <button type="button" className="btn" onClick={onHelp} title="Keyboard shortcuts (?)">
        ?<span className="visually-hidden"> Keyboard shortcuts</span>
      </button>
    </div>
  );
});

/** A menu entry; it closes its menu after acting. */
function MenuItem({
  onClick,
  keys,
  pressed,
  children,
}: {
  onClick: () => void;
  keys: string;
  pressed?: boolean;
  children: React.ReactNode;
}) {
  return (
    <button
      type="button"
      className="menu-item"
      aria-pressed={pressed}
      onClick={(e) => {
        e.currentTarget.closest('details')?.removeAttribute('open');
        onClick();
      }}
    >
      <span>
        {pressed !== undefined && <span aria-hidden="true">{pressed ? '☑ ' : '☐ '}</span>}
        {children}
      </span>
      <kbd>{keys}</kbd>
    </button>
  );
}
