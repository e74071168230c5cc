// IB-style contract matching: every field that is given must match; empty strings and 0 mean "not given".
import type { ContractQuery, InstrumentSpec } from './types';

const given = (s: string | undefined): s is string => s !== undefined && s.trim() !== '';
const same = (a: string, b: string): boolean => a.trim().toUpperCase() === b.trim().toUpperCase();

function symbolMatches(instrument: InstrumentSpec, symbol: string): boolean {
  const s = symbol.trim().toUpperCase();
  if (s === instrument.symbol.toUpperCase() || s === instrument.localSymbol.toUpperCase()) return true;
  // FX pairs are also asked for as 'EURUSD'.
  return instrument.secType === 'CASH' && s === `${instrument.symbol}${instrument.currency}`.toUpperCase();
}

function exchangeMatches(instrument: InstrumentSpec, exchange: string): boolean {
  if (same(exchange, instrument.exchange) || same(exchange, instrument.primaryExchange)) return true;
  // SMART routes stocks to any venue; a named venue must be one of the stock's valid exchanges.
  return instrument.secType === 'STK' && instrument.validExchanges.split(',').some((e) => same(e, exchange));
}

function expiryMatches(instrument: InstrumentSpec, expiry: string): boolean {
  // Only futures carry an expiry; IB ignores the field for other types.
  if (instrument.lastTradeDateOrContractMonth === '') return true;
  const e = expiry.trim();
  return e.length === 6 ? e === instrument.contractMonth : e === instrument.lastTradeDateOrContractMonth;
}

export function matches(instrument: InstrumentSpec, q: ContractQuery): boolean {
  if (q.conId !== undefined && q.conId !== 0 && q.conId !== instrument.conId) return false;
  if (given(q.symbol) && !symbolMatches(instrument, q.symbol)) return false;
  if (given(q.secType) && !same(q.secType, instrument.secType)) return false;
  if (given(q.currency) && !same(q.currency, instrument.currency)) return false;
  if (given(q.exchange) && !exchangeMatches(instrument, q.exchange)) return false;
  if (given(q.primaryExchange) && !same(q.primaryExchange, instrument.primaryExchange)) return false;
  if (given(q.localSymbol) && !same(q.localSymbol, instrument.localSymbol)) return false;
  if (given(q.lastTradeDateOrContractMonth) && !expiryMatches(instrument, q.lastTradeDateOrContractMonth)) return false;
  return true;
}

export function resolveContract(instruments: readonly InstrumentSpec[], q: ContractQuery): InstrumentSpec[] {
  // A query must identify something: a conId, a symbol or a local symbol.
  const identifies = (q.conId !== undefined && q.conId !== 0) || given(q.symbol) || given(q.localSymbol);
  return identifies ? instruments.filter((i) => matches(i, q)) : [];
}
