// The trader's commands, one contract for the Electron IPC, the local server and tests: each is
// validated with a schema at the boundary and answers with a typed result or a typed error.
import { z } from 'zod';
import { TRADING_MODES, type TradingMode } from './mode';
import type { DeskHealth } from './health';
import type { MarketDataSnapshot } from './market';
import type { OrderPreview, RiskLimits, RiskStatus } from './risk';
import type { DeskReconciliation, EquitySnapshot, Fill, KillSwitchReport, Order, Position, VenueAdoption } from './trading';
import type { VenueStatus } from './venue';
import { SECURITY_TYPES } from './market';
import { ORDER_SIDES, ORDER_TYPES, TIMES_IN_FORCE, priceFieldsOf } from './orders';
import type { Workspace } from './workspace';
import { VIEWER_SCOPES, type CreatedViewerToken, type ShareStatus, type ViewerToken } from './share';

const positive = z.number({ error: 'must be a number' }).finite('must be a finite number').positive('must be above 0');
const price = positive.max(1e9, 'must be at most 1,000,000,000');

export const InstrumentSpecSchema = z.strictObject({
  symbol: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(32)
    .regex(/^[A-Za-z0-9. /&-]+$/, 'must be letters, digits and . / & - only'),
  secType: z.enum(SECURITY_TYPES),
  exchange: z.string().trim().min(1).max(32).optional(),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'must be a 3-letter currency code')
    .optional(),
  primaryExchange: z.string().trim().min(1).max(32).optional(),
  lastTradeDateOrContractMonth: z
    .string()
    .regex(/^\d{6}(\d{2})?$/, 'must be YYYYMM or YYYYMMDD')
    .optional(),
  localSymbol: z.string().trim().min(1).max(32).optional(),
  conId: z.number().int().positive().optional(),
});

export const OrderTicketSchema = z
  .strictObject({
    instrument: InstrumentSpecSchema,
    side: z.enum(ORDER_SIDES),
    quantity: positive.max(1e9, 'must be at most 1,000,000,000'),
    type: z.enum(ORDER_TYPES),
    limitPrice: price.optional(),
    stopPrice: price.optional(),
    tif: z.enum(TIMES_IN_FORCE).default('DAY'),
    outsideRth: z.boolean().optional(),
  })
  .superRefine((t, ctx) => {
    const { limit: needsLimit, stop: needsStop } = priceFieldsOf(t.type);
    if (needsLimit && t.limitPrice === undefined) ctx.addIssue({ code: 'custom', path: ['limitPrice'], message: `is required for a ${t.type} order` });
    if (!needsLimit && t.limitPrice !== undefined) ctx.addIssue({ code: 'custom', path: ['limitPrice'], message: `is not used by a ${t.type} order` });
    if (needsStop && t.stopPrice === undefined) ctx.addIssue({ code: 'custom', path: ['stopPrice'], message: `is required for a ${t.type} order` });
    if (!needsStop && t.stopPrice !== undefined) ctx.addIssue({ code: 'custom', path: ['stopPrice'], message: `is not used by a ${t.type} order` });
  });

const orderId = z.string().min(1).max(64);

export const CommandSchemas = {
  subscribe: z.strictObject({ instrument: InstrumentSpecSchema }),
  unsubscribe: z.strictObject({ conId: z.number().int().positive() }),
  placeOrder: z.strictObject({ ticket: OrderTicketSchema }),
  modifyOrder: z
    .strictObject({ orderId, quantity: positive.optional(), limitPrice: price.optional(), stopPrice: price.optional(), tif: z.enum(TIMES_IN_FORCE).optional() })
    .refine((m) => m.quantity !== undefined || m.limitPrice !== undefined || m.stopPrice !== undefined || m.tif !== undefined, 'name at least one thing to change'),
  cancelOrder: z.strictObject({ orderId }),
  cancelAll: z.strictObject({}),
  /** Every position, or one instrument's. */
  flatten: z.strictObject({ conId: z.number().int().positive().optional() }),
  killSwitch: z.strictObject({ reason: z.string().max(200).optional() }),
  rearm: z.strictObject({}),
  getRiskLimits: z.strictObject({}),
  /** The limits are validated by the risk module's own schema (src/shared/risk.ts). */
  setRiskLimits: z.strictObject({ limits: z.record(z.string(), z.unknown()) }),
  switchMode: z.strictObject({ mode: z.enum(TRADING_MODES), confirm: z.literal(true).optional() }),
  /** Working orders, then the most recent final ones. */
  getOrders: z.strictObject({ limit: z.number().int().min(1).max(1_000).default(200) }),
  getPositions: z.strictObject({}),
  getEquity: z.strictObject({}),
  getRiskStatus: z.strictObject({}),
  /** What the last reconciliation with the venue found: orders, and positions that still differ. */
  getReconciliation: z.strictObject({}),
  /** Positions that differ from the venue's: DualDesk takes the venue's figures (the venue is the truth). */
  adoptVenuePositions: z.strictObject({}),
  /** An instrument's chart and quote as of now (it must be subscribed). */
  getMarketData: z.strictObject({ conId: z.number().int().positive() }),
  /** LIVE only, after switching: orders go out only once the trader arms (refused for a paper account). */
  armLive: z.strictObject({ confirm: z.literal(true, 'arming LIVE trading needs confirm: true') }),
  disarmLive: z.strictObject({}),
  /** The risk gate's verdict on a ticket, without sending or recording it (the ticket's preview). */
  previewOrder: z.strictObject({ ticket: OrderTicketSchema }),
  /** The most recent fills, newest first. */
  getFills: z.strictObject({ limit: z.number().int().min(1).max(1_000).default(200) }),
  /** Venue, stream, Kafka and journal at a glance (the top bar and the transport panel). */
  getHealth: z.strictObject({}),
  /** The trader's watchlist and charted instrument, kept by the desk (every window and viewer sees the same). */
  getWorkspace: z.strictObject({}),
  /** The venue resolves the instrument first; a duplicate or a full watchlist is refused. */
  addToWatchlist: z.strictObject({ instrument: InstrumentSpecSchema }),
  removeFromWatchlist: z.strictObject({ conId: z.number().int().positive() }),
  /** The instrument to chart (one on the watchlist), or null for none. */
  showChart: z.strictObject({ conId: z.number().int().positive().nullable() }),
  /** Sharing with remote viewers (the share dialog): the share server, its viewers and their tokens. */
  getShareStatus: z.strictObject({}),
  /** Turns the share server on or off; port and host default to the configuration's (8443, all interfaces). */
  setSharing: z.strictObject({
    enabled: z.boolean(),
    port: z.number().int().min(0).max(65_535).optional(),
    host: z.string().min(1).max(255).optional(),
  }),
  createViewerToken: z.strictObject({
    scope: z.array(z.enum(VIEWER_SCOPES)).min(1, 'choose at least one scope').max(VIEWER_SCOPES.length),
    /** From 1 minute to 30 days. */
    ttlMinutes: z
      .number()
      .int()
      .min(1)
      .max(30 * 24 * 60),
    label: z.string().trim().min(1, 'name the viewer').max(64),
  }),
  listViewerTokens: z.strictObject({}),
  /** Revokes a token: its viewers are closed within a second. */
  revokeViewerToken: z.strictObject({ id: z.string().min(1).max(64) }),
} as const;

