import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import type { AppState, AppStore } from '../store/store';

export const AppStoreContext = createContext<AppStore | null>(null);

export function useAppStore(): AppStore {
  const store = useContext(AppStoreContext);
  if (!store) throw new Error('useAppStore must be used inside <AppStoreContext.Provider>');
  return store;
}

/** Reads one narrow slice of the app state; the component re-renders only when it changes. */
export function useApp<T>(selector: (state: AppState) => T): T {
  return useStore(useAppStore(), selector);
}

type TemporalState = ReturnType<AppStore['temporal']['getState']>;

export function useTemporal<T>(selector: (state: TemporalState) => T): T {
  return useStore(useAppStore().temporal, selector);
}
