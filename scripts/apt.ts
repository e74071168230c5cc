// Installs a Debian package the test command needs (Chromium, haproxy) with apt-get, as root or through
// passwordless sudo; otherwise, or when the install fails, a loud error saying what to run.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Returns `path` once it exists, installing `pkg` first when it does not. `what` names it in messages. */
export function ensureDebianPackage(pkg: string, path: string, what: string, log: (line: string) => void = () => undefined): string {
  if (existsSync(path)) return path;
  const install = `apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y ${pkg}`;
  const asRoot = process.getuid?.() === 0;
  const canSudo = !asRoot && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
  if (!asRoot && !canSudo) {
    throw new Error(`${what} is missing at ${path} and cannot be installed without root; run: sudo sh -c '${install}'`);
  }
  log(`installing Debian's ${pkg} (${install})`);
  const r = spawnSync(asRoot ? 'sh' : 'sudo', asRoot ? ['-c', install] : ['-n', 'sh', '-c', install], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0 || !existsSync(path)) {
    throw new Error(`installing ${what} failed (exit ${r.status ?? r.signal}):\n${(r.stdout + r.stderr).slice(-4000)}`);
  }
  return path;
}
