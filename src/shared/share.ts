// Sharing the live stream with remote viewers: what a viewer token may see, how a viewer presents it,
// and what the trader's share dialog shows. One contract for the share server (src/main/share), the
// token CLI, the web viewer and (next) the relays.
import type { TopicPattern } from './topics';

/** What a viewer token grants; `market` alone is the smallest useful share. */
export const VIEWER_SCOPES = ['market', 'positions', 'orders', 'pnl', 'alerts', 'account'] as const;
export type ViewerScope = (typeof VIEWER_SCOPES)[number];

/**
 * The topics each scope lets through (patterns over the stream's topics, src/shared/topics.ts), each
 * named: a wildcard would let a new topic through unreviewed. `venue.status` goes to every viewer, cut to
 * whether the data is live; `account` lets the account ids through, masked for every other viewer.
 * Where a topic carries what another scope owns, the viewer's view cuts it (src/main/share/view.ts):
 * the kill switch's remaining positions, the challenge's equity, venue order warnings, and
 * discrepancies by kind (position ones to `positions`, equity and cash ones to `pnl`).
 */
export const SCOPE_TOPICS: { readonly [S in Exclude<ViewerScope, 'account'>]: readonly TopicPattern[] } = {
  market: ['md.>', 'workspace'],
  positions: ['position.*', 'portfolio.discrepancy'],
  pnl: ['equity', 'portfolio.discrepancy'],
  orders: ['order.*', 'fill'],
  alerts: ['risk.alert', 'risk.state', 'risk.challenge', 'risk.killswitch', 'venue.alert'],
};
/** Every viewer receives these, whatever its scope (venue.status cut to whether the data is live). */
export const ALWAYS_SHARED_TOPICS: readonly TopicPattern[] = ['venue.status'];
/** What replaces an account id for a viewer without the `account` scope. */
export const REDACTED_ACCOUNT = '••••••';

/**
 * The subprotocol carrying a viewer token from a browser (which cannot set headers on a WebSocket):
 * offered as `bearer.<token>` next to STREAM_PROTOCOL; the server echoes only STREAM_PROTOCOL. Other
 * clients may send `Authorization: Bearer <token>` instead. A token in the URL is never read.
 */
export const VIEWER_TOKEN_PROTOCOL_PREFIX = 'bearer.';
/** The viewer link carries its token in the fragment, which browsers never send to the server. */
export const VIEWER_LINK_FRAGMENT_KEY = 'token';

/** A viewer token as the desk keeps it (never the token itself: that is shown once, when created). */
export interface ViewerToken {
  /** The JWT's `jti`. */
  readonly id: string;
  readonly label: string;
  readonly scope: readonly ViewerScope[];
  /** Epoch ms. */
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly revokedAt?: number;
}

/** A token just created: the only time the token itself is shown. */
export interface CreatedViewerToken {
  readonly id: string;
  readonly token: string;
  readonly scope: readonly ViewerScope[];
  /** ISO 8601. */
  readonly expiresAt: string;
  /** The viewer link, token in the fragment (absent while no share address is known). */
  readonly url?: string;
}

/** One connected viewer, for the share dialog and /metrics (never its token). */
export interface ViewerConnection {
  readonly connection: number;
  readonly tokenId: string;
  readonly label: string;
  readonly scope: readonly ViewerScope[];
  /** The remote address (IP). */
  readonly address: string;
  /** Epoch ms. */
  readonly since: number;
  /** Messages of the stream not yet sent to it (head − its position). */
  readonly lagMessages: number;
  readonly state: 'hello' | 'catching-up' | 'live';
}

/** The share server as the trader's share dialog shows it. */
export interface ShareStatus {
  readonly enabled: boolean;
  /** Where it listens, while enabled. */
  readonly host?: string;
  readonly port?: number;
  /** The viewer page's base URL (no token), while enabled. */
  readonly url?: string;
  /** SHA-256 of the certificate (DER), as AA:BB:…, so viewers can check it. */
  readonly fingerprint?: string;
  /** Why it is not serving, when turning it on failed. */
  readonly error?: string;
  readonly viewers: readonly ViewerConnection[];
  readonly maxViewers: number;
}
