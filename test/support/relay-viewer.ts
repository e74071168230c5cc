// Viewers of relays (TLS, a token from the desk) and the desk's own stream, as the relay tests drive
// them: every frame kept, the close (and when it came) awaited, tokens minted with the built CLI.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import WebSocket from 'ws';
import { VIEWER_TOKEN_PROTOCOL_PREFIX, type ViewerScope } from '../../src/shared';
import { decodeFrames, encodeFrame, STREAM_PROTOCOL, topicMatcher, type DataFrame, type ServerFrame } from '../../src/shared/stream';
import { viewOf } from '../../src/main/share';
import { binDualdesk } from './paths';
import type { RelayProcess } from './relay';
import type { ServeProcess } from './serve';

const run = promisify(execFile);

export const ALL_SCOPES: ViewerScope[] = ['market', 'positions', 'orders', 'pnl', 'alerts', 'account'];

export interface StreamClient {
  readonly ws: WebSocket;
  readonly frames: ServerFrame[];
  /** The close, with performance.now() when it came. */
  readonly closed: Promise<{ code: number; reason: string; at: number }>;
  readonly opened: Promise<void>;
}

/** A WebSocket on the stream protocol; sends `hello` once open (none when undefined). */
export function streamClient(url: string, options: WebSocket.ClientOptions, protocols: string[], hello: object | undefined = { op: 'hello' }): StreamClient {
  const ws = new WebSocket(url, protocols, options);
  const frames: ServerFrame[] = [];
  ws.on('message', (data: Buffer) => frames.push(...(decodeFrames(data) as ServerFrame[])));
  ws.on('error', () => undefined);
  const closed = new Promise<{ code: number; reason: string; at: number }>((resolve) =>
    ws.once('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString(), at: performance.now() })),
  );
  const opened = new Promise<void>((resolve) => ws.once('open', () => resolve()));
  if (hello) void opened.then(() => ws.send(encodeFrame(hello)));
  return { ws, frames, closed, opened };
}

/** A viewer on wss://127.0.0.1:`port` (a relay, or the balancer in front of relays), trusting `ca`. */
export function viewerAt(port: number, ca: string, token: string, hello: object | undefined = { op: 'hello' }): StreamClient {
  return streamClient(`wss://127.0.0.1:${port}/stream`, { ca }, [STREAM_PROTOCOL, `${VIEWER_TOKEN_PROTOCOL_PREFIX}${token}`], hello);
}

/** A viewer straight on a relay. */
export function relayViewer(relay: RelayProcess, token: string, hello: object | undefined = { op: 'hello' }): StreamClient {
  return viewerAt(Number(relay.url.port), relay.ca, token, hello);
}

/** The desk's own stream (its control token: every topic). */
export function deskClient(serve: ServeProcess): StreamClient {
  return streamClient(`ws://127.0.0.1:${serve.url.port}/stream`, { headers: { authorization: `Bearer ${serve.url.searchParams.get('token') ?? ''}` } }, [STREAM_PROTOCOL]);
}

export const dataOf = (c: StreamClient): DataFrame[] => c.frames.filter((f): f is DataFrame => f.op === 'data');
export const snapshotOf = (c: StreamClient) => c.frames.find((f): f is Extract<ServerFrame, { op: 'snapshot' }> => f.op === 'snapshot');
export const lastSeq = (c: StreamClient): number => dataOf(c).at(-1)?.seq ?? 0;

/** The frames chain with no gap: each `prev` is the seq before it, from `from`. */
export function chained(frames: readonly DataFrame[], from: number): boolean {
  let prev = from;
  for (const f of frames) {
    if (f.prev !== prev || f.seq <= prev) return false;
    prev = f.seq;
  }
  return true;
}

/** The seqs in (after, upTo] of the desk's own stream that a viewer of `scope` may see. */
export function deskSeqsFor(desk: StreamClient, scope: readonly ViewerScope[], after: number, upTo: number): number[] {
  const allowed = topicMatcher(viewOf(scope).topics)!;
  return dataOf(desk)
    .filter((f) => f.seq > after && f.seq <= upTo && allowed(f.topic))
    .map((f) => f.seq);
}

/** `dualdesk token create` against a desk's data dir (no desk needs to run): the token and its id. */
export async function mintToken(deskDir: string, scope: readonly ViewerScope[]): Promise<{ id: string; token: string }> {
  const { stdout } = await run(process.execPath, [
    binDualdesk,
    'token',
    'create',
    '--data-dir',
    deskDir,
    '--scope',
    scope.join(','),
    '--ttl',
    '1h',
    '--label',
    `relay ${scope.join('+')}`,
    '--json',
  ]);
  return JSON.parse(stdout) as { id: string; token: string };
}

/** `dualdesk token revoke <id>` against a desk's data dir; resolves when the command has finished. */
export async function revokeToken(deskDir: string, id: string): Promise<void> {
  await run(process.execPath, [binDualdesk, 'token', 'revoke', id, '--data-dir', deskDir]);
}

/** `dualdesk token public-key` of a desk's data dir, PEM. */
export async function deskPublicKey(deskDir: string): Promise<string> {
  return (await run(process.execPath, [binDualdesk, 'token', 'public-key', '--data-dir', deskDir])).stdout;
}

/** GET on a relay's ops port. */
export async function relayOps(relay: RelayProcess, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`${relay.opsUrl}${path}`);
  return { status: res.status, body: await res.text() };
}

/** The viewers a relay counts now (its /metrics). */
export async function relayViewerCount(relay: RelayProcess): Promise<number> {
  return Number(/^dualdesk_relay_viewers (\d+)$/m.exec((await relayOps(relay, '/metrics')).body)?.[1] ?? NaN);
}
