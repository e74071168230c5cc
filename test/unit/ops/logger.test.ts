import { describe, expect, it } from 'vitest';
import { createRecordLogger, newCorrelationId, relog, withCorrelation, type LogRecord } from '../../../src/main/ops';
import { memoryLogger } from '../../support/logs';

describe('logger', () => {
  it('writes structured JSON with level labels and ISO timestamps', () => {
    const { logger, lines } = memoryLogger('info');
    logger.info({ symbol: 'AAPL' }, 'subscribed');
    logger.debug('not at this level');
    const [line] = lines();
    expect(lines()).toHaveLength(1);
    expect(line).toMatchObject({ level: 'info', app: 'dualdesk', symbol: 'AAPL', msg: 'subscribed' });
    expect(new Date(String(line?.['time'])).toISOString()).toBe(line?.['time']);
  });

  it('redacts secrets wherever they sit in the usual shapes', () => {
    const { logger, text } = memoryLogger();
    logger.info(
      {
        token: 'T0P-SECRET-1',
        headers: { authorization: 'Bearer T0P-SECRET-2', cookie: 'T0P-SECRET-3' },
        kafka: { sasl: { password: 'T0P-SECRET-4' } },
        share: { token: 'T0P-SECRET-5' },
        controlToken: 'T0P-SECRET-6',
      },
      'connecting',
    );
    expect(text()).not.toMatch(/T0P-SECRET/);
    expect(text()).toContain('[redacted]');
  });

  it('adds the correlation id to every line inside withCorrelation, across awaits', async () => {
    const { logger, lines } = memoryLogger();
    const cid = newCorrelationId();
    await withCorrelation(cid, async () => {
      logger.info('order received');
      await new Promise((r) => setTimeout(r, 1));
      logger.info('order sent');
    });
    logger.info('outside');
    expect(lines().map((l) => l['cid'])).toEqual([cid, cid, undefined]);
  });

  it("passes a worker thread's records to the main logger: level, bindings and fields kept, secrets redacted on both sides", () => {
    const { logger, lines, text } = memoryLogger('info');
    const records: LogRecord[] = [];
    const worker = createRecordLogger('info', (r) => records.push(r)).child({ component: 'kafka' });
    worker.warn({ broker: 'b:9092', sasl: { password: 'T0P-SECRET-7' } }, 'retrying');
    worker.debug('below the level: never posted');
    expect(records).toHaveLength(1);
    expect(JSON.stringify(records)).not.toContain('T0P-SECRET');
    for (const r of records) relog(logger, r);
    expect(lines()).toEqual([expect.objectContaining({ level: 'warn', app: 'dualdesk', component: 'kafka', broker: 'b:9092', msg: 'retrying' })]);
    expect(text()).not.toContain('T0P-SECRET');
  });
});
