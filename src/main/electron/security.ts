import { app, session, type IpcMainInvokeEvent } from 'electron';

/**
 * Locks down every web contents and the default session: no navigation away from the app, no
 * new windows, no webviews, and every permission (camera, notifications, ...) denied.
 */
export function hardenApp(): void {
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event) => event.preventDefault());
    contents.on('will-redirect', (event) => event.preventDefault());
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  });
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
}

/** Accepts IPC only from the app's own top-level page: the built index.html or the dev server. */
export function createSenderCheck(rendererIndexUrl: string, devServerUrl: string | undefined) {
  const devOrigin = devServerUrl === undefined ? undefined : new URL(devServerUrl).origin;
  return (event: IpcMainInvokeEvent): void => {
    const frame = event.senderFrame;
    const trusted =
      frame !== null &&
      frame.parent === null &&
      (devOrigin !== undefined ? new URL(frame.url).origin === devOrigin : frame.url.split(/[?#]/)[0] === rendererIndexUrl);
    if (!trusted) throw new Error('IPC refused: unexpected sender');
  };
}
