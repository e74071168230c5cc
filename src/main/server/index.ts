export { createLocalServer } from './local-server';
export type { CommandEndpoint, LocalServer, LocalServerOptions } from './local-server';
export { requestToken, tokenMatches } from './auth';
export { StreamTickets } from './stream-tickets';
