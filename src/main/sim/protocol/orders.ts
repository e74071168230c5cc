// OPEN_ORDER and COMPLETED_ORDER: the longest messages of the protocol (about 130 fields). The
// writer below has one method per reader of @stoqey/ib's OrderDecoder, with the same gates, called
// in the same order as decodeMsg_OPEN_ORDER / decodeMsg_COMPLETED_ORDER call the readers. Fields the
// simulator does not model are written as the "unset" value their reader expects; fields that would
// switch in optional blocks (delta-neutral, scale, hedge, algo, conditions, combo legs) are left empty.
import { IN, V } from './constants';
import { FieldWriter } from './fields';
import type { WireContract } from './outgoing';

export interface WireOrder {
  readonly orderId: number;
  readonly clientId: number;
  readonly permId: number;
  readonly action: string;
  readonly totalQuantity: number;
  readonly orderType: string;
  readonly lmtPrice: number | undefined;
  readonly auxPrice: number | undefined;
  readonly tif: string;
  readonly account: string;
  readonly orderRef: string;
  readonly outsideRth: boolean;
  readonly filledQuantity: number;
  /** The order state's status ('Submitted', 'Filled', ...). */
  readonly status: string;
  /** COMPLETED_ORDER only: "YYYYMMDD HH:mm:ss <zone>" and IB's completion text. */
  readonly completedTime?: string;
  readonly completedStatus?: string;
}

class OrderWriter {
  readonly w: FieldWriter;

  constructor(
    messageId: number,
    /** The message version the decoder gates on (the server version from ORDER_CONTAINER on). */
    private readonly version: number,
    private readonly sv: number,
    private readonly contract: WireContract,
    private readonly order: WireOrder,
  ) {
    this.w = new FieldWriter().int(messageId);
  }

