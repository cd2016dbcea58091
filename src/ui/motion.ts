import { useSyncExternalStore } from 'react';

/*
 * Whether the user asked the system for less motion. One media query and one listener serve
 * the whole app, however many components ask: each component only joins a list of callbacks.
 */
const QUERY = '(prefers-reduced-motion: reduce)';
const listeners = new Set<() => void>();
let media: MediaQueryList | null | undefined;

function mediaQuery(): MediaQueryList | null {
  if (media === undefined) {
    media = typeof window !== 'undefined' && window.matchMedia ? window.matchMedia(QUERY) : null;
  }
  return media;
}

function notify(): void {
  for (const listener of listeners) listener();
}

function subscribe(listener: () => void): () => void {
  const m = mediaQuery();
  if (listeners.size === 0) m?.addEventListener('change', notify);
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0) m?.removeEventListener('change', notify);
  };
}

/** Whether less motion is asked for right now (outside React: the camera, timers). */
export function prefersReducedMotion(): boolean {
  return mediaQuery()?.matches ?? false;
}

/** True when the user asked the system for less motion: playback then moves without pulses. */
export function useReducedMotion(): boolean {
  return useSyncExternalStore(subscribe, prefersReducedMotion, () => false);
}
