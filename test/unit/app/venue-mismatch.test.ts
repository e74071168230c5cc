// Trading held for positions or cash that differ from the venue's, on its own: held once per change
// (HALTED in live, REDUCING in paper), re-arming refused meanwhile, and the venue's figures adopted
// as read just now, or not at all when the venue cannot be read.
import { describe, expect, it } from 'vitest';
import { DeskCommandError, type Discrepancy, type TradingMode } from '../../../src/shared';
import { MessageBus, type CoreTopics } from '../../../src/main/bus';
import { VirtualClock } from '../../../src/main/clock';
import { MismatchHold } from '../../../src/main/app';
import { CON_ID, TUESDAY_10AM } from '../../support/fixtures';
import { memoryLogger } from '../../support/logs';

const position = (symbol: string, conId: number, desk: number, venue: number): Discrepancy => ({
  kind: 'position',
  conId,
  symbol,
  desk,
  venue,
  difference: venue - desk,
  action: 'held',
  source: 'resync',
  at: TUESDAY_10AM,
  message: '',
});
const cash = (desk: number, venue: number): Discrepancy => ({
  kind: 'cash',
  desk,
  venue,
  difference: venue - desk,
  tolerance: 1,
  currency: 'USD',
  action: 'held',
  source: 'resync',
  at: TUESDAY_10AM,
  message: '',
});

function rig(mode: TradingMode, resync: (() => Promise<unknown>) | undefined = () => Promise.resolve()) {
  let held: Discrepancy[] = [];
  const risk: string[] = [];
  const alerts: CoreTopics['risk.alert'][] = [];
  const bus = new MessageBus<CoreTopics>();
  bus.subscribe('risk.alert', (a) => alerts.push(a));
  const hold = new MismatchHold({
    mode,
    portfolio: {
      heldDiscrepancies: () => held,
      adoptVenue: (conId) => {
        const adopted = held.filter((d) => conId === undefined || d.conId === conId);
        held = held.filter((d) => !adopted.includes(d));
        return adopted;
      },
    },
    risk: { halt: (r) => risk.push(`halt: ${r}`), reduce: (r) => risk.push(`reduce: ${r}`) },
    bus,
    resync,
    clock: new VirtualClock(TUESDAY_10AM),
    logger: memoryLogger('silent').logger,
  });
  return { hold, risk, alerts, find: (ds: Discrepancy[]) => (held = ds) };
}

describe('MismatchHold', () => {
  it('holds trading once per change: HALTED in live, REDUCING in paper, a CRITICAL alert naming both figures', () => {
    const live = rig('live');
    live.find([position('SPY', 756733, 0, 5)]);
    live.hold.hold();
    live.hold.hold();
    expect(live.risk).toEqual(["halt: Positions differ from the venue (SPY: DualDesk 0, venue 5): adopt the venue's figures or flatten, then re-arm."]);
    expect(live.alerts).toEqual([
      {
        type: 'POSITION_MISMATCH',
        severity: 'CRITICAL',
        title: 'Positions differ from the venue',
        message: "SPY: DualDesk 0, venue 5. Trading is held: adopt the venue's figures or flatten, then re-arm.",
        at: TUESDAY_10AM,
      },
    ]);
    // A new difference is a new hold and a new alert.
    live.find([position('SPY', 756733, 0, 5), cash(1_000_000, 998_750)]);
    live.hold.hold();
    expect(live.risk).toHaveLength(2);
    expect(live.alerts.at(-1)).toMatchObject({ type: 'POSITION_MISMATCH', title: 'Positions and cash differ from the venue' });
    expect(live.alerts.at(-1)?.message).toContain('cash: DualDesk USD 1,000,000.00, venue USD 998,750.00');

    const paper = rig('paper');
    paper.find([cash(1_000_000, 998_750)]);
    paper.hold.hold();
    expect(paper.risk).toEqual([expect.stringMatching(/^reduce: Cash differs from the venue/)]);
    expect(paper.alerts.map((a) => a.type)).toEqual(['CASH_MISMATCH']);
  });

  it('refuses re-arming while anything differs, and not once it is resolved', () => {
    const r = rig('live');
    expect(r.hold.rearmRefusal()).toBeUndefined();
    r.find([position('AAPL', CON_ID.AAPL, 10, 7)]);
    expect(r.hold.rearmRefusal()).toBe("Positions differ from the venue (AAPL: DualDesk 10, venue 7): adopt the venue's figures or flatten first.");
    r.hold.adopt('adopted by the trader');
    expect(r.hold.rearmRefusal()).toBeUndefined();
  });

  it("adopts the venue's figures read just now, alerts it, and a hold on what is left is not alerted again", async () => {
    const order: string[] = [];
    const r = rig('live', () => {
      order.push('resync');
      return Promise.resolve();
    });
    r.find([position('AAPL', CON_ID.AAPL, 10, 7), position('MSFT', CON_ID.MSFT, 0, 3)]);
    r.hold.hold();
    expect(r.alerts).toHaveLength(1);
    const adoption = await r.hold.adoptFresh('flattened by the trader', CON_ID.AAPL);
    expect(order).toEqual(['resync']);
    expect(adoption).toEqual({ adopted: [{ conId: CON_ID.AAPL, symbol: 'AAPL', desk: 10, venue: 7, at: TUESDAY_10AM }], cash: null });
    expect(r.alerts[1]).toMatchObject({
      type: 'POSITION_MISMATCH',
      severity: 'MEDIUM',
      title: "Venue's figures adopted",
      message: 'AAPL: DualDesk 10, venue 7 (flattened by the trader). Re-arm to trade again.',
    });
    // MSFT still differs: the next resync's step does not alert it a second time.
    r.hold.hold();
    expect(r.alerts).toHaveLength(2);
    // Nothing to adopt: no alert.
    expect(r.hold.adopt('again', CON_ID.AAPL)).toEqual({ adopted: [], cash: null });
    expect(r.alerts).toHaveLength(2);
  });

  it('adopts nothing when the venue cannot be read now, and says so (venue-unavailable)', async () => {
    const r = rig('live', () => Promise.reject(new Error('not connected')));
    r.find([position('AAPL', CON_ID.AAPL, 10, 7)]);
    const refused = r.hold.adoptFresh('adopted by the trader');
    await expect(refused).rejects.toBeInstanceOf(DeskCommandError);
    await expect(refused).rejects.toMatchObject({ code: 'venue-unavailable', message: expect.stringContaining('not connected') as string });
    expect(r.hold.rearmRefusal()).toBeDefined();
    expect(r.alerts).toEqual([]);
  });

  it('with no venue configured, adopts the figures it holds without reading anything', async () => {
    const r = rig('paper', undefined);
    r.find([position('AAPL', CON_ID.AAPL, 10, 7)]);
    expect(await r.hold.adoptFresh('adopted by the trader')).toMatchObject({ adopted: [{ conId: CON_ID.AAPL, desk: 10, venue: 7 }] });
    expect(r.hold.rearmRefusal()).toBeUndefined();
  });
});
