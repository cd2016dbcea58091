import { forwardRef, useEffect, useRef, useState } from 'react';
import { BackwardCheck } from './BackwardCheck';
import { useApp, useAppStore } from './StoreContext';
import { useProgramText } from './useProgramText';

/**
 * The Expression field: type a program, press Enter (or Ctrl+Enter) to build it. Shift+Enter
 * starts a new line. A parse error shows under the field and the circuit stays as it was.
 */
export const ExpressionBar = forwardRef<HTMLTextAreaElement>(function ExpressionBar(_props, ref) {
  const store = useAppStore();
  const expression = useProgramText();
  const error = useApp((s) => s.expressionError);
  const empty = useApp((s) => s.doc.nodes.length === 0);
  const [text, setText] = useState(expression ?? '');
  const [dirty, setDirty] = useState(false);
  // The circuit cannot be written as a program right now (a free port, say): the text shown
  // is the last program that described it.
  const stale = expression === null && !dirty && text.trim() !== '';
  const [focused, setFocused] = useState(false);

  // Show the program of the circuit in hand whenever it changes (gallery, undo, a link, an edit
  // on the canvas), unless the user is typing a program of their own.
  const dirtyRef = useRef(dirty);
  dirtyRef.current = dirty;
  // An empty canvas (New, or every gate deleted) has no program: the field is emptied too,
  // rather than showing the program of the circuit that was there.
  useEffect(() => {
    if (dirtyRef.current) return;
    if (expression !== null) setText(expression);
    else if (empty) setText('');
  }, [expression, empty]);

  const apply = () => {
    if (store.getState().applyExpression(text)) setDirty(false);
  };
  // Unfocused, a staged program reads as one line (an overlay over the field, whose own text
  // is hidden); focused, the field opens to its real lines. The field's value never changes
  // on focus, so typing and pasting land where they should.
  const lines = focused ? Math.min(Math.max(text.split('\n').length, 1), 14) : 1;
  const multiLine = text.includes('\n');
  const errorLine = error ? text.split('\n')[error.line - 1] : undefined;

  return (
    <div className="expression-bar">
      <div className="expression-row">
        <label htmlFor="expression-field" className="expression-label">
          f(…) =
        </label>
        {/* The field, its one-line summary and the parse error below the field (never over
            the text being fixed) drop down together over the canvas while the field is open. */}
        <div className={`expression-input${focused ? ' is-open' : ''}`}>
          <textarea
            id="expression-field"
            ref={ref}
            className={`expression-field${error ? ' has-error' : ''}${focused ? ' is-open' : ''}${!focused && multiLine ? ' is-summarised' : ''}${stale ? ' is-stale' : ''}`}
            title={
              stale
                ? 'The circuit was changed on the canvas since it was built from this program; Build replaces it with the program.'
                : undefined
            }
            aria-label="Expression"
            aria-describedby={error ? 'expression-error' : 'expression-hint'}
            aria-invalid={error ? true : undefined}
            rows={lines}
            wrap={focused ? 'soft' : 'off'}
            spellCheck={false}
            autoCapitalize="off"
            autoComplete="off"
            placeholder="x = -2; y = 5; z = -4; f = (x + y) * z"
            value={text}
            onFocus={() => setFocused(true)}
            onBlur={() => setFocused(false)}
            onChange={(e) => {
              setText(e.target.value);
              setDirty(true);
              if (store.getState().expressionError) store.setState({ expressionError: null });
            }}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && !e.shiftKey) {
                e.preventDefault();
                apply();
              } else if (e.key === 'Escape') {
                e.currentTarget.blur();
              }
            }}
          />
          {!focused && multiLine && (
            <span className={`expression-summary${stale ? ' is-stale' : ''}`} aria-hidden="true">
              {oneLine(text)}
            </span>
          )}
          {error && (
            <div id="expression-error" className="expression-error" role="alert">
              <div>{error.message}</div>
              {errorLine !== undefined && (
                <pre className="error-pointer" aria-hidden="true">
                  {`${errorLine}\n${' '.repeat(Math.max(0, error.column - 1))}^`}
                </pre>
              )}
            </div>
          )}
        </div>
        {dirty && (
          <button
            type="button"
            className="btn"
            title="Drop the text typed here and show the program of the circuit on the canvas"
            onClick={() => {
              setText(expression ?? '');
              setDirty(false);
              store.setState({ expressionError: null });
            }}
          >
            Revert
          </button>
        )}
        <button
          type="button"
          className="btn btn-primary"
          onClick={apply}
          disabled={!dirty && !error}
        >
          Build
        </button>
      </div>
      <span id="expression-hint" className="visually-hidden">
        Enter builds the circuit; Shift+Enter starts a new line. Python pasted as the notes write it
        is read too.
      </span>
      <BackwardCheck />
    </div>
  );
});

/** A program on one line: statements joined with "; ", comments dropped. */
function oneLine(text: string): string {
  return text
    .split('\n')
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter((line) => line !== '')
    .join('; ');
}
