// Shared parts arm timers while they handle an order's event, under that order's correlation id; what
// the timer does later is not the order's, so its log lines must not carry the order's cid. Real timers
// (the system clock): a virtual clock's timers would run in the test's context and prove nothing.
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { describe, expect, it, onTestFinished } from 'vitest';
import { MessageBus, type CoreTopics } from '../../../src/main/bus';
import { systemClock } from '../../../src/main/clock';
import type { VenueSnapshot } from '../../../src/main/venue';
import { withCorrelation } from '../../../src/main/ops';
import { Portfolio } from '../../../src/main/portfolio';
import { openStore, PortfolioRepository } from '../../../src/main/store';
import { createStreamMetrics, StreamJournal, StreamPublisher } from '../../../src/main/transport';
import { tempDir } from '../../support/fs';
import { memoryLogger } from '../../support/logs';
import { until } from '../../support/wait';
import { CON_ID } from '../../support/fixtures';

const ACCOUNT = 'DU1234567';
const ORDER_CID = 'order-A-click';

describe('timers armed under an order’s correlation id', () => {
  it('the portfolio’s grace checks (position, net liquidation) log without the order’s cid', async () => {
    const { logger, lines } = memoryLogger();
    const store = openStore(join(tempDir(), 'paper.db'), 'paper');
    const bus = new MessageBus<CoreTopics>((err) => {
      throw err;
    });
    const p = new Portfolio({ bus, clock: systemClock, logger, memory: new PortfolioRepository(store.db), venueGraceMs: 5 });
    onTestFinished(() => {
      p.close();
      store.close();
    });
    const usd = (key: string, value: string) => ({ account: ACCOUNT, key, value, currency: 'USD' });
    const seed: VenueSnapshot = {
      at: Date.now(),
      accounts: [ACCOUNT],
      account: ACCOUNT,
      positions: [],
      openOrders: [],
      completedOrders: [],
      accountValues: [usd('NetLiquidation', '100000.00'), usd('TotalCashValue', '100000.00')],
      newExecutions: [],
      commissions: [],
    };
    p.sync(seed);

    withCorrelation(ORDER_CID, () => {
      logger.info('in the order’s scope');
      p.venuePosition({ account: ACCOUNT, conId: CON_ID.AAPL, symbol: 'AAPL', secType: 'STK', quantity: 10, averageCost: 2000 });
      p.venueAccountValue(usd('NetLiquidation', '90000.00'));
    });
    const discrepancies = () => lines().filter((l) => String(l['msg']).startsWith('portfolio discrepancy'));
    await until(() => discrepancies().length === 2, 'both grace checks fired');
    expect(lines().find((l) => l['msg'] === 'in the order’s scope')?.['cid']).toBe(ORDER_CID);
    expect(discrepancies().map((l) => [l['kind'], l['cid']])).toEqual(
      expect.arrayContaining([
        ['position', undefined],
        ['equity', undefined],
      ]),
    );
  });

  it('the stream publisher’s commit, scheduled by a message published under an order’s cid, runs without it', async () => {
    const { logger, lines } = memoryLogger();
    const journal = await StreamJournal.open(join(tempDir(), 'paper-stream.db'));
    onTestFinished(() => journal.close());
    const publisher = new StreamPublisher({ journal, clock: systemClock, logger, metrics: createStreamMetrics(new Registry()) });
    publisher.onCommitted((b) => logger.info({ rows: b.frames.length }, 'batch committed'));
    withCorrelation(ORDER_CID, () => publisher.publish('order.dd-1', { state: 'filled' }));
    await until(() => lines().some((l) => l['msg'] === 'batch committed'), 'the batch committed');
    expect(lines().find((l) => l['msg'] === 'batch committed')).not.toHaveProperty('cid');
  });
});
