// The outage banner's and the ticket's Send-blocking words, from health answers and the subscriber's state.
import { describe, expect, it } from 'vitest';
import type { DeskHealth, RiskStatus, VenueStatus } from '../../../src/shared';
import type { SubscriberState } from '../../../src/shared/stream';
import { ageText, orderBlock, outages, staleAge, staleVenueStatus, type Connectivity } from '../../../src/renderer/src/desk/outage';

const NOW = 1_700_000_000_000;

const venue = (over: Partial<VenueStatus> = {}): VenueStatus => ({
  state: 'connected',
  since: NOW - 60_000,
  mode: 'paper',
  host: '127.0.0.1',
  port: 7497,
  clientId: 1,
  accounts: ['DU1'],
  account: 'DU1',
  synced: true,
  armed: false,
  trading: { allowed: true },
  attempts: 0,
  ...over,
});

const stream = (over: Partial<SubscriberState> = {}): SubscriberState => ({
  channel: 'websocket',
  websocket: 'open',
  breaker: 'closed',
  epoch: 'e1',
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

const health = { venueConfigured: true } as DeskHealth;

const healthy = (over: Partial<Connectivity> = {}): Connectivity => ({
  coreReachable: true,
  coreDownSince: undefined,
  health,
  venue: venue(),
  risk: { state: 'ACTIVE' } as RiskStatus,
  stream: stream(),
  now: NOW,
  ...over,
});

describe('outages', () => {
  it('none while everything is up, and Send is on', () => {
    expect(outages(healthy())).toEqual([]);
    expect(orderBlock(healthy())).toBeUndefined();
  });

  it('an unreachable core hides what lies behind it and counts down to the stream’s reconnect', () => {
    const c = healthy({
      coreReachable: false,
      coreDownSince: NOW - 12_000,
      venue: venue({ state: 'lost' }),
      stream: stream({ websocket: 'closed', channel: 'none', nextReconnectAt: NOW + 3_200 }),
    });
    const list = outages(c);
    expect(list.map((o) => o.kind)).toEqual(['core']);
    expect(list[0]?.down).toMatch(/core is not reachable for 12 s/);
    expect(list[0]?.doing).toMatch(/reconnecting in 4 s/);
    expect(orderBlock(c)).toMatch(/core is not reachable/);
  });

  it('the venue lost, with its next attempt; a data farm down leaves Send on', () => {
    const lost = healthy({ venue: venue({ state: 'lost', attempts: 2, nextAttemptAt: NOW + 5_000, lastError: 'connect ECONNREFUSED' }) });
    const [only, ...rest] = outages(lost);
    expect(rest).toEqual([]);
    expect(only?.kind).toBe('venue');
    expect(only?.down).toMatch(/venue \(127\.0\.0\.1:7497\) is lost — connect ECONNREFUSED/);
    expect(only?.doing).toBe('Reconnecting in 5 s (attempt 2).');
    expect(orderBlock(lost)).toBe('Send is off: the venue is lost.');
    const farm = healthy({ venue: venue({ state: 'degraded-data' }) });
    expect(outages(farm).map((o) => o.kind)).toEqual(['data-farm']);
    expect(orderBlock(farm)).toBeUndefined();
  });

  it('the stream behind its head is catching up; down, it reconnects', () => {
    expect(outages(healthy({ stream: stream({ head: 1_300, lastSeq: 100 }) }))[0]?.doing).toBe('Catching up 1,200 messages.');
    expect(outages(healthy({ stream: stream({ websocket: 'connecting', channel: 'none' }) }))[0]).toMatchObject({ kind: 'stream', doing: 'Reconnecting now.' });
  });

  it('Send is off with the venue’s own reason, not in sync, or halted', () => {
    expect(orderBlock(healthy({ venue: venue({ trading: { allowed: false, reason: 'LIVE trading is not armed' } }) }))).toBe('Send is off: LIVE trading is not armed.');
    expect(orderBlock(healthy({ venue: venue({ synced: false }) }))).toBe('Send is off: the venue is not in sync yet.');
    expect(orderBlock(healthy({ risk: { state: 'HALTED', reason: 'Kill switch.' } as RiskStatus }))).toBe('Send is off: trading is halted — Kill switch.');
  });
});

describe('quote ages', () => {
  it('stale only while its path is interrupted or its feed reported silent; written in seconds, minutes or hours', () => {
    expect(staleAge(NOW - 60_000, NOW, false)).toBeUndefined();
    expect(staleAge(NOW - 12_400, NOW, true)).toBe(12_400);
    expect(staleAge(NOW - 12_400, NOW, false, NOW - 1_000)).toBe(12_400);
    expect(staleAge(NOW - 500, NOW, false, NOW - 1_000)).toBeUndefined();
    expect(ageText(12_400)).toBe('12 s');
    expect(ageText(185_000)).toBe('3 min');
    expect(ageText(7_300_000)).toBe('2 h');
  });
});

describe('venue statuses from two sources', () => {
  it('ignores one whose state began before the shown one (a late health answer), never a newer one or another mode\u2019s', () => {
    const connected = venue({ state: 'connected', since: 2_000 });
    expect(staleVenueStatus(connected, venue({ state: 'lost', since: 1_000 }))).toBe(true);
    expect(staleVenueStatus(connected, venue({ state: 'lost', since: 3_000 }))).toBe(false);
    // The same state again (synced, armed, a new reason) is news.
    expect(staleVenueStatus(connected, venue({ state: 'connected', since: 2_000, synced: false }))).toBe(false);
    expect(staleVenueStatus(connected, venue({ state: 'lost', since: 1_000, mode: 'live' }))).toBe(false);
    expect(staleVenueStatus(undefined, connected)).toBe(false);
  });
});
