// The Content-Security-Policy of the app's window, as a response header on its pages (set in main.ts
// through session.webRequest.onHeadersReceived). The built index.html also carries the same policy as
// a <meta> tag (electron.vite.config.ts injects it): a page loaded from file:// may get no response
// headers, and the meta tag is what holds there. Keep the two in step; both apply where both are
// present, so the header must allow what the page needs.
const STRICT = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "object-src 'none'",
];

/** The built app: its own files only; nothing may frame it (a header-only directive). */
export const APP_CSP = [...STRICT, "frame-ancestors 'none'"].join('; ');

/** The dev server (npm run dev): Vite's inline preamble and styles, and its HMR socket. */
export const DEV_CSP = APP_CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")
  .replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
  .replace("connect-src 'self'", "connect-src 'self' ws://localhost:*");

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
