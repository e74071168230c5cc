import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const builtCli = fileURLToPath(new URL('../../out/main/cli.js', import.meta.url));
export const builtRenderer = fileURLToPath(new URL('../../out/renderer/index.html', import.meta.url));
export const builtRendererDir = fileURLToPath(new URL('../../out/renderer', import.meta.url));
export const binDualdesk = fileURLToPath(new URL('../../bin/dualdesk.js', import.meta.url));
