export type { DeskApi, DeskError, DeskInfo } from './desk';
export { TRADING_MODES, type TradingMode } from './mode';
export { Backoff, backoffDelay } from './backoff';
export type { BackoffOptions } from './backoff';
export { DESK_IPC_CHANNELS } from './ipc';
export { SECURITY_TYPES } from './market';
export { packBarHistory, unpackBarHistory } from './bar-history';
export type { BarHistory, ChartBar, PackedBar } from './bar-history';
export { percentDecimals } from './percent';
export type { Bar, BarSource, BarUpdate, CrossSignal, EmaUpdate, Instrument, InstrumentSpec, MarketDataSnapshot, Quote, SecurityType, SymbolQuote } from './market';
export { ORDER_SIDES, ORDER_TYPES, TIMES_IN_FORCE, priceFieldsOf } from './orders';
export type { OrderSide, OrderType, TimeInForce } from './orders';
export { KILL_SWITCH_PHASES, ORDER_STATES, TRADING_STATES } from './trading';
export type {
  CashMismatch,
  DeskReconciliation,
  Discrepancy,
  EquitySnapshot,
  Fill,
  KillSwitchPhase,
  KillSwitchProgress,
  KillSwitchReport,
  Order,
  OrderState,
  OrderTicket,
  Position,
  PositionMismatch,
  ReconciliationReport,
  TradingState,
  VenueAdoption,
} from './trading';
export type { ConnectionState, VenueAlert, VenueStatus } from './venue';
export type { DependencyHealth, DeskHealth } from './health';
export {
  ALERT_SEVERITIES,
  CHALLENGE_REASONS,
  CHALLENGE_STATUSES,
  defaultRiskLimits,
  LIMIT_ACTIONS,
  parseRiskLimits,
  quantityUnit,
  RISK_REJECT_CODES,
  RiskLimitsSchema,
} from './risk';
export type {
  AlertSeverity,
  OrderPreview,
  ChallengeReason,
  ChallengeStatus,
  ChallengeStatusChange,
  LimitAction,
  RiskAccepted,
  RiskAlert,
  RiskDecision,
  RiskLimits,
  RiskLimitsInput,
  RiskLimitsParse,
  RiskRejectCode,
  RiskRejection,
  RiskStatus,
  TradingStateChange,
} from './risk';
export { CommandSchemas, DeskCommandError, InstrumentSpecSchema, OrderTicketSchema, parseCommand } from './commands';
export type { CommandArgs, CommandName, CommandResult, CommandValues, ParsedCommandArgs } from './commands';
export { ALWAYS_SHARED_TOPICS, REDACTED_ACCOUNT, SCOPE_TOPICS, VIEWER_LINK_FRAGMENT_KEY, VIEWER_SCOPES, VIEWER_TOKEN_PROTOCOL_PREFIX } from './share';
export type { CreatedViewerToken, ShareStatus, ViewerConnection, ViewerScope, ViewerToken } from './share';
export { DEFAULT_WATCHLIST, MAX_WATCHLIST } from './workspace';
export type { WatchlistEntry, Workspace } from './workspace';
export { parseTopic } from './topics';
export type { BarPeriod, FixedTopics, StreamMessage, StreamTopics, TopicPattern, WordTopics } from './topics';
