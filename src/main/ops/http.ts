// The operations endpoints every DualDesk process serves on loopback (the desk's local server, a
// relay's ops port): /health, /ready and /metrics, answered the same way by both.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';

export const OPS_PATHS: ReadonlySet<string> = new Set(['/health', '/ready', '/metrics']);

/** A JSON body (or text of `type`), never cached; a HEAD request gets the headers only. */
export function sendResponse(req: IncomingMessage, res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('content-type', type === 'application/json' ? 'application/json; charset=utf-8' : type);
  res.setHeader('content-length', Buffer.byteLength(text));
  res.setHeader('cache-control', 'no-store');
  res.end(req.method === 'HEAD' ? undefined : text);
}

export interface OpsEndpoints {
  readonly metrics: Registry;
  /** Sent as JSON with 200 when `ready`, 503 otherwise. */
  readonly readiness: () => Promise<{ readonly ready: boolean }> | { readonly ready: boolean };
}

/** Answers /health (200 while the process runs), /ready and /metrics; returns the route, or undefined for any other path. */
export async function answerOps(req: IncomingMessage, res: ServerResponse, path: string, ops: OpsEndpoints): Promise<'health' | 'ready' | 'metrics' | undefined> {
  switch (path) {
    case '/health':
      sendResponse(req, res, 200, { status: 'ok', uptimeSeconds: Math.round(process.uptime()) });
      return 'health';
    case '/ready': {
      const report = await ops.readiness();
      sendResponse(req, res, report.ready ? 200 : 503, report);
      return 'ready';
    }
    case '/metrics':
      sendResponse(req, res, 200, await ops.metrics.metrics(), ops.metrics.contentType);
      return 'metrics';
    default:
      return undefined;
  }
}
