import type { DeskApi } from '../../shared';

declare global {
  interface Window {
    /** Present inside Electron (exposed by the preload); absent in a plain browser. */
    readonly desk?: DeskApi;
  }
}
