// Integration and end-to-end tests run the built app (`npm run build`); fail loudly when it is missing.
import { existsSync } from 'node:fs';
import { builtCli, builtRenderer } from '../support/paths';

export default function setup(): void {
  for (const file of [builtCli, builtRenderer]) {
    if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` before these tests`);
  }
}
