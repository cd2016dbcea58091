import { useId, useMemo, useRef, useState } from 'react';
import { parseCircuitFile, serializeCircuit } from '../share/file';
import { encodeExprLink, encodeFullLink, type ViewState } from '../share/link';
import { docToCircuit } from '../store/document';
import { Dialog } from './Dialog';
import { copyStepImage, downloadPicture, downloadStepImage, downloadText } from './exportImage';
import { useApp, useAppStore } from './StoreContext';
import { useProgramText } from './useProgramText';

/** Above this many characters a link is unwieldy in e-mails and chats. */
export const LINK_WARN_LENGTH = 8000;
/** Links up to this length may also carry the program text. */
const COMPACT_LENGTH = 2000;

function pageUrl(hash: string): string {
  const { origin, pathname, search } = window.location;
  return `${origin === 'null' ? '' : origin}${pathname}${search}#${hash}`;
}

async function copy(text: string, field: HTMLInputElement | HTMLTextAreaElement | null) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Clipboard access refused (an insecure page, an old browser): select it for Ctrl+C.
    field?.select();
    return document.execCommand?.('copy') ?? false;
  }
}

/** Share the circuit as a link, an embed snippet or a file; export it as a picture; open a file. */
export function ShareDialog({
  open,
  onClose,
  theme,
}: {
  open: boolean;
  onClose: () => void;
  theme: 'light' | 'dark';
}) {
  return (
    <Dialog title="Share" open={open} onClose={onClose} className="share-dialog">
      {open && <ShareBody onClose={onClose} theme={theme} />}
    </Dialog>
  );
}

