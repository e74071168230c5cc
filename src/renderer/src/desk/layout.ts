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

const VARS: Readonly<Record<Panel, string>> = { watch: '--watch-w', right: '--right-w', bottom: '--bottom-h' };

/** Sets the grid's custom properties (CSSOM, which the CSP allows); a panel never dragged keeps the stylesheet's default for the window. */
export function applyLayout(el: HTMLElement, sizes: PanelSizes): void {
  for (const p of Object.keys(VARS) as Panel[]) {
    const px = sizes[p];
    if (px === undefined) el.style.removeProperty(VARS[p]);
    else el.style.setProperty(VARS[p], `${px}px`);
  }
}
