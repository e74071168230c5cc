// A relay's operations port on loopback: /health, /ready (what the load balancer checks) and /metrics,
// answered as the desk's local server answers them (ops/http.ts). Nothing else lives here.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerOps, sendResponse, type Logger, type Registry } from '../ops';

export interface RelayOpsOptions {
  readonly host?: string; // default 127.0.0.1
  readonly port: number; // 0 picks one
  readonly metrics: Registry; // prom-client
  readonly logger: Logger;
  /** Readiness now: ready when every check is ok. */
  readonly readiness: () => { readonly checks: Readonly<Record<string, { readonly ok: boolean; readonly detail: string }>> };
}

export interface RelayOps {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** An operator's or a balancer's request needs no more than this; a stuck one is cut. */
const REQUEST_TIMEOUT_MS = 5_000;

export async function startRelayOps(options: RelayOpsOptions): Promise<RelayOps> {
  const { logger, metrics } = options;
  const host = options.host ?? '127.0.0.1';
  const readiness = () => {
    const { checks } = options.readiness();
    return { ready: Object.values(checks).every((c) => c.ok), checks };
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('x-content-type-options', 'nosniff');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      sendResponse(req, res, 405, { error: { code: 'method_not_allowed', message: `${req.method ?? '?'} is not allowed here; use GET` } });
      return;
    }
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (await answerOps(req, res, path, { metrics, readiness })) return;
    sendResponse(req, res, 404, { error: { code: 'not_found', message: 'the ops port serves /health, /ready and /metrics only' } });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      logger.error({ err }, 'ops request failed');
      if (!res.headersSent) sendResponse(req, res, 500, { error: { code: 'internal', message: 'internal error; see the relay log' } });
      else res.destroy();
    });
  });
  server.headersTimeout = REQUEST_TIMEOUT_MS;
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(`cannot listen for the relay's ops port on ${host}:${options.port}: ${err.code ?? err.message}`, { cause: err })),
    );
    server.listen(options.port, host, () => resolve());
  });
  server.removeAllListeners('error');
  server.on('error', (err) => logger.error({ err }, 'relay ops server error'));
  const { port } = server.address() as AddressInfo;
  const h = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${h}:${port}`,
    port,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
