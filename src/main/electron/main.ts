import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { app, BrowserWindow, ipcMain, session } from 'electron';
import { createDesk, loadConfig, type Desk } from '../app';
import { createFileLogger } from '../ops';
import { withContentSecurityPolicy } from './csp';
import { registerDeskIpc } from './ipc';
import { createAppPageCheck, createSenderCheck, hardenApp } from './security';

// Built as out/main/main.js; the preload and the renderer sit beside it under out/.
const preloadPath = fileURLToPath(new URL('../preload/index.cjs', import.meta.url));
const rendererIndex = fileURLToPath(new URL('../renderer/index.html', import.meta.url));
const rendererIndexUrl = pathToFileURL(rendererIndex).href;
const devServerUrl = process.env['ELECTRON_RENDERER_URL'];

app.enableSandbox();

function createMainWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1600,
    height: 1000,
    minWidth: 1100,
    minHeight: 700,
    show: false,
    backgroundColor: '#0b0e14',
    title: 'DualDesk',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  win.once('ready-to-show', () => win.show());
  if (devServerUrl !== undefined) void win.loadURL(devServerUrl);
  else void win.loadFile(rendererIndex);
  return win;
}

async function boot(): Promise<Desk> {
  await app.whenReady();
  hardenApp(createAppPageCheck(rendererIndexUrl, devServerUrl));
  // The window's CSP as a header on its pages (the built index.html also carries it as a meta tag; see csp.ts).
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    const responseHeaders = withContentSecurityPolicy(details, rendererIndexUrl, devServerUrl);
    callback(responseHeaders ? { responseHeaders } : {});
  });
  const config = loadConfig({ env: process.env, defaultDataDir: app.getPath('userData') });
  const logger = await createFileLogger(config.log.level, join(config.dataDir, 'logs'));
  const desk = createDesk(config, { logger });
  await desk.start();
  // Commands, info and the stream (over the desk's StreamServer), from the app's own top-level page only.
  registerDeskIpc(desk, { ipcMain, checkSender: createSenderCheck(rendererIndexUrl, devServerUrl) });
  createMainWindow();
  return desk;
}

if (!app.requestSingleInstanceLock()) {
  // One desk per data directory: a second instance would fight over the journal.
  app.quit();
} else {
  const ready = boot();
  ready.catch((err: unknown) => {
    process.stderr.write(`DualDesk failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    app.exit(1);
  });

  let quitting = false;
  app.on('before-quit', (event) => {
    if (quitting) return;
    event.preventDefault();
    quitting = true;
    ready
      .then((desk) => desk.stop())
      .catch(() => undefined)
      .finally(() => app.quit());
  });
  app.on('window-all-closed', () => app.quit());
  app.on('second-instance', () => {
    const [win] = BrowserWindow.getAllWindows();
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });
}
