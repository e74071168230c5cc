// The stream's topic contract (src/shared/topics.ts): every topic the core publishes parses to its kind,
// and anything else is 'unknown', never a throw.
import { describe, expect, it } from 'vitest';
import { parseTopic } from '../../../src/shared';

const data = { any: 'payload' };

describe('parseTopic', () => {
  it.each([
    ['md.quote.EUR-USD', { kind: 'quote', word: 'EUR-USD' }],
    ['md.bar.1m.AAPL', { kind: 'bar', period: '1m', word: 'AAPL' }],
    ['md.bar.5s.AAPL', { kind: 'bar', period: '5s', word: 'AAPL' }],
    ['md.history.1m.AAPL', { kind: 'history', period: '1m', word: 'AAPL' }],
    ['md.ema.AAPL', { kind: 'ema', period: '1m', word: 'AAPL' }],
    ['md.ema.5s.AAPL', { kind: 'ema', period: '5s', word: 'AAPL' }],
    ['md.signal.AAPL', { kind: 'signal', period: '1m', word: 'AAPL' }],
    ['md.signal.5s.AAPL', { kind: 'signal', period: '5s', word: 'AAPL' }],
    ['order.D-42', { kind: 'order', word: 'D-42' }],
    ['position.MSFT', { kind: 'position', word: 'MSFT' }],
    ['fill', { kind: 'fill' }],
    ['equity', { kind: 'equity' }],
    ['risk.alert', { kind: 'risk.alert' }],
    ['risk.state', { kind: 'risk.state' }],
    ['risk.challenge', { kind: 'risk.challenge' }],
    ['risk.killswitch', { kind: 'risk.killswitch' }],
    ['venue.status', { kind: 'venue.status' }],
    ['venue.alert', { kind: 'venue.alert' }],
    ['portfolio.discrepancy', { kind: 'portfolio.discrepancy' }],
    ['workspace', { kind: 'workspace' }],
  ])('%s', (topic, expected) => {
    expect(parseTopic(topic, data)).toEqual({ ...expected, data });
  });

  it.each([
    '',
    'md',
    'md.quote',
    'md.quote.',
    'md.bar.AAPL',
    'md.bar.1h.AAPL',
    'md.history.5s.AAPL',
    'md.ema.1m.AAPL',
    'md.ema.5s.x.AAPL',
    'md.depth.AAPL',
    'order',
    'order.1.2',
    'risk.unknown',
    'news.AAPL',
    '..',
    'fill.x',
  ])('unknown: %j', (topic) => {
    expect(parseTopic(topic, data)).toEqual({ kind: 'unknown', topic, data });
  });
});
