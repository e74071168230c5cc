// Client → server requests. Each parser reads the fields @stoqey/ib's encoder
// (dist/core/io/encoder.js) writes for the negotiated server version (100..193; gates below 100
// always hold). A message that does not parse raises RequestError and is answered with error 321.
import type { ContractQuery } from '../market/types';
import { OUT, V } from './constants';
import { FieldReader, RequestError } from './fields';

export interface WireContractQuery extends ContractQuery {
  readonly right?: string;
  readonly strike?: number;
  readonly multiplier?: string;
  readonly tradingClass?: string;
}

export interface PlaceOrderRequest {
  readonly type: 'placeOrder';
  readonly orderId: number;
  readonly contract: WireContractQuery;
  readonly action: string;
  readonly totalQuantity: number | undefined;
  readonly orderType: string;
  readonly lmtPrice: number | undefined;
  readonly auxPrice: number | undefined;
  readonly tif: string;
  readonly ocaGroup: string;
  readonly account: string;
  readonly orderRef: string;
  readonly transmit: boolean;
  readonly parentId: number;
  readonly displaySize: number | undefined;
  readonly outsideRth: boolean;
  readonly hidden: boolean;
  readonly goodAfterTime: string;
  readonly goodTillDate: string;
  /** Features the simulator does not model; a non-empty list gets the order refused with the reason. */
  readonly unsupported: readonly string[];
}

export type Request =
  | { readonly type: 'startApi'; readonly clientId: number; readonly capabilities: string }
  | {
      readonly type: 'reqMktData';
      readonly reqId: number;
      readonly contract: WireContractQuery;
      readonly genericTicks: string;
      readonly snapshot: boolean;
      readonly regulatorySnapshot: boolean;
    }
  | { readonly type: 'cancelMktData'; readonly reqId: number }
  | PlaceOrderRequest
  | { readonly type: 'cancelOrder'; readonly orderId: number; readonly manualOrderCancelTime: string }
  | { readonly type: 'reqOpenOrders' }
  | { readonly type: 'reqAutoOpenOrders'; readonly autoBind: boolean }
  | { readonly type: 'reqAllOpenOrders' }
  | { readonly type: 'reqAccountUpdates'; readonly subscribe: boolean; readonly account: string }
  | {
      readonly type: 'reqExecutions';
      readonly reqId: number;
      readonly filter: {
        readonly clientId: number | undefined;
        readonly account: string;
        readonly time: string;
        readonly symbol: string;
        readonly secType: string;
        readonly exchange: string;
        readonly side: string;
      };
    }
  | { readonly type: 'reqIds'; readonly numIds: number }
  | { readonly type: 'reqContractDetails'; readonly reqId: number; readonly contract: WireContractQuery; readonly includeExpired: boolean }
  | { readonly type: 'reqManagedAccts' }
  | {
      readonly type: 'reqHistoricalData';
      readonly reqId: number;
      readonly contract: WireContractQuery;
      readonly endDateTime: string;
      readonly barSize: string;
      readonly duration: string;
      readonly useRth: boolean;
      readonly whatToShow: string;
      readonly formatDate: number;
      readonly keepUpToDate: boolean;
    }
  | { readonly type: 'cancelHistoricalData'; readonly reqId: number }
  | { readonly type: 'reqCurrentTime' }
  | {
      readonly type: 'reqRealTimeBars';
      readonly reqId: number;
      readonly contract: WireContractQuery;
      readonly barSize: number;
      readonly whatToShow: string;
      readonly useRth: boolean;
    }
  | { readonly type: 'cancelRealTimeBars'; readonly reqId: number }
  | { readonly type: 'reqGlobalCancel' }
  | { readonly type: 'reqMarketDataType'; readonly marketDataType: number }
  | { readonly type: 'reqPositions' }
  | { readonly type: 'cancelPositions' }
  | { readonly type: 'reqAccountSummary'; readonly reqId: number; readonly group: string; readonly tags: string }
  | { readonly type: 'cancelAccountSummary'; readonly reqId: number }
  | {
      readonly type: 'reqHeadTimestamp';
      readonly reqId: number;
      readonly contract: WireContractQuery;
      readonly useRth: boolean;
      readonly whatToShow: string;
      readonly formatDate: number;
    }
  | { readonly type: 'reqPnL'; readonly reqId: number; readonly account: string; readonly modelCode: string }
  | { readonly type: 'cancelPnL'; readonly reqId: number }
  | { readonly type: 'reqPnLSingle'; readonly reqId: number; readonly account: string; readonly modelCode: string; readonly conId: number }
  | { readonly type: 'cancelPnLSingle'; readonly reqId: number }
  | { readonly type: 'reqCompletedOrders'; readonly apiOnly: boolean };

