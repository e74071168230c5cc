export { MarketDataClosedError, MarketDataHub } from './hub';
export type {
  MarketDataError,
  MarketDataFeed,
  MarketDataHubEvents,
  MarketDataHubOptions,
  MarketDataHubStats,
  MarketDataSubscription,
  MarketDataSubscriptionInfo,
  MarketDataVenue,
  SubscribeOptions,
} from './hub';
export { InstrumentPipeline } from './pipeline';
export type { MarketDataSnapshot, PipelineDeps, PipelineStats } from './pipeline';
export { BAR_MS, DEFAULT_FINALIZE_GRACE_MS, DEFAULT_WINDOW_MINUTES, MINUTE_MS, MinuteAggregator, validBar } from './aggregator';
export type { AggregatorOptions, AggregatorStats, DropReason, MinuteSink } from './aggregator';
export { EmaEngine } from './ema';
export type { EmaEngineOptions, Side } from './ema';
export { historyDuration, MarketDataSettingsError, MarketDataSettingsSchema, MAX_EMA_PERIOD, parseMarketDataSettings, SHARED_HISTORY_BARS } from './settings';
export type { MarketDataSettings, MarketDataSettingsInput } from './settings';
