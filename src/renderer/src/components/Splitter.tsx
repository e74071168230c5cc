import { useRef, type KeyboardEvent, type PointerEvent } from 'react';

const STEP = 16;

/**
 * A drag handle between panels (a separator the keyboard can move too: arrows by 16 px, with Shift
 * by 64). `measure` reads the panel's size now; `grows` says which way of the pointer makes it bigger.
 */
export function Splitter({
  testId,
  label,
  axis,
  grows,
  size,
  limits,
  measure,
  onResize,
}: {
  testId: string;
  label: string;
  axis: 'x' | 'y';
  grows: 1 | -1;
  size: number | undefined;
  limits: readonly [number, number];
  measure: () => number;
  onResize: (px: number) => void;
}) {
  const drag = useRef<{ start: number; size: number } | undefined>(undefined);
  const at = (e: PointerEvent) => (axis === 'x' ? e.clientX : e.clientY);

  function onKeyDown(e: KeyboardEvent) {
    const keys: Record<string, number> = axis === 'x' ? { ArrowRight: 1, ArrowLeft: -1 } : { ArrowDown: 1, ArrowUp: -1 };
    const dir = keys[e.key];
    if (dir === undefined) return;
    e.preventDefault();
    onResize(measure() + dir * grows * (e.shiftKey ? STEP * 4 : STEP));
  }

  return (
    <div
      className={`splitter splitter-${axis}`}
      role="separator"
      aria-orientation={axis === 'x' ? 'vertical' : 'horizontal'}
      aria-label={label}
      aria-valuenow={size}
      aria-valuemin={limits[0]}
      aria-valuemax={limits[1]}
      tabIndex={0}
      data-testid={testId}
      onKeyDown={onKeyDown}
      onPointerDown={(e) => {
        e.preventDefault();
        e.currentTarget.setPointerCapture(e.pointerId);
        drag.current = { start: at(e), size: measure() };
      }}
      onPointerMove={(e) => {
        if (drag.current) onResize(drag.current.size + grows * (at(e) - drag.current.start));
      }}
      onPointerUp={() => (drag.current = undefined)}
      onPointerCancel={() => (drag.current = undefined)}
    />
  );
}
