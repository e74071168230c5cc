// The desk's side of relays' revocations: the register's list of revoked tokens published on the
// trading mode's stream (share.revocations), so it reaches Kafka and every relay reads it there. The
// full list each time, so the latest message alone is the truth. A standing list is sent again every
// few hours: Kafka's retention must never drop the last copy while its tokens are still valid.
import type { Clock, TimerHandle } from '../clock';
import type { Logger } from '../ops';
import type { StreamSource } from '../transport';
import { REVOCATIONS_TOPIC, type RevocationList } from './relay-authority';
import type { ViewerTokens } from './tokens';

/** A standing list is published again after this (far inside Kafka's 7 days of retention). */
export const REVOCATIONS_REPUBLISH_MS = 6 * 3_600_000;

export class RevocationPublisher {
  private source: StreamSource | undefined;
  private republish: TimerHandle | undefined;
  /** The list the current stream carries last (published here or found in it), as JSON. */
  private carried: string | undefined;
  private readonly stopListening: () => void;

  /** Publishes after every revocation, this process's or the CLI's (the register's poll tells both). */
  constructor(
    private readonly tokens: ViewerTokens,
    private readonly logger: Logger,
    private readonly clock: Clock,
    republishMs: number = REVOCATIONS_REPUBLISH_MS,
  ) {
    this.stopListening = tokens.onRevocation(() => this.publish(false));
    this.republish = clock.setInterval(() => this.publish(true), republishMs);
  }

  /**
   * A trading mode's stream (a new one at every start and mode switch): it gets the list at once, even
   * empty, so each epoch carries it (a relay admits no one before it has read one in the epoch).
   */
  setSource(source: StreamSource | undefined): void {
    this.source = source;
    this.carried = source ? JSON.stringify(carriedList(source) ?? { revoked: [] }) : undefined;
    this.publish(true);
  }

  close(): void {
    this.clock.clearTimer(this.republish);
    this.republish = undefined;
    this.stopListening();
    this.source = undefined;
  }

  /** `again`: send the list even when the stream already carries it (a start, the periodic resend), empty or not. */
  private publish(again: boolean): void {
    const source = this.source;
    if (!source) return;
    let list: RevocationList;
    try {
      list = this.tokens.revocations();
    } catch (err) {
      this.logger.error({ err }, 'could not read the revoked viewer tokens: relays keep the previous list until the next revocation');
      return;
    }
    const json = JSON.stringify(list);
    // Other register changes (a token created) tell the listener too: an unchanged list is not sent again.
    if (json === this.carried && !again) return;
    const seq = source.publisher.publish(REVOCATIONS_TOPIC, list);
    if (seq === undefined) {
      this.logger.error({ revoked: list.revoked.length }, 'the stream refused the revocation list: relays keep the previous one until the next revocation');
      return;
    }
    this.carried = json;
    this.logger.info({ revoked: list.revoked.length, seq }, 'revoked viewer tokens published for relays');
  }
}

function carriedList(source: StreamSource): unknown {
  return source.publisher.snapshot((topic) => topic === REVOCATIONS_TOPIC).state[REVOCATIONS_TOPIC];
}
