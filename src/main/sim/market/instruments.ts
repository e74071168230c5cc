// The simulator's instrument catalog: a few liquid US names, EUR.USD, the ES front month, and
// deterministic synthetic US stocks for any other symbol (so `--symbols XYZ` works).
import { hashString, mix32 } from './rng';
import { NEW_YORK } from './sessions';
import type { InstrumentSpec } from './types';
import { dayNumOf, localTime, localToUtc, weekdayOf } from '../../clock';

export const DEFAULT_SYMBOLS: readonly string[] = Object.freeze(['AAPL', 'MSFT', 'NVDA', 'AMZN', 'SPY', 'EUR.USD', 'ES']);

const ORDER_TYPES = 'LMT,MKT,STP,STP LMT';
const STOCK_EXCHANGES = 'SMART,NASDAQ,NYSE,ARCA,BATS,IEX';

interface StockEntry {
  readonly conId: number;
  readonly primaryExchange: string;
  readonly longName: string;
  readonly industry: string;
  readonly category: string;
  readonly basePrice: number;
  readonly annualVolatility: number;
  readonly typicalSize: number;
}

const STOCKS: Readonly<Record<string, StockEntry>> = {
  AAPL: {
    conId: 265598,
    primaryExchange: 'NASDAQ',
    longName: 'APPLE INC',
    industry: 'Technology',
    category: 'Computers',
    basePrice: 230,
    annualVolatility: 0.25,
    typicalSize: 400,
  },
  MSFT: {
    conId: 272093,
    primaryExchange: 'NASDAQ',
    longName: 'MICROSOFT CORP',
    industry: 'Technology',
    category: 'Software',
    basePrice: 420,
    annualVolatility: 0.22,
    typicalSize: 300,
  },
  NVDA: {
    conId: 4815747,
    primaryExchange: 'NASDAQ',
    longName: 'NVIDIA CORP',
    industry: 'Technology',
    category: 'Semiconductors',
    basePrice: 140,
    annualVolatility: 0.45,
    typicalSize: 1200,
  },
  AMZN: {
    conId: 3691937,
    primaryExchange: 'NASDAQ',
    longName: 'AMAZON.COM INC',
    industry: 'Communications',
    category: 'Internet',
    basePrice: 200,
    annualVolatility: 0.3,
    typicalSize: 500,
  },
  SPY: {
    conId: 756733,
    primaryExchange: 'ARCA',
    longName: 'SPDR S&P 500 ETF TRUST',
    industry: 'Funds',
    category: 'Equity Fund',
    basePrice: 590,
    annualVolatility: 0.15,
    typicalSize: 600,
  },
};

function stock(symbol: string, e: StockEntry): InstrumentSpec {
  return {
    conId: e.conId,
    symbol,
    secType: 'STK',
    exchange: 'SMART',
    primaryExchange: e.primaryExchange,
    currency: 'USD',
    localSymbol: symbol,
    // IB's trading class for NASDAQ-listed stocks is 'NMS'; for others the symbol.
    tradingClass: e.primaryExchange === 'NASDAQ' ? 'NMS' : symbol,
    multiplier: 1,
    minTick: 0.01,
    longName: e.longName,
    lastTradeDateOrContractMonth: '',
    contractMonth: '',
    timeZoneId: NEW_YORK,
    industry: e.industry,
    category: e.category,
    orderTypes: ORDER_TYPES,
    validExchanges: STOCK_EXCHANGES,
    basePrice: e.basePrice,
    annualVolatility: e.annualVolatility,
    typicalSize: e.typicalSize,
    lotSize: 100,
    hasTrades: true,
  };
}

function eurUsd(): InstrumentSpec {
  return {
    conId: 12087792,
    symbol: 'EUR',
    secType: 'CASH',
    exchange: 'IDEALPRO',
    primaryExchange: 'IDEALPRO',
    currency: 'USD',
    localSymbol: 'EUR.USD',
    tradingClass: 'EUR.USD',
    multiplier: 1,
    minTick: 0.00005,
    longName: 'European Monetary Union Euro',
    lastTradeDateOrContractMonth: '',
    contractMonth: '',
    timeZoneId: NEW_YORK,
    industry: '',
    category: '',
    orderTypes: ORDER_TYPES,
    validExchanges: 'IDEALPRO',
    basePrice: 1.08,
    annualVolatility: 0.07,
    typicalSize: 1_000_000,
    lotSize: 1000,
    hasTrades: false,
  };
}

