import { useEffect, useMemo, useRef, useState } from 'react';
import type { OrderPreview, OrderSide, OrderTicket as Ticket, OrderType, TimeInForce, TradingMode } from '../../../shared';
import { useOrderBlock, useSlices } from '../desk/hooks';
import { price, priceDecimals } from '../desk/format';
import type { WatchItem } from '../desk/store';

const TYPES: { value: OrderType; label: string }[] = [
  { value: 'MKT', label: 'Market' },
  { value: 'LMT', label: 'Limit' },
  { value: 'STP', label: 'Stop' },
  { value: 'STP LMT', label: 'Stop limit' },
];

export interface TicketHandle {
  /** Sends the ticket with this side (hotkeys). */
  send(side: OrderSide): void;
}

/** How long a LIVE confirmation stays valid. */
const CONFIRM_MS = 10_000;

function parsePrice(s: string): number | undefined {
  const v = Number(s);
  return s.trim() === '' || !Number.isFinite(v) ? undefined : v;
}

/** Buy/sell, quantity, type, prices, TIF; the risk gate's verdict before sending; a confirmation step in LIVE. */
export function OrderTicket({ item, mode, bindSend }: { item: WatchItem | undefined; mode: TradingMode; bindSend: (handle: TicketHandle | undefined) => void }) {
  const store = useSlices('quotes');
  // The verdict is checked again as the account and the venue change (a halt, arming, a disconnect).
  const context = `${store.version('account')}|${store.version('venue')}`;
  const inFlight = useRef(false);
  const blocked = useOrderBlock();
  const [side, setSide] = useState<OrderSide>('BUY');
  const [quantity, setQuantity] = useState('100');
  const [type, setType] = useState<OrderType>('MKT');
  const [limit, setLimit] = useState('');
  const [stop, setStop] = useState('');
  const [tif, setTif] = useState<TimeInForce>('DAY');
  const [checked, setChecked] = useState<{ key: string; verdict: OrderPreview | { ok: false; code: string; reason: string } } | undefined>();
  const [result, setResult] = useState<{ ok: boolean; message: string } | undefined>();
  const [confirm, setConfirm] = useState<string | undefined>();
  const [sending, setSending] = useState(false);

  const quote = item ? store.quotes.get(item.word) : undefined;
  const d = priceDecimals(item?.instrument.minTick, quote?.last);

  const ticket = useMemo((): Ticket | string => {
    if (!item) return 'Select a symbol';
    const q = Number(quantity);
    if (!Number.isFinite(q) || q <= 0) return 'Quantity must be a positive number';
    const needsLimit = type === 'LMT' || type === 'STP LMT';
    const needsStop = type === 'STP' || type === 'STP LMT';
    const lp = parsePrice(limit);
    const sp = parsePrice(stop);
    if (needsLimit && lp === undefined) return 'Enter a limit price';
    if (needsStop && sp === undefined) return 'Enter a stop price';
    return {
      instrument: { symbol: item.instrument.symbol, secType: item.instrument.secType, conId: item.instrument.conId },
      side,
      quantity: q,
      type,
      ...(needsLimit && lp !== undefined ? { limitPrice: lp } : {}),
      ...(needsStop && sp !== undefined ? { stopPrice: sp } : {}),
      tif,
    };
  }, [item, quantity, type, limit, stop, side, tif]);

  // A verdict or a LIVE confirmation holds for the ticket it was given for, not an edited one.
  const key = typeof ticket === 'string' ? ticket : JSON.stringify(ticket);
  const verdict = checked?.key === key ? checked.verdict : undefined;
  // A LIVE confirmation is for exactly this ticket, side and mode, for a few seconds.
  const confirmKeyOf = (s: OrderSide) => `${mode}|${s}|${key}`;
  const confirming = confirm !== undefined && confirm === confirmKeyOf(side);
  useEffect(() => {
    if (confirm === undefined) return;
    const t = setTimeout(() => setConfirm(undefined), CONFIRM_MS);
    return () => clearTimeout(t);
  }, [confirm]);

  // The gate's verdict as the ticket changes (debounced; records nothing).
  useEffect(() => {
    if (typeof ticket === 'string') return;
    let live = true;
    const t = setTimeout(() => {
      void store.command('previewOrder', { ticket }).then((r) => {
        if (!live) return;
        setChecked({ key: JSON.stringify(ticket), verdict: r.ok ? r.value : { ok: false, code: r.error.code, reason: r.error.message } });
      });
    }, 120);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [store, ticket, context]);

  async function send(withSide: OrderSide = side) {
    if (typeof ticket === 'string') {
      setResult({ ok: false, message: ticket });
      return;
    }
    // One order at a time: a held hotkey or a double click sends one.
    if (inFlight.current) return;
    if (blocked) return setResult({ ok: false, message: blocked });
    const wanted = confirmKeyOf(withSide);
    if (mode === 'live' && confirm !== wanted) {
      if (withSide !== side) setSide(withSide);
      setConfirm(wanted);
      return;
    }
    setConfirm(undefined);
    inFlight.current = true;
    setSending(true);
    setResult(undefined);
    const r = await store.command('placeOrder', { ticket: { ...ticket, side: withSide } });
    inFlight.current = false;
    setSending(false);
    // Answered once the order is journaled and written to the venue; fills follow on the stream.
    if (r.ok) setResult({ ok: true, message: `${r.value.side} ${r.value.quantity} ${r.value.symbol} ${r.value.type} sent (order ${r.value.id})` });
    else setResult({ ok: false, message: r.error.message });
  }

  useEffect(() => {
    bindSend({ send: (s) => void send(s) });
    return () => bindSend(undefined);
  });

  return (
    <section className="panel ticket" data-testid="order-ticket">
      <h3>
        Order {item ? <b>{item.instrument.localSymbol || item.instrument.symbol}</b> : ''}
        <span className="spacer" />
        <span className="muted">
          {price(quote?.bid, d)} / {price(quote?.ask, d)}
        </span>
      </h3>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void send();
        }}
      >
        <div className="side-toggle">
          {(['BUY', 'SELL'] as const).map((s) => (
            <button type="button" key={s} className={`btn side-${s.toLowerCase()} ${side === s ? 'active' : ''}`} onClick={() => setSide(s)} data-testid={`side-${s}`}>
              {s}
            </button>
          ))}
        </div>
        <label>
          Qty
          <input inputMode="numeric" value={quantity} onChange={(e) => setQuantity(e.target.value)} data-testid="ticket-quantity" />
        </label>
        <label>
          Type
          <select value={type} onChange={(e) => setType(e.target.value as OrderType)} data-testid="ticket-type">
            {TYPES.map((t) => (
              <option key={t.value} value={t.value}>
                {t.label}
              </option>
            ))}
          </select>
        </label>
        {(type === 'LMT' || type === 'STP LMT') && (
          <label>
            Limit
            <input inputMode="decimal" value={limit} onChange={(e) => setLimit(e.target.value)} data-testid="ticket-limit" placeholder={price(quote?.last, d)} />
          </label>
        )}
        {(type === 'STP' || type === 'STP LMT') && (
          <label>
            Stop
            <input inputMode="decimal" value={stop} onChange={(e) => setStop(e.target.value)} data-testid="ticket-stop" placeholder={price(quote?.last, d)} />
          </label>
        )}
        <label>
          TIF
          <select value={tif} onChange={(e) => setTif(e.target.value as TimeInForce)} data-testid="ticket-tif">
            <option value="DAY">DAY</option>
            <option value="GTC">GTC</option>
            <option value="IOC">IOC</option>
          </select>
        </label>
        <p className={`verdict ${verdict === undefined ? '' : verdict.ok ? 'ok' : 'bad'}`} data-testid="risk-verdict">
          {typeof ticket === 'string' ? ticket : verdict === undefined ? 'checking…' : verdict.ok ? 'Risk: passes every check' : `Risk: ${verdict.reason}`}
        </p>
        <button className={`btn send side-${side.toLowerCase()}`} disabled={sending || !item || blocked !== undefined} title={blocked} data-testid="ticket-send">
          {confirming ? `Confirm LIVE ${side}` : sending ? 'Sending…' : `${side} ${quantity} ${type}`}
        </button>
        {blocked && <p className="send-blocked" data-testid="send-blocked">{blocked}</p>}
        {result && (
          <p className={result.ok ? 'ok' : 'error'} data-testid="ticket-result">
            {result.message}
          </p>
        )}
      </form>
    </section>
  );
}
