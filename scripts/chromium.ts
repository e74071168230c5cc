// Debian's Chromium for the end-to-end tests, installed with apt-get when missing.
import { ensureDebianPackage } from './apt';

export function chromiumPath(): string {
  return process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
}

/** The flags these machines need: no sandbox as root, no GPU, no calls home (the network is closed). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function ensureChromium(log: (line: string) => void = () => undefined): string {
  return ensureDebianPackage('chromium', chromiumPath(), 'Chromium', log);
}
