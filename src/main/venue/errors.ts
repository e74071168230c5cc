// The venue's errors: a stable kind for programs and a message in the trader's words.
export type VenueErrorKind =
  /** The command could not be sent: the venue is not connected or not in sync yet. */
  | 'venue-disconnected'
  | 'resync-pending'
  /** Paper/live safeguards. */
  | 'account-mismatch'
  /** Several managed accounts and none chosen, or the chosen one not among them. */
  | 'account-not-chosen'
  | 'not-armed'
  | 'no-account'
  /** Request problems. */
  | 'unknown-instrument'
  | 'ambiguous-instrument'
  | 'market-data-lines'
  | 'market-data-permission'
  | 'duplicate-request'
  | 'pacing'
  | 'historical-data'
  | 'bad-request'
  | 'timeout'
  /** Orders. */
  | 'order-rejected'
  | 'order-id'
  | 'order-not-found'
  | 'order-not-cancellable'
  | 'price-increment'
  /** Connection. */
  | 'connect-failed'
  | 'client-id-in-use'
  /** Anything else IB says. */
  | 'venue';

export class VenueError extends Error {
  override readonly name = 'VenueError';

  constructor(
    readonly kind: VenueErrorKind,
    message: string,
    /** The venue's own code behind it, when there is one (IB's error code for the IB venue). */
    readonly ibCode?: number,
  ) {
    super(message);
  }
}