/** A request the simulator does not implement: answered with error 321 naming it. */
export class UnsupportedRequest extends RequestError {}

const isBag = (secType: string | undefined) => secType?.toUpperCase() === 'BAG';

/** The contract block common to market data, contract details, historical data and orders. */
function readContract(r: FieldReader, opts: { primaryExch: boolean; localSymbolEtc?: boolean }): WireContractQuery {
  const conId = r.int('conId');
  const symbol = r.str('symbol');
  const secType = r.str('secType');
  const lastTradeDateOrContractMonth = r.str('lastTradeDateOrContractMonth');
  const strike = r.num('strike');
  const right = r.str('right');
  const multiplier = r.str('multiplier');
  const exchange = r.str('exchange');
  const primaryExchange = opts.primaryExch ? r.str('primaryExch') : '';
  const currency = r.str('currency');
  const localSymbol = r.str('localSymbol');
  const tradingClass = r.str('tradingClass');
  return { conId, symbol, secType, lastTradeDateOrContractMonth, strike, right, multiplier, exchange, primaryExchange, currency, localSymbol, tradingClass };
}

function readComboLegs(r: FieldReader, withOrderFields: boolean, sv: number): number {
  const count = r.int('comboLegsCount');
  for (let i = 0; i < count; i++) {
    r.skip(4, 'comboLeg');
    if (withOrderFields) {
      r.skip(1, 'comboLeg.openClose');
      r.skip(2, 'comboLeg.shortSale');
      r.skip(1, 'comboLeg.exemptCode');
    }
  }
  void sv;
  return count;
}

