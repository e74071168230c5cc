// The stream's browser authentication: a single-use, short-lived ticket bought with the control
// token, offered as a WebSocket subprotocol; the token itself is refused in a /stream URL.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CONTROL_TOKEN_FILE, createDesk, loadConfig, type Desk } from '../../../src/main/app';
import { StreamTickets } from '../../../src/main/server';
import { STREAM_PROTOCOL, TICKET_PROTOCOL_PREFIX, type StreamTicketGrant } from '../../../src/shared/stream';
import { tempDir } from '../../support/fs';
import { httpRequest } from '../../support/http';
import { memoryLogger } from '../../support/logs';

const desks: Desk[] = [];
afterEach(async () => {
  for (const d of desks.splice(0)) await d.stop();
});

async function startDesk(dataDir = tempDir()) {
  const config = loadConfig({ flags: { dataDir, 'server.port': 0 }, defaults: { server: { enabled: true } } });
  const log = memoryLogger();
  const desk = createDesk(config, { logger: log.logger });
  desks.push(desk);
  await desk.start();
  const { port } = desk.server!.address();
  const token = readFileSync(join(dataDir, CONTROL_TOKEN_FILE), 'utf8').trim();
  return { base: `http://127.0.0.1:${port}`, ws: `ws://127.0.0.1:${port}/stream`, token, log, dataDir };
}

async function buyTicket(base: string, token: string): Promise<string> {
  const res = await httpRequest(`${base}/api/stream-ticket`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  return res.json<StreamTicketGrant>().ticket;
}

/** Opens /stream; resolves with the echoed protocol, or the HTTP status and body of the refusal. */
function open(url: string, options: { protocols?: string[]; headers?: Record<string, string> } = {}) {
  return new Promise<{ opened: true; protocol: string } | { opened: false; status: number; body: string }>((resolve) => {
    const ws = new WebSocket(url, options.protocols ?? [], { headers: options.headers ?? {} });
    ws.once('open', () => {
      resolve({ opened: true, protocol: ws.protocol });
      ws.close();
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ opened: false, status: res.statusCode ?? 0, body }));
    });
    ws.once('error', () => undefined);
  });
}

describe('stream tickets', () => {
  it('are random, good once, and expire', () => {
    let now = 1_000;
    const tickets = new StreamTickets(30_000, () => now);
    const a = tickets.issue();
    const b = tickets.issue();
    expect(a.ticket).not.toBe(b.ticket);
    expect(a.ticket).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.expiresInMs).toBe(30_000);
    expect(tickets.redeem(a.ticket)).toBe(true);
    expect(tickets.redeem(a.ticket)).toBe(false);
    expect(tickets.redeem('made-up')).toBe(false);
    expect(tickets.redeem(undefined)).toBe(false);
    now += 30_000;
    expect(tickets.redeem(b.ticket)).toBe(false);
  });

  it('open /stream once with the dualdesk.v1 protocol echoed; a reused or foreign ticket, or none, is refused', async () => {
    const { base, ws, token, log } = await startDesk();
    expect((await httpRequest(`${base}/api/stream-ticket`, { method: 'POST' })).status).toBe(401);
    expect((await httpRequest(`${base}/api/stream-ticket`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(405);

    const ticket = await buyTicket(base, token);
    const protocols = [STREAM_PROTOCOL, `${TICKET_PROTOCOL_PREFIX}${ticket}`];
    expect(await open(ws, { protocols })).toEqual({ opened: true, protocol: STREAM_PROTOCOL });
    expect(await open(ws, { protocols })).toMatchObject({ opened: false, status: 401 });
    // Without the stream's own protocol next to it, a ticket opens nothing (and is spent).
    const lone = await buyTicket(base, token);
    expect(await open(ws, { protocols: [`${TICKET_PROTOCOL_PREFIX}${lone}`] })).toMatchObject({ opened: false, status: 401 });
    expect(await open(ws, { protocols: [STREAM_PROTOCOL, `${TICKET_PROTOCOL_PREFIX}${lone}`] })).toMatchObject({ opened: false, status: 401 });
    expect(await open(ws)).toMatchObject({ opened: false, status: 401 });
    // Node clients keep the bearer header.
    expect(await open(ws, { headers: { authorization: `Bearer ${token}` } })).toMatchObject({ opened: true });

    // A ticket is bound to the server that issued it: another instance (same token) does not know it.
    const other = await startDesk();
    const foreign = await buyTicket(other.base, other.token);
    expect(await open(ws, { protocols: [STREAM_PROTOCOL, `${TICKET_PROTOCOL_PREFIX}${foreign}`] })).toMatchObject({ opened: false, status: 401 });

    expect(log.text()).not.toContain(token);
    expect(log.text()).not.toContain(ticket);
  });

  it('refuse the control token in the /stream URL, with a reason, even when it is right', async () => {
    const { ws, token, log } = await startDesk();
    const refused = await open(`${ws}?token=${token}`);
    expect(refused).toMatchObject({ opened: false, status: 400 });
    expect(refused.opened === false && refused.body).toMatch(/never accepted in a URL/);
    // Even with a valid header next to it.
    expect(await open(`${ws}?token=${token}`, { headers: { authorization: `Bearer ${token}` } })).toMatchObject({ opened: false, status: 400 });
    expect(log.text()).not.toContain(token);
  });

  it('are bought with the bearer header only: the control token in the ticket URL is refused with a reason', async () => {
    const { base, token, log } = await startDesk();
    const refused = await httpRequest(`${base}/api/stream-ticket?token=${token}`, { method: 'POST' });
    expect(refused.status).toBe(401);
    expect(refused.json<{ error: { message: string } }>().error.message).toMatch(/Authorization: Bearer header.*never in the URL/);
    expect(log.text()).not.toContain(token);
  });
});
