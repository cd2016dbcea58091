import { ReactFlowProvider, useReactFlow } from '@xyflow/react';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ConnectDialog } from './ConnectDialog';
import { Canvas, FIT_OPTIONS } from './canvas/Canvas';
import { useFitCircuit } from './canvas/fit';
import { GatesIcon } from './chrome/icons';
import { useScreen } from './chrome/useScreen';
import { CodePanel } from './code/CodePanel';
import { COMMANDS, type CommandContext, commandTitle, isTyping, matches } from './commands';
import { ErrorBoundary } from './ErrorBoundary';
import { ExpressionBar } from './ExpressionBar';
import { GroupDialog } from './GroupDialog';
import { HelpDialog } from './HelpDialog';
import { Inspector } from './Inspector';
import { Notices } from './Notices';
import { Palette } from './Palette';
import { PlaybackBar } from './playback/PlaybackBar';
import { ShareDialog } from './ShareDialog';
import { useApp, useAppStore } from './StoreContext';
import { Suggestions } from './Suggestions';
import { Toolbar } from './Toolbar';
import { useTheme } from './theme';

export function App() {
  return (
    <ErrorBoundary part="the app" page>
      <ReactFlowProvider>
        <Workspace />
      </ReactFlowProvider>
    </ErrorBoundary>
  );
}

const FIT = { ...FIT_OPTIONS, duration: 200 };

