import type { DeskApi } from './desk';

/** IPC channel names for each DeskApi method; only the preload and the Electron shell use them. */
export const DESK_IPC_CHANNELS = {
  getInfo: 'desk:get-info',
} as const satisfies Record<keyof DeskApi, string>;
