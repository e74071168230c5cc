// Nothing reaches React until the next animation frame, when each changed slice's version moves once (a
// thousand quotes in a frame are one render); charts get their bars in one batch per frame, outside React.
import type { BarPeriod, BarUpdate, CrossSignal, EmaUpdate, SymbolQuote } from '../../../shared';

export type Slice = 'watchlist' | 'quotes' | 'orders' | 'positions' | 'fills' | 'account' | 'venue' | 'alerts' | 'transport' | 'stream';

/** Bars, EMAs and signals for one instrument, delivered once per animation frame to the chart; each bar size with its own. */
export interface ChartBatch {
  readonly bars1m: readonly BarUpdate[];
  readonly bars5s: readonly BarUpdate[];
  readonly emas: readonly EmaUpdate[];
  readonly signals: readonly CrossSignal[];
  readonly emas5s: readonly EmaUpdate[];
  readonly signals5s: readonly CrossSignal[];
}

type MutableBatch = { -readonly [K in keyof ChartBatch]: ChartBatch[K] extends readonly (infer T)[] ? T[] : never };

export type ChartListener = (batch: ChartBatch) => void;

/** A chart message as the stream routes it (md.bar / md.ema / md.signal, either period). */
export type ChartUpdate =
  { readonly kind: 'bar'; readonly data: BarUpdate } | { readonly kind: 'ema'; readonly data: EmaUpdate } | { readonly kind: 'signal'; readonly data: CrossSignal };

const HIDDEN_FLUSH_MS = 1_000;

/** The slices' versions and listeners, the quotes and chart updates waiting for the next frame. */
export class FrameBatcher {
  private readonly versions = new Map<Slice, number>();
  private readonly listeners = new Map<Slice, Set<() => void>>();
  private readonly dirty = new Set<Slice>();
  private readonly pendingQuotes = new Map<string, SymbolQuote>();
  private readonly pendingChart = new Map<string, MutableBatch>();
  private readonly chartListeners = new Map<string, Set<ChartListener>>();
  private frame = 0;
  private hiddenTimer: ReturnType<typeof setTimeout> | undefined;

  /** @param quotes the store's quotes, by topic word, which pending quotes land in at each frame */
  constructor(private readonly quotes: Map<string, SymbolQuote>) {}

  version(slice: Slice): number {
    return this.versions.get(slice) ?? 0;
  }

  subscribe(slice: Slice, listener: () => void): () => void {
    let set = this.listeners.get(slice);
    if (!set) this.listeners.set(slice, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  onChart(word: string, listener: ChartListener): () => void {
    let set = this.chartListeners.get(word);
    if (!set) this.chartListeners.set(word, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  quote(word: string, q: SymbolQuote): void {
    this.pendingQuotes.set(word, q);
    this.touch('quotes');
  }

  /** Only a chart on screen needs bars; it loads its history when it opens. */
  chart(word: string, period: BarPeriod, update: ChartUpdate): void {
    if (!this.chartListeners.get(word)?.size) return;
    let batch = this.pendingChart.get(word);
    if (!batch) this.pendingChart.set(word, (batch = { bars1m: [], bars5s: [], emas: [], signals: [], emas5s: [], signals5s: [] }));
    const fiveSeconds = period === '5s';
    if (update.kind === 'bar') (fiveSeconds ? batch.bars5s : batch.bars1m).push(update.data);
    else if (update.kind === 'ema') (fiveSeconds ? batch.emas5s : batch.emas).push(update.data);
    else (fiveSeconds ? batch.signals5s : batch.signals).push(update.data);
    this.touch('stream');
  }

  /** Quotes not yet shown are of the mode the window left. */
  dropQuotes(): void {
    this.pendingQuotes.clear();
  }

  touch(slice: Slice): void {
    this.dirty.add(slice);
    if (this.frame !== 0 || this.hiddenTimer !== undefined) return;
    // A hidden window gets no animation frames: flush on a slow timer instead, so nothing piles up.
    if (document.hidden) this.hiddenTimer = setTimeout(() => this.flush(), HIDDEN_FLUSH_MS);
    else this.frame = requestAnimationFrame(() => this.flush());
  }

  stop(): void {
    cancelAnimationFrame(this.frame);
  }

  /** Once per animation frame: coalesced quotes in, chart batches out, then each changed slice once. */
  private flush(): void {
    cancelAnimationFrame(this.frame);
    clearTimeout(this.hiddenTimer);
    this.frame = 0;
    this.hiddenTimer = undefined;
    if (this.pendingQuotes.size > 0) {
      for (const [word, q] of this.pendingQuotes) this.quotes.set(word, q);
      this.pendingQuotes.clear();
    }
    if (this.pendingChart.size > 0) {
      for (const [word, batch] of this.pendingChart) {
        for (const l of this.chartListeners.get(word) ?? []) l(batch);
      }
      this.pendingChart.clear();
    }
    const changed = [...this.dirty];
    this.dirty.clear();
    for (const slice of changed) {
      this.versions.set(slice, this.version(slice) + 1);
      for (const l of this.listeners.get(slice) ?? []) l();
    }
  }
}
