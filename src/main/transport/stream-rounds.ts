// Live frames: each committed batch to the trader's subscribers at once, as the publisher's bytes where
// unfiltered; to deferred subscribers (viewers) in rounds, a chunk per turn, encoded once per view.
import { encodeBatch, encodeFrame, type DataFrame } from '../../shared/stream';
import type { TimerHandle } from '../clock';
import type { CommittedBatch } from './publisher';
import type { Connection, Encoded } from './stream-connection';
import { StreamReading } from './stream-reading';

/** A round: frames sent to the deferred subscribers a chunk per turn. */
interface Round {
  readonly frames: readonly DataFrame[];
  readonly targets: Connection[];
  next: number;
  readonly memo: Map<string, Encoded>;
  readonly generation: number;
  /** Time spent in the round's turns (encoding and writing), ms. */
  busyMs: number;
}

export abstract class StreamRounds extends StreamReading {
  /** Frames committed since the last round for deferred subscribers started, in seq order. */
  protected pendingFrames: DataFrame[] = [];
  /** The round in progress: those frames, sent to the deferred subscribers a chunk per turn. */
  protected round: Round | undefined;
  protected roundScheduled = false;
  protected roundTimer: TimerHandle | undefined;
  /** When the last round for deferred subscribers started (the coalescing window runs from it). */
  protected lastRoundAt = Number.NEGATIVE_INFINITY;
  /** The last finished round's busy time, ms: the window after a round grows with what the round cost. */
  protected lastRoundBusyMs = 0;

  protected onCommitted(batch: CommittedBatch): void {
    if (this.stalled) return; // connections fall behind; they are caught up when the stall ends
    const lose = this.options.faults?.lose(batch.frames.length) ?? 0;
    const frames = lose > 0 ? batch.frames.slice(lose) : batch.frames;
    // Unfiltered subscribers get the publisher's bytes as they are (after a loss, the rest re-encoded: a drill).
    const shared = lose > 0 ? encodeBatch(frames.map((f) => encodeFrame(f))) : batch.message;
    const first = batch.frames[0];
    const last = batch.frames[batch.frames.length - 1];
    if (!first || !last) return;
    let deferred = false;
    for (const c of this.connections) {
      if (c.scope.deferred) {
        deferred = true;
        continue;
      }
      if (c.state !== 'live') continue;
      if (c.peer.bufferedAmount > this.settings.highWaterBytes) {
        this.startCatchUp(c);
        continue;
      }
      if (c.sent !== first.seq - 1) continue; // not contiguous: it is being caught up
      if (!c.filter && !c.scope.redact) {
        if (frames.length > 0) this.write(c, shared, frames.length);
        c.sent = last.seq;
        c.lastSent = last.seq;
        continue;
      }
      // Lost frames count as sent (lost in transit), so the next frame's prev reveals the gap.
      const afterLoss = batch.frames.slice(0, lose).reduce((p, f) => (!c.filter || c.filter(f.topic) ? f.seq : p), c.lastSent);
      c.lastSent = this.sendFiltered(c, frames, afterLoss);
      c.sent = last.seq;
    }
    if (deferred) {
      for (const f of frames) this.pendingFrames.push(f);
      this.scheduleDeferred();
    }
  }

  /** Starts the next round for deferred subscribers after the coalescing window (none while one is in progress). */
  protected scheduleDeferred(): void {
    if (this.round || this.roundScheduled || this.roundTimer !== undefined) return;
    // The busy time is wall time (what the work took), so it only applies when a share is set: a test's clock never sees it otherwise.
    const share = this.settings.deferredBusyShare;
    const window = share < 1 ? Math.max(this.settings.coalesceMs, this.lastRoundBusyMs / share) : this.settings.coalesceMs;
    const wait = this.lastRoundAt + window - this.options.clock.now();
    if (wait > 0) {
      this.roundTimer = this.options.clock.setTimeout(() => {
        this.roundTimer = undefined;
        this.startRound();
      }, wait);
    } else {
      this.roundScheduled = true;
      const generation = this.generation;
      setImmediate(() => {
        if (generation !== this.generation) return; // scheduled for the previous source
        this.roundScheduled = false;
        this.startRound();
      });
    }
  }

  protected startRound(): void {
    if (this.stalled || this.round || this.pendingFrames.length === 0) return;
    const targets = [...this.connections].filter((c) => c.scope.deferred);
    this.lastRoundAt = this.options.clock.now();
    const round = { frames: this.pendingFrames, targets, next: 0, memo: new Map<string, Encoded>(), generation: this.generation, busyMs: 0 };
    this.round = round;
    this.pendingFrames = [];
    this.serveRound(round);
  }

  /**
   * One chunk of deferred subscribers for the round in progress. A subscriber takes the frames after
   * its position, if its position is within the round (one caught up from the journal meanwhile skips
   * what it already has; one behind it is being caught up).
   */
  protected serveRound(round: Round): void {
    // A turn of a round that setSource ended (or one superseded) must not run a second chain on the next round.
    if (this.round !== round || round.generation !== this.generation) return;
    if (this.stalled) {
      // The stall's end catches every connection up from the journal; the round is moot.
      this.round = undefined;
      return;
    }
    // Wall time of the turn, not the injected clock: it measures the work, which a test clock does not see.
    const startedAt = performance.now();
    const { frames } = round;
    const first = frames[0];
    const last = frames[frames.length - 1];
    const end = Math.min(round.targets.length, round.next + this.settings.deferredChunk);
    while (first && last && round.next < end) {
      const c = round.targets[round.next++] as Connection;
      if (c.state !== 'live' || c.peer.readyState !== 'open') continue;
      if (c.peer.bufferedAmount > this.settings.highWaterBytes) {
        this.startCatchUp(c);
        continue;
      }
      if (c.sent >= last.seq) continue;
      if (c.sent < first.seq - 1) {
        // Behind the round (frames lost before it, or a loss drill): only the journal has what it lacks.
        this.startCatchUp(c);
        this.schedulePump(c);
        continue;
      }
      this.sendAsView(c, frames, round.memo);
      c.sent = last.seq;
    }
    round.busyMs += performance.now() - startedAt;
    if (round.next < round.targets.length) {
      setImmediate(() => this.serveRound(round));
      return;
    }
    this.round = undefined;
    this.lastRoundBusyMs = round.busyMs;
    if (this.pendingFrames.length > 0) this.scheduleDeferred();
  }

  /** Sends a deferred subscriber the round's frames after its position, encoded once per view and position. */
  protected sendAsView(c: Connection, frames: readonly DataFrame[], memo: Map<string, Encoded>): void {
    const key = c.viewKey === undefined ? undefined : `${c.viewKey}|${c.sent}|${c.lastSent}`;
    let encoded = key === undefined ? undefined : memo.get(key);
    if (!encoded) {
      const after = c.sent;
      const owed = (frames[0]?.seq ?? 0) > after ? frames : frames.filter((f) => f.seq > after);
      encoded = this.encodeFiltered(c, owed, c.lastSent);
      if (key !== undefined) memo.set(key, encoded);
    }
    if (encoded.count > 0) this.writeShared(c, encoded);
    c.lastSent = encoded.prev;
  }
}
