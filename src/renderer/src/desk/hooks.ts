import { createContext, useCallback, useContext, useSyncExternalStore } from 'react';
import type { DeskStore, Slice } from './store';

export const DeskContext = createContext<DeskStore | undefined>(undefined);

export function useDesk(): DeskStore {
  const store = useContext(DeskContext);
  if (!store) throw new Error('useDesk outside <DeskContext.Provider>');
  return store;
}

/** Re-renders when one of the slices changed (at most once per animation frame); returns the store. */
export function useSlices(...slices: Slice[]): DeskStore {
  const store = useDesk();
  const key = slices.join('|');
  const subscribe = useCallback(
    (onChange: () => void) => {
      const offs = key.split('|').map((s) => store.subscribe(s as Slice, onChange));
      return () => offs.forEach((off) => off());
    },
    [store, key],
  );
  const version = useCallback(
    () =>
      key
        .split('|')
        .map((s) => store.version(s as Slice))
        .join('|'),
    [store, key],
  );
  useSyncExternalStore(subscribe, version);
  return store;
}

/** Why an order cannot go out now (the ticket's Send is off, with this reason), or undefined. */
export function useOrderBlock(): string | undefined {
  return useSlices('venue', 'transport', 'account').orderBlock();
}
