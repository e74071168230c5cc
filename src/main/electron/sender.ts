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

/** Accepts IPC only from the app's own top-level page: the built index.html or the dev server. */
export function createSenderCheck(rendererIndexUrl: string, devServerUrl: string | undefined): SenderCheck {
  const devOrigin = devServerUrl === undefined ? undefined : new URL(devServerUrl).origin;
  const trusted = (event: SenderEventLike): boolean => {
    // A frame that navigated away or was destroyed throws on access: that is not a trusted sender either.
    try {
      const frame = event.senderFrame;
      if (frame === null || frame.parent !== null) return false;
      const url = frame.url;
      return devOrigin !== undefined ? URL.canParse(url) && new URL(url).origin === devOrigin : url.split(/[?#]/)[0] === rendererIndexUrl;
    } catch {
      return false;
    }
  };
  return (event) => {
    if (!trusted(event)) throw new Error('IPC refused: unexpected sender');
  };
}
