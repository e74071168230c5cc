// Who may talk to the core over IPC. Kept free of Electron imports (types only) so the IPC layer's
// tests run it in plain Node with fake events.

/** The parts of an IPC event's sender frame the check reads (Electron's WebFrameMain). */
export interface SenderFrameLike {
  readonly url: string;
  readonly parent: unknown;
}

/** Any IPC event (invoke or send): Electron's IpcMainEvent and IpcMainInvokeEvent both fit. */
export interface SenderEventLike {
  readonly senderFrame: SenderFrameLike | null;
}

/** Throws unless the event comes from the app's own top-level page. */
export type SenderCheck = (event: SenderEventLike) => void;

/** Whether a URL is the app's own page: the built index.html, or a page of the dev server. */
export function createAppPageCheck(rendererIndexUrl: string, devServerUrl: string | undefined): (url: string) => boolean {
  const devOrigin = devServerUrl === undefined ? undefined : new URL(devServerUrl).origin;
  return (url) => (devOrigin !== undefined ? URL.canParse(url) && new URL(url).origin === devOrigin : url.split(/[?#]/)[0] === rendererIndexUrl);
}

/** Accepts IPC only from the app's own top-level page: the built index.html or the dev server. */
export function createSenderCheck(rendererIndexUrl: string, devServerUrl: string | undefined): SenderCheck {
  const isAppPage = createAppPageCheck(rendererIndexUrl, devServerUrl);
  const trusted = (event: SenderEventLike): boolean => {
    // A frame that navigated away or was destroyed throws on access: that is not a trusted sender either.
    try {
      const frame = event.senderFrame;
      if (frame === null || frame.parent !== null) return false;
      return isAppPage(frame.url);
    } catch {
      return false;
    }
  };
  return (event) => {
    if (!trusted(event)) throw new Error('IPC refused: unexpected sender');
  };
}

/** The one permission the app's own top-level page gets: notifications (fill and reject notices); everything else, and every other page, is denied. */
export function permissionAllowed(permission: string, requestingUrl: string | undefined, isMainFrame: boolean, isAppPage: (url: string) => boolean): boolean {
  return permission === 'notifications' && isMainFrame && requestingUrl !== undefined && isAppPage(requestingUrl);
}
