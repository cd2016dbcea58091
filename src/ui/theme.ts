import { useCallback, useEffect, useState } from 'react';

export type Theme = 'light' | 'dark';
const KEY = 'backprop-circuits:theme';

function systemTheme(): Theme {
  return window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

function savedTheme(): Theme | null {
  try {
    const t = window.localStorage.getItem(KEY);
    return t === 'dark' || t === 'light' ? t : null;
  } catch {
    return null;
  }
}

/**
 * Follows the system until the user picks one; the pick is remembered. A link's `dark=1`
 * (each time `darkRequest` increases) switches to dark for this visit without saving it.
 */
export function useTheme(darkRequest = 0): [Theme, () => void] {
  const [chosen, setChosen] = useState<Theme | null>(() =>
    darkRequest > 0 ? 'dark' : savedTheme(),
  );
  useEffect(() => {
    if (darkRequest > 0) setChosen('dark');
  }, [darkRequest]);
  const [system, setSystem] = useState<Theme>(systemTheme);
  useEffect(() => {
    const media = window.matchMedia?.('(prefers-color-scheme: dark)');
    if (!media) return undefined;
    const update = () => setSystem(media.matches ? 'dark' : 'light');
    media.addEventListener('change', update);
    return () => media.removeEventListener('change', update);
  }, []);
  const theme = chosen ?? system;
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  const toggle = useCallback(() => {
    const next: Theme = theme === 'dark' ? 'light' : 'dark';
    setChosen(next);
    try {
      window.localStorage.setItem(KEY, next);
    } catch {
      // Private mode or a full quota: the choice holds for this visit only.
    }
  }, [theme]);
  return [theme, toggle];
}