export function parseRequest(fields: readonly string[], sv: number): Request {
  const r = new FieldReader(fields);
  const id = r.int('message id');
  switch (id) {
    case OUT.START_API: {
      r.int('version');
      const clientId = r.int('clientId');
      const capabilities = r.remaining > 0 ? r.str('optionalCapabilities') : '';
      return { type: 'startApi', clientId, capabilities };
    }
    case OUT.REQ_MKT_DATA: {
      r.int('version');
      const reqId = r.int('reqId');
      const contract = readContract(r, { primaryExch: true });
      if (isBag(contract.secType)) readComboLegs(r, false, sv);
      if (r.bool('deltaNeutral')) r.skip(3, 'deltaNeutralContract');
      const genericTicks = r.str('genericTickList');
      const snapshot = r.bool('snapshot');
      const regulatorySnapshot = sv >= V.REQ_SMART_COMPONENTS ? r.bool('regulatorySnapshot') : false;
      r.str('mktDataOptions');
      return { type: 'reqMktData', reqId, contract, genericTicks, snapshot, regulatorySnapshot };
    }
    case OUT.CANCEL_MKT_DATA:
      r.int('version');
      return { type: 'cancelMktData', reqId: r.int('reqId') };
    case OUT.PLACE_ORDER:
      return parsePlaceOrder(r, sv);
    case OUT.CANCEL_ORDER: {
      if (sv < V.CME_TAGGING_FIELDS) r.int('version');
      const orderId = r.int('orderId');
      const manualOrderCancelTime = sv >= V.MANUAL_ORDER_TIME ? r.str('manualOrderCancelTime') : '';
      if (sv >= V.RFQ_FIELDS && sv < V.UNDO_RFQ_FIELDS) r.skip(3, 'rfq');
      if (sv >= V.CME_TAGGING_FIELDS) r.skip(2, 'cmeTagging');
      return { type: 'cancelOrder', orderId, manualOrderCancelTime };
    }
    case OUT.REQ_OPEN_ORDERS:
      r.int('version');
      return { type: 'reqOpenOrders' };
    case OUT.REQ_AUTO_OPEN_ORDERS:
      r.int('version');
      return { type: 'reqAutoOpenOrders', autoBind: r.bool('autoBind') };
    case OUT.REQ_ALL_OPEN_ORDERS:
      r.int('version');
      return { type: 'reqAllOpenOrders' };
    case OUT.REQ_ACCOUNT_DATA: {
      r.int('version');
      const subscribe = r.bool('subscribe');
      return { type: 'reqAccountUpdates', subscribe, account: r.str('acctCode') };
    }
    case OUT.REQ_EXECUTIONS: {
      r.int('version');
      const reqId = r.int('reqId');
      const filter = {
        clientId: r.optInt('filter.clientId'),
        account: r.str('filter.acctCode'),
        time: r.str('filter.time'),
        symbol: r.str('filter.symbol'),
        secType: r.str('filter.secType'),
        exchange: r.str('filter.exchange'),
        side: r.str('filter.side'),
      };
      return { type: 'reqExecutions', reqId, filter };
    }
    case OUT.REQ_IDS:
      r.int('version');
      return { type: 'reqIds', numIds: r.int('numIds') };
    case OUT.REQ_CONTRACT_DATA: {
      r.int('version');
      const reqId = r.int('reqId');
      const contract = readContract(r, { primaryExch: true });
      const includeExpired = r.bool('includeExpired');
      r.skip(2, 'secIdType/secId');
      if (sv >= V.BOND_ISSUERID) r.str('issuerId');
      return { type: 'reqContractDetails', reqId, contract, includeExpired };
    }
    case OUT.REQ_MANAGED_ACCTS:
      r.int('version');
      return { type: 'reqManagedAccts' };
    case OUT.REQ_HISTORICAL_DATA: {
      if (sv < V.SYNT_REALTIME_BARS) r.int('version');
      const reqId = r.int('reqId');
      const contract = readContract(r, { primaryExch: true });
      r.bool('includeExpired');
      const endDateTime = r.str('endDateTime');
      const barSize = r.str('barSizeSetting');
      const duration = r.str('durationStr');
      const useRth = r.bool('useRTH');
      const whatToShow = r.str('whatToShow');
      const formatDate = r.int('formatDate');
      if (isBag(contract.secType)) readComboLegs(r, false, sv);
      const keepUpToDate = sv >= V.SYNT_REALTIME_BARS ? r.bool('keepUpToDate') : false;
      r.str('chartOptions');
      return { type: 'reqHistoricalData', reqId, contract, endDateTime, barSize, duration, useRth, whatToShow, formatDate, keepUpToDate };
    }
    case OUT.CANCEL_HISTORICAL_DATA:
      r.int('version');
      return { type: 'cancelHistoricalData', reqId: r.int('reqId') };
    case OUT.REQ_CURRENT_TIME:
      r.int('version');
      return { type: 'reqCurrentTime' };
    case OUT.REQ_REAL_TIME_BARS: {
      r.int('version');
      const reqId = r.int('reqId');
      const contract = readContract(r, { primaryExch: true });
      const barSize = r.int('barSize');
      const whatToShow = r.str('whatToShow');
      const useRth = r.bool('useRTH');
      r.str('realTimeBarsOptions');
      return { type: 'reqRealTimeBars', reqId, contract, barSize, whatToShow, useRth };
    }
    case OUT.CANCEL_REAL_TIME_BARS:
      r.int('version');
      return { type: 'cancelRealTimeBars', reqId: r.int('reqId') };
    case OUT.REQ_GLOBAL_CANCEL:
      if (sv < V.CME_TAGGING_FIELDS) r.int('version');
      else r.skip(2, 'cmeTagging');
      return { type: 'reqGlobalCancel' };
    case OUT.REQ_MARKET_DATA_TYPE:
      r.int('version');
      return { type: 'reqMarketDataType', marketDataType: r.int('marketDataType') };
    case OUT.REQ_POSITIONS:
      r.int('version');
      return { type: 'reqPositions' };
    case OUT.CANCEL_POSITIONS:
      r.int('version');
      return { type: 'cancelPositions' };
    case OUT.REQ_ACCOUNT_SUMMARY: {
      r.int('version');
      const reqId = r.int('reqId');
      return { type: 'reqAccountSummary', reqId, group: r.str('group'), tags: r.str('tags') };
    }
    case OUT.CANCEL_ACCOUNT_SUMMARY:
      r.int('version');
      return { type: 'cancelAccountSummary', reqId: r.int('reqId') };
    case OUT.REQ_HEAD_TIMESTAMP: {
      const reqId = r.int('reqId');
      const contract = readContract(r, { primaryExch: true });
      r.bool('includeExpired');
      const useRth = r.bool('useRTH');
      const whatToShow = r.str('whatToShow');
      return { type: 'reqHeadTimestamp', reqId, contract, useRth, whatToShow, formatDate: r.int('formatDate') };
    }
    case OUT.REQ_PNL:
      return { type: 'reqPnL', reqId: r.int('reqId'), account: r.str('account'), modelCode: r.str('modelCode') };
    case OUT.CANCEL_PNL:
      return { type: 'cancelPnL', reqId: r.int('reqId') };
    case OUT.REQ_PNL_SINGLE:
      return { type: 'reqPnLSingle', reqId: r.int('reqId'), account: r.str('account'), modelCode: r.str('modelCode'), conId: r.int('conId') };
    case OUT.CANCEL_PNL_SINGLE:
      return { type: 'cancelPnLSingle', reqId: r.int('reqId') };
    case OUT.REQ_COMPLETED_ORDERS:
      return { type: 'reqCompletedOrders', apiOnly: r.bool('apiOnly') };
    default:
      throw new UnsupportedRequest(`message id ${id} is not supported by the DualDesk simulator`);
  }
}

