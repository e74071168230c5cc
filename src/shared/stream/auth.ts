// How a browser authenticates the stream without a URL: it exchanges its bearer token for a
// single-use ticket and offers it as a WebSocket subprotocol next to the stream's own protocol.

/** The stream's WebSocket subprotocol; the server echoes it (never the ticket). */
export const STREAM_PROTOCOL = 'dualdesk.v1';
/** The subprotocol carrying a ticket: `ticket.<ticket>`. */
export const TICKET_PROTOCOL_PREFIX = 'ticket.';
/** POST with the control token as a bearer header: answers `{ ticket, expiresInMs }`. */
export const STREAM_TICKET_PATH = '/api/stream-ticket';

export interface StreamTicketGrant {
  readonly ticket: string;
  readonly expiresInMs: number;
}
