// The viewer link: the share server's address, with the token in the fragment (browsers never send it).
import { hostname, networkInterfaces } from 'node:os';
import { VIEWER_LINK_FRAGMENT_KEY } from '../../shared';

const WILDCARD_HOSTS = new Set(['', '0.0.0.0', '::', '[::]']);

/** `https://host:port/`, plus `#token=…` when a token is given; a wildcard host becomes a reachable address. */
export function viewerLink(base: { readonly host: string; readonly port: number }, token?: string): string {
  const host = WILDCARD_HOSTS.has(base.host.trim()) ? reachableHost() : base.host.trim();
  const shown = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const url = `https://${shown}:${base.port}/`;
  return token === undefined ? url : `${url}#${VIEWER_LINK_FRAGMENT_KEY}=${encodeURIComponent(token)}`;
}

/** The machine's first non-internal IPv4 address, else its name. */
function reachableHost(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return hostname();
}