export type CommandName = keyof typeof CommandSchemas;

/** What each command answers with. */
export interface CommandValues {
  subscribe: MarketDataSnapshot;
  unsubscribe: { readonly unsubscribed: boolean };
  placeOrder: Order;
  modifyOrder: Order;
  cancelOrder: Order;
  cancelAll: { readonly cancelled: number };
  flatten: Order[];
  killSwitch: KillSwitchReport;
  rearm: RiskStatus;
  getRiskLimits: RiskLimits;
  setRiskLimits: RiskLimits;
  switchMode: { readonly mode: TradingMode };
  getOrders: Order[];
  getPositions: Position[];
  getEquity: EquitySnapshot | null;
  getRiskStatus: RiskStatus;
  getReconciliation: DeskReconciliation | null;
  adoptVenuePositions: VenueAdoption;
  getMarketData: MarketDataSnapshot;
  armLive: VenueStatus;
  disarmLive: VenueStatus;
  previewOrder: OrderPreview;
  getFills: Fill[];
  getHealth: DeskHealth;
  getWorkspace: Workspace;
  addToWatchlist: Workspace;
  removeFromWatchlist: Workspace;
  showChart: Workspace;
  getShareStatus: ShareStatus;
  setSharing: ShareStatus;
  createViewerToken: CreatedViewerToken;
  listViewerTokens: ViewerToken[];
  revokeViewerToken: ViewerToken;
}
export type CommandArgs<N extends CommandName> = z.input<(typeof CommandSchemas)[N]>;
export type ParsedCommandArgs<N extends CommandName> = z.output<(typeof CommandSchemas)[N]>;

/** A refused or failed command: a stable code for programs, a message in the trader's words. */
export class DeskCommandError extends Error {
  override readonly name = 'DeskCommandError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export type CommandResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: { readonly code: string; readonly message: string } };

/** The fields a trader fills in, as the trader calls them (the last part of an issue's path). */
const FIELD_WORDS: Readonly<Record<string, string>> = {
  quantity: 'Quantity',
  limitPrice: 'Limit price',
  stopPrice: 'Stop price',
  tif: 'Time in force',
  side: 'Side',
  type: 'Order type',
  symbol: 'Symbol',
  secType: 'Security type',
  currency: 'Currency',
  exchange: 'Exchange',
  orderId: 'Order id',
  conId: 'Contract id',
  limit: 'Limit',
  mode: 'Mode',
  reason: 'Reason',
};

/** One schema issue as a sentence: 'Limit price must be above 0', 'Order id is required'. */
function issueWords(path: readonly PropertyKey[], message: string): string {
  const field = path.length === 0 ? undefined : String(path[path.length - 1]);
  if (field === undefined) return message.charAt(0).toUpperCase() + message.slice(1);
  const words = FIELD_WORDS[field] ?? path.map(String).join('.');
  // zod's own wording ('Invalid input: expected string, received undefined') said plainly.
  const expected = /^Invalid input: expected (\w+), received (\w+)$/.exec(message);
  if (expected) return `${words} ${expected[2] === 'undefined' ? 'is required' : `must be a ${expected[1] as string}`}`;
  return `${words} ${message}`;
}

/** Validates a command's arguments; the error names every bad field in the trader's words. */
export function parseCommand<N extends CommandName>(name: N, args: unknown): ParsedCommandArgs<N> {
  const schema = CommandSchemas[name] as unknown as z.ZodType<ParsedCommandArgs<N>>;
  const parsed = schema.safeParse(args);
  if (parsed.success) return parsed.data;
  throw new DeskCommandError('invalid-arguments', parsed.error.issues.map((i) => issueWords(i.path, i.message)).join('; '));
}
