// The relay's authority with real Ed25519 keys and tokens minted by the desk's own register: signature and
// expiry from the public key alone, revocations from the lists the desk publishes, and no one admitted
// before the relay has read its stream to the head.
import { describe, expect, it, onTestFinished } from 'vitest';
import { VirtualClock } from '../../../src/main/clock';
import { createLogger, createRecordLogger, type LogRecord } from '../../../src/main/ops';
import { parseRevocationList, RelayAuthority, REVOCATIONS_TOPIC, viewOf, ViewerTokens } from '../../../src/main/share';
import { VIEWER_SCOPES } from '../../../src/shared';
import { topicMatcher } from '../../../src/shared/stream';
import { tempDir } from '../../support/fs';

const HOUR = 3_600_000;
const START = Date.parse('2026-12-05T10:00:00Z');

async function desk(clock: VirtualClock): Promise<ViewerTokens> {
  const tokens = await ViewerTokens.open(tempDir(), { now: () => clock.now() });
  onTestFinished(() => tokens.close());
  return tokens;
}

function relay(tokens: ViewerTokens, clock: VirtualClock, records?: LogRecord[]): RelayAuthority {
  const logger = records ? createRecordLogger('info', (r) => records.push(r)) : createLogger({ level: 'silent' });
  const authority = new RelayAuthority({ publicKeyPem: tokens.publicKeyPem(), clock, logger });
  authority.setCurrent(true);
  return authority;
}

