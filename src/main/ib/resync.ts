// The venue re-read after every (re)connect, in order: positions; every client's open orders; completed
// orders and account values; then the executions (and their commissions) since the last one seen.
import { EventName } from '@stoqey/ib';
import type { VenueAccountValue, VenueCommission, VenueExecution, VenueOrder, VenuePosition } from '../venue';
import { orderKey } from './orders';
import type { Requests } from './requests';
import { formatUtc } from './wire';

/** What the venue said, for every account of the login (the caller keeps the traded account's). */
export interface VenueRead {
  readonly positions: readonly VenuePosition[];
  readonly openOrders: readonly VenueOrder[];
  readonly completedOrders: readonly VenueOrder[];
  readonly accountValues: readonly VenueAccountValue[];
  readonly executions: readonly VenueExecution[];
  readonly commissions: readonly VenueCommission[];
}

/** `account`: whose account values to read; `lastExecutionTime`: the time of the last execution seen, if any. */
export async function readVenue(requests: Requests, account: string, lastExecutionTime: () => number | undefined): Promise<VenueRead> {
  const positions: VenuePosition[] = [];
  await requests.request(
    [EventName.position, EventName.positionEnd],
    'subscription',
    (ib) => ib.reqPositions(),
    (name, args) => {
      if (name === String(EventName.positionEnd)) return 'done';
      positions.push(args[0] as VenuePosition);
      return 'more';
    },
  );
  const open = new Map<string, VenueOrder>();
  await requests.request(
    [EventName.openOrder, EventName.orderStatus, EventName.openOrderEnd],
    'subscription',
    (ib) => ib.reqAllOpenOrders(),
    (name, args) => {
      if (name === String(EventName.openOrderEnd)) return 'done';
      const o = args[0] as VenueOrder;
      open.set(orderKey(o.clientId, o.orderId), o);
      return 'more';
    },
  );
  const completed: VenueOrder[] = [];
  await requests.request(
    [EventName.completedOrder, EventName.completedOrdersEnd],
    'subscription',
    (ib) => ib.reqCompletedOrders(false),
    (name, args) => {
      if (name === String(EventName.completedOrdersEnd)) return 'done';
      completed.push(args[0] as VenueOrder);
      return 'more';
    },
  );
  const accountValues: VenueAccountValue[] = [];
  await requests.request(
    [EventName.updateAccountValue, EventName.accountDownloadEnd],
    'subscription',
    (ib) => ib.reqAccountUpdates(true, account),
    (name, args) => {
      if (name === String(EventName.accountDownloadEnd)) return 'done';
      accountValues.push(args[0] as VenueAccountValue);
      return 'more';
    },
  );
  const since = lastExecutionTime();
  const executions: VenueExecution[] = [];
  const commissions: VenueCommission[] = [];
  const reqId = requests.nextRequestId();
  // A minute of overlap absorbs clock skew; the memory drops what was already seen.
  const filter = since === undefined ? {} : { time: formatUtc(since - 60_000) };
  await requests.request(
    [EventName.execDetails, EventName.execDetailsEnd, EventName.commissionReport],
    'subscription',
    (ib) => ib.reqExecutions(reqId, filter),
    (name, args) => {
      if (name === String(EventName.commissionReport)) {
        commissions.push(args[0] as VenueCommission);
        return 'more';
      }
      if (args[0] !== reqId) return 'ignore';
      if (name === String(EventName.execDetailsEnd)) return 'done';
      executions.push(args[1] as VenueExecution);
      return 'more';
    },
  );
  return { positions, openOrders: [...open.values()], completedOrders: completed, accountValues, executions, commissions };
}