  orderId() {
    this.w.int(this.order.orderId);
  }
  contractFields() {
    const { w, contract } = this;
    if (this.version >= 17) w.int(contract.conId);
    w.str(contract.symbol).str(contract.secType).str(contract.lastTradeDateOrContractMonth).dbl(0).str('');
    if (this.version >= 32) w.str(contract.multiplier === 1 ? '' : String(contract.multiplier));
    w.str(contract.exchange).str(contract.currency);
    if (this.version >= 2) w.str(contract.localSymbol);
    if (this.version >= 32) w.str(contract.tradingClass);
  }
  action() {
    this.w.str(this.order.action);
  }
  totalQuantity() {
    this.w.optDbl(this.order.totalQuantity);
  }
  orderType() {
    this.w.str(this.order.orderType);
  }
  lmtPrice() {
    if (this.version < 29) this.w.dbl(this.order.lmtPrice ?? 0);
    else this.w.optDbl(this.order.lmtPrice);
  }
  auxPrice() {
    if (this.version < 30) this.w.dbl(this.order.auxPrice ?? 0);
    else this.w.optDbl(this.order.auxPrice);
  }
  tif() {
    this.w.str(this.order.tif);
  }
  ocaGroup() {
    this.w.str('');
  }
  account() {
    this.w.str(this.order.account);
  }
  openClose() {
    this.w.str('');
  }
  origin() {
    this.w.int(0);
  }
  orderRef() {
    this.w.str(this.order.orderRef);
  }
  clientId() {
    if (this.version >= 3) this.w.int(this.order.clientId);
  }
  permId() {
    if (this.version >= 4) this.w.int(this.order.permId);
  }
  outsideRth() {
    if (this.version >= 4) this.w.bool(this.order.outsideRth);
  }
  hidden() {
    if (this.version >= 4) this.w.int(0);
  }
  discretionaryAmount() {
    if (this.version >= 4) this.w.dbl(0);
  }
  goodAfterTime() {
    if (this.version >= 5) this.w.str('');
  }
  skipSharesAllocation() {
    if (this.version >= 6) this.w.str('');
  }
  faParams() {
    if (this.version >= 7) {
      this.w.str('').str('').str('');
      if (this.version < V.FA_PROFILE_DESUPPORT) this.w.str('');
    }
  }
  modelCode() {
    if (this.version >= V.MODELS_SUPPORT) this.w.str('');
  }
  goodTillDate() {
    if (this.version >= 8) this.w.str('');
  }
  rule80A() {
    if (this.version >= 9) this.w.str('');
  }
  percentOffset() {
    if (this.version >= 9) this.w.optDbl(undefined);
  }
  settlingFirm() {
    if (this.version >= 9) this.w.str('');
  }
  shortSaleParams() {
    if (this.version >= 9) {
      this.w.int(0).str('');
      if (this.version === 51 || this.version >= 23) this.w.int(-1);
    }
  }
  auctionStrategy() {
    if (this.version >= 9) this.w.int(0);
  }
  boxOrderParams() {
    if (this.version >= 9) this.w.optDbl(undefined).optDbl(undefined).optDbl(undefined);
  }
  pegToStkOrVolOrderParams() {
    if (this.version >= 9) this.w.optDbl(undefined).optDbl(undefined);
  }
  displaySize() {
    if (this.version >= 9) this.w.str('');
  }
  oldStyleOutsideRth() {
    if (this.version >= 9 && this.version < 18) this.w.bool(false);
  }
  blockOrder() {
    if (this.version >= 9) this.w.bool(false);
  }
  sweepToFill() {
    if (this.version >= 9) this.w.bool(false);
  }
  allOrNone() {
    if (this.version >= 9) this.w.bool(false);
  }
  minQty() {
    if (this.version >= 9) this.w.str('');
  }
  ocaType() {
    if (this.version >= 9) this.w.int(0);
  }
  eTradeOnly() {
    if (this.version >= 9) this.w.bool(false);
  }
  firmQuoteOnly() {
    if (this.version >= 9) this.w.bool(false);
  }
  nbboPriceCap() {
    if (this.version >= 9) this.w.optDbl(undefined);
  }
  parentId() {
    if (this.version >= 10) this.w.int(0);
  }
  triggerMethod() {
    if (this.version >= 10) this.w.int(0);
  }
  volOrderParams() {
    if (this.version < 11) return;
    this.w.optDbl(undefined).int(0);
    // An empty delta-neutral order type keeps the conditional delta-neutral fields out.
    if (this.version === 11) this.w.int(0);
    else this.w.str('').optDbl(undefined);
    this.w.int(0); // continuousUpdate
    if (this.version === 26) this.w.dbl(0).dbl(0);
    this.w.int(0); // referencePriceType
  }
  trailParams() {
    if (this.version >= 13) this.w.optDbl(undefined);
    if (this.version >= 30) this.w.optDbl(undefined);
  }
  basisPoints() {
    if (this.version >= 14) this.w.optDbl(undefined).str('');
  }
  comboLegs() {
    if (this.version >= 14) this.w.str('');
    if (this.version >= 29) this.w.int(0).int(0);
  }
  smartComboRoutingParams() {
    if (this.version >= 26) this.w.int(0);
  }
  scaleOrderParams() {
    if (this.version >= 15) {
      this.w.str('').str('');
      this.w.optDbl(undefined); // no price increment: the scale block that follows it stays out
    }
  }
  hedgeParams() {
    if (this.version >= 24) this.w.str('');
  }
  optOutSmartRouting() {
    if (this.version >= 25) this.w.bool(false);
  }
  clearingParams() {
    if (this.version >= 19) this.w.str('').str('');
  }
  notHeld() {
    if (this.version >= 22) this.w.bool(false);
  }
  deltaNeutral() {
    if (this.version >= 20) this.w.bool(false);
  }
  algoParams() {
    if (this.version >= 21) this.w.str('');
  }
  solicited() {
    if (this.version >= 33) this.w.bool(false);
  }
  whatIfInfoAndCommission() {
    if (this.version < 16) return;
    this.w.bool(false);
    this.orderStatus();
    if (this.sv >= V.WHAT_IF_EXT_FIELDS) for (let i = 0; i < 6; i++) this.w.optDbl(undefined);
    for (let i = 0; i < 6; i++) this.w.optDbl(undefined); // margins after, commission, min/max commission
    this.w.str('').str(''); // commission currency, warning text
  }
  orderStatus() {
    this.w.str(this.order.status);
  }
  volRandomizeFlags() {
    if (this.version >= 34) this.w.bool(false).bool(false);
  }
  pegToBenchParams() {
    // Only PEG BENCH orders carry these; the simulator has none.
  }
  conditions() {
    if (this.sv >= V.PEGGED_TO_BENCHMARK) this.w.int(0);
  }
  adjustedOrderParams() {
    if (this.sv >= V.PEGGED_TO_BENCHMARK) {
      this.w.str('').optDbl(undefined);
      this.stopPriceAndLmtPriceOffset();
      this.w.optDbl(undefined).optDbl(undefined).optDbl(undefined).int(0);
    }
  }
  stopPriceAndLmtPriceOffset() {
    this.w.optDbl(undefined).optDbl(undefined);
  }
  softDollarTier() {
    if (this.sv >= V.SOFT_DOLLAR_TIER) this.w.str('').str('').str('');
  }
  cashQty() {
    if (this.sv >= V.CASH_QTY) this.w.optDbl(undefined);
  }
  dontUseAutoPriceForHedge() {
    if (this.sv >= V.AUTO_PRICE_FOR_HEDGE) this.w.bool(false);
  }
  isOmsContainer() {
    if (this.sv >= V.ORDER_CONTAINER) this.w.bool(false);
  }
  discretionaryUpToLimitPrice() {
    if (this.sv >= V.D_PEG_ORDERS) this.w.bool(false);
  }
  autoCancelDate() {
    this.w.str('');
  }
  filledQuantity() {
    this.w.optDbl(this.order.filledQuantity);
  }
  refFuturesConId() {
    this.w.int(0);
  }
  autoCancelParent(minVersion?: number) {
    if (minVersion === undefined || this.sv >= minVersion) this.w.bool(false);
  }
  shareholder() {
    this.w.str('');
  }
  imbalanceOnly() {
    this.w.bool(false);
  }
  routeMarketableToBbo() {
    this.w.bool(false);
  }
  parentPermId() {
    this.w.int(0);
  }
  completedTime() {
    this.w.str(this.order.completedTime ?? '');
  }
  completedStatus() {
    this.w.str(this.order.completedStatus ?? '');
  }
  usePriceMgmtAlgo() {
    if (this.sv >= V.PRICE_MGMT_ALGO) this.w.bool(false);
  }
  duration() {
    if (this.sv >= V.DURATION) this.w.str('');
  }
  postToAts() {
    if (this.sv >= V.POST_TO_ATS) this.w.str('');
  }
  pegBestPegMidOrderAttributes() {
    if (this.sv >= V.PEGBEST_PEGMID_OFFSETS) this.w.str('').str('').optDbl(undefined).optDbl(undefined).optDbl(undefined);
  }
  customerAccount() {
    if (this.sv >= V.CUSTOMER_ACCOUNT) this.w.str('');
  }
  professionalCustomer() {
    if (this.sv >= V.PROFESSIONAL_CUSTOMER) this.w.bool(false);
  }
  bondAccruedInterest() {
    if (this.sv >= V.BOND_ACCRUED_INTEREST) this.w.str('');
  }
  includeOvernight() {
    if (this.sv >= V.INCLUDE_OVERNIGHT) this.w.bool(false);
  }
  cmeTaggingFields() {
    if (this.sv >= V.CME_TAGGING_FIELDS_IN_OPEN_ORDER) this.w.str('').str('');
  }
}

