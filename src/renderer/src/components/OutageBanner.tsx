import { useSlices } from '../desk/hooks';

/** Across the top while anything is down: what, and what the desk is doing about it (re-read every poll). */
export function OutageBanner() {
  const store = useSlices('venue', 'transport');
  const list = store.outages();
  if (list.length === 0) return null;
  return (
    <div className={`outage-banner outage-${list[0]?.kind ?? ''}`} role="alert" data-testid="outage-banner" data-kind={list.map((o) => o.kind).join(' ')}>
      {list.map((o) => (
        <p key={o.kind} data-testid={`outage-${o.kind}`}>
          <b>{o.down}</b> <span>{o.doing}</span>
        </p>
      ))}
    </div>
  );
}
