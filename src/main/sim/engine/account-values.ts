// The account's figures as the key/value rows IB sends (reqAccountUpdates, reqAccountSummary).
// Monetary keys carry currency 'USD'; the non-monetary ones ('AccountCode', 'AccountType', 'Cushion',
// 'DayTradesRemaining', 'Leverage') carry '' as TWS sends them. EquityWithLoanValue equals NetLiquidation
// (no options or non-marginable holdings); SettledCash equals cash (no settlement lag is modelled).
import { MAINTENANCE_TO_INITIAL, REG_T_BUYING_POWER_MULTIPLE } from './margin';
import { formatMoney } from './numbers';
import type { AccountFigures, AccountValue } from './types';

export interface DayFigures {
  readonly realizedToday: number;
  readonly dayStartNetLiquidation: number;
}

export function accountValues(accountId: string, f: AccountFigures, day: DayFigures): AccountValue[] {
  const netLiquidation = f.netLiquidation;
  const equityWithLoan = netLiquidation;
  const initial = f.initialMargin;
  const maintenance = initial * MAINTENANCE_TO_INITIAL;
  const available = equityWithLoan - initial;
  const excess = netLiquidation - maintenance;
  const usd = (key: string, value: number): AccountValue => ({ key, value: formatMoney(value), currency: 'USD' });
  const plain = (key: string, value: string): AccountValue => ({ key, value, currency: '' });
  return [
    plain('AccountCode', accountId),
    plain('AccountType', 'INDIVIDUAL'),
    { key: 'Currency', value: 'USD', currency: 'USD' },
    usd('NetLiquidation', netLiquidation),
    usd('TotalCashValue', f.cash),
    usd('CashBalance', f.cash),
    usd('SettledCash', f.cash),
    usd('AccruedCash', 0),
    usd('EquityWithLoanValue', equityWithLoan),
    usd('PreviousDayEquityWithLoanValue', day.dayStartNetLiquidation),
    usd('GrossPositionValue', f.grossPositionValue),
    usd('StockMarketValue', f.stockValue),
    usd('FuturesPNL', f.futuresPnL),
    usd('UnrealizedPnL', f.unrealizedPnL),
    usd('RealizedPnL', day.realizedToday),
    usd('InitMarginReq', initial),
    usd('MaintMarginReq', maintenance),
    usd('AvailableFunds', available),
    usd('ExcessLiquidity', excess),
    usd('BuyingPower', available * REG_T_BUYING_POWER_MULTIPLE),
    // No look-ahead schedule: the full and look-ahead figures equal the current ones.
    usd('FullInitMarginReq', initial),
    usd('FullMaintMarginReq', maintenance),
    usd('FullAvailableFunds', available),
    usd('FullExcessLiquidity', excess),
    usd('LookAheadInitMarginReq', initial),
    usd('LookAheadMaintMarginReq', maintenance),
    usd('LookAheadAvailableFunds', available),
    usd('LookAheadExcessLiquidity', excess),
    plain('Leverage', netLiquidation > 0 ? (f.grossPositionValue / netLiquidation).toFixed(2) : ''),
    plain('Cushion', netLiquidation > 0 ? (excess / netLiquidation).toFixed(6) : ''),
    plain('DayTradesRemaining', '-1'),
  ];
}
