import { useEffect, useMemo, useRef, useState } from 'react';
import { priceFieldsOf, type OrderPreview, type OrderSide, type OrderTicket as Ticket, type OrderType, type TimeInForce, type TradingMode } from '../../../shared';
import { useOrderBlock, useSlices } from '../desk/hooks';
import { parsePrice, parseQuantity, price, priceDecimals, qty } from '../desk/format';
import { orderProgress } from '../desk/order-words';
import { recheckContext } from '../desk/ticket-check';
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

/** The verdict line while the gate looks at a changed ticket (Send waits meanwhile). */
const CHECKING = 'checking…';

/** How long a LIVE confirmation stays valid. */
const CONFIRM_MS = 10_000;

/** Buy/sell, quantity, type, prices, TIF; the risk gate's verdict before sending; a confirmation step in LIVE. */
export function OrderTicket({ item, mode, bindSend }: { item: WatchItem | undefined; mode: TradingMode; bindSend: (handle: TicketHandle | undefined) => void }) {
  // Orders too: the result line follows the order it sent.
  const store = useSlices('quotes', 'orders');
  const inFlight = useRef(false);
  // Nothing can go out (the core, the venue or trading is down): said beside Send, first of every reason.
  // (Also re-renders on the venue and the account, which the re-check context below reads.)
  const outage = useOrderBlock();
  const [side, setSide] = useState<OrderSide>('BUY');
  const [quantity, setQuantity] = useState('100');
  const [type, setType] = useState<OrderType>('MKT');
  const [limit, setLimit] = useState('');
  const [stop, setStop] = useState('');
  const [tif, setTif] = useState<TimeInForce>('DAY');
  const [checked, setChecked] = useState<{ key: string; verdict: OrderPreview | { ok: false; code: string; reason: string } } | undefined>();
  // For the ticket it was sent as: the order it placed (followed as it fills), or why it was not sent.
  const [result, setResult] = useState<{ key: string; orderId?: string; message: string } | undefined>();
  const [confirm, setConfirm] = useState<string | undefined>();
  const [sending, setSending] = useState(false);

  const quote = item ? store.quotes.get(item.word) : undefined;
  // The verdict is checked again when what it depends on changes (a halt, arming, a disconnect, a 1 % equity move), not on every tick.
  const context = recheckContext({ mode, venue: store.venue, risk: store.risk, equity: store.equity, position: item ? store.positions.get(item.instrument.conId) : undefined });
  const d = priceDecimals(item?.instrument.minTick, quote?.last);

  const ticket = useMemo((): Ticket | string => {
    if (!item) return 'Select a symbol';
    const q = parseQuantity(quantity);
    if (q === undefined || q <= 0) return 'Quantity must be a positive number, like 1,000';
    const { limit: needsLimit, stop: needsStop } = priceFieldsOf(type);
    const lp = parsePrice(limit);
    const sp = parsePrice(stop);
    if (needsLimit && lp === undefined) return limit.trim() === '' ? 'Enter a limit price' : 'The limit price must be a number, like 187.50';
    if (needsStop && sp === undefined) return stop.trim() === '' ? 'Enter a stop price' : 'The stop price must be a number, like 187.50';
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
  const keyFor = (s: OrderSide) => (typeof ticket === 'string' ? ticket : JSON.stringify({ ...ticket, side: s }));
  const confirmKeyOf = (s: OrderSide) => `${mode}|${keyFor(s)}`;
  const confirming = confirm !== undefined && confirm === confirmKeyOf(side);
  useEffect(() => {
    if (confirm === undefined) return;
    const t = setTimeout(() => setConfirm(undefined), CONFIRM_MS);
    return () => clearTimeout(t);
  }, [confirm]);

  // The gate's verdict (records nothing): debounced after an edit, at once when the context changes. Every
  // answer is kept unless a newer one is in: a re-check never drops the answer for the ticket as it is.
  const asked = useRef(0);
  const answered = useRef(0);
  const lastChecked = useRef<string | undefined>(undefined);
  const checkable = typeof ticket !== 'string';
  useEffect(() => {
    if (!checkable) return;
    const edited = lastChecked.current !== key;
    lastChecked.current = key;
    const t = setTimeout(
      () => {
        const n = ++asked.current;
        void store.command('previewOrder', { ticket: JSON.parse(key) as Ticket }).then((r) => {
          if (n < answered.current) return;
          answered.current = n;
          setChecked({ key, verdict: r.ok ? r.value : { ok: false, code: r.error.code, reason: r.error.message } });
        });
      },
      edited ? 120 : 0,
    );
    return () => clearTimeout(t);
  }, [store, checkable, key, context]);

  // Why Send waits, the first reason that applies (one line per reason); undefined: it may send.
  // The ticket's own verdict (its fields, the gate's answer) first; then whether anything can go out at all.
  const refused = [
    typeof ticket === 'string' ? ticket : undefined,
    verdict === undefined ? CHECKING : undefined,
    // An unanswered preview is no verdict: said once, beside Send, when the outage is known.
    verdict !== undefined && !verdict.ok && !(verdict.code === 'unreachable' && outage !== undefined)
      ? verdict.code === 'invalid-arguments'
        ? verdict.reason
        : `Risk: ${verdict.reason}`
      : undefined,
  ].find((r) => r !== undefined);
  const blocked = outage ?? refused;

  async function send(withSide: OrderSide = side) {
    // Only a hotkey gets here with Send disabled: say why nothing was sent. The verdict is for the side
    // on the ticket; a hotkey for the other side is left to the core's gate.
    const refusal = typeof ticket === 'string' ? ticket : (outage ?? (withSide === side ? blocked : undefined));
    if (refusal !== undefined) {
      store.alert('command', 'WARNING', `${withSide} not sent`, refusal === CHECKING ? 'The ticket is still being checked: press again in a moment.' : refusal);
      return;
    }
    if (typeof ticket === 'string') return;
    // One order at a time: a held hotkey or a double click sends one.
    if (inFlight.current) return;
    if (withSide !== side) setSide(withSide);
    const wanted = confirmKeyOf(withSide);
    if (mode === 'live' && confirm !== wanted) {
      setConfirm(wanted);
      return;
    }
    setConfirm(undefined);
    inFlight.current = true;
    setSending(true);
    setResult(undefined);
    const sent = { ...ticket, side: withSide };
    const r = await store.command('placeOrder', { ticket: sent });
    inFlight.current = false;
    setSending(false);
    // Answered once the order is journaled and written to the venue; fills follow on the stream.
    const sentKey = keyFor(withSide);
    if (r.ok) setResult({ key: sentKey, orderId: r.value.id, message: '' });
    else setResult({ key: sentKey, message: r.error.message });
  }

  // The result line, while the ticket is still the one it was sent as: the order as it is now.
  const shown = result?.key === key ? result : undefined;
  // An edited ticket drops the old result for good (changing it back does not bring it back).
  useEffect(() => {
    if (result !== undefined && result.key !== key && !inFlight.current) setResult(undefined);
  }, [result, key]);
  const order = shown?.orderId !== undefined ? store.orders.get(shown.orderId) : undefined;
  const resultLine =
    shown === undefined
      ? undefined
      : shown.orderId === undefined
        ? { tone: 'error', text: `Not sent: ${shown.message}` }
        : order === undefined
          ? { tone: 'working', text: `order ${shown.orderId} sent` }
          : {
              tone: order.state === 'rejected' ? 'error' : order.state === 'filled' ? 'ok' : 'working',
              text: `${order.side} ${qty(order.quantity)} ${order.symbol} ${order.type} — ${orderProgress(order, store.priceDecimalsOf(order.conId, order.avgFillPrice))} (order ${order.id})`,
            };
  const parsedQuantity = parseQuantity(quantity);
  // Send reads back the numbers as understood (1,500 is fifteen hundred; 2m is 2,000,000), at their own decimals at least.
  const px = (v: number | undefined) => price(v, Math.max(d, priceDecimals(undefined, v)));
  const prices =
    typeof ticket === 'string'
      ? ''
      : type === 'LMT'
        ? ` ${px(ticket.limitPrice)}`
        : type === 'STP'
          ? ` ${px(ticket.stopPrice)}`
          : type === 'STP LMT'
            ? ` stop ${px(ticket.stopPrice)} lmt ${px(ticket.limitPrice)}`
            : '';

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
      {/* Enter in a field never sends: Send is a plain button, and the form submits nothing. */}
      <form onSubmit={(e) => e.preventDefault()}>
        <div className="side-toggle">
          {(['BUY', 'SELL'] as const).map((s) => (
            <button type="button" key={s} className={`btn side-${s.toLowerCase()} ${side === s ? 'active' : ''}`} onClick={() => setSide(s)} data-testid={`side-${s}`}>
              {s}
            </button>
          ))}
        </div>
        <label>
          Qty
          <input
            inputMode="numeric"
            value={quantity}
            onChange={(e) => setQuantity(e.target.value)}
            // 1000 or 1k reads back as 1,000 once the trader moves on; the value itself never changes (1.5 stays 1.5).
            onBlur={() => parsedQuantity !== undefined && parsedQuantity > 0 && parseQuantity(qty(parsedQuantity)) === parsedQuantity && setQuantity(qty(parsedQuantity))}
            data-testid="ticket-quantity"
          />
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
        {priceFieldsOf(type).limit && (
          <label>
            Limit
            <input inputMode="decimal" value={limit} onChange={(e) => setLimit(e.target.value)} data-testid="ticket-limit" placeholder={price(quote?.last, d)} />
          </label>
        )}
        {priceFieldsOf(type).stop && (
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
        <p className={`verdict ${blocked === undefined ? 'ok' : blocked === CHECKING ? '' : 'bad'}`} id="ticket-verdict" data-testid="risk-verdict">
          {/* A pass means nothing while no order can go out (the reason is beside Send): not claimed then. */}
          {refused ?? (outage !== undefined ? 'Risk: not checked while no order can go out' : 'Risk: passes every check')}
        </p>
        <button
          type="button"
          className={`btn send side-${side.toLowerCase()}${blocked === CHECKING ? ' checking' : ''}`}
          // While the ticket is only being checked a click is not lost: it says why nothing went out.
          disabled={sending || (blocked !== undefined && blocked !== CHECKING)}
          title={blocked}
          aria-describedby="ticket-verdict"
          onClick={() => void send()}
          data-testid="ticket-send"
        >
          {confirming ? `Confirm LIVE ${side}` : sending ? 'Sending…' : `${side} ${parsedQuantity === undefined ? quantity : qty(parsedQuantity)} ${type}${prices}`}
        </button>
        {outage && (
          <p className="send-blocked" data-testid="send-blocked">
            {outage}
          </p>
        )}
        {resultLine && (
          <p className={resultLine.tone} data-testid="ticket-result">
            {resultLine.text}
          </p>
        )}
      </form>
    </section>
  );
}