function ShareBody({ onClose, theme }: { onClose: () => void; theme: 'light' | 'dark' }) {
  const store = useAppStore();
  const doc = useApp((s) => s.doc);
  const cursor = useApp((s) => s.cursor);
  const [copied, setCopied] = useState<string | null>(null);
  const [transparent, setTransparent] = useState(false);
  const [busy, setBusy] = useState(false);
  /** What happened to the last "copy this step": copied, or why not (with a download offer). */
  const [stepCopy, setStepCopy] = useState<{ ok: boolean; text: string } | null>(null);
  const linkRef = useRef<HTMLInputElement>(null);
  const exprRef = useRef<HTMLInputElement>(null);
  const embedRef = useRef<HTMLTextAreaElement>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const ids = { link: useId(), expr: useId(), embed: useId(), file: useId() };

  const view: ViewState = useMemo(() => (cursor !== null ? { step: cursor } : {}), [cursor]);
  const full = useMemo(() => {
    const circuit = docToCircuit(doc);
    // The program text rides along (so the opened link shows it in the Expression field)
    // unless that would push the link past the length a 100-gate circuit should fit in.
    const withProgram = pageUrl(encodeFullLink({ circuit, view, expression: doc.expression }));
    if (doc.expression === null || withProgram.length <= COMPACT_LENGTH) return withProgram;
    return pageUrl(encodeFullLink({ circuit, view, expression: null }));
  }, [doc, view]);
  // The circuit as a program: typed, or written out from the canvas.
  const programText = useProgramText();
  const expr = programText !== null ? pageUrl(encodeExprLink(programText, view, doc.seed)) : null;
  const embedUrl = `${full}&embed=1`;
  const embed = `<iframe src="${embedUrl.replace(/"/g, '&quot;')}" width="900" height="560" style="border:0" title="Backprop Circuits" loading="lazy"></iframe>`;
  const tooLong = full.length > LINK_WARN_LENGTH;

  const doCopy = async (
    what: string,
    text: string,
    field: HTMLInputElement | HTMLTextAreaElement | null,
  ) => {
    if (await copy(text, field)) setCopied(what);
  };
  const exportImage = async (format: 'png' | 'svg') => {
    setBusy(true);
    try {
      await downloadPicture(store.getState(), format, {
        theme,
        transparent: format === 'png' && transparent,
      });
    } catch (error) {
      store.getState().notify(`Could not export the picture: ${(error as Error).message}`);
    } finally {
      setBusy(false);
    }
  };
  const copyStep = async () => {
    setBusy(true);
    setStepCopy(null);
    try {
      const result = await copyStepImage(store.getState(), theme);
      setStepCopy(
        result.ok
          ? { ok: true, text: 'Copied: paste it into your slides.' }
          : { ok: false, text: result.reason },
      );
    } catch (error) {
      setStepCopy({ ok: false, text: `Could not draw the picture: ${(error as Error).message}` });
    } finally {
      setBusy(false);
    }
  };
  const downloadStep = async () => {
    setBusy(true);
    try {
      await downloadStepImage(store.getState(), theme);
    } catch (error) {
      store.getState().notify(`Could not export the picture: ${(error as Error).message}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="share">
      <label className="field-label" htmlFor={ids.link}>
        Link to this circuit (with its values, layout{cursor !== null ? ' and playback step' : ''})
      </label>
      <div className="share-row">
        <input
          id={ids.link}
          ref={linkRef}
          className="text-field"
          readOnly
          value={full}
          onFocus={(e) => e.currentTarget.select()}
        />
        <button
          type="button"
          className="btn btn-primary"
          onClick={() => doCopy('link', full, linkRef.current)}
        >
          {copied === 'link' ? 'Copied' : 'Copy'}
        </button>
      </div>
      <p className={tooLong ? 'share-warning' : 'share-note'}>
        {full.length.toLocaleString('en')} characters.
        {tooLong && ' That is long for e-mail and chat: the circuit file below travels better.'}
      </p>
      {expr && (
        <>
          <label className="field-label" htmlFor={ids.expr}>
            As a program (easy to read, and to type into slides; unnamed gates are written inline
            and the layout is redone on opening)
          </label>
          <div className="share-row">
            <input
              id={ids.expr}
              ref={exprRef}
              className="text-field"
              readOnly
              value={expr}
              onFocus={(e) => e.currentTarget.select()}
            />
            <button
              type="button"
              className="btn"
              onClick={() => doCopy('expr', expr, exprRef.current)}
            >
              {copied === 'expr' ? 'Copied' : 'Copy'}
            </button>
          </div>
        </>
      )}
      <label className="field-label" htmlFor={ids.embed}>
        Embed in a course page (playback only, no editing)
      </label>
      <div className="share-row">
        <textarea
          id={ids.embed}
          ref={embedRef}
          className="text-field"
          readOnly
          rows={2}
          value={embed}
          onFocus={(e) => e.currentTarget.select()}
        />
        <button
          type="button"
          className="btn"
          onClick={() => doCopy('embed', embed, embedRef.current)}
        >
          {copied === 'embed' ? 'Copied' : 'Copy'}
        </button>
      </div>
      <h3 className="inspector-subtitle">Files</h3>
      <div className="share-actions">
        <button
          type="button"
          className="btn"
          onClick={() => downloadText(serializeCircuit(docToCircuit(doc)), 'circuit.json')}
        >
          Download file (.json)
        </button>
        <button type="button" className="btn" onClick={() => fileInput.current?.click()}>
          Open file…
        </button>
        <input
          id={ids.file}
          ref={fileInput}
          type="file"
          accept=".json,application/json"
          className="visually-hidden"
          aria-label="Open a circuit file"
          tabIndex={-1}
          onChange={async (e) => {
            const file = e.target.files?.[0];
            e.target.value = '';
            if (!file) return;
            if (file.size > 5 * 1024 * 1024) {
              store
                .getState()
                .notify(`${file.name} is larger than 5 MB: not a circuit file this app can open.`);
              return;
            }
            const decoded = parseCircuitFile(await file.text());
            if (!decoded.ok) {
              store.getState().notify(`${file.name} could not be opened: ${decoded.error}`);
              return;
            }
            store.getState().loadCircuit(decoded.circuit);
            onClose();
          }}
        />
      </div>
      <h3 className="inspector-subtitle">Picture for slides</h3>
      <div className="share-actions">
        <button type="button" className="btn" disabled={busy} onClick={() => exportImage('svg')}>
          Picture (.svg, vector)
        </button>
        <button type="button" className="btn" disabled={busy} onClick={() => exportImage('png')}>
          Picture (.png, 2×)
        </button>
        <label className="share-check">
          <input
            type="checkbox"
            checked={transparent}
            onChange={(e) => setTransparent(e.target.checked)}
          />
          transparent PNG background
        </label>
        <button type="button" className="btn" disabled={busy} onClick={copyStep}>
          Copy this step as an image
        </button>
      </div>
      <p className={stepCopy && !stepCopy.ok ? 'share-warning' : 'share-note'} role="status">
        {stepCopy?.text ??
          (cursor === null
            ? 'The picture shows every value and gradient; during playback it shows the current step, and "Copy this step" adds its chain rule under it.'
            : 'The picture shows the current step; "Copy this step" adds its chain rule under it.')}
      </p>
      {stepCopy && !stepCopy.ok && (
        <div className="share-actions">
          <button type="button" className="btn" disabled={busy} onClick={downloadStep}>
            Download the step picture instead (.png)
          </button>
        </div>
      )}
      <p className="share-note">
        The picture uses the current theme ({theme}); switch with View → Dark mode (Shift+D) first
        if you need the other.
      </p>
    </div>
  );
}