/** OPEN_ORDER: before ORDER_CONTAINER (145) it carries message version 34, after it none. */
export function openOrder(sv: number, contract: WireContract, order: WireOrder): string[] {
  const version = sv < V.ORDER_CONTAINER ? 34 : sv;
  const o = new OrderWriter(IN.OPEN_ORDER, version, sv, contract, order);
  if (sv < V.ORDER_CONTAINER) o.w.int(version);
  o.orderId();
  o.contractFields();
  o.action();
  o.totalQuantity();
  o.orderType();
  o.lmtPrice();
  o.auxPrice();
  o.tif();
  o.ocaGroup();
  o.account();
  o.openClose();
  o.origin();
  o.orderRef();
  o.clientId();
  o.permId();
  o.outsideRth();
  o.hidden();
  o.discretionaryAmount();
  o.goodAfterTime();
  o.skipSharesAllocation();
  o.faParams();
  o.modelCode();
  o.goodTillDate();
  o.rule80A();
  o.percentOffset();
  o.settlingFirm();
  o.shortSaleParams();
  o.auctionStrategy();
  o.boxOrderParams();
  o.pegToStkOrVolOrderParams();
  o.displaySize();
  o.oldStyleOutsideRth();
  o.blockOrder();
  o.sweepToFill();
  o.allOrNone();
  o.minQty();
  o.ocaType();
  o.eTradeOnly();
  o.firmQuoteOnly();
  o.nbboPriceCap();
  o.parentId();
  o.triggerMethod();
  o.volOrderParams();
  o.trailParams();
  o.basisPoints();
  o.comboLegs();
  o.smartComboRoutingParams();
  o.scaleOrderParams();
  o.hedgeParams();
  o.optOutSmartRouting();
  o.clearingParams();
  o.notHeld();
  o.deltaNeutral();
  o.algoParams();
  o.solicited();
  o.whatIfInfoAndCommission();
  o.volRandomizeFlags();
  o.pegToBenchParams();
  o.conditions();
  o.adjustedOrderParams();
  o.softDollarTier();
  o.cashQty();
  o.dontUseAutoPriceForHedge();
  o.isOmsContainer();
  o.discretionaryUpToLimitPrice();
  o.usePriceMgmtAlgo();
  o.duration();
  o.postToAts();
  o.autoCancelParent(V.AUTO_CANCEL_PARENT);
  o.pegBestPegMidOrderAttributes();
  o.customerAccount();
  o.professionalCustomer();
  o.bondAccruedInterest();
  o.includeOvernight();
  o.cmeTaggingFields();
  return o.w.fields;
}

