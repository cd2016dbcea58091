import { useSyncExternalStore } from 'react';

/**
 * The three layouts of the chrome. `phone`: narrower than 700 px, or lower than 500 px (a phone
 * held sideways); `tablet`: up to 1099 px wide; `desktop`: the rest. styles.css uses the same
 * breakpoints, so the markup chosen here and the rules there agree.
 */
export type Screen = 'phone' | 'tablet' | 'desktop';

export const PHONE_QUERY = '(max-width: 699px), (max-height: 499px)';
export const TABLET_QUERY = '(max-width: 1099px)';

function read(): Screen {
  if (typeof window === 'undefined' || !window.matchMedia) return 'desktop';
  if (window.matchMedia(PHONE_QUERY).matches) return 'phone';
  if (window.matchMedia(TABLET_QUERY).matches) return 'tablet';
  return 'desktop';
}

function subscribe(onChange: () => void): () => void {
  if (typeof window === 'undefined' || !window.matchMedia) return () => undefined;
  const lists = [PHONE_QUERY, TABLET_QUERY].map((q) => window.matchMedia(q));
  for (const list of lists) list.addEventListener('change', onChange);
  return () => {
    for (const list of lists) list.removeEventListener('change', onChange);
  };
}

/** Which layout the window calls for now; re-renders when the window crosses a breakpoint. */
export function useScreen(): Screen {
  return useSyncExternalStore(subscribe, read, () => 'desktop');
}
