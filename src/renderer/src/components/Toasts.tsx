import { useEffect, useState } from 'react';
import { useSlices } from '../desk/hooks';

/** Fresh warnings and critical alerts, top right, for a few seconds (all of them stay in the log). */
export function Toasts() {
  const store = useSlices('alerts');
  const [, tick] = useState(0);
  const toasts = store.toasts();
  useEffect(() => {
    if (toasts.length === 0) return;
    const t = setTimeout(() => tick((n) => n + 1), 1_000);
    return () => clearTimeout(t);
  });
  return (
    <div className="toasts" aria-live="polite" data-testid="toasts">
      {toasts.map((a) => (
        <div key={a.id} className={`toast sev-${a.severity}`} data-testid="toast">
          <b>{a.title}</b>
          <span>{a.message}</span>
        </div>
      ))}
    </div>
  );
}
