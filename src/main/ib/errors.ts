// IB's error codes as DualDesk understands them: a stable kind for programs and a message in the
// trader's words. Codes not listed are still reported (kind 'venue', IB's own text), never swallowed.
import { VenueError, type VenueErrorKind } from '../venue';

interface CodeInfo {
  readonly kind: VenueErrorKind;
  /** The trader-facing text; IB's own text is appended where it adds the detail. */
  readonly message: string;
  readonly appendIbText?: boolean;
}

const CODES: Readonly<Record<number, CodeInfo>> = {
  100: { kind: 'pacing', message: 'Too many requests to IB in one second; DualDesk will send more slowly.' },
  101: { kind: 'market-data-lines', message: 'No market data line left: the account has reached its simultaneous subscription limit.' },
  102: { kind: 'duplicate-request', message: 'This market data request is already running.' },
  103: { kind: 'order-id', message: 'IB refused the order id as already used.' },
  104: { kind: 'order-not-cancellable', message: 'The order is already filled and cannot be changed.' },
  110: { kind: 'price-increment', message: 'The price is not a valid tick for this instrument.' },
  135: { kind: 'order-not-found', message: 'IB does not know this order.' },
  162: { kind: 'historical-data', message: 'IB refused the historical data request:', appendIbText: true },
  200: { kind: 'unknown-instrument', message: 'IB has no contract matching this instrument.', appendIbText: true },
  201: { kind: 'order-rejected', message: 'IB rejected the order:', appendIbText: true },
  202: { kind: 'venue', message: 'The order was cancelled.' },
  321: { kind: 'bad-request', message: 'IB could not validate the request:', appendIbText: true },
  326: { kind: 'client-id-in-use', message: 'Another application is connected to TWS/IB Gateway with the same client id.' },
  354: { kind: 'market-data-permission', message: 'The account has no market data subscription for this instrument.' },
  366: { kind: 'historical-data', message: 'IB has no historical request with this id.' },
  502: { kind: 'connect-failed', message: 'Cannot reach TWS/IB Gateway: is it running, with API connections enabled on this port?' },
  504: { kind: 'venue-disconnected', message: 'Not connected to TWS/IB Gateway.' },
  10148: { kind: 'order-not-cancellable', message: 'The order can no longer be cancelled:', appendIbText: true },
  10167: { kind: 'market-data-permission', message: 'Real-time data is not available; IB is sending delayed data.' },
};

/** Connectivity and farm-status codes: not errors but state changes of the connection. */
export const CONNECTIVITY = {
  LOST: 1100,
  RESTORED_DATA_LOST: 1101,
  RESTORED_DATA_KEPT: 1102,
  TWS_SERVER_LINK_BROKEN: 2110,
  FARM_BROKEN: [2103, 2105, 2157],
  FARM_OK: [2104, 2106, 2158],
  FARM_INACTIVE: [2107, 2108],
} as const;

/** Maps an IB error to DualDesk's. */
export function fromIbError(code: number, ibText: string): VenueError {
  const info = CODES[code];
  if (!info) return new VenueError('venue', `IB error ${code}: ${ibText}`, code);
  return new VenueError(info.kind, info.appendIbText ? `${info.message} ${ibText}` : info.message, code);
}

/** Codes IB sends as warnings about an order that still goes ahead. */
export const ORDER_WARNINGS: ReadonlySet<number> = new Set([399, 2109]);
