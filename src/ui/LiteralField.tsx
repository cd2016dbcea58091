import { useEffect, useId, useRef, useState } from 'react';
import { formatNumber, fromNested, literalCode, scalar, type Tensor } from '../engine';
import { parseNumber } from './canvas/InputNode';
import { useApp, useAppStore } from './StoreContext';

/** A literal as it is typed: `2`, `-1`, `[1, 2]`. */
export function literalText(t: Tensor): string {
  if (t.shape.length === 0) return formatNumber(t.data[0]);
  return literalCode(t) ?? '';
}

/**
 * What a user typed for a literal, read against the literal it replaces: a tensor, or why the
 * text is not one (the shape and finiteness are the store's to check).
 */
export function parseLiteral(text: string, old: Tensor): Tensor | string {
  const trimmed = text.trim();
  if (trimmed === '') return 'it is empty: type a number';
  if (old.shape.length === 0) {
    const x = parseNumber(trimmed);
    return x === undefined ? `“${trimmed}” is not a number` : scalar(x);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed.replace(/\u2212/g, '-'));
  } catch {
    return `“${trimmed}” is not a list of numbers, such as ${literalText(old)}`;
  }
  return fromNested(parsed);
}

/**
 * The field that edits one literal of a gate (the `2` of `x ** 2`). Enter applies it through
 * the store (one undo step), Escape puts the old value back; text that is not a number, or a
 * value the store refuses, is named under the field and the old value stays. Leaving the
 * field applies valid text. `onClose` is called after Enter applied, Escape, or leaving (the
 * gate closes its editor then).
 */
export function LiteralField({
  id,
  gate,
  port,
  value,
  autoFocus = false,
  onClose,
  className = '',
}: {
  id: string;
  /** The gate's name as the user sees it. */
  gate: string;
  port: string;
  value: Tensor;
  autoFocus?: boolean;
  onClose?: () => void;
  className?: string;
}) {
  const store = useAppStore();
  // An embedded circuit is for playback only: its literals are read, never changed.
  const embed = useApp((s) => s.mode.embed);
  const current = literalText(value);
  const [text, setText] = useState(current);
  const [error, setError] = useState<string | undefined>();
  const editing = useRef(false);
  const input = useRef<HTMLInputElement>(null);
  const errorId = useId();

  // Follow the literal when it changes from elsewhere (undo, the other editor), unless typing.
  useEffect(() => {
    if (!editing.current) {
      setText(current);
      setError(undefined);
    }
  }, [current]);

  useEffect(() => {
    if (autoFocus) {
      input.current?.focus();
      input.current?.select();
    }
  }, [autoFocus]);

  /** Applies the text; true when the literal now holds it. */
  const apply = (): boolean => {
    if (embed) return true;
    if (text.trim() === current) {
      setError(undefined);
      return true;
    }
    const parsed = parseLiteral(text, value);
    const problem =
      typeof parsed === 'string' ? parsed : store.getState().setParam(id, port, parsed);
    if (problem !== undefined) {
      setError(`Literal ${port} of ${gate} not changed: ${problem}. It stays ${current}.`);
      return false;
    }
    setError(undefined);
    return true;
  };

  const cancel = () => {
    setText(current);
    setError(undefined);
  };

  return (
    <span className={`literal-field nodrag nowheel ${className}`}>
      <input
        ref={input}
        className="text-field literal-input"
        aria-label={`Literal ${port} of ${gate}`}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? errorId : undefined}
        value={embed ? current : text}
        readOnly={embed}
        inputMode={value.shape.length === 0 ? 'decimal' : 'text'}
        spellCheck={false}
        autoComplete="off"
        size={Math.max(4, Math.min(text.length + 1, 18))}
        onFocus={() => {
          editing.current = true;
        }}
        onBlur={(e) => {
          editing.current = false;
          // Leaving the field applies valid text. In an editor that closes, invalid text is
          // dropped with it (unless focus moves to another field of the same editor); in a
          // field that stays, its message stays too.
          const next = e.relatedTarget;
          const group = e.currentTarget.closest('.literal-editor');
          if (!onClose || (next instanceof Node && group?.contains(next))) apply();
          else {
            if (!apply()) cancel();
            onClose();
          }
        }}
        onChange={(e) => {
          setText(e.target.value);
          if (error) setError(undefined);
        }}
        onKeyDown={(e) => {
          // The field keeps its keys: Delete, letters and arrows must not edit the canvas.
          e.stopPropagation();
          if (e.key === 'Enter') {
            e.preventDefault();
            if (apply()) onClose?.();
          } else if (e.key === 'Escape') {
            e.preventDefault();
            cancel();
            onClose?.();
          }
        }}
      />
      {error && (
        <span id={errorId} className="field-error literal-error" role="alert">
          {error}
        </span>
      )}
    </span>
  );
}
