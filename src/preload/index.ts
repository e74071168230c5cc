import { contextBridge, ipcRenderer } from 'electron';
import { createDeskApi } from './desk-api';

// The renderer gets window.desk (DeskApi) and nothing else: no ipcRenderer, no channel names, no Node.
contextBridge.exposeInMainWorld('desk', createDeskApi(ipcRenderer));
