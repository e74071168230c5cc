import { ipcMain, type IpcMainInvokeEvent } from 'electron';
import { DESK_IPC_CHANNELS } from '../../shared';
import type { Desk } from '../app';

/** One handler per DeskApi method; each checks its sender first. Arguments get schemas as methods gain them. */
export function registerDeskIpc(desk: Desk, checkSender: (event: IpcMainInvokeEvent) => void): () => void {
  ipcMain.handle(DESK_IPC_CHANNELS.getInfo, (event) => {
    checkSender(event);
    return desk.info();
  });
  return () => {
    for (const channel of Object.values(DESK_IPC_CHANNELS)) ipcMain.removeHandler(channel);
  };
}
