// The web viewer's words and parsing: the link's fragment, the token's claims (a real token from the
// desk's issuer), the scope in words, the state it shows, and the share server's close codes as messages.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ViewerTokens } from '../../../src/main/share';
import { CLOSE, type SubscriberState } from '../../../src/shared/stream';
import { fragmentHasToken, readClaims, streamUrl, tokenFromFragment } from '../../../src/renderer/src/viewer/link';
import { parseWorkspace } from '../../../src/renderer/src/viewer/workspace';
import { expiresIn, inScope, linkDetail, linkState, refusalOf, scopeWords, STATE_WORDS } from '../../../src/renderer/src/viewer/words';
import { CON_ID } from '../../support/fixtures';

const NOW = 1_700_000_000_000;
const JWT = 'eyJhbGciOiJFZERTQSJ9.eyJzY29wZSI6Im1hcmtldCJ9.c2lnbmF0dXJl';

const link = (over: Partial<SubscriberState> = {}): SubscriberState => ({
  channel: 'websocket',
  websocket: 'open',
  breaker: 'closed',
  epoch: 'abc',
  lastSeq: 100,
  head: 100,
  lagMs: 0,
  gapsDetected: 0,
  gapsFilled: 0,
  failovers: 0,
  reconnects: 0,
  nextReconnectAt: undefined,
  delivered: 100,
  latencyMs: { p50: 1, p99: 2, max: 3 },
  ...over,
});

const dataDir = mkdtempSync(join(tmpdir(), 'dualdesk-viewer-unit-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('the viewer link', () => {
  it('takes the token from the fragment and keeps the rest of it', () => {
    expect(tokenFromFragment(`#token=${JWT}`)).toEqual({ token: JWT, rest: '' });
    expect(tokenFromFragment(`#token=${JWT}&panel=chart`)).toEqual({ token: JWT, rest: '#panel=chart' });
    expect(tokenFromFragment(`panel=chart&token=${encodeURIComponent(JWT)}`)).toEqual({ token: JWT, rest: '#panel=chart' });
  });

  it('refuses what is not a token, but still removes it from the address bar', () => {
    for (const bad of ['#token=', '#token=abc', '#token=a.b', '#token=a.b.c.d', '#token=<script>.b.c', `#token=${'a'.repeat(5_000)}.b.c`]) {
      expect(tokenFromFragment(bad).token, bad).toBeUndefined();
      expect(tokenFromFragment(bad).rest, bad).toBe('');
      expect(fragmentHasToken(bad), bad).toBe(true);
    }
    expect(fragmentHasToken('')).toBe(false);
    expect(fragmentHasToken('#panel=chart')).toBe(false);
    expect(tokenFromFragment('').token).toBeUndefined();
  });

  it('reads the scope, label and expiry of a token the desk issued', async () => {
    const tokens = await ViewerTokens.open(dataDir);
    try {
      const minted = await tokens.create({ scope: ['positions', 'market'], ttlMs: 8 * 3_600_000, label: 'risk desk' });
      const claims = readClaims(minted.token);
      expect(claims).toEqual({ label: 'risk desk', scope: ['market', 'positions'], expiresAt: Math.floor(minted.expiresAt / 1000) * 1000 });
      // The link as the desk writes it (the token URL-encoded in the fragment) gives the same token back.
      expect(tokenFromFragment(`#token=${encodeURIComponent(minted.token)}`).token).toBe(minted.token);
    } finally {
      tokens.close();
    }
  });

  it('reads nothing from what is not a JWT, and drops unknown scope words', () => {
    expect(readClaims('not-a-token')).toBeUndefined();
    expect(readClaims('a.!!!.c')).toBeUndefined();
    expect(readClaims(`x.${Buffer.from('not json').toString('base64url')}.y`)).toBeUndefined();
    const odd = `x.${Buffer.from(JSON.stringify({ scope: 'market trade admin', exp: 'soon' })).toString('base64url')}.y`;
    expect(readClaims(odd)).toEqual({ label: undefined, scope: ['market'], expiresAt: undefined });
  });

  it('connects to /stream on the page’s own origin, wss for an https page, never with the fragment or a query', () => {
    expect(streamUrl('https://desk.example:8443/#token=abc').href).toBe('wss://desk.example:8443/stream');
    expect(streamUrl('https://10.0.0.5:8443/?x=1').href).toBe('wss://10.0.0.5:8443/stream');
    expect(streamUrl('http://127.0.0.1:5173/').href).toBe('ws://127.0.0.1:5173/stream');
  });
});

