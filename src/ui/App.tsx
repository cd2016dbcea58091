import { ReactFlowProvider, useReactFlow } from '@xyflow/react';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ConnectDialog } from './ConnectDialog';
import { Canvas, FIT_OPTIONS } from './canvas/Canvas';
import { COMMANDS, type CommandContext, isTyping, matches } from './commands';
import { ErrorBoundary } from './ErrorBoundary';
import { ExpressionBar } from './ExpressionBar';
import { HelpDialog } from './HelpDialog';
import { Inspector } from './Inspector';
import { Notices } from './Notices';
import { Palette } from './Palette';
import { PlaybackBar } from './playback/PlaybackBar';
import { ShareDialog } from './ShareDialog';
import { useApp, useAppStore } from './StoreContext';
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
  const [shareOpen, setShareOpen] = useState(false);
  const [helpOpen, setHelpOpen] = useState(false);
  const [connectOpen, setConnectOpen] = useState(false);
  // The inspector floats over the canvas when a gate is selected; pinned, it stays open.
  const [inspectorOpen, setInspectorOpen] = useState(false);
  const [paletteOpen, setPaletteOpen] = useState(true);
  const expressionRef = useRef<HTMLTextAreaElement>(null);
  const paletteRef = useRef<HTMLElement>(null);
  const renameRef = useRef<HTMLInputElement>(null);

  const fitView = useCallback(() => void flow.fitView(FIT), [flow]);

  const ctx: CommandContext = useMemo(
    () => ({
      store,
      fitView,
      zoomIn: () => void flow.zoomIn({ duration: 150 }),
      zoomOut: () => void flow.zoomOut({ duration: 150 }),
      toggleHelp: () => setHelpOpen((o) => !o),
      toggleInspector: () => setInspectorOpen((o) => !o),
      togglePalette: () => setPaletteOpen((o) => !o),
      toggleTheme,
      openConnect: () => setConnectOpen(true),
      focusExpression: () => expressionRef.current?.focus(),
      focusPalette: () => {
        setPaletteOpen(true);
        requestAnimationFrame(() => paletteRef.current?.querySelector('button')?.focus());
      },
      focusRename: () => {
        renameRef.current?.focus();
        renameRef.current?.select();
      },
    }),
    [store, flow, fitView, toggleTheme],
  );

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.defaultPrevented) return;
      if (document.querySelector('dialog[open]')) return;
      const typing = isTyping(event.target);
      for (const command of COMMANDS) {
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
  }, [ctx]);

  const editing = !mode.embed && !mode.present;
  return (
    <div className={`app${mode.embed ? ' app--embed' : ''}${mode.present ? ' app--present' : ''}`}>
      {!mode.embed && (
        <header className="topbar">
          <h1 className="brand">
            Backprop<span className="brand-long"> Circuits</span>
          </h1>
          {editing ? (
            <>
              <ExpressionBar ref={expressionRef} />
              <Toolbar
                theme={theme}
                onToggleTheme={toggleTheme}
                onHelp={() => setHelpOpen(true)}
                onFit={fitView}
                onShare={() => setShareOpen(true)}
                panels={{ palette: paletteOpen, inspector: inspectorOpen }}
                onTogglePalette={() => setPaletteOpen((o) => !o)}
                onToggleInspector={() => setInspectorOpen((o) => !o)}
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
      <main className="workspace">
        {mode.embed && <h1 className="visually-hidden">Backprop Circuits</h1>}
        {editing && paletteOpen && <Palette ref={paletteRef} />}
        <div className="canvas-wrap">
          <ErrorBoundary part="the canvas">
            <Canvas colorMode={theme} readOnly={mode.embed} />
          </ErrorBoundary>
          {!mode.embed && <Legend />}
          {mode.embed && <OpenFull />}
        </div>
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
      <Notices />
      <HelpDialog open={helpOpen} onClose={() => setHelpOpen(false)} />
      <ConnectDialog open={connectOpen} onClose={() => setConnectOpen(false)} />
      <ShareDialog open={shareOpen} onClose={() => setShareOpen(false)} theme={theme} />
    </div>
  );
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
