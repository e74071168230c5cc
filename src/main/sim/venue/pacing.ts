// IB's historical-data pacing for small bars (30 s or less): an identical request within 15 s, six
// or more requests for the same contract and data type within 2 s, or more than 60 requests in
// 10 minutes are refused with error 162.

export interface HistoricalRequestKey {
  readonly conId: number;
  readonly source: string;
  readonly endKey: string;
  readonly duration: string;
  readonly barSizeMs: number;
}

const SMALL_BAR_MS = 30_000;
const IDENTICAL_WINDOW_MS = 15_000;
const SAME_CONTRACT_WINDOW_MS = 2_000;
const SAME_CONTRACT_LIMIT = 6;
const TOTAL_WINDOW_MS = 600_000;
const TOTAL_LIMIT = 60;

export type PacingVerdict = 'ok' | 'identical' | 'same-contract' | 'too-many';

export class HistoricalPacing {
  private history: { readonly at: number; readonly key: HistoricalRequestKey }[] = [];

  admit(key: HistoricalRequestKey, now: number): PacingVerdict {
    if (key.barSizeMs > SMALL_BAR_MS) return 'ok';
    this.history = this.history.filter((h) => now - h.at < TOTAL_WINDOW_MS);
    const small = this.history;
    let verdict: PacingVerdict = 'ok';
    if (small.length >= TOTAL_LIMIT) verdict = 'too-many';
    else if (
      small.some(
        (h) =>
          now - h.at < IDENTICAL_WINDOW_MS &&
          h.key.conId === key.conId &&
          h.key.source === key.source &&
          h.key.endKey === key.endKey &&
          h.key.duration === key.duration &&
          h.key.barSizeMs === key.barSizeMs,
      )
    )
      verdict = 'identical';
    else if (small.filter((h) => now - h.at < SAME_CONTRACT_WINDOW_MS && h.key.conId === key.conId && h.key.source === key.source).length >= SAME_CONTRACT_LIMIT - 1)
      verdict = 'same-contract';
    // Refused requests count too: IB paces what it receives, not what it serves.
    this.history.push({ at: now, key });
    return verdict;
  }
}
