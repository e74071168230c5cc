// Reading the journal for connections: replays, catch-ups and recalls of older history, one chunk per
// turn of the event loop while the peer has room; deferred subscribers (viewers) share one row budget per turn.
import { CLOSE } from '../../shared/stream';
import type { JournalRow } from './journal';
import { CATCH_UP_CHUNK, StreamConnections, type Connection } from './stream-connection';
import type { StreamFeed, StreamHistory } from './stream-types';

export abstract class StreamReading extends StreamConnections {
  /** Deferred subscribers owed journal rows, in the order they asked; the first maxDeferredReaders read, round-robin. */
  protected readonly deferredReaders = new Set<Connection>();
  protected readersScheduled = false;
  /** Where the next readers' turn starts among those reading (round-robin when the budget runs out mid-way). */
  protected readerCursor = 0;
  /** Rows read from the journal in the turn in progress. */
  protected rowsRead = 0;

  /**
   * Whether the history holds `from` for this connection: 'held'; 'gone'; or 'wait' while the source
   * recalls it from older history (then `then` runs, unless the stream changed or the peer left). A
   * position is recalled once: still not held after that, it is gone.
   */
  protected reach(c: Connection, source: StreamFeed, from: number, then: () => void): 'held' | 'wait' | 'gone' {
    const { journal } = source;
    if (journal.oldest <= from) return 'held';
    if (!journal.recall) return 'gone';
    if (journal.read(from, from, 1)[0]?.seq === from) return 'held';
    if (c.recalled === from) return 'gone';
    c.recalling = true;
    c.recalled = from;
    // A hello's heartbeats meanwhile tell its own position.
    if (c.state === 'hello') c.lastSent = from - 1;
    const recallStarted = this.options.clock.now();
    const generation = this.generation;
    void journal
      .recall(from)
      .catch((err: unknown) => this.options.logger.warn({ connection: c.id, from, err: (err as Error).message }, 'recalling older stream history failed'))
      .then(() => {
        c.recalling = false;
        // The time spent reading older history was the server's, not the subscriber's: not counted as behind.
        if (c.behindSince !== undefined) c.behindSince = Math.min(this.options.clock.now(), c.behindSince + (this.options.clock.now() - recallStarted));
        if (generation !== this.generation || this.source !== source || c.peer.readyState !== 'open') return;
        then();
      });
    return 'wait';
  }

  /**
   * Starts sending [from, to] from the journal (those the subscriber may see), chained from from - 1.
   * One replay at a time: another is refused while one is in flight, and closes a subscriber that is
   * not even reading the one it has (4008).
   */
  protected replay(c: Connection, from: number, to: number): void {
    const source = this.source;
    if (!source) return;
    const { journal, publisher } = source;
    if (c.replay) {
      if (c.peer.bufferedAmount > this.settings.highWaterBytes) this.closeSlow(c, 'asked for another replay without reading the one in flight');
      else this.send(c, { op: 'error', code: 'replay-busy', message: `replay ${c.replay.next}-${c.replay.to} is in flight: ask again once it has arrived` });
      return;
    }
    const last = Math.min(to, publisher.head);
    if (from > last) return;
    if (c.scope.deferred && !this.viewerMayReplay(c, from, last)) return;
    c.replay = { next: from, to: last, prev: from - 1 };
    const reach = this.reach(c, source, from, () => this.pumpNow(c));
    if (reach === 'gone') {
      c.replay = undefined;
      this.send(c, { op: 'reset', epoch: publisher.epoch, reason: `messages ${from}-${journal.oldest - 1} are no longer in the journal` });
      return;
    }
    if (reach === 'held') this.pumpNow(c);
  }

  /** A viewer's replay within its span and rate caps; otherwise it is told why (an error, not a close). */
  protected viewerMayReplay(c: Connection, from: number, to: number): boolean {
    if (to - from + 1 > this.settings.maxViewerReplaySpan) {
      this.send(c, { op: 'error', code: 'replay-too-large', message: `a replay spans at most ${this.settings.maxViewerReplaySpan} messages, not ${to - from + 1}` });
      return false;
    }
    const now = this.options.clock.now();
    c.replaysAt = c.replaysAt.filter((t) => t > now - 60_000);
    if (c.replaysAt.length >= this.settings.viewerReplaysPerMinute) {
      this.send(c, { op: 'error', code: 'replay-rate', message: `at most ${this.settings.viewerReplaysPerMinute} replays a minute: ask again later` });
      return false;
    }
    c.replaysAt.push(now);
    return true;
  }

  /** One chunk of the replay in flight; whether there is more to send. */
  protected replayChunk(c: Connection, source: StreamFeed, limit: number): boolean {
    const { journal, publisher } = source;
    const r = c.replay;
    if (!r) return false;
    const reach = this.reach(c, source, r.next, () => this.schedulePump(c));
    if (reach === 'wait') return false;
    if (reach === 'gone') {
      c.replay = undefined;
      this.send(c, { op: 'reset', epoch: publisher.epoch, reason: `messages ${r.next}-${journal.oldest - 1} are no longer in the journal` });
      return false;
    }
    const rows = this.readJournal(journal, r.next, r.to, limit);
    const lastRow = rows[rows.length - 1];
    if (lastRow) {
      r.prev = this.sendRows(c, rows, r.prev);
      r.next = lastRow.seq + 1;
    }
    if (!lastRow || r.next > r.to) c.replay = undefined;
    return c.replay !== undefined;
  }

