import { useId, useMemo, useState } from 'react';
import { groupPreview } from '../store/group';
import { Dialog } from './Dialog';
import { useApp, useAppStore } from './StoreContext';
import './group.css';

/**
 * Group: the selected gates become one composite gate with the name given here (suggested
 * from what they compute: `sigma` for the four gates of a sigmoid). A selection that cannot
 * be grouped says why, and the circuit stays as it is.
 */
export function GroupDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  return (
    <Dialog title="Group into one gate" open={open} onClose={onClose} className="group-dialog">
      {open && <GroupForm onClose={onClose} />}
    </Dialog>
  );
}

/** Mounted while the dialog is open, for the selection it was opened on. */
function GroupForm({ onClose }: { onClose: () => void }) {
  const store = useAppStore();
  const selected = useApp((s) => s.selectedNodes);
  const doc = useApp((s) => s.doc);
  const preview = useMemo(() => groupPreview(doc, selected), [doc, selected]);
  const suggested = 'error' in preview ? '' : preview.suggested;
  const [name, setName] = useState(suggested);
  const [error, setError] = useState<string | null>(null);
  const fieldId = useId();
  const count = selected.length;

  if ('error' in preview) {
    return (
      <div className="group-form">
        <p role="alert" className="group-error">
          These {count} node{count === 1 ? '' : 's'} cannot be grouped: {preview.error}.
        </p>
        <div className="dialog-actions">
          <button type="button" className="btn" onClick={onClose}>
            OK
          </button>
        </div>
      </div>
    );
  }
  const submit = () => {
    const problem = store.getState().groupSelection(name);
    if (problem === undefined) onClose();
    else setError(problem);
  };
  return (
    <form
      className="group-form"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      {preview.known ? (
        <p className="group-known">
          These gates compute <strong>{preview.known.description}</strong>. As one gate its local
          gradient is a single formula:{' '}
          <strong>
            {preview.known.localText('x', preview.known.name === 'sigmoid' ? 'σ' : 'y')}
          </strong>
          .
        </p>
      ) : (
        <p className="group-known">
          The gates become one gate with {preview.ports} input{preview.ports === 1 ? '' : 's'}. Its
          local gradients come from backpropagation inside it; every other number stays the same.
        </p>
      )}
      <label htmlFor={fieldId} className="group-label">
        Name of the gate
      </label>
      <input
        id={fieldId}
        className="group-name"
        value={name}
        // biome-ignore lint/a11y/noAutofocus: the dialog opens to ask for this name
        autoFocus
        spellCheck={false}
        autoComplete="off"
        onChange={(e) => {
          setName(e.target.value);
          setError(null);
        }}
      />
      {error && (
        <p role="alert" className="group-error">
          {error}
        </p>
      )}
      <div className="dialog-actions">
        <button type="button" className="btn" onClick={onClose}>
          Cancel
        </button>
        <button type="submit" className="btn btn-primary">
          Group
        </button>
      </div>
    </form>
  );
}
