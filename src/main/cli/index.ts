export { EXIT_USAGE, runCli } from './program';
export type { CliIo } from './io';