describe('the relay authority', () => {
  it('admits a valid token with its grant, from the public key alone', async () => {
    const clock = new VirtualClock(START);
    const tokens = await desk(clock);
    const made = await tokens.create({ scope: ['market', 'pnl'], ttlMs: HOUR, label: 'Mentor' });
    expect(await relay(tokens, clock).verify(made.token)).toEqual({ ok: true, id: made.id, label: 'Mentor', scope: ['market', 'pnl'], expiresAt: made.expiresAt });
  });

  it("refuses another desk's token and a tampered one as unauthorized, an expired one as expired", async () => {
    const clock = new VirtualClock(START);
    const tokens = await desk(clock);
    const other = await desk(clock);
    const authority = relay(tokens, clock);
    const foreign = await other.create({ scope: ['market'], ttlMs: HOUR, label: 'x' });
    expect(await authority.verify(foreign.token)).toMatchObject({ ok: false, code: 'unauthorized' });
    const made = await tokens.create({ scope: ['market'], ttlMs: 60_000, label: 'short' });
    const [h, p, s] = made.token.split('.');
    const flipped = `${s!.slice(0, -2)}${s!.endsWith('AA') ? 'BA' : 'AA'}`;
    expect(await authority.verify(`${h}.${p}.${flipped}`)).toMatchObject({ ok: false, code: 'unauthorized' });
    clock.advance(60_000);
    expect(await authority.verify(made.token)).toMatchObject({ ok: false, code: 'expired' });
  });

  it('refuses a token the latest list revokes, and admits it again when a later list no longer names it (a list replaces)', async () => {
    const clock = new VirtualClock(START);
    const tokens = await desk(clock);
    const authority = relay(tokens, clock);
    const a = await tokens.create({ scope: ['market'], ttlMs: HOUR, label: 'a' });
    const b = await tokens.create({ scope: ['orders'], ttlMs: HOUR, label: 'b' });
    authority.apply({ revoked: [{ id: a.id, expiresAt: a.expiresAt }] });
    expect(await authority.verify(a.token)).toEqual({ ok: false, code: 'revoked', message: 'the viewer token was revoked' });
    expect(authority.isRevoked(a.id)).toBe(true);
    expect((await authority.verify(b.token)).ok).toBe(true);
    authority.apply({ revoked: [{ id: b.id, expiresAt: b.expiresAt }] });
    expect((await authority.verify(a.token)).ok).toBe(true);
    expect(authority.isRevoked(a.id)).toBe(false);
    expect(await authority.verify(b.token)).toMatchObject({ ok: false, code: 'revoked' });
  });

  it('refuses every valid token while not current, with catching-up (not revoked or unauthorized), until it is', async () => {
    const clock = new VirtualClock(START);
    const tokens = await desk(clock);
    const made = await tokens.create({ scope: ['market'], ttlMs: HOUR, label: 'a' });
    const authority = new RelayAuthority({ publicKeyPem: tokens.publicKeyPem(), clock, logger: createLogger({ level: 'silent' }) });
    expect(await authority.verify(made.token)).toEqual({ ok: false, code: 'catching-up', message: 'the relay is catching up; try again shortly' });
    authority.setCurrent(true);
    expect((await authority.verify(made.token)).ok).toBe(true);
    authority.setCurrent(false);
    expect(await authority.verify(made.token)).toMatchObject({ ok: false, code: 'catching-up' });
  });

  it('ignores a bad list, logging it: the previous list stands', async () => {
    const clock = new VirtualClock(START);
    const tokens = await desk(clock);
    const records: LogRecord[] = [];
    const authority = relay(tokens, clock, records);
    const a = await tokens.create({ scope: ['market'], ttlMs: HOUR, label: 'a' });
    authority.apply({ revoked: [{ id: a.id, expiresAt: a.expiresAt }] });
    const bad: unknown[] = [
      null,
      'revoked',
      { revoked: 'all' },
      { revoked: [{ id: a.id }] },
      { revoked: [{ id: '', expiresAt: 1 }] },
      { revoked: [{ id: 'x'.repeat(201), expiresAt: a.expiresAt }] },
      { revoked: [{ id: 'x', expiresAt: Number.NaN }] },
      { revoked: Array.from({ length: 100_001 }, (_, i) => ({ id: `t${i}`, expiresAt: a.expiresAt })) },
    ];
    for (const data of bad) {
      expect(parseRevocationList(data)).toBeUndefined();
      authority.apply(data);
    }
    expect(authority.isRevoked(a.id)).toBe(true);
    expect(await authority.verify(a.token)).toMatchObject({ ok: false, code: 'revoked' });
    expect(records.filter((r) => r.level === 'warn' && /not one/.test(String(r.msg)))).toHaveLength(bad.length);
  });

  it('tells its listeners once per newly revoked id, not again for ids it already knew; an unsubscribed listener hears nothing', async () => {
    const clock = new VirtualClock(START);
    const tokens = await desk(clock);
    const authority = relay(tokens, clock);
    let heard = 0;
    let other = 0;
    authority.onRevocation(() => heard++);
    const stop = authority.onRevocation(() => other++);
    const exp = START + HOUR;
    authority.apply({ revoked: [{ id: 'a', expiresAt: exp }] });
    expect(heard).toBe(1);
    authority.apply({ revoked: [{ id: 'a', expiresAt: exp }] });
    expect(heard).toBe(1);
    authority.apply({
      revoked: [
        { id: 'a', expiresAt: exp },
        { id: 'b', expiresAt: exp },
        { id: 'c', expiresAt: exp },
      ],
    });
    expect(heard).toBe(3);
    stop();
    authority.apply({ revoked: [{ id: 'b', expiresAt: exp }] });
    authority.apply({
      revoked: [
        { id: 'b', expiresAt: exp },
        { id: 'd', expiresAt: exp },
      ],
    });
    expect(heard).toBe(4);
    expect(other).toBe(3);
  });

  it('drops entries already past their expiry (such a token is refused as expired anyway)', async () => {
    const clock = new VirtualClock(START);
    const tokens = await desk(clock);
    const authority = relay(tokens, clock);
    let heard = 0;
    authority.onRevocation(() => heard++);
    authority.apply({
      revoked: [
        { id: 'gone', expiresAt: START },
        { id: 'live', expiresAt: START + 1 },
      ],
    });
    expect(authority.isRevoked('gone')).toBe(false);
    expect(authority.isRevoked('live')).toBe(true);
    expect(heard).toBe(1);
  });

  it('refuses a public key that is not Ed25519 at construction', () => {
    expect(() => new RelayAuthority({ publicKeyPem: 'not a key', clock: new VirtualClock(START), logger: createLogger({ level: 'silent' }) })).toThrow(/not a public key/);
  });

  it('share.revocations matches no viewer view, whatever its scopes', () => {
    const every = viewOf([...VIEWER_SCOPES]);
    expect(topicMatcher(every.topics)?.(REVOCATIONS_TOPIC)).toBe(false);
  });
});
