export { createLocalServer } from './local-server';
export type { LocalServer, LocalServerOptions } from './local-server';
export { requestToken, tokenMatches } from './auth';
