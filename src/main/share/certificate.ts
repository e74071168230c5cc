// The share server's TLS certificate: the trader's own PEM files, or a self-signed one made on first use
// and kept in the data directory. Viewers check it by its SHA-256 fingerprint.
import { createHash, createPrivateKey, randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import { chmodSync, closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

export const SHARE_CERT_FILE = 'share-cert.pem';
export const SHARE_CERT_KEY_FILE = 'share-cert-key.pem';
const VALIDITY_MS = 365 * 24 * 3_600_000;
/** A self-signed certificate this close to its end is replaced at startup. */
const RENEW_BEFORE_MS = 14 * 24 * 3_600_000;

export interface ShareCertificateOptions {
  readonly dataDir: string;
  /** The trader's own certificate (PEM); with keyFile, or neither. */
  readonly certFile?: string;
  readonly keyFile?: string;
  /** Epoch ms. */
  readonly now?: () => number;
}

export interface ShareCertificate {
  readonly cert: string;
  readonly key: string;
  /** SHA-256 of the DER, AA:BB:… uppercase. */
  readonly fingerprint: string;
  readonly selfSigned: boolean;
  readonly notAfter: Date;
  /** A new self-signed certificate replaced one near its end: the fingerprint viewers know changed. */
  readonly renewed: boolean;
}

/** SHA-256 of the certificate's DER as AA:BB:… (the form openssl and browsers show). */
export function fingerprintOf(certPem: string): string {
  const der = new X509Certificate(certPem).raw;
  return createHash('sha256').update(der).digest('hex').toUpperCase().match(/../g)!.join(':');
}

/** The trader's certificate when given, else the data directory's self-signed one (made or renewed as needed). */
export async function loadShareCertificate(options: ShareCertificateOptions): Promise<ShareCertificate> {
  const { certFile, keyFile } = options;
  if ((certFile === undefined) !== (keyFile === undefined)) throw new Error('give both share.cert and share.key (PEM files), or neither for a self-signed certificate');
  if (certFile !== undefined && keyFile !== undefined) return { ...readOwnCertificate(certFile, keyFile), selfSigned: false, renewed: false };
  const now = (options.now ?? Date.now)();
  const certPath = join(options.dataDir, SHARE_CERT_FILE);
  const keyPath = join(options.dataDir, SHARE_CERT_KEY_FILE);
  let existing: Omit<ShareCertificate, 'selfSigned' | 'renewed'> | undefined;
  if (existsSync(certPath)) {
    try {
      existing = readOwnCertificate(certPath, keyPath);
    } catch (err) {
      throw new Error(`${(err as Error).message}; delete ${certPath} and ${keyPath} to have a new self-signed certificate made`, { cause: err });
    }
  }
  if (existing && existing.notAfter.getTime() - now > RENEW_BEFORE_MS) return { ...existing, selfSigned: true, renewed: false };
  const made = await makeSelfSigned(now);
  // The key first: a certificate on disk always has its key beside it.
  writeOwnerOnly(keyPath, made.key);
  writeOwnerOnly(certPath, made.cert);
  return { ...made, fingerprint: fingerprintOf(made.cert), selfSigned: true, renewed: existing !== undefined };
}

function readOwnCertificate(certFile: string, keyFile: string): Omit<ShareCertificate, 'selfSigned' | 'renewed'> {
  const cert = readPem(certFile, 'certificate');
  const key = readPem(keyFile, 'private key');
  let x: X509Certificate;
  try {
    x = new X509Certificate(cert);
  } catch {
    throw new Error(`${certFile} does not hold a certificate in PEM form`);
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new Error(`${keyFile} does not hold an unencrypted private key in PEM form`);
  }
  if (!x.checkPrivateKey(privateKey)) throw new Error(`${keyFile} is not the private key of the certificate ${certFile}`);
  return { cert, key, fingerprint: fingerprintOf(cert), notAfter: new Date(x.validTo) };
}

function readPem(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the share ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
}

async function makeSelfSigned(now: number): Promise<{ cert: string; key: string; notAfter: Date }> {
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const notBefore = new Date(now - 60_000);
  const notAfter = new Date(now + VALIDITY_MS);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: `01${randomBytes(15).toString('hex')}`,
    name: `CN=DualDesk share (${hostname().replace(/[,=+<>#;"\\]/g, '')})`,
    notBefore,
    notAfter,
    signingAlgorithm: alg,
    // Node's webcrypto key pair is the DOM CryptoKeyPair x509 names (no DOM types in this build).
    keys: keys as never,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(subjectAltNames()),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  const key = x509.PemConverter.encode(pkcs8, 'PRIVATE KEY');
  return { cert: cert.toString('pem'), key, notAfter };
}

/** localhost, loopback, this machine's name and its non-internal addresses. */
function subjectAltNames(): { type: 'dns' | 'ip'; value: string }[] {
  const dns = new Set(['localhost', hostname()]);
  const ips = new Set(['127.0.0.1', '::1']);
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (!a.internal) ips.add(a.address.replace(/%.*$/, ''));
  }
  return [...[...dns].filter((d) => /^[A-Za-z0-9.-]+$/.test(d)).map((value) => ({ type: 'dns' as const, value })), ...[...ips].map((value) => ({ type: 'ip' as const, value }))];
}

function writeOwnerOnly(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}
