import { useCallback, useEffect, useRef, useState } from 'react';
import type { Notice } from '../store/store';
import { useApp, useAppStore } from './StoreContext';

/** How many messages show at once; an older one goes when a fourth comes. */
const MAX_SHOWN = 3;

/** How long a message stays: longer with a choice to make; a sticky one stays until dismissed. */
function lifetime(notice: Notice): number | null {
  if (notice.sticky) return null;
  if (notice.actions) return 9000;
  return notice.kind === 'info' ? 4000 : 7000;
}

/**
 * Refusals and warnings: a small stack of messages in a strip between the header and the
 * canvas (never over the circuit). The store's current one is an alert a screen reader
 * announces; each can be dismissed, and each fades on its own clock.
 */
export function Notices() {
  const notice = useApp((s) => s.notice);
  const store = useAppStore();
  const [shown, setShown] = useState<readonly Notice[]>([]);
  const last = useRef<Notice | null>(null);

  // The store holds one notice at a time: each new one joins the stack, and one the store
  // withdraws (a warning whose cause went away) leaves it.
  useEffect(() => {
    const previous = last.current;
    last.current = notice;
    if (notice) {
      setShown((list) =>
        list.some((n) => n.serial === notice.serial)
          ? list
          : [...list, notice].slice(Math.max(0, list.length + 1 - MAX_SHOWN)),
      );
    } else if (previous) {
      setShown((list) => list.filter((n) => n.serial !== previous.serial));
    }
  }, [notice]);

  const dismiss = useCallback(
    (serial: number) => {
      setShown((list) => list.filter((n) => n.serial !== serial));
      if (store.getState().notice?.serial === serial) store.getState().dismissNotice();
    },
    [store],
  );

  if (shown.length === 0) return null;
  return (
    <section className="notices" aria-label="Messages">
      {shown.map((n) => (
        <NoticeItem
          key={n.serial}
          notice={n}
          current={n.serial === notice?.serial}
          onDismiss={dismiss}
        />
      ))}
    </section>
  );
}

function NoticeItem({
  notice,
  current,
  onDismiss,
}: {
  notice: Notice;
  current: boolean;
  onDismiss: (serial: number) => void;
}) {
  const [hovered, setHovered] = useState(false);
  useEffect(() => {
    const ms = lifetime(notice);
    // A message being read (pointer over it, or focus in it) does not fade meanwhile.
    if (ms === null || hovered) return undefined;
    const timer = window.setTimeout(() => onDismiss(notice.serial), ms);
    return () => window.clearTimeout(timer);
  }, [notice, hovered, onDismiss]);
  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: pausing the timer is not an action
    <div
      className={`notice notice--${notice.kind}`}
      // Only the store's current message is an alert; older ones were announced when they came.
      role={current ? 'alert' : undefined}
      onPointerEnter={() => setHovered(true)}
      onPointerLeave={() => setHovered(false)}
      onFocus={() => setHovered(true)}
      onBlur={() => setHovered(false)}
    >
      <span className="notice-text">{notice.text}</span>
      {notice.actions?.map((action) => (
        <button
          key={action.label}
          type="button"
          className="btn notice-action"
          onClick={() => {
            onDismiss(notice.serial);
            action.run();
          }}
        >
          {action.label}
        </button>
      ))}
      <button
        type="button"
        className="notice-close"
        aria-label={current ? 'Dismiss message' : 'Dismiss this earlier message'}
        onClick={() => onDismiss(notice.serial)}
      >
        ×
      </button>
    </div>
  );
}
