// Instruments ↔ IB contracts.
import type { Contract, ContractDetails } from '@stoqey/ib';
import { SECURITY_TYPES, type Instrument, type InstrumentSpec, type SecurityType } from '../../shared';

const DEFAULT_EXCHANGE: Readonly<Record<SecurityType, string>> = { STK: 'SMART', CASH: 'IDEALPRO', FUT: '' };

/** The IB contract for what a trader asked for (before resolution). */
export function specContract(spec: InstrumentSpec): Contract {
  return {
    symbol: spec.symbol.toUpperCase(),
    secType: spec.secType as Contract['secType'],
    exchange: spec.exchange ?? DEFAULT_EXCHANGE[spec.secType],
    currency: spec.currency ?? 'USD',
    ...(spec.primaryExchange ? { primaryExch: spec.primaryExchange } : {}),
    ...(spec.lastTradeDateOrContractMonth ? { lastTradeDateOrContractMonth: spec.lastTradeDateOrContractMonth } : {}),
    ...(spec.localSymbol ? { localSymbol: spec.localSymbol } : {}),
    ...(spec.conId ? { conId: spec.conId } : {}),
  };
}

/** The IB contract of a resolved instrument: its conId and exchange identify it exactly. */
export function instrumentContract(i: Instrument): Contract {
  return { conId: i.conId, symbol: i.symbol, secType: i.secType as Contract['secType'], exchange: i.exchange, currency: i.currency };
}

/** A stable key for a spec, to cache resolutions. */
export function specKey(spec: InstrumentSpec): string {
  const c = specContract(spec);
  return [c.conId ?? '', c.symbol, c.secType, c.exchange, c.currency, c.primaryExch ?? '', c.lastTradeDateOrContractMonth ?? '', c.localSymbol ?? ''].join('|');
}

export function instrumentFromDetails(d: ContractDetails): Instrument | undefined {
  const c = d.contract;
  const secType = SECURITY_TYPES.find((t) => t === String(c.secType));
  if (!secType || c.conId === undefined || !c.symbol) return undefined;
  return {
    conId: c.conId,
    symbol: c.symbol,
    secType,
    exchange: c.exchange ?? '',
    primaryExchange: c.primaryExch ?? '',
    currency: c.currency ?? '',
    localSymbol: c.localSymbol ?? c.symbol,
    tradingClass: c.tradingClass ?? '',
    multiplier: c.multiplier && c.multiplier > 0 ? c.multiplier : 1,
    minTick: d.minTick ?? 0.01,
    longName: d.longName ?? c.symbol,
    lastTradeDateOrContractMonth: c.lastTradeDateOrContractMonth ?? '',
    timeZoneId: d.timeZoneId ?? 'America/New_York',
    tradingHours: d.tradingHours ?? '',
    liquidHours: d.liquidHours ?? '',
  };
}
