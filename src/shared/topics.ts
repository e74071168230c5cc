// The stream's topics and what each carries: one contract for the bus that publishes them, the stream
// that carries them, and the window and viewer that read them. Instruments appear as topic words
// (topicWord: EUR.USD → EUR-USD); 5-second EMAs and crossings are md.ema.5s.<word> / md.signal.5s.<word>.
import type { BarHistory } from './bar-history';
import type { BarUpdate, CrossSignal, EmaUpdate, SymbolQuote } from './market';
import type { ChallengeStatusChange, RiskAlert, TradingStateChange } from './risk';
import type { Discrepancy, EquitySnapshot, Fill, KillSwitchProgress, Order, Position } from './trading';
import type { VenueAlert, VenueStatus } from './venue';
import type { Workspace } from './workspace';

/** The topics with an instrument's word (or an order's id) in them. */
export type WordTopics = {
  [topic: `md.quote.${string}`]: SymbolQuote;
  [topic: `md.bar.1m.${string}`]: BarUpdate;
  [topic: `md.bar.5s.${string}`]: BarUpdate;
  /** The last closed 1-minute bars (settings.sharedHistoryBars), whole, when one closes and when history loads. */
  [topic: `md.history.1m.${string}`]: BarHistory;
  [topic: `md.ema.${string}`]: EmaUpdate;
  [topic: `md.signal.${string}`]: CrossSignal;
  [topic: `order.${string}`]: Order;
  [topic: `position.${string}`]: Position;
};

/** The topics named whole. */
export type FixedTopics = {
  fill: Fill;
  equity: EquitySnapshot;
  'risk.alert': RiskAlert;
  'risk.state': TradingStateChange;
  'risk.challenge': ChallengeStatusChange;
  /** The kill switch's progress until flat is verified at the venue. */
  'risk.killswitch': KillSwitchProgress;
  'venue.status': VenueStatus;
  'venue.alert': VenueAlert;
  /** DualDesk's books and the venue's disagree (positions, equity). */
  'portfolio.discrepancy': Discrepancy;
  /** The trader's watchlist and charted instrument, whole, at start and after every change. */
  workspace: Workspace;
};

export type StreamTopics = WordTopics & FixedTopics;

/** A pattern over the contract's topics (topicMatcher's `*` and `>`): a fixed topic by name, or under a family. */
export type TopicPattern = keyof FixedTopics | `${'md' | 'order' | 'position'}.${string}`;

/** A bar size: the 1-minute chart's or the 5-second view's. */
export type BarPeriod = '1m' | '5s';

/** A stream message by what it is: narrow on `kind` and `data` has its topic's type. */
export type StreamMessage =
  | { readonly kind: 'quote'; readonly word: string; readonly data: SymbolQuote }
  | { readonly kind: 'bar'; readonly period: BarPeriod; readonly word: string; readonly data: BarUpdate }
  | { readonly kind: 'history'; readonly period: '1m'; readonly word: string; readonly data: BarHistory }
  | { readonly kind: 'ema'; readonly period: BarPeriod; readonly word: string; readonly data: EmaUpdate }
  | { readonly kind: 'signal'; readonly period: BarPeriod; readonly word: string; readonly data: CrossSignal }
  | { readonly kind: 'order'; readonly word: string; readonly data: Order }
  | { readonly kind: 'position'; readonly word: string; readonly data: Position }
  | { [K in keyof FixedTopics]: { readonly kind: K; readonly data: FixedTopics[K] } }[keyof FixedTopics]
  /** A topic this contract does not name (a newer core's, or a malformed one): ignored, never thrown on. */
  | { readonly kind: 'unknown'; readonly topic: string; readonly data: unknown };

// A record over every key of FixedTopics, so that a topic added to the type and not here does not compile.
const FIXED_KEYS: { readonly [K in keyof FixedTopics]: true } = {
  fill: true,
  equity: true,
  'risk.alert': true,
  'risk.state': true,
  'risk.challenge': true,
  'risk.killswitch': true,
  'venue.status': true,
  'venue.alert': true,
  'portfolio.discrepancy': true,
  workspace: true,
};
const FIXED: ReadonlySet<string> = new Set(Object.keys(FIXED_KEYS));

/**
 * What a topic is, with its data typed by the contract. The data is the core's, sequenced and decoded;
 * its shape is trusted as the topic says (a reader that must not trust it checks fields itself).
 */
export function parseTopic(topic: string, data: unknown): StreamMessage {
  if (FIXED.has(topic)) return { kind: topic, data } as StreamMessage;
  const parts = topic.split('.');
  const word = parts[parts.length - 1] ?? '';
  const unknown: StreamMessage = { kind: 'unknown', topic, data };
  if (word === '' || parts.some((p) => p === '')) return unknown;
  if (parts[0] === 'order' && parts.length === 2) return { kind: 'order', word, data: data as Order };
  if (parts[0] === 'position' && parts.length === 2) return { kind: 'position', word, data: data as Position };
  if (parts[0] !== 'md') return unknown;
  const kind = parts[1];
  if (kind === 'quote' && parts.length === 3) return { kind, word, data: data as SymbolQuote };
  if (kind === 'bar' && parts.length === 4 && isPeriod(parts[2])) return { kind, period: parts[2], word, data: data as BarUpdate };
  if (kind === 'history' && parts.length === 4 && parts[2] === '1m') return { kind, period: '1m', word, data: data as BarHistory };
  // The 1-minute EMAs and crossings have no period word; the 5-second ones have '5s'.
  const period = parts.length === 3 ? '1m' : parts.length === 4 && parts[2] === '5s' ? '5s' : undefined;
  if (period === undefined) return unknown;
  if (kind === 'ema') return { kind, period, word, data: data as EmaUpdate };
  if (kind === 'signal') return { kind, period, word, data: data as CrossSignal };
  return unknown;
}

function isPeriod(p: string | undefined): p is BarPeriod {
  return p === '1m' || p === '5s';
}
