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
  panels,
  onTogglePalette,
  onToggleInspector,
}: {
  theme: Theme;
  onToggleTheme: () => void;
  onHelp: () => void;
  onFit: () => void;
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
      <div className="btn-group">
        <button
          type="button"
          className="btn"
          onClick={() => store.getState().tidyUp()}
          title="Tidy up (T)"
        >
          Tidy up
        </button>
        <button type="button" className="btn" onClick={onFit} title="Fit to screen (F)">
          Fit
        </button>
        <button
          type="button"
          className="btn"
          onClick={onTogglePalette}
          aria-pressed={panels.palette}
          title="Gate palette (G)"
        >
          Gates
        </button>
        <button
          type="button"
          className="btn"
          onClick={onToggleInspector}
          aria-pressed={panels.inspector}
          title="Inspector panel (I)"
        >
          Inspector
        </button>
        <button
          type="button"
          className="btn"
          onClick={onToggleTheme}
          aria-pressed={theme === 'dark'}
          title="Dark mode (Shift+D)"
        >
          Dark
        </button>
        <button type="button" className="btn" onClick={onHelp} title="Keyboard shortcuts (?)">
          ?<span className="visually-hidden"> Keyboard shortcuts</span>
        </button>
      </div>
    </div>
  );
});
