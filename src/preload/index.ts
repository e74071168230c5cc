import { contextBridge, ipcRenderer } from 'electron';
import { DESK_IPC_CHANNELS, type DeskApi } from '../shared';

// The renderer gets DeskApi and nothing else: no ipcRenderer, no channel names, no Node.
const desk: DeskApi = {
  getInfo: () => ipcRenderer.invoke(DESK_IPC_CHANNELS.getInfo),
};

contextBridge.exposeInMainWorld('desk', desk);
