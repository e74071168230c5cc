import { networkInterfaces, hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { viewerLink } from '../../../src/main/share';

describe('the viewer link', () => {
  it('carries the token in the fragment only, and brackets IPv6', () => {
    expect(viewerLink({ host: 'desk.example', port: 8443 })).toBe('https://desk.example:8443/');
    expect(viewerLink({ host: '192.0.2.7', port: 9443 }, 'a.b-c_d')).toBe('https://192.0.2.7:9443/#token=a.b-c_d');
    expect(viewerLink({ host: '2001:db8::1', port: 8443 })).toBe('https://[2001:db8::1]:8443/');
  });

  it('a wildcard host becomes the first non-internal IPv4 address, else the host name', () => {
    const ipv4 = Object.values(networkInterfaces())
      .flat()
      .find((a) => a?.family === 'IPv4' && !a.internal)?.address;
    const host = ipv4 ?? hostname();
    for (const wildcard of ['0.0.0.0', '::', '']) expect(viewerLink({ host: wildcard, port: 8443 })).toBe(`https://${host}:8443/`);
  });
});
