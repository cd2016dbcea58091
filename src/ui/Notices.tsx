import { useEffect } from 'react';
import { useApp, useAppStore } from './StoreContext';

/** Refusals and warnings, in an alert region a screen reader announces. */
export function Notices() {
  const notice = useApp((s) => s.notice);
  const store = useAppStore();
  useEffect(() => {
    if (!notice || notice.sticky) return undefined;
    // Messages with a choice to make stay longer; warnings that need one are sticky.
    const timer = window.setTimeout(
      () => store.getState().dismissNotice(),
      notice.actions ? 15000 : 6000,
    );
    return () => window.clearTimeout(timer);
  }, [notice, store]);
  if (!notice) return null;
  return (
    <div className={`notice notice--${notice.kind}`} role="alert" key={notice.serial}>
      <span>{notice.text}</span>
      {notice.actions?.map((action) => (
        <button
          key={action.label}
          type="button"
          className="btn"
          onClick={() => {
            store.getState().dismissNotice();
            action.run();
          }}
        >
          {action.label}
        </button>
      ))}
      <button
        type="button"
        className="notice-close"
        aria-label="Dismiss message"
        onClick={() => store.getState().dismissNotice()}
      >
        ×
      </button>
    </div>
  );
}