describe('what the viewer says', () => {
  it('maps each refusal to a message, and stops retrying only when the link is dead', () => {
    expect(refusalOf(CLOSE.TOKEN_EXPIRED)).toMatchObject({ kind: 'expired', retry: false });
    expect(refusalOf(CLOSE.TOKEN_EXPIRED).message).toMatch(/expired/);
    expect(refusalOf(CLOSE.TOKEN_REVOKED)).toMatchObject({ kind: 'revoked', retry: false });
    expect(refusalOf(CLOSE.TOKEN_REVOKED).message).toMatch(/revoked/);
    expect(refusalOf(CLOSE.UNAUTHORIZED)).toMatchObject({ kind: 'unauthorized', retry: false });
    expect(refusalOf(CLOSE.UNAUTHORIZED).message).toMatch(/not a valid viewer link/);
    expect(refusalOf(CLOSE.LIMIT, 'viewer limit reached')).toMatchObject({ kind: 'limit', retry: true });
    expect(refusalOf(CLOSE.LIMIT, 'viewer limit reached').message).toBe('Too many viewers on this desk right now (viewer limit reached); retrying later.');
    expect(refusalOf(CLOSE.IDLE)).toMatchObject({ kind: 'idle', retry: true });
    expect(refusalOf(CLOSE.TOO_SLOW)).toMatchObject({ kind: 'slow', retry: true });
    expect(refusalOf(CLOSE.GOING_AWAY)).toMatchObject({ kind: 'going-away', retry: true });
    expect(refusalOf(1013)).toMatchObject({ kind: 'going-away', retry: true });
    expect(refusalOf(1006)).toMatchObject({ kind: 'lost', retry: true });
  });

  it('says connecting, catching up, live or disconnected from the subscriber’s state', () => {
    expect(linkState(undefined, undefined)).toBe('connecting');
    expect(linkState(link({ websocket: 'connecting', epoch: undefined }), undefined)).toBe('connecting');
    expect(linkState(link({ websocket: 'closed', epoch: undefined }), refusalOf(CLOSE.LIMIT))).toBe('disconnected');
    // Trying again after a refusal is still disconnected (with the refusal's words), not connecting.
    expect(linkState(link({ websocket: 'connecting', epoch: undefined }), refusalOf(CLOSE.LIMIT))).toBe('disconnected');
    expect(linkState(link({ lastSeq: 90, head: 120 }), undefined)).toBe('catching-up');
    expect(linkState(link(), undefined)).toBe('live');
    expect(linkState(link({ websocket: 'closed' }), undefined)).toBe('disconnected');
    expect(linkState(link({ websocket: 'connecting' }), undefined)).toBe('disconnected');
    // A dead link is over whatever the socket does next.
    expect(linkState(link(), refusalOf(CLOSE.TOKEN_REVOKED))).toBe('ended');
    expect(STATE_WORDS.ended).toBe('Disconnected');
    expect(STATE_WORDS['catching-up']).toBe('Catching up…');
  });

  it('explains the state: why, how far behind, and when the next attempt is', () => {
    expect(linkDetail('live', link(), undefined, NOW)).toBe('');
    expect(linkDetail('catching-up', link({ lastSeq: 90, head: 120 }), undefined, NOW)).toBe('30 message(s) behind the desk.');
    expect(linkDetail('ended', link(), refusalOf(CLOSE.TOKEN_EXPIRED), NOW)).toMatch(/expired/);
    expect(linkDetail('disconnected', link({ websocket: 'closed', nextReconnectAt: NOW + 2_400 }), refusalOf(CLOSE.LIMIT), NOW)).toBe(
      'Too many viewers on this desk right now; retrying later. Next attempt in 3 s.',
    );
    expect(linkDetail('disconnected', link({ websocket: 'closed' }), undefined, NOW)).toBe('The connection to the desk was lost; reconnecting.');
  });

  it('names the scope in the viewer’s words, in one order, and knows what each panel needs', () => {
    expect(scopeWords(['positions', 'market'])).toBe('Market data, Positions');
    expect(scopeWords(['account', 'pnl', 'orders', 'alerts'])).toBe('Orders & fills, P&L, Risk alerts, Account id');
    expect(scopeWords([])).toBe('nothing');
    expect(scopeWords(['trade'])).toBe('nothing');
    expect(inScope(['market'], 'market')).toBe(true);
    expect(inScope(['market'], 'positions')).toBe(false);
  });

  it('says when a link expires', () => {
    expect(expiresIn(NOW - 1, NOW)).toBe('expired');
    expect(expiresIn(NOW + 30_000, NOW)).toBe('in less than a minute');
    expect(expiresIn(NOW + 59 * 60_000, NOW)).toBe('in 59 min');
    expect(expiresIn(NOW + 8 * 3_600_000, NOW)).toBe('in 8 h');
    expect(expiresIn(NOW + 7 * 24 * 3_600_000 + 3 * 3_600_000, NOW)).toBe('in 7 d 3 h');
  });
});

describe('the workspace topic', () => {
  it('gives the watchlist and the charted instrument, resolved entries only', () => {
    const ws = parseWorkspace({
      watchlist: [
        { word: 'AAPL', instrument: { symbol: 'AAPL', secType: 'STK', conId: CON_ID.AAPL } },
        { word: 'EUR.USD', instrument: { symbol: 'EUR', secType: 'CASH', localSymbol: 'EUR.USD', conId: 12087792 } },
        { word: 'ZZZ', instrument: { symbol: 'ZZZ', secType: 'STK' } },
      ],
      chart: CON_ID.AAPL,
      edited: NOW,
    });
    expect(ws).toEqual({
      watchlist: [
        { conId: CON_ID.AAPL, symbol: 'AAPL' },
        { conId: 12087792, symbol: 'EUR.USD' },
      ],
      chart: CON_ID.AAPL,
    });
  });

  it('ignores what is not a workspace', () => {
    expect(parseWorkspace(undefined)).toBeUndefined();
    expect(parseWorkspace({ watchlist: 'AAPL' })).toBeUndefined();
    expect(parseWorkspace({ watchlist: [], chart: 'AAPL', edited: 0 })).toBeUndefined();
  });
});
