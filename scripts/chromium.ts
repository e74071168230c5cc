// Debian's Chromium for the end-to-end tests, installed with apt-get when missing.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

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
  const path = chromiumPath();
  if (existsSync(path)) return path;
  const install = 'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium';
  const asRoot = process.getuid?.() === 0;
  const canSudo = !asRoot && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
  if (!asRoot && !canSudo) {
    throw new Error(`Chromium is missing at ${path} and cannot be installed without root; run: sudo sh -c '${install}'`);
  }
  log(`installing Debian's chromium (${install})`);
  const r = spawnSync(asRoot ? 'sh' : 'sudo', asRoot ? ['-c', install] : ['-n', 'sh', '-c', install], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0 || !existsSync(path)) {
    throw new Error(`installing Chromium failed (exit ${r.status ?? r.signal}):\n${(r.stdout + r.stderr).slice(-4000)}`);
  }
  return path;
}
