// The core's topics and what each carries. Instruments appear as topic words (topicWord: EUR.USD → EUR-USD).
import type { BarHistory, BarUpdate, ChallengeStatusChange, CrossSignal, Discrepancy, EmaUpdate, EquitySnapshot, Fill, KillSwitchProgress, Order, Position, RiskAlert, SymbolQuote, TradingStateChange, VenueAlert, VenueStatus, Workspace } from '../../shared';

export type { SymbolQuote } from '../../shared';

export type CoreTopics = {
  [topic: `md.quote.${string}`]: SymbolQuote;
  [topic: `md.bar.1m.${string}`]: BarUpdate;
  [topic: `md.bar.5s.${string}`]: BarUpdate;
  /** The last closed 1-minute bars (settings.sharedHistoryBars), whole, when one closes and when history loads. */
  [topic: `md.history.1m.${string}`]: BarHistory;
  [topic: `md.ema.${string}`]: EmaUpdate;
  [topic: `md.signal.${string}`]: CrossSignal;
  [topic: `order.${string}`]: Order;
  [topic: `position.${string}`]: Position;
} & {
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
