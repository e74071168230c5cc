// The Content-Security-Policy of the workstation's page, in one place for its three carriers: the
// <meta> tag the build injects into index.html (electron.vite.config.ts), the header the Electron
// shell adds to the app's pages (src/main/electron/csp.ts) and the header `dualdesk serve` sends with
// the web UI (src/main/server/local-server.ts). Where a header and the meta tag both apply, a page
// must satisfy both, so they are the same policy.
const DIRECTIVES = [
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

/** For the <meta> tag (a meta policy cannot say frame-ancestors). */
export const UI_CSP_META = DIRECTIVES.join('; ');

/** For response headers: the same, and nothing may frame the page. */
export const UI_CSP = [...DIRECTIVES, "frame-ancestors 'none'"].join('; ');

/** The dev server (npm run dev): Vite's inline preamble and styles, and its HMR socket. */
export function devCsp(policy: string): string {
  return policy
    .replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")
    .replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
    .replace("connect-src 'self'", "connect-src 'self' ws://localhost:*");
}