function Workspace() {
  const store = useAppStore();
  const flow = useReactFlow();
  const darkRequest = useApp((s) => s.darkRequest);
  const [theme, toggleTheme] = useTheme(darkRequest);
  const mode = useApp((s) => s.mode);
  const codeOpen = useApp((s) => s.codeOpen);
  const screen = useScreen();
  // On a phone or a tablet the palette is a drawer over the canvas, closed to begin with.
  const drawer = screen !== 'desktop';
  const [shareOpen, setShareOpen] = useState(false);
  const [helpOpen, setHelpOpen] = useState(false);
  const [connectOpen, setConnectOpen] = useState(false);
  const [groupOpen, setGroupOpen] = useState(false);
  // The inspector shows beside the canvas when a gate is selected; pinned, it stays open.
  const [inspectorOpen, setInspectorOpen] = useState(false);
  const [paletteOpen, setPaletteOpen] = useState(!drawer);
  const expressionRef = useRef<HTMLTextAreaElement>(null);
  const paletteRef = useRef<HTMLElement>(null);
  const paletteButtonRef = useRef<HTMLButtonElement>(null);
  const renameRef = useRef<HTMLInputElement>(null);

  // Crossing between a desktop and a smaller layout (a window resized, a tablet turned):
  // the palette shows as a column on a desktop and starts closed as a drawer.
  const [shownFor, setShownFor] = useState(drawer);
  if (shownFor !== drawer) {
    setShownFor(drawer);
    setPaletteOpen(!drawer);
  }

  // Fit never zooms out below a readable zoom (see canvas/fit.ts).
  const fitCircuit = useFitCircuit();
  const fitView = useCallback(() => void fitCircuit(FIT), [fitCircuit]);
  const focusFirstGate = useCallback(
    () => requestAnimationFrame(() => paletteRef.current?.querySelector('button')?.focus()),
    [],
  );
  const closeDrawer = useCallback(() => {
    setPaletteOpen(false);
    requestAnimationFrame(() => paletteButtonRef.current?.focus());
  }, []);

  const ctx: CommandContext = useMemo(
    () => ({
      store,
      fitView,
      zoomIn: () => void flow.zoomIn({ duration: 150 }),
      zoomOut: () => void flow.zoomOut({ duration: 150 }),
      toggleHelp: () => setHelpOpen((o) => !o),
      toggleInspector: () => setInspectorOpen((o) => !o),
      togglePalette: () => {
        setPaletteOpen((o) => !o);
        if (drawer) focusFirstGate();
      },
      toggleTheme,
      openConnect: () => setConnectOpen(true),
      openShare: () => setShareOpen(true),
      openGroup: () => setGroupOpen(true),
      focusExpression: () => expressionRef.current?.focus(),
      focusPalette: () => {
        setPaletteOpen(true);
        focusFirstGate();
      },
      focusRename: () => {
        renameRef.current?.focus();
        renameRef.current?.select();
      },
    }),
    [store, flow, fitView, toggleTheme, drawer, focusFirstGate],
  );

  // Whether the gate drawer is open, for the key handler (set below, at each render).
  const drawerOpenRef = useRef(false);
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.defaultPrevented) return;
      if (document.querySelector('dialog[open]')) return;
      // Escape closes the gate drawer wherever the focus is: just after the drawer opens, the
      // focus may not have reached it yet.
      if (event.key === 'Escape' && drawerOpenRef.current) {
        event.preventDefault();
        closeDrawer();
        return;
      }
      const typing = isTyping(event.target);
      for (const command of COMMANDS) {
        if (command.keys.length === 0) continue;
        if (typing && !command.inFields) continue;
        if (
          ctx.store.getState().mode.embed &&
          command.group !== 'Playback' &&
          command.group !== 'View'
        ) {
          continue;
        }
        if (command.when && !command.when(event)) continue;
        if (command.keys.some((combo) => matches(combo, event))) {
          event.preventDefault();
          command.perform(ctx);
          return;
        }
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [ctx, closeDrawer]);

  const editing = !mode.embed && !mode.present;
  const drawerOpen = editing && drawer && paletteOpen;
  drawerOpenRef.current = drawerOpen;
  useKeepSelectionInView(editing);
  return (
    <div
      className={`app app--${screen}${mode.embed ? ' app--embed' : ''}${mode.present ? ' app--present' : ''}`}
    >
      {!mode.embed && (
        <header className="topbar">
          {editing && drawer && (
            <button
              ref={paletteButtonRef}
              type="button"
              className={`btn palette-toggle${paletteOpen ? ' is-open' : ''}`}
              aria-expanded={paletteOpen}
              aria-controls="palette"
              aria-label="Gates"
              title={commandTitle('add-gate')}
              onClick={() => (paletteOpen ? closeDrawer() : ctx.focusPalette())}
            >
              <GatesIcon />
              <span className="palette-toggle-text">Gates</span>
            </button>
          )}
          <h1 className="brand">Backprop Circuits</h1>
          {editing ? (
            <>
              <ExpressionBar ref={expressionRef} />
              <Toolbar
                screen={screen}
                ctx={ctx}
                theme={theme}
                panels={{ palette: paletteOpen, inspector: inspectorOpen, code: codeOpen }}
              />
            </>
          ) : (
            <div className="present-bar">
              <button
                type="button"
                className="btn"
                onClick={() => store.getState().setMode({ present: false })}
              >
                Leave presentation
              </button>
            </div>
          )}
        </header>
      )}
      <div className="strips">
        <Notices />
        {editing && <Suggestions ctx={ctx} />}
      </div>
      <main className="workspace">
        {mode.embed && <h1 className="visually-hidden">Backprop Circuits</h1>}
        {editing && paletteOpen && !drawer && <Palette id="palette" ref={paletteRef} />}
        {drawerOpen && (
          <>
            <div className="drawer-backdrop" aria-hidden="true" onPointerDown={closeDrawer} />
            {/* biome-ignore lint/a11y/noStaticElementInteractions: Escape closes the drawer */}
            <div
              className="drawer"
              onKeyDown={(event) => {
                if (event.key !== 'Escape') return;
                event.preventDefault();
                event.stopPropagation();
                event.nativeEvent.stopImmediatePropagation();
                closeDrawer();
              }}
            >
              <Palette
                id="palette"
                ref={paletteRef}
                className="palette--drawer"
                onAdded={closeDrawer}
              />
            </div>
          </>
        )}
        <div className="canvas-wrap">
          <ErrorBoundary part="the canvas">
            <Canvas colorMode={theme} readOnly={mode.embed} ctx={ctx} />
          </ErrorBoundary>
          {!mode.embed && <Legend />}
          {mode.embed && <OpenFull />}
        </div>
        {!mode.embed && codeOpen && (
          <ErrorBoundary part="the Code panel">
            <CodePanel onClose={() => store.getState().setCodeOpen(false)} />
          </ErrorBoundary>
        )}
        {editing && (
          <Inspector
            ref={renameRef}
            pinned={inspectorOpen}
            onClose={() => {
              setInspectorOpen(false);
              store.getState().select([]);
            }}
          />
        )}
      </main>
      <PlaybackBar />
      <HelpDialog open={helpOpen} onClose={() => setHelpOpen(false)} />
      <ConnectDialog open={connectOpen} onClose={() => setConnectOpen(false)} />
      <GroupDialog open={groupOpen} onClose={() => setGroupOpen(false)} />
      <ShareDialog open={shareOpen} onClose={() => setShareOpen(false)} theme={theme} />
    </div>
  );
}

