import { fileURLToPath } from 'node:url';
import { runCli } from './program';

// Built as out/main/cli.js, next to out/renderer (the web UI).
const uiDir = fileURLToPath(new URL('../renderer', import.meta.url));

const code = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  stdoutStream: process.stdout,
  uiDir,
});
if (code !== undefined) {
  process.exitCode = code;
  // The last resort after a failure: what was started has been stopped, and nothing left over may keep the process alive.
  if (code !== 0) {
    setTimeout(() => {
      process.stderr.write(`error: still running after the error (${process.getActiveResourcesInfo().join(', ')}); exiting\n`);
      process.exit(code);
    }, 3_000).unref();
  }
}