/** PLACE_ORDER: about 120 fields; the ones the simulator acts on are kept, the rest are walked past. */
function parsePlaceOrder(r: FieldReader, sv: number): PlaceOrderRequest {
  const unsupported: string[] = [];
  if (sv < V.ORDER_CONTAINER) r.int('version');
  const orderId = r.int('orderId');
  const contract = readContract(r, { primaryExch: true });
  r.skip(2, 'secIdType/secId');
  const action = r.str('action');
  const totalQuantity = r.num('totalQuantity');
  const orderType = r.str('orderType');
  const lmtPrice = r.num('lmtPrice');
  const auxPrice = r.num('auxPrice');
  const tif = r.str('tif');
  const ocaGroup = r.str('ocaGroup');
  const account = r.str('account');
  r.str('openClose');
  r.int('origin');
  const orderRef = r.str('orderRef');
  // TWS reads an empty flag as false: an order sent without transmit=true is held, not transmitted.
  const transmit = r.bool('transmit');
  const parentId = r.int('parentId');
  r.bool('blockOrder');
  r.bool('sweepToFill');
  const displaySize = r.optInt('displaySize');
  r.int('triggerMethod');
  const outsideRth = r.bool('outsideRth');
  const hidden = r.bool('hidden');
  if (isBag(contract.secType)) {
    unsupported.push('combo (BAG) orders');
    readComboLegs(r, true, sv);
    const legPrices = r.int('orderComboLegsCount');
    r.skip(legPrices, 'orderComboLeg.price');
    const params = r.int('smartComboRoutingParamsCount');
    r.skip(params * 2, 'smartComboRoutingParam');
  }
  r.str('sharesAllocation');
  r.num('discretionaryAmt');
  const goodAfterTime = r.str('goodAfterTime');
  const goodTillDate = r.str('goodTillDate');
  r.skip(3, 'fa');
  if (sv < V.FA_PROFILE_DESUPPORT) r.str('faProfile');
  if (sv >= V.MODELS_SUPPORT) r.str('modelCode');
  r.skip(2, 'shortSale');
  r.str('exemptCode');
  r.str('ocaType');
  r.skip(14, 'rule80A..stockRefPrice/delta/ranges');
  r.str('overridePercentageConstraints');
  r.num('volatility');
  r.str('volatilityType');
  const deltaNeutralOrderType = r.str('deltaNeutralOrderType');
  r.num('deltaNeutralAuxPrice');
  if (deltaNeutralOrderType !== '') {
    unsupported.push('delta-neutral orders');
    r.skip(8, 'deltaNeutral');
  }
  r.str('continuousUpdate');
  r.str('referencePriceType');
  r.num('trailStopPrice');
  r.num('trailingPercent');
  r.skip(2, 'scaleLevelSizes');
  const scalePriceIncrement = r.str('scalePriceIncrement');
  if (scalePriceIncrement !== '') {
    unsupported.push('scale orders');
    r.skip(7, 'scale');
  }
  r.skip(3, 'scaleTable/activeStart/activeStop');
  const hedgeType = r.str('hedgeType');
  if (hedgeType !== '') {
    unsupported.push('hedge orders');
    r.str('hedgeParam');
  }
  r.bool('optOutSmartRouting');
  r.skip(2, 'clearing');
  r.bool('notHeld');
  if (r.bool('deltaNeutralContract')) {
    unsupported.push('delta-neutral contracts');
    r.skip(3, 'deltaNeutralContract');
  }
  const algoStrategy = r.str('algoStrategy');
  if (algoStrategy !== '') {
    unsupported.push(`algo orders (${algoStrategy})`);
    const count = r.int('algoParamsCount');
    r.skip(count * 2, 'algoParam');
  }
  r.str('algoId');
  if (r.bool('whatIf')) unsupported.push('what-if orders');
  r.str('orderMiscOptions');
  r.bool('solicited');
  r.skip(2, 'randomize');
  if (sv >= V.PEGGED_TO_BENCHMARK) {
    if (orderType.toUpperCase() === 'PEG BENCH') r.skip(5, 'pegBench');
    const conditions = r.int('conditionsCount');
    if (conditions > 0) {
      unsupported.push('conditional orders');
      for (let i = 0; i < conditions; i++) skipCondition(r);
      r.skip(2, 'conditionsIgnoreRth/CancelOrder');
    }
    r.skip(7, 'adjustedOrder');
  }
  if (sv >= V.EXT_OPERATOR) r.str('extOperator');
  if (sv >= V.SOFT_DOLLAR_TIER) r.skip(2, 'softDollarTier');
  if (sv >= V.CASH_QTY && r.num('cashQty') !== undefined) unsupported.push('cash quantity orders');
  if (sv >= V.DECISION_MAKER) r.skip(2, 'mifid2Decision');
  if (sv >= V.MIFID_EXECUTION) r.skip(2, 'mifid2Execution');
  if (sv >= V.AUTO_PRICE_FOR_HEDGE) r.str('dontUseAutoPriceForHedge');
  if (sv >= V.ORDER_CONTAINER) r.str('isOmsContainer');
  if (sv >= V.D_PEG_ORDERS) r.str('discretionaryUpToLimitPrice');
  if (sv >= V.PRICE_MGMT_ALGO) r.str('usePriceMgmtAlgo');
  if (sv >= V.DURATION) r.str('duration');
  if (sv >= V.POST_TO_ATS) r.str('postToAts');
  if (sv >= V.AUTO_CANCEL_PARENT) r.str('autoCancelParent');
  if (sv >= V.ADVANCED_ORDER_REJECT) r.str('advancedErrorOverride');
  if (sv >= V.MANUAL_ORDER_TIME) r.str('manualOrderTime');
  if (sv >= V.PEGBEST_PEGMID_OFFSETS) {
    const upper = orderType.toUpperCase();
    if (contract.exchange === 'IBKRATS') r.str('minTradeQty');
    if (upper === 'PEG BEST') unsupported.push('PEG BEST orders');
    if (upper === 'PEG MID') unsupported.push('PEG MID orders');
    // The mid-offset fields only follow these two order types, which are refused above; their
    // presence would desynchronise the rest, so stop here (nothing after is used).
    if (upper === 'PEG BEST' || upper === 'PEG MID') return done();
  }
  if (sv >= V.CUSTOMER_ACCOUNT) r.str('customerAccount');
  if (sv >= V.PROFESSIONAL_CUSTOMER) r.bool('professionalCustomer');
  if (sv >= V.RFQ_FIELDS && sv < V.UNDO_RFQ_FIELDS) r.skip(2, 'rfq');
  if (sv >= V.INCLUDE_OVERNIGHT) r.bool('includeOvernight');
  if (sv >= V.CME_TAGGING_FIELDS) r.str('manualOrderIndicator');
  if (r.remaining !== 0) throw new RequestError(`PLACE_ORDER has ${r.remaining} unexpected trailing fields`);
  return done();

  function done(): PlaceOrderRequest {
    return {
      type: 'placeOrder',
      orderId,
      contract,
      action,
      totalQuantity,
      orderType,
      lmtPrice,
      auxPrice,
      tif,
      ocaGroup,
      account,
      orderRef,
      transmit,
      parentId,
      displaySize,
      outsideRth,
      hidden,
      goodAfterTime,
      goodTillDate,
      unsupported,
    };
  }
}

/** Order conditions: type, conjunction, then type-specific fields (see the client's encoder). */
function skipCondition(r: FieldReader): void {
  const type = r.int('condition.type');
  r.str('condition.conjunction');
  const fieldsByType: Record<number, number> = { 1: 5, 3: 2, 4: 2, 5: 3, 6: 4, 7: 4 };
  const n = fieldsByType[type];
  if (n === undefined) throw new RequestError(`unknown order condition type ${type}`);
  r.skip(n, 'condition');
}