/** COMPLETED_ORDER (server version 150+): no version field, every version gate open. */
export function completedOrder(sv: number, contract: WireContract, order: WireOrder): string[] {
  const o = new OrderWriter(IN.COMPLETED_ORDER, Number.MAX_VALUE, sv, contract, order);
  o.contractFields();
  o.action();
  o.totalQuantity();
  o.orderType();
  o.lmtPrice();
  o.auxPrice();
  o.tif();
  o.ocaGroup();
  o.account();
  o.openClose();
  o.origin();
  o.orderRef();
  o.permId();
  o.outsideRth();
  o.hidden();
  o.discretionaryAmount();
  o.goodAfterTime();
  o.faParams();
  o.modelCode();
  o.goodTillDate();
  o.rule80A();
  o.percentOffset();
  o.settlingFirm();
  o.shortSaleParams();
  o.boxOrderParams();
  o.pegToStkOrVolOrderParams();
  o.displaySize();
  o.sweepToFill();
  o.allOrNone();
  o.minQty();
  o.ocaType();
  o.triggerMethod();
  o.volOrderParams();
  o.trailParams();
  o.comboLegs();
  o.smartComboRoutingParams();
  o.scaleOrderParams();
  o.hedgeParams();
  o.clearingParams();
  o.notHeld();
  o.deltaNeutral();
  o.algoParams();
  o.solicited();
  o.orderStatus();
  o.volRandomizeFlags();
  o.pegToBenchParams();
  o.conditions();
  o.stopPriceAndLmtPriceOffset();
  o.cashQty();
  o.dontUseAutoPriceForHedge();
  o.isOmsContainer();
  o.autoCancelDate();
  o.filledQuantity();
  o.refFuturesConId();
  o.autoCancelParent();
  o.shareholder();
  o.imbalanceOnly();
  o.routeMarketableToBbo();
  o.parentPermId();
  o.completedTime();
  o.completedStatus();
  o.pegBestPegMidOrderAttributes();
  o.customerAccount();
  o.professionalCustomer();
  return o.w.fields;
}
