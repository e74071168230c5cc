// The window's fills, newest first and bounded: the stream brings them one by one (and each again with its
// commission, which the venue reports after the execution), the core's list after a snapshot.
import type { Fill } from '../../../shared';

export const MAX_FILLS = 500;

/** A new fill at the top, or one again replacing itself; `seen` learns its execId. */
export function withFill(fills: readonly Fill[], seen: Set<string>, fill: Fill): Fill[] {
  if (seen.has(fill.execId)) return fills.map((f) => (f.execId === fill.execId ? fill : f));
  seen.add(fill.execId);
  return [fill, ...fills].slice(0, MAX_FILLS);
}

/** The core's list merged with what the stream brought meanwhile (neither is ordered before the other). */
export function mergeFills(fills: readonly Fill[], seen: Set<string>, core: readonly Fill[]): Fill[] {
  const byId = new Map(fills.map((f) => [f.execId, f]));
  for (const f of core) {
    const known = byId.get(f.execId);
    if (!known || f.commission !== 0) byId.set(f.execId, f);
    seen.add(f.execId);
  }
  return [...byId.values()].sort((a, b) => b.time - a.time || (a.execId < b.execId ? 1 : -1)).slice(0, MAX_FILLS);
}
