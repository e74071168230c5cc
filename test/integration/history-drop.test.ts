// A subscription whose 5-second history is still waiting its turn (IB's historical pacing) when the
// venue drops: the waiting request is refused, and the 5-second EMAs start from the live bars instead
// of waiting for ever.
import { describe, expect, it } from 'vitest';
import { MessageBus, type CoreTopics } from '../../src/main/bus';
import { MarketDataHub } from '../../src/main/marketdata';
import { createLogger } from '../../src/main/ops';
import { startSim } from '../support/sim';
import { startAdapter } from '../support/venue';
import { until } from '../support/wait';
import { CON_ID } from '../support/fixtures';

const AAPL = { symbol: 'AAPL', secType: 'STK' as const };

describe('5-second history and a venue drop', () => {
  it('a history request waiting its turn when the venue drops is refused, and the 5-second EMAs seed from live bars', async () => {
    const sim = await startSim();
    const venue = startAdapter(sim.port);
    await venue.adapter.whenReady();
    const hub = new MarketDataHub({ venue: venue.adapter, bus: new MessageBus<CoreTopics>(), clock: sim.clock, logger: createLogger({ level: 'silent' }) });

    // Five small-bar requests for AAPL: IB allows no sixth for that contract within 2 s, so the hub's waits.
    const instrument = await venue.adapter.resolve(AAPL);
    const clog = ['60 S', '120 S', '180 S', '240 S', '300 S'].map((duration) =>
      venue.adapter.historicalBars(instrument, { duration, barSize: '5 secs', source: 'TRADES', rthOnly: false }).catch(() => []),
    );
    const sub = await hub.subscribe(AAPL, 'chart');
    expect(hub.snapshot(CON_ID.AAPL)?.seeded5s).toBe(false);

    sim.sim.faults.dropConnections();
    await until(() => hub.snapshot(CON_ID.AAPL)?.seeded5s === true, 'the 5-second EMAs seeded after the drop', 10_000);
    await Promise.all(clog);
    sub.close();
  });
});
