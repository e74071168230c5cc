// The paper venue's state file: what makes a restarted simulator the same account (cash, positions,
// working and done orders, executions and their commissions, next ids), as TWS is after a restart.
// One JSON document, replaced atomically (temp file, fsync, rename, fsync of the folder), so a crash
// leaves the previous state or the new one, never half of one. Read back strictly: a file that is not
// a whole, valid state stops the start with its reason rather than opening a new account.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { z } from 'zod';
import type { EngineState } from './engine/types';

export const VENUE_STATE_FORMAT = 'dualdesk-sim-venue';
export const VENUE_STATE_VERSION = 1;

export interface VenueState {
  readonly format: typeof VENUE_STATE_FORMAT;
  readonly version: typeof VENUE_STATE_VERSION;
  readonly accountId: string;
  /** Venue time of the save (epoch ms). */
  readonly savedAt: number;
  /** [clientId, highest order id it sent], refused ones included: nextValidId stays above them. */
  readonly orderIds: readonly (readonly [number, number])[];
  readonly engine: EngineState;
}

/** A state file that exists but cannot be used: the simulator must not start as a new account over it. */
export class VenueStateError extends Error {}

const num = z.number();
const int = z.number().int();
const pair = z.tuple([int, int]);

const instrument = z.object({
  conId: int,
  symbol: z.string(),
  secType: z.enum(['STK', 'CASH', 'FUT']),
  exchange: z.string(),
  primaryExchange: z.string(),
  currency: z.string(),
  localSymbol: z.string(),
  tradingClass: z.string(),
  multiplier: num,
  minTick: num,
  longName: z.string(),
  lastTradeDateOrContractMonth: z.string(),
  contractMonth: z.string(),
  timeZoneId: z.string(),
  industry: z.string(),
  category: z.string(),
  orderTypes: z.string(),
  validExchanges: z.string(),
  basePrice: num,
  annualVolatility: num,
  typicalSize: num,
  lotSize: num,
  hasTrades: z.boolean(),
});

const order = z.object({
  orderId: int,
  clientId: int,
  conId: int,
  action: z.enum(['BUY', 'SELL']),
  totalQuantity: num,
  orderType: z.enum(['MKT', 'LMT', 'STP', 'STP LMT']),
  lmtPrice: num.optional(),
  auxPrice: num.optional(),
  tif: z.enum(['DAY', 'GTC', 'IOC']),
  outsideRth: z.boolean(),
  orderRef: z.string(),
  account: z.string(),
  permId: int,
  status: z.enum(['PreSubmitted', 'Submitted', 'Filled', 'Cancelled', 'Inactive']),
  filled: num,
  remaining: num,
  avgFillPrice: num,
  lastFillPrice: num,
  triggered: z.boolean(),
  whyHeld: z.string(),
  createdAt: num,
  completedAt: num.optional(),
  completedStatus: z.string().optional(),
  seq: int,
  arrived: z.boolean(),
  expiresAt: num.optional(),
  notional: num,
});

const execution = z.object({
  execId: z.string().min(1),
  orderId: int,
  clientId: int,
  permId: int,
  conId: int,
  account: z.string(),
  side: z.enum(['BOT', 'SLD']),
  shares: num,
  price: num,
  time: num,
  cumQty: num,
  avgPrice: num,
  orderRef: z.string(),
  exchange: z.string(),
  lastLiquidity: z.union([z.literal(1), z.literal(2)]),
});

const commission = z.object({ execId: z.string().min(1), commission: num, currency: z.string(), realizedPnL: num.optional() });

const holding = z.object({
  conId: int,
  quantity: num,
  costPerUnit: num,
  pricePerUnit: num,
  realizedTotal: num,
  realizedToday: num,
  unrealizedAtDayStart: num,
  lastFillPrice: num,
});

const venueState = z.object({
  format: z.literal(VENUE_STATE_FORMAT),
  version: z.literal(VENUE_STATE_VERSION),
  accountId: z.string().min(1),
  savedAt: num,
  orderIds: z.array(pair),
  engine: z.object({
    instruments: z.array(instrument),
    nextPermId: int,
    seq: int,
    highestOrderIds: z.array(pair),
    orders: z.array(order),
    executions: z.array(execution),
    commissions: z.array(commission),
    account: z.object({ cash: num, day: z.string().optional(), nextDayStart: num.optional(), dayStartNetLiquidation: num, holdings: z.array(holding) }),
  }),
});

/** The saved state, or undefined when there is none yet (a new account). */
export function readVenueState(file: string): VenueState | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new VenueStateError(`cannot read the simulator's state file ${file}: ${(err as Error).message}`);
  }
  const unusable = (why: string) => new VenueStateError(`the simulator's state file ${file} is unusable (${why}); move it away to start a new paper account`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw unusable(`not JSON: ${printable((err as Error).message)}`);
  }
  const parsed = venueState.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw unusable(issue ? `${issue.path.join('.') || 'the document'}: ${issue.message}` : 'invalid');
  }
  const state = parsed.data as VenueState;
  const described = new Set(state.engine.instruments.map((i) => i.conId));
  const missing = [...state.engine.orders, ...state.engine.account.holdings].find((x) => !described.has(x.conId));
  if (missing) throw unusable(`instrument ${missing.conId} is used but not described`);
  return state;
}

/** The parser quotes the bytes it choked on: control characters must not reach the terminal raw. */
function printable(text: string): string {
  return [...text].map((c) => (c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f ? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}` : c)).join('');
}

/** Replaces the state file atomically and durably (owner-only). */
export function writeVenueState(file: string, state: VenueState): void {
  const temp = `${dirname(file)}/.${basename(file)}.tmp`;
  // A stale temp file (a crash mid-save) would keep its own mode: the new one is created owner-only.
  unlinkIfPresent(temp);
  const bytes = Buffer.from(JSON.stringify(state), 'utf8');
  const fd = openSync(temp, 'wx', 0o600);
  try {
    for (let at = 0; at < bytes.length;) at += writeSync(fd, bytes, at);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, file);
  // Windows cannot open a folder to fsync it (EISDIR/EPERM), and NTFS makes the rename durable itself.
  if (process.platform === 'win32') return;
  // The rename itself survives a power cut only once the folder is synced.
  const dir = openSync(dirname(file), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

function unlinkIfPresent(file: string): void {
  try {
    unlinkSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