/**
 * When one gate is selected and the inspector opens beside (or below) the canvas, the canvas
 * gets smaller: if the gate no longer shows whole, the view pans (at the same zoom) until it
 * does.
 */
function useKeepSelectionInView(active: boolean) {
  const flow = useReactFlow();
  const selected = useApp((s) => (s.selectedNodes.length === 1 ? s.selectedNodes[0] : null));
  useEffect(() => {
    if (!active || selected === null) return undefined;
    let frame = requestAnimationFrame(() => {
      // One more frame: the inspector is drawn and the canvas has its new size.
      frame = requestAnimationFrame(() => {
        const pane = document.querySelector('.canvas-wrap .react-flow');
        const el = document.querySelector(`.react-flow__node[data-id="${CSS.escape(selected)}"]`);
        if (!pane || !el) return;
        const box = pane.getBoundingClientRect();
        // The gate with what it draws outside its box (the output's readout, a warning).
        const node = unionRect([el, ...el.querySelectorAll('.output-readout, .gate-problem')]);
        const margin = 16;
        const shift = (lo: number, hi: number, min: number, max: number) =>
          hi - lo > max - min - 2 * margin
            ? 0
            : lo < min + margin
              ? min + margin - lo
              : hi > max - margin
                ? max - margin - hi
                : 0;
        const dx = shift(node.left, node.right, box.left, box.right);
        const dy = shift(node.top, node.bottom, box.top, box.bottom);
        if (dx === 0 && dy === 0) return;
        const { x, y, zoom } = flow.getViewport();
        void flow.setViewport({ x: x + dx, y: y + dy, zoom }, { duration: 200 });
      });
    });
    return () => cancelAnimationFrame(frame);
  }, [active, selected, flow]);
}

function unionRect(elements: readonly Element[]) {
  const rects = elements.map((e) => e.getBoundingClientRect());
  return {
    left: Math.min(...rects.map((r) => r.left)),
    right: Math.max(...rects.map((r) => r.right)),
    top: Math.min(...rects.map((r) => r.top)),
    bottom: Math.max(...rects.map((r) => r.bottom)),
  };
}

/** In an embedded frame: open the same circuit, editable, in a tab of its own. */
function OpenFull() {
  const href = window.location.href.replace(/([#&])embed=1&?/, '$1').replace(/[#&]$/, '');
  return (
    <a className="open-full" href={href} target="_blank" rel="noopener noreferrer">
      Open in Backprop Circuits ↗
    </a>
  );
}

function Legend() {
  return (
    <div className="legend" aria-hidden="true">
      <span className="legend-value">value above the wire</span>
      <span className="legend-grad">+gradient below</span>
    </div>
  );
}
