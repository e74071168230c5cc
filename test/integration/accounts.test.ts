// A login that manages several accounts: `dualdesk sim --accounts` (its own process) as the venue,
// `dualdesk serve --venue tws` (the built CLI) as the desk, and a second TWS API client that looks at
// each account's book at the venue.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventName, OrderAction, OrderType, SecType, TimeInForce, type Contract } from '@stoqey/ib';
import { describe, expect, it } from 'vitest';
import type { DeskHealth, EquitySnapshot, KillSwitchReport, MarketDataSnapshot, Order, Position } from '../../src/shared';
import { tempDir } from '../support/fs';
import { httpRequest } from '../support/http';
import { connectClient, type IbTestClient } from '../support/ib';
import { startServe, type ServeProcess } from '../support/serve';
import { startSimProcess } from '../support/sim-process';
import { untilAsync } from '../support/wait';

const FIRST = 'DU1111111';
const SECOND = 'DU2222222';
const AAPL = { symbol: 'AAPL', secType: 'STK' } as const;
const AAPL_CONTRACT: Contract = { symbol: 'AAPL', secType: SecType.STK, exchange: 'SMART', currency: 'USD' };

async function command<T>(serve: ServeProcess, name: string, args: unknown = {}): Promise<{ status: number; ok: boolean; value?: T; error?: { code: string; message: string } }> {
  const token = serve.url.searchParams.get('token') ?? '';
  const res = await httpRequest(`${serve.url.origin}/api/commands/${name}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(args),
  });
  return { status: res.status, ...res.json<{ ok: boolean; value?: T; error?: { code: string; message: string } }>() };
}

/**
 * The desk on the simulator's port, with `venue` settings in its config file; resolves once it has read
 * the venue, or found that the account to trade is ambiguous (then it reads nothing).
 */
async function startDesk(simPort: number, venue: Record<string, unknown> = {}): Promise<ServeProcess> {
  const dataDir = tempDir();
  writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ venue: { paperPort: simPort, ...venue } }));
  const serve = await startServe(['--data-dir', dataDir, '--port', '0', '--venue', 'tws', '--log-level', 'warn']);
  await untilAsync(async () => {
    const v = (await command<DeskHealth>(serve, 'getHealth')).value?.venue;
    return v?.synced === true || /venue\.account/.test(v?.trading.reason ?? '');
  }, 'the desk in sync with the venue, or refusing for want of an account');
  return serve;
}

/** Another client's order at the venue: a BUY of AAPL in `account`, a market one (filled) or a limit far below the market (working). */
async function otherClientOrder(client: IbTestClient, orderId: number, account: string, type: 'MKT' | 'LMT', quantity: number): Promise<void> {
  const since = client.mark();
  const limit = type === 'LMT' ? { orderType: OrderType.LMT, lmtPrice: 1 } : { orderType: OrderType.MKT };
  client.ib.placeOrder(orderId, AAPL_CONTRACT, { action: OrderAction.BUY, ...limit, totalQuantity: quantity, tif: TimeInForce.DAY, transmit: true, account });
  const want = type === 'LMT' ? ['Submitted', 'PreSubmitted'] : ['Filled'];
  await client.waitFor(EventName.orderStatus, (a) => a[0] === orderId && want.includes(a[1] as string), since);
}

/**
 * A limit price 3% under AAPL's bid now: it works without filling and stays inside the risk gate's price
 * band, wherever the simulator's random walk has taken the price (a fixed price drifts out of the band).
 */
async function workingBuyPrice(desk: ServeProcess): Promise<number> {
  const conId = (await command<MarketDataSnapshot>(desk, 'subscribe', { instrument: AAPL })).value?.instrument.conId;
  let bid: number | undefined;
  await untilAsync(async () => (bid = (await command<MarketDataSnapshot>(desk, 'getMarketData', { conId })).value?.quote?.bid) !== undefined, 'an AAPL bid');
  return Math.round(bid! * 0.97 * 100) / 100;
}

/** The status of each of this client's working orders at the venue, by order id. */
async function workingOrders(client: IbTestClient): Promise<Record<number, string>> {
  const since = client.mark();
  client.ib.reqOpenOrders();
  await client.waitFor(EventName.openOrderEnd, () => true, since);
  const out: Record<number, string> = {};
  for (const [orderId, status] of client.events(EventName.orderStatus, since)) out[orderId as number] = status as string;
  return out;
}

/** Each account's AAPL position at the venue, as another API client reads it (reqPositions covers every account). */
async function venuePositions(client: IbTestClient): Promise<Record<string, number>> {
  const since = client.mark();
  client.ib.reqPositions();
  await client.waitFor(EventName.positionEnd, () => true, since);
  client.ib.cancelPositions();
  const out: Record<string, number> = {};
  for (const [account, contract, pos] of client.events(EventName.position, since)) if ((contract as Contract).symbol === 'AAPL') out[account as string] = pos as number;
  return out;
}

async function filled(serve: ServeProcess, quantity: number): Promise<Order> {
  const placed = await command<Order>(serve, 'placeOrder', { ticket: { instrument: AAPL, side: 'BUY', quantity, type: 'MKT' } });
  expect(placed.error).toBeUndefined();
  let order: Order | undefined;
  await untilAsync(async () => {
    order = (await command<Order[]>(serve, 'getOrders')).value?.find((o) => o.id === placed.value?.id);
    return order?.state === 'filled';
  }, `order ${placed.value?.id} filled`);
  return order as Order;
}

describe('several managed accounts', () => {
  it('refuses to trade while the choice is ambiguous (none chosen, or one the login does not manage) and says why', async () => {
    const sim = await startSimProcess(['--accounts', `${FIRST},${SECOND}`]);
    const desk = await startDesk(sim.port);
    const health = (await command<DeskHealth>(desk, 'getHealth')).value;
    expect(health?.venue).toMatchObject({
      accounts: [FIRST, SECOND],
      trading: { allowed: false, reason: expect.stringMatching(/several accounts \(DU1111111, DU2222222\).*venue\.account/) as unknown },
    });
    expect(health?.venue?.account).toBeUndefined();
    expect(health?.checks.venue).toMatchObject({ ok: false, detail: expect.stringMatching(/several accounts/) as unknown });
    const ready = await httpRequest(`${desk.url.origin}/ready`);
    expect(ready.status).toBe(503);
    expect(ready.json()).toMatchObject({ dependencies: { venue: { ok: false, reason: expect.stringMatching(/several accounts/) as unknown } } });
    const refused = await command(desk, 'placeOrder', { ticket: { instrument: AAPL, side: 'BUY', quantity: 5, type: 'MKT' } });
    expect(refused).toMatchObject({ status: 409, ok: false, error: { code: 'venue-unavailable', message: expect.stringMatching(/several accounts/) as unknown } });
    expect(await command(desk, 'previewOrder', { ticket: { instrument: AAPL, side: 'BUY', quantity: 5, type: 'MKT' } })).toMatchObject({
      value: { ok: false, code: 'venue-unavailable' },
    });

    const wrong = await startDesk(sim.port, { account: 'DU9999999', clientId: 2 }); // another client id: the first desk is still connected
    expect((await command<DeskHealth>(wrong, 'getHealth')).value?.venue?.trading).toEqual({
      allowed: false,
      reason: expect.stringMatching(/Account DU9999999 \(venue\.account\) is not one this login manages \(DU1111111, DU2222222\)/) as unknown,
    });
    expect(await command(wrong, 'placeOrder', { ticket: { instrument: AAPL, side: 'BUY', quantity: 5, type: 'MKT' } })).toMatchObject({
      ok: false,
      error: { code: 'venue-unavailable' },
    });

    // Nothing reached either account.
    const looker = await connectClient(sim.port, 7);
    expect(await venuePositions(looker)).toEqual({});
  });

  it('trades the chosen account (the second): its orders, positions and account values, not the first account’s', async () => {
    const sim = await startSimProcess(['--accounts', `${FIRST},${SECOND}`]);
    // Someone else (TWS, another client) holds 100 AAPL in the first account.
    const other = await connectClient(sim.port, 7);
    const since = other.mark();
    other.ib.placeOrder(1, AAPL_CONTRACT, { action: OrderAction.BUY, orderType: OrderType.MKT, totalQuantity: 100, tif: TimeInForce.DAY, transmit: true, account: FIRST });
    await other.waitFor(EventName.orderStatus, (a) => a[0] === 1 && a[1] === 'Filled', since);

    const desk = await startDesk(sim.port, { account: SECOND });
    const health = (await command<DeskHealth>(desk, 'getHealth')).value;
    expect(health?.venue).toMatchObject({ accounts: [FIRST, SECOND], account: SECOND, trading: { allowed: true } });
    expect(health?.checks.venue.detail).toContain(`as ${SECOND} (of ${FIRST}, ${SECOND})`);
    // The first account's position and cash are not the desk's: it starts flat with the second's USD 1,000,000.
    expect((await command<Position[]>(desk, 'getPositions')).value?.filter((p) => p.quantity !== 0)).toEqual([]);
    expect((await command<EquitySnapshot>(desk, 'getEquity')).value?.equity).toBeCloseTo(1_000_000, 2);

    const order = await filled(desk, 5);
    expect(order.filledQuantity).toBe(5);
    expect(await venuePositions(other)).toEqual({ [FIRST]: 100, [SECOND]: 5 });
    await untilAsync(async () => (await command<Position[]>(desk, 'getPositions')).value?.find((p) => p.symbol === 'AAPL')?.quantity === 5, 'the desk’s AAPL position 5');
  });

  it('while the account is ambiguous, takes in no account\u2019s orders, positions or figures (nothing reconciled, nothing seeded)', async () => {
    const sim = await startSimProcess(['--accounts', `${FIRST},${SECOND}`]);
    // Someone else holds 100 AAPL in the first account and has a working order in each.
    const other = await connectClient(sim.port, 7);
    await otherClientOrder(other, 1, FIRST, 'MKT', 100);
    await otherClientOrder(other, 2, FIRST, 'LMT', 3);
    await otherClientOrder(other, 3, SECOND, 'LMT', 4);

    const desk = await startDesk(sim.port);
    // Neither account's orders were adopted as DualDesk's, and the first account's position did not seed the portfolio.
    expect((await command<Order[]>(desk, 'getOrders')).value).toEqual([]);
    expect((await command<Position[]>(desk, 'getPositions')).value?.filter((p) => p.quantity !== 0)).toEqual([]);
    // Not in sync for trading, and why.
    const health = (await command<DeskHealth>(desk, 'getHealth')).value;
    expect(health?.venue).toMatchObject({ synced: false, trading: { allowed: false, reason: expect.stringMatching(/several accounts/) as unknown } });
    expect(health?.checks.venue).toMatchObject({ ok: false, detail: expect.stringMatching(/several accounts/) as unknown });
    // The kill switch reaches neither account: it says why, and both working orders stand.
    const report = await command<KillSwitchReport>(desk, 'killSwitch', { reason: 'ambiguous account drill' });
    expect(report.value).toMatchObject({ flat: false, problems: expect.arrayContaining([expect.stringMatching(/several accounts/)]) as unknown });
    expect(await workingOrders(other)).toEqual({ 2: expect.stringMatching(/Submitted/) as unknown, 3: expect.stringMatching(/Submitted/) as unknown });
  });

  it('the kill switch of the chosen account (the second) cancels its orders and leaves the first account\u2019s working', async () => {
    const sim = await startSimProcess(['--accounts', `${FIRST},${SECOND}`]);
    const other = await connectClient(sim.port, 7);
    await otherClientOrder(other, 1, FIRST, 'LMT', 3);

    const desk = await startDesk(sim.port, { account: SECOND });
    const mine = await command<Order>(desk, 'placeOrder', {
      ticket: { instrument: AAPL, side: 'BUY', quantity: 2, type: 'LMT', limitPrice: await workingBuyPrice(desk), tif: 'DAY' },
    });
    expect(mine.error).toBeUndefined();
    await untilAsync(async () => (await command<Order[]>(desk, 'getOrders')).value?.find((o) => o.id === mine.value?.id)?.state === 'submitted', 'the desk\u2019s order working');

    const report = await command<KillSwitchReport>(desk, 'killSwitch', { reason: 'second account drill' });
    expect(report.value).toMatchObject({ flat: true, cancelled: 1 });
    expect((await command<Order[]>(desk, 'getOrders')).value?.find((o) => o.id === mine.value?.id)?.state).toBe('cancelled');
    // The first account's order (another client's) is still working.
    expect(await workingOrders(other)).toEqual({ 1: expect.stringMatching(/Submitted/) as unknown });
  });
});
