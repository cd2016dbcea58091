import { type ReactNode, useEffect, useState } from 'react';

/**
 * A field for a matrix typed as JSON rows (`[[1, 2], [3, 4]]`): applied with Ctrl+Enter (⌘ on
 * a Mac), by leaving the field, or by an Apply button when `applyLabel` is given. `apply` gets
 * the text and returns what is wrong with it, shown under the field (the text stays, so it can
 * be mended), or undefined once applied. The text follows `initial` when that changes.
 */
export function RowsField({
  id,
  label,
  labelClassName,
  fieldClassName,
  initial,
  apply,
  applyLabel,
}: {
  id: string;
  label: ReactNode;
  labelClassName: string;
  fieldClassName: string;
  initial: string;
  apply: (text: string) => string | undefined;
  applyLabel?: string;
}) {
  const [text, setText] = useState(initial);
  const [error, setError] = useState<string | undefined>();
  useEffect(() => setText(initial), [initial]);
  const submit = () => setError(apply(text));
  return (
    <>
      <label className={labelClassName} htmlFor={id}>
        {label}
      </label>
      <textarea
        id={id}
        className={`text-field matrix-field ${fieldClassName}`.trim()}
        rows={4}
        spellCheck={false}
        value={text}
        onChange={(e) => setText(e.target.value)}
        onBlur={submit}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) submit();
        }}
      />
      {applyLabel && (
        <button type="button" className="btn upstream-apply" onClick={submit}>
          {applyLabel}
        </button>
      )}
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
    </>
  );
}
