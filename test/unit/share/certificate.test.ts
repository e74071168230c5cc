import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { connect, createServer } from 'node:tls';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { fingerprintOf, loadShareCertificate, SHARE_CERT_FILE, SHARE_CERT_KEY_FILE } from '../../../src/main/share';
import { tempDir } from '../../support/fs';

const DAY = 86_400_000;

function opensslFingerprint(file: string): string | undefined {
  try {
    const out = execFileSync('openssl', ['x509', '-in', file, '-noout', '-fingerprint', '-sha256'], { encoding: 'utf8' });
    return /=([0-9A-F:]+)/.exec(out)?.[1];
  } catch {
    return undefined;
  }
}

describe('the share certificate', () => {
  it('is generated once (owner-only key), reused with the same fingerprint, which openssl agrees with', async () => {
    const dir = tempDir();
    const first = await loadShareCertificate({ dataDir: dir });
    expect(first).toMatchObject({ selfSigned: true, renewed: false });
    expect(first.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(statSync(join(dir, SHARE_CERT_KEY_FILE)).mode & 0o777).toBe(0o600);
    const again = await loadShareCertificate({ dataDir: dir });
    expect(again.fingerprint).toBe(first.fingerprint);
    expect(again.renewed).toBe(false);
    const expected = opensslFingerprint(join(dir, SHARE_CERT_FILE)) ?? new X509Certificate(first.cert).fingerprint256;
    expect(first.fingerprint).toBe(expected);
    const x = new X509Certificate(first.cert);
    expect(x.subjectAltName).toContain('DNS:localhost');
    expect(x.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(x.checkHost('localhost')).toBe('localhost');
    expect(first.notAfter.getTime() - Date.now()).toBeGreaterThan(360 * DAY);
  });

  it('serves a TLS 1.3 client that pins its fingerprint', async () => {
    const cert = await loadShareCertificate({ dataDir: tempDir() });
    const server = createServer({ cert: cert.cert, key: cert.key, minVersion: 'TLSv1.3' }, (socket) => socket.end('hello viewer'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const { port } = server.address() as AddressInfo;
    const socket = connect({
      host: '127.0.0.1',
      port,
      minVersion: 'TLSv1.3',
      rejectUnauthorized: false,
      // Self-signed: the viewer trusts the fingerprint it was given, nothing else.
      checkServerIdentity: (_host, peer) => (peer.fingerprint256 === cert.fingerprint ? undefined : new Error('fingerprint mismatch')),
    });
    await once(socket, 'secureConnect');
    expect(socket.getProtocol()).toBe('TLSv1.3');
    expect(socket.getPeerX509Certificate()?.fingerprint256).toBe(cert.fingerprint);
    let data = '';
    socket.on('data', (c: Buffer) => (data += c.toString()));
    await once(socket, 'end');
    expect(data).toBe('hello viewer');
  });

  it("uses the trader's own PEM files, and refuses a key that is not the certificate's, naming the file", async () => {
    const a = tempDir();
    const b = tempDir();
    const ca = await loadShareCertificate({ dataDir: a });
    await loadShareCertificate({ dataDir: b });
    const own = await loadShareCertificate({ dataDir: tempDir(), certFile: join(a, SHARE_CERT_FILE), keyFile: join(a, SHARE_CERT_KEY_FILE) });
    expect(own).toMatchObject({ selfSigned: false, fingerprint: ca.fingerprint });
    await expect(loadShareCertificate({ dataDir: tempDir(), certFile: join(a, SHARE_CERT_FILE), keyFile: join(b, SHARE_CERT_KEY_FILE) })).rejects.toThrow(
      `${join(b, SHARE_CERT_KEY_FILE)} is not the private key of the certificate ${join(a, SHARE_CERT_FILE)}`,
    );
    const junk = join(a, 'junk.pem');
    writeFileSync(junk, 'not a certificate');
    await expect(loadShareCertificate({ dataDir: a, certFile: junk, keyFile: join(a, SHARE_CERT_KEY_FILE) })).rejects.toThrow(`${junk} does not hold a certificate`);
    await expect(loadShareCertificate({ dataDir: a, certFile: join(a, 'missing.pem'), keyFile: junk })).rejects.toThrow(/cannot read the share certificate .*missing\.pem: ENOENT/);
    await expect(loadShareCertificate({ dataDir: a, certFile: junk })).rejects.toThrow(/both/);
  });

  it('is renewed when it ends within 14 days (a new fingerprint, flagged), not before', async () => {
    const dir = tempDir();
    let now = Date.now();
    const first = await loadShareCertificate({ dataDir: dir, now: () => now });
    now = first.notAfter.getTime() - 15 * DAY;
    expect((await loadShareCertificate({ dataDir: dir, now: () => now })).fingerprint).toBe(first.fingerprint);
    now = first.notAfter.getTime() - 13 * DAY;
    const renewed = await loadShareCertificate({ dataDir: dir, now: () => now });
    expect(renewed.renewed).toBe(true);
    expect(renewed.fingerprint).not.toBe(first.fingerprint);
    expect(fingerprintOf(readFileSync(join(dir, SHARE_CERT_FILE), 'utf8'))).toBe(renewed.fingerprint);
    expect(renewed.notAfter.getTime()).toBeGreaterThan(now + 360 * DAY);
  });

  it('a damaged self-signed certificate is an error saying what to do', async () => {
    const dir = tempDir();
    await loadShareCertificate({ dataDir: dir });
    writeFileSync(join(dir, SHARE_CERT_FILE), 'garbage');
    await expect(loadShareCertificate({ dataDir: dir })).rejects.toThrow(/does not hold a certificate.*delete .* to have a new self-signed certificate made/);
  });
});