  /** One chunk of the catch-up; live again once at the head. Whether there is more to send. */
  protected catchUpChunk(c: Connection, source: StreamFeed, limit: number): boolean {
    const { journal, publisher } = source;
    const reach = c.sent < publisher.head ? this.reach(c, source, c.sent + 1, () => this.schedulePump(c)) : 'held';
    if (reach === 'wait') return false;
    if (reach === 'gone') {
      this.send(c, { op: 'reset', epoch: publisher.epoch, reason: 'fell too far behind: the journal no longer holds the next messages' });
      this.metrics.slowClosed.inc();
      this.closeConnection(c, CLOSE.TOO_SLOW, 'too slow');
      return false;
    }
    const rows = c.sent < publisher.head ? this.readJournal(journal, c.sent + 1, publisher.head, limit) : [];
    const lastRow = rows[rows.length - 1];
    if (lastRow) {
      c.lastSent = this.sendRows(c, rows, c.lastSent);
      c.sent = lastRow.seq;
    }
    if (c.sent >= publisher.head) {
      c.state = 'live';
      if (c.peer.bufferedAmount < this.settings.highWaterBytes) c.behindSince = undefined;
    }
    return lastRow !== undefined && c.state === 'catching-up';
  }

  /**
   * Sends what a connection is owed from the journal (its replay first, then its catch-up), one chunk
   * per turn of the event loop and only while its socket is under the high-water mark, so no
   * subscriber can hold the loop or grow the server's memory; a flush or the heartbeat resumes it.
   */
  protected pump(c: Connection): void {
    c.pumpScheduled = false;
    if (this.readChunk(c, CATCH_UP_CHUNK)) this.schedulePump(c);
  }

  /** Reads a connection's next chunk (replay first, then catch-up) if it can take one; whether it is owed more. */
  protected readChunk(c: Connection, limit: number): boolean {
    const source = this.source;
    if (!source || this.stalled || c.recalling || c.peer.readyState !== 'open' || c.peer.bufferedAmount >= this.settings.highWaterBytes) return false;
    return c.replay ? this.replayChunk(c, source, limit) || c.state === 'catching-up' : c.state === 'catching-up' && this.catchUpChunk(c, source, limit);
  }

  /** The trader's subscribers read their first chunk at once (as ever); a viewer waits for the readers' turn. */
  protected pumpNow(c: Connection): void {
    if (c.scope.deferred) this.schedulePump(c);
    else this.pump(c);
  }

  protected schedulePump(c: Connection): void {
    if (c.pumpScheduled || (!c.replay && c.state !== 'catching-up')) return;
    c.pumpScheduled = true;
    if (c.scope.deferred) {
      this.deferredReaders.add(c);
      this.scheduleReaders();
      return;
    }
    setImmediate(() => this.pump(c));
  }

  protected scheduleReaders(): void {
    if (this.readersScheduled || this.deferredReaders.size === 0) return;
    this.readersScheduled = true;
    const generation = this.generation;
    setImmediate(() => {
      if (generation !== this.generation) return; // scheduled for the previous source
      this.readersScheduled = false;
      this.serveReaders();
    });
  }

  /**
   * One turn of journal reading for the deferred subscribers: the first maxDeferredReaders in the queue
   * share one row budget, round-robin, so viewers' replays and catch-ups never read more per turn
   * than the trader's one chunk. One that cannot take rows now leaves the queue (a flush or the heartbeat brings it back).
   */
  protected serveReaders(): void {
    const reading = [...this.deferredReaders].slice(0, this.settings.maxDeferredReaders);
    const budget = this.settings.deferredRowBudget;
    const share = Math.max(1, Math.floor(budget / Math.max(1, reading.length)));
    this.rowsRead = 0;
    const start = this.readerCursor % Math.max(1, reading.length);
    let served = 0;
    while (served < reading.length && this.rowsRead < budget) {
      const c = reading[(start + served) % reading.length] as Connection;
      served++;
      const more = this.readChunk(c, Math.min(share, budget - this.rowsRead));
      if (!more) {
        this.deferredReaders.delete(c);
        c.pumpScheduled = false;
      }
    }
    this.readerCursor = start + served;
    this.options.onDeferredRead?.({ rows: this.rowsRead, readers: reading.length });
    this.scheduleReaders();
  }

  protected readJournal(journal: StreamHistory, from: number, to: number, limit: number): JournalRow[] {
    const rows = journal.read(from, to, limit);
    this.rowsRead += rows.length;
    return rows;
  }

  protected onFlushed(c: Connection): void {
    if (c.peer.bufferedAmount < this.settings.lowWaterBytes) this.schedulePump(c);
  }
}
