// Electron's binary: downloaded at `npm install` where the network allows, without failing the install
// where it does not (the core, the CLI and the web UI need no Electron); `npm run dev` says plainly when it is missing.
//   tsx scripts/electron.ts install             postinstall: try the download, warn and exit 0 on failure
//   tsx scripts/electron.ts install --required  `npm run electron:install`: the same, but a failure exits 1
//   tsx scripts/electron.ts check               exit 1 with one line when the binary is missing
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const say = (line: string) => process.stderr.write(`electron: ${line}\n`);

function electronDir(): string | undefined {
  try {
    return dirname(require.resolve('electron/package.json'));
  } catch {
    return undefined;
  }
}

/** The binary's path when it is installed (as electron's own index.js finds it), else undefined. */
function electronBinary(dir = electronDir()): string | undefined {
  if (dir === undefined) return undefined;
  const pathFile = join(dir, 'path.txt');
  if (!existsSync(pathFile)) return undefined;
  const relative = readFileSync(pathFile, 'utf8');
  const binary = join(process.env['ELECTRON_OVERRIDE_DIST_PATH'] ?? join(dir, 'dist'), relative);
  return existsSync(binary) ? binary : undefined;
}

/** Why the download failed, in one line: the first error line of electron's installer. */
function firstErrorLine(output: string): string {
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.find((l) => /error/i.test(l)) ?? lines[0] ?? 'no output';
}

function install(required: boolean): number {
  const dir = electronDir();
  if (dir === undefined) {
    say('the electron package is not installed: the desktop app is unavailable');
    return required ? 1 : 0;
  }
  if (electronBinary(dir) !== undefined) return 0;
  if (process.env['ELECTRON_SKIP_BINARY_DOWNLOAD'] && !required) {
    say('ELECTRON_SKIP_BINARY_DOWNLOAD is set: the binary was not downloaded; `npm run electron:install` fetches it');
    return 0;
  }
  const env = { ...process.env };
  delete env['ELECTRON_SKIP_BINARY_DOWNLOAD'];
  const run = spawnSync(process.execPath, [join(dir, 'install.js')], { cwd: dir, env, encoding: 'utf8', timeout: 10 * 60_000 });
  if (run.status === 0 && electronBinary(dir) !== undefined) {
    say('binary installed');
    return 0;
  }
  const why = run.error ? run.error.message : firstErrorLine(`${run.stderr}\n${run.stdout}`);
  say(`the binary could not be downloaded (${why}).`);
  say('Everything but the desktop window works: `npx dualdesk serve --demo` and a browser.');
  say("For the desktop app (`npm run dev`), run `npm run electron:install` where the network reaches Electron's releases.");
  return required ? 1 : 0;
}

function check(): number {
  if (electronBinary() !== undefined) return 0;
  process.stderr.write(
    "error: Electron's binary is not installed (its download failed or was skipped at npm install); run `npm run electron:install` where the network allows, or use `npx dualdesk serve --demo` and a browser\n",
  );
  return 1;
}

const [command, flag] = process.argv.slice(2);
if (command === 'install') process.exit(install(flag === '--required'));
else if (command === 'check') process.exit(check());
else {
  process.stderr.write('usage: tsx scripts/electron.ts install [--required] | check\n');
  process.exit(2);
}
