/** The workspace's panel sizes, dragged by the trader and kept in this browser (localStorage). */
export type Panel = 'watch' | 'right' | 'bottom';
export type PanelSizes = Partial<Record<Panel, number>>;

const KEY = 'dualdesk.layout';

/** In CSS pixels: a panel is never dragged out of sight nor over the whole window. */
export const PANEL_LIMITS: Readonly<Record<Panel, readonly [number, number]>> = {
  watch: [240, 1000],
  right: [260, 800],
  bottom: [100, 900],
};

export function clampSize(panel: Panel, px: number): number {
  const [min, max] = PANEL_LIMITS[panel];
  return Math.round(Math.min(max, Math.max(min, px)));
}

export function loadSizes(): PanelSizes {
  try {
    const saved = JSON.parse(localStorage.getItem(KEY) ?? '{}') as Record<string, unknown>;
    const out: PanelSizes = {};
    for (const p of Object.keys(PANEL_LIMITS) as Panel[]) {
      const v = saved[p];
      if (typeof v === 'number' && Number.isFinite(v)) out[p] = clampSize(p, v);
    }
    return out;
  } catch {
    return {};
  }
}

export function saveSizes(sizes: PanelSizes): void {
  try {
    localStorage.setItem(KEY, JSON.stringify(sizes));
  } catch {
    // Storage full or disabled: the layout still works for this session.
  }
}

/** What the window leaves for the panels, measured by measureRoom. */
export interface Room {
  /** The workspace's inner size. */
  readonly width: number;
  readonly height: number;
  /** The watchlist as wide as its columns (the grid never makes it narrower). */
  readonly watchMin: number;
  /** The ticket's own height: the row above the blotter never hides Send. */
  readonly topMin: number;
  /** The right column's width now (the stylesheet's default while the trader never dragged it). */
  readonly right: number;
}

const SPLITTER = 5;
/** The chart's least width (as in the grid's minmax). */
const CHART_MIN = 240;

/**
 * The saved sizes as this window can show them: the right column (the ticket and Send) keeps at least
 * its minimum and goes first, then the watchlist, the chart keeping its least width; the blotter never
 * pushes the ticket out of its row. The saved sizes stay as saved (a larger screen shows them again).
 */
export function fitSizes(sizes: PanelSizes, room: Room): PanelSizes {
  const out: PanelSizes = { ...sizes };
  const spare = room.width - 2 * SPLITTER - CHART_MIN;
  if (sizes.right !== undefined) out.right = Math.max(PANEL_LIMITS.right[0], Math.min(sizes.right, Math.floor(spare - Math.max(room.watchMin, PANEL_LIMITS.watch[0]))));
  if (sizes.watch !== undefined) out.watch = Math.max(PANEL_LIMITS.watch[0], Math.min(sizes.watch, Math.floor(spare - (out.right ?? room.right))));
  if (sizes.bottom !== undefined) out.bottom = Math.max(PANEL_LIMITS.bottom[0], Math.min(sizes.bottom, Math.floor(room.height - SPLITTER - room.topMin)));
  return out;
}

/** Measures the room in `workspace` (a forced layout: call it from a layout effect, not per frame). */
export function measureRoom(workspace: HTMLElement): Room {
  const watch = workspace.querySelector<HTMLElement>('.watchlist');
  const table = watch?.querySelector<HTMLElement>('table');
  let watchMin = 0;
  if (watch && table) {
    // The table stretches to its panel; its columns' own width is what max-content gives (CSSOM, CSP-safe).
    const stretched = table.getBoundingClientRect().width;
    table.style.width = 'max-content';
    const natural = table.getBoundingClientRect().width;
    table.style.width = '';
    watchMin = watch.getBoundingClientRect().width - stretched + natural;
  }
  const ticket = workspace.querySelector<HTMLElement>('.right > :first-child');
  return {
    width: workspace.clientWidth,
    height: workspace.clientHeight,
    watchMin: Math.ceil(watchMin),
    topMin: Math.ceil(ticket?.getBoundingClientRect().height ?? 0),
    right: workspace.querySelector('.right')?.getBoundingClientRect().width ?? 0,
  };
}

const VARS: Readonly<Record<Panel, string>> = { watch: '--watch-w', right: '--right-w', bottom: '--bottom-h' };

/** Sets the grid's custom properties (CSSOM, which the CSP allows); a panel never dragged keeps the stylesheet's default for the window. */
export function applyLayout(el: HTMLElement, sizes: PanelSizes): void {
  for (const p of Object.keys(VARS) as Panel[]) {
    const px = sizes[p];
    if (px === undefined) el.style.removeProperty(VARS[p]);
    else el.style.setProperty(VARS[p], `${px}px`);
  }
}
