import { describe, expect, it } from 'vitest';
import { newCorrelationId, withCorrelation } from '../../src/main/ops';
import { memoryLogger } from '../support/logs';

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
});
