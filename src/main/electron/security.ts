import { app, session } from 'electron';
import { permissionAllowed } from './sender';

/**
 * Locks down every web contents and the default session: no navigation away from the app, no
 * new windows, no webviews, and every permission denied but notifications for the app's own page
 * (the OS notification of a fill or a reject).
 */
export function hardenApp(isAppPage: (url: string) => boolean): void {
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event) => event.preventDefault());
    contents.on('will-redirect', (event) => event.preventDefault());
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  });
  session.defaultSession.setPermissionRequestHandler((_contents, permission, callback, details) =>
    callback(permissionAllowed(permission, details.requestingUrl, details.isMainFrame, isAppPage)),
  );
  session.defaultSession.setPermissionCheckHandler((_contents, permission, _origin, details) =>
    permissionAllowed(permission, details.requestingUrl, details.isMainFrame, isAppPage),
  );
}

export { createAppPageCheck, createSenderCheck } from './sender';
