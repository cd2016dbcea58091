import { Component, type CSSProperties, Fragment, type ReactNode, useEffect } from 'react';
import { GALLERY } from '../examples';
import { serializeCircuit } from '../share/file';
import { type Doc, docToCircuit } from '../store/document';
import type { AppStore } from '../store/store';
import { downloadText } from './exportImage';
import { AppStoreContext, useApp } from './StoreContext';

interface Props {
  /** What this boundary guards, as it reads in a sentence: "the canvas", "the app". */
  readonly part: string;
  readonly children: ReactNode;
  /** The whole page: the message then carries the page's heading. */
  readonly page?: boolean;
}

interface State {
  readonly error: Error | null;
  /** Bumped to mount the guarded part afresh after a failure. */
  readonly attempt: number;
}

/**
 * Catches an error thrown while drawing its part of the app, so the page never goes blank. The
 * circuit lives in the store, outside React, so nothing is lost: the message says what failed
 * and why, and offers to go back to the last circuit this part drew without failing (or to the
 * first example when it never drew one), and to download the circuit as it is now.
 */
export class ErrorBoundary extends Component<Props, State> {
  static contextType = AppStoreContext;
  declare context: AppStore | null;
  state: State = { error: null, attempt: 0 };
  /** The document the guarded part last finished drawing without an error. */
  private lastGood: Doc | null = null;
  private readonly remember = (doc: Doc) => {
    this.lastGood = doc;
  };

  static getDerivedStateFromError(error: unknown): Partial<State> {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  componentDidCatch(): void {
    this.context?.getState().reportDrawingFailure(this.props.part);
  }

  private remount(): void {
    this.setState((s) => ({ error: null, attempt: s.attempt + 1 }));
    this.context?.getState().reportDrawingFailure(null);
  }

  private readonly restoreLastGood = () => {
    const store = this.context;
    const good = this.lastGood;
    if (store && good && good !== store.getState().doc) {
      store.getState().loadCircuit(docToCircuit(good), {
        expression: good.expression ?? undefined,
      });
    }
    this.remount();
  };

  private readonly openFirstExample = () => {
    const example = GALLERY[0];
    this.context?.getState().loadCircuit(example.circuit, { expression: example.program });
    this.remount();
  };

  private readonly downloadCurrent = () => {
    const doc = this.context?.getState().doc;
    if (!doc) return;
    downloadText(serializeCircuit(docToCircuit(doc)), 'circuit.json');
  };

  render() {
    const { error, attempt } = this.state;
    if (!error) {
      return (
        <Fragment key={attempt}>
          {this.props.children}
          <RememberDrawn onDrawn={this.remember} />
        </Fragment>
      );
    }
    const canDownload = this.context !== null;
    return (
      <section className="crash" role="alert" style={CRASH_STYLE}>
        {this.props.page && <h1 style={{ margin: 0, fontSize: '20px' }}>Backprop Circuits</h1>}
        <h2 style={{ margin: 0, fontSize: '18px' }}>
          Something went wrong drawing {this.props.part}
        </h2>
        <p style={{ margin: 0 }}>
          The error: <code>{error.message || error.name}</code>
        </p>
        <p style={{ margin: 0 }}>
          Your circuit is still open in this tab.{' '}
          {this.lastGood
            ? 'You can go back to the last circuit that was drawn without this error.'
            : 'It could not be drawn at all; you can download it as a file and open the first example.'}
        </p>
        <div style={{ display: 'flex', gap: '8px', flexWrap: 'wrap' }}>
          {this.lastGood ? (
            <button type="button" className="btn btn-primary" onClick={this.restoreLastGood}>
              Reload the last good state
            </button>
          ) : (
            <button type="button" className="btn btn-primary" onClick={this.openFirstExample}>
              Open the first example
            </button>
          )}
          {canDownload && (
            <button type="button" className="btn" onClick={this.downloadCurrent}>
              Download the circuit (.json)
            </button>
          )}
        </div>
      </section>
    );
  }
}

const CRASH_STYLE: CSSProperties = {
  display: 'flex',
  flexDirection: 'column',
  gap: '10px',
  maxWidth: '640px',
  margin: '56px auto 24px',
  padding: '16px 20px',
  borderRadius: '8px',
  border: '2px solid var(--problem)',
  background: 'var(--panel)',
  color: 'var(--text)',
};

/**
 * Tells the boundary which document its part has drawn. Effects run only after a render that
 * did not fail; waiting two frames more lets React Flow draw the nodes it adds a pass later, so
 * a document that fails there is not taken for a good one.
 */
function RememberDrawn({ onDrawn }: { onDrawn: (doc: Doc) => void }) {
  const doc = useApp((s) => s.doc);
  useEffect(() => {
    let second = 0;
    const first = requestAnimationFrame(() => {
      second = requestAnimationFrame(() => onDrawn(doc));
    });
    return () => {
      cancelAnimationFrame(first);
      cancelAnimationFrame(second);
    };
  }, [doc, onDrawn]);
  return null;
}
