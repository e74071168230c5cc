// The Content-Security-Policy of the app's window as a response header on its pages (set in main.ts
// through session.webRequest.onHeadersReceived). The built index.html also carries it as a <meta> tag:
// a page loaded from file:// may get no response headers. Both come from src/shared/csp.ts.
import { devCsp, UI_CSP } from '../../shared/csp';

/** The built app: its own files only; nothing may frame it. */
export const APP_CSP = UI_CSP;

/** The dev server (npm run dev). */
export const DEV_CSP = devCsp(UI_CSP);

export interface HeadersDetails {
  readonly url: string;
  readonly resourceType: string;
  readonly responseHeaders?: Record<string, string[]>;
}

/**
 * The response headers for one response: the app's documents (its index.html, or any page of the
 * dev server) get the policy unless they already carry one; anything else is left alone (undefined).
 */
export function withContentSecurityPolicy(details: HeadersDetails, rendererIndexUrl: string, devServerUrl: string | undefined): Record<string, string[]> | undefined {
  if (details.resourceType !== 'mainFrame' && details.resourceType !== 'subFrame') return undefined;
  const headers = details.responseHeaders ?? {};
  if (Object.keys(headers).some((h) => h.toLowerCase() === 'content-security-policy')) return undefined;
  let policy: string | undefined;
  if (devServerUrl !== undefined) {
    if (URL.canParse(details.url) && new URL(details.url).origin === new URL(devServerUrl).origin) policy = DEV_CSP;
  } else if (details.url.split(/[?#]/)[0] === rendererIndexUrl) {
    policy = APP_CSP;
  }
  return policy === undefined ? undefined : { ...headers, 'Content-Security-Policy': [policy] };
}