const QUARTER_CODES: Readonly<Record<number, string>> = { 3: 'H', 6: 'M', 9: 'U', 12: 'Z' };
const pad2 = (n: number): string => String(n).padStart(2, '0');

/** Third Friday of a month, as a day number. */
function thirdFriday(year: number, month: number): number {
  const first = dayNumOf(year, month, 1);
  return first + ((5 - weekdayOf(first) + 7) % 7) + 14;
}

/** The ES contract trading at `atMs`: the next quarterly month whose last trade (09:30 NY on the third Friday) is after `atMs`. */
export function esFrontMonth(atMs: number): InstrumentSpec {
  const today = new Date(localTime(NEW_YORK, atMs).dayNum * 86_400_000);
  let year = today.getUTCFullYear();
  let month = Math.ceil((today.getUTCMonth() + 1) / 3) * 3;
  let expiry = thirdFriday(year, month);
  while (atMs >= localToUtc(NEW_YORK, expiry, 9 * 60 + 30)) {
    month += 3;
    if (month > 12) {
      month = 3;
      year += 1;
    }
    expiry = thirdFriday(year, month);
  }
  const expiryDate = new Date(expiry * 86_400_000);
  const contractMonth = `${year}${pad2(month)}`;
  return {
    // Stable per contract month and clear of real-looking stock conIds: 600000000 + YYYYMM.
    conId: 600_000_000 + year * 100 + month,
    symbol: 'ES',
    secType: 'FUT',
    exchange: 'CME',
    primaryExchange: 'CME',
    currency: 'USD',
    localSymbol: `ES${QUARTER_CODES[month] ?? ''}${year % 10}`,
    tradingClass: 'ES',
    multiplier: 50,
    minTick: 0.25,
    longName: 'E-mini S&P 500',
    lastTradeDateOrContractMonth: `${contractMonth}${pad2(expiryDate.getUTCDate())}`,
    contractMonth,
    timeZoneId: 'America/Chicago',
    industry: '',
    category: '',
    orderTypes: ORDER_TYPES,
    validExchanges: 'CME',
    basePrice: 5900,
    annualVolatility: 0.15,
    typicalSize: 20,
    lotSize: 1,
    hasTrades: true,
  };
}

/** A made-up US stock whose every parameter comes from the symbol's hash (stable across runs). */
function syntheticStock(symbol: string): InstrumentSpec {
  const h = hashString(symbol);
  const u1 = mix32(h ^ 0x1b873593) / 4294967296;
  const u2 = mix32(h ^ 0x2545f491) / 4294967296;
  const u3 = mix32(h ^ 0x5bd1e995) / 4294967296;
  return stock(symbol, {
    // Above every catalog stock conId and below the ES range.
    conId: 700_000_000 + (h % 100_000_000),
    primaryExchange: 'NASDAQ',
    longName: `${symbol} SYNTHETIC INC`,
    industry: 'Technology',
    category: 'Synthetic',
    // Log-uniform between 10 and 500, rounded to the cent.
    basePrice: Math.round(10 * Math.pow(50, u1) * 100) / 100,
    annualVolatility: Math.round((0.25 + 0.3 * u2) * 100) / 100,
    typicalSize: 100 * (2 + Math.floor(u3 * 9)),
  });
}

function normalise(symbol: string): string {
  const s = symbol.trim().toUpperCase();
  return s === 'EURUSD' || s === 'EUR.USD' || s === 'EUR' ? 'EUR.USD' : s;
}

/**
 * The instruments for `symbols` (default: DEFAULT_SYMBOLS), in the order given, duplicates dropped.
 * `atMs` picks the ES front month.
 */
export function defaultInstruments(symbols: readonly string[] | undefined, atMs: number): InstrumentSpec[] {
  const seen = new Set<string>();
  const out: InstrumentSpec[] = [];
  for (const raw of symbols ?? DEFAULT_SYMBOLS) {
    const symbol = normalise(raw);
    if (symbol === '' || seen.has(symbol)) continue;
    seen.add(symbol);
    const entry = STOCKS[symbol];
    if (entry !== undefined) out.push(stock(symbol, entry));
    else if (symbol === 'EUR.USD') out.push(eurUsd());
    else if (symbol === 'ES') out.push(esFrontMonth(atMs));
    else out.push(syntheticStock(symbol));
  }
  return out;
}
