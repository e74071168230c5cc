// The share dialog: the trader turns the share server on or off, makes viewer links (a scope and an
// expiry each), sees who is watching, and revokes links. A link's token is shown once, when made;
// the desk keeps only what it granted.
import { useCallback, useEffect, useState } from 'react';
import { VIEWER_LINK_FRAGMENT_KEY, VIEWER_SCOPES, type CreatedViewerToken, type ShareStatus, type ViewerScope, type ViewerToken } from '../../../shared';
import { useDesk } from '../desk/hooks';
import { time } from '../desk/format';
import { expiresIn, SCOPE_HINTS, SCOPE_WORDS, scopeWords } from '../viewer';
import { Dialog } from './Dialog';

const POLL_MS = 1_000;

/** The expiry presets, in minutes. */
export const EXPIRY_PRESETS = [
  { label: '1 h', minutes: 60 },
  { label: '8 h', minutes: 8 * 60 },
  { label: '24 h', minutes: 24 * 60 },
  { label: '7 d', minutes: 7 * 24 * 60 },
] as const;

export function ShareDialog({ onClose }: { onClose: () => void }) {
  const desk = useDesk();
  const [status, setStatus] = useState<ShareStatus | undefined>();
  const [tokens, setTokens] = useState<readonly ViewerToken[]>([]);
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [label, setLabel] = useState('');
  const [scope, setScope] = useState<readonly ViewerScope[]>(['market']);
  const [minutes, setMinutes] = useState<number>(8 * 60);
  const [created, setCreated] = useState<CreatedViewerToken | undefined>();
  const [copied, setCopied] = useState(false);
  const [now, setNow] = useState(() => Date.now());

  const refresh = useCallback(
    () =>
      Promise.all([desk.command('getShareStatus', {}), desk.command('listViewerTokens', {})]).then(([s, t]) => {
        setNow(Date.now());
        if (s.ok) setStatus(s.value);
        else setError(s.error.message);
        if (t.ok) setTokens(t.value);
      }),
    [desk],
  );

  // The viewers connected, their lag and the tokens, polled while the dialog is open.
  useEffect(() => {
    const first = setTimeout(() => void refresh(), 0);
    const timer = setInterval(() => void refresh(), POLL_MS);
    return () => {
      clearTimeout(first);
      clearInterval(timer);
    };
  }, [refresh]);

  async function setSharing(enabled: boolean) {
    setBusy(true);
    setError(undefined);
    const r = await desk.command('setSharing', { enabled });
    setBusy(false);
    if (!r.ok) setError(r.error.message);
    else {
      setStatus(r.value);
      if (r.value.error) setError(r.value.error);
    }
  }

  async function create() {
    setBusy(true);
    setError(undefined);
    setCopied(false);
    const r = await desk.command('createViewerToken', { scope: [...scope], ttlMinutes: minutes, label: label.trim() });
    setBusy(false);
    if (!r.ok) {
      setError(r.error.message);
      return;
    }
    setCreated(r.value);
    setLabel('');
    await refresh();
  }

  async function revoke(id: string) {
    setError(undefined);
    const r = await desk.command('revokeViewerToken', { id });
    if (!r.ok) setError(r.error.message);
    await refresh();
  }

  // The link as made; while sharing was off it had no address: built from the address now, when there is one.
  const link = created ? (created.url ?? (status?.url ? `${status.url}#${VIEWER_LINK_FRAGMENT_KEY}=${encodeURIComponent(created.token)}` : undefined)) : undefined;

  async function copy() {
    if (!link) return;
    try {
      await navigator.clipboard.writeText(link);
      setCopied(true);
    } catch {
      setError('The browser did not allow copying: select the link and copy it by hand.');
    }
  }

  const toggle = (s: ViewerScope) => setScope((list) => (list.includes(s) ? list.filter((x) => x !== s) : VIEWER_SCOPES.filter((x) => x === s || list.includes(x))));
  const canCreate = !busy && label.trim() !== '' && scope.some((s) => s !== 'account');

  return (
    <Dialog testId="share-dialog" label="Share the desk with viewers" busy={busy} onCancel={onClose}>
      <div className="share">
        <h2>Share with viewers</h2>
        <p className="muted">Viewers see the live stream read-only, over TLS, through a link you give them. They can never send an order.</p>

        <fieldset>
          <legend>Share server</legend>
          <p data-testid="share-state" data-enabled={status === undefined ? 'unknown' : String(status.enabled)}>
            {status === undefined
              ? 'Reading…'
              : status.enabled
                ? `On at ${status.url ?? `${status.host}:${status.port}`}`
                : `Off: no viewer can connect.${status.error ? ` ${status.error}` : ''}`}
          </p>
          {status?.enabled && status.fingerprint && (
            <p>
              Certificate SHA-256 (viewers can check it in their browser):
              <br />
              <span className="fingerprint" data-testid="share-fingerprint">
                {status.fingerprint}
              </span>
            </p>
          )}
          <div className="modal-actions inline">
            {status?.enabled ? (
              <button className="btn" disabled={busy} onClick={() => void setSharing(false)} data-testid="share-off">
                Turn sharing off
              </button>
            ) : (
              <button className="btn" disabled={busy || status === undefined} onClick={() => void setSharing(true)} data-testid="share-on" data-autofocus>
                Turn sharing on
              </button>
            )}
          </div>
        </fieldset>

        {error && (
          <p className="error" data-testid="share-error">
            {error}
          </p>
        )}

        <fieldset>
          <legend>New viewer link</legend>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              if (canCreate) void create();
            }}
          >
            <label>
              Who is it for
              <input value={label} maxLength={64} onChange={(e) => setLabel(e.target.value)} placeholder="e.g. risk desk" data-testid="share-label" />
            </label>
            <div className="scopes" role="group" aria-label="What the viewer sees">
              {VIEWER_SCOPES.map((s) => (
                <label key={s} className="check" title={SCOPE_HINTS[s]}>
                  <input type="checkbox" checked={scope.includes(s)} onChange={() => toggle(s)} data-testid={`share-scope-${s}`} />
                  {SCOPE_WORDS[s]} <span className="muted">({SCOPE_HINTS[s]})</span>
                </label>
              ))}
            </div>
            <label>
              Expires after
              <select value={minutes} onChange={(e) => setMinutes(Number(e.target.value))} data-testid="share-expiry">
                {EXPIRY_PRESETS.map((p) => (
                  <option key={p.minutes} value={p.minutes}>
                    {p.label}
                  </option>
                ))}
              </select>
            </label>
            <div className="modal-actions inline">
              <button type="submit" className="btn" disabled={!canCreate} data-testid="share-create">
                Create link
              </button>
            </div>
          </form>
          {created && (
            <div data-testid="share-created">
              <p>
                <b>Shown once:</b> copy it now. Anyone with this link sees {scopeWords(created.scope)} until {new Date(created.expiresAt).toLocaleString()}.
              </p>
              {link ? (
                <div className="link">
                  <input readOnly value={link} onFocus={(e) => e.target.select()} aria-label="Viewer link" data-testid="share-link" />
                  <button type="button" className="btn" onClick={() => void copy()} data-testid="share-copy">
                    {copied ? 'Copied' : 'Copy'}
                  </button>
                </div>
              ) : (
                <p className="muted" data-testid="share-no-address">
                  Turn sharing on to get the link (the token is kept in this dialog until you close it).
                </p>
              )}
            </div>
          )}
        </fieldset>

        <fieldset>
          <legend>Watching now{status ? ` (${status.viewers.length} of at most ${status.maxViewers})` : ''}</legend>
          <table className="grid" data-testid="share-viewers">
            <thead>
              <tr>
                <th>Who</th>
                <th>Address</th>
                <th>Since</th>
                <th className="num">Lag</th>
                <th>Sees</th>
              </tr>
            </thead>
            <tbody>
              {(status?.viewers ?? []).map((v) => (
                <tr key={v.connection} data-testid="share-viewer" data-state={v.state}>
                  <td>{v.label}</td>
                  <td>{v.address}</td>
                  <td>{time(v.since)}</td>
                  <td className="num" title={v.state}>
                    {v.lagMessages} msg
                  </td>
                  <td>{scopeWords(v.scope)}</td>
                </tr>
              ))}
              {(status?.viewers.length ?? 0) === 0 && (
                <tr>
                  <td colSpan={5} className="muted">
                    Nobody.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </fieldset>

        <fieldset>
          <legend>Links</legend>
          <table className="grid" data-testid="share-tokens">
            <thead>
              <tr>
                <th>Who</th>
                <th>Sees</th>
                <th>Expires</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {tokens.map((t) => {
                const over = t.revokedAt !== undefined ? 'revoked' : t.expiresAt <= now ? 'expired' : undefined;
                return (
                  <tr key={t.id} data-testid={`share-token-${t.id}`} data-state={over ?? 'valid'}>
                    <td>{t.label}</td>
                    <td>{scopeWords(t.scope)}</td>
                    <td>{over ?? expiresIn(t.expiresAt, now)}</td>
                    <td>
                      {!over && (
                        <button type="button" className="btn small" onClick={() => void revoke(t.id)} data-testid="share-revoke">
                          Revoke
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
              {tokens.length === 0 && (
                <tr>
                  <td colSpan={4} className="muted">
                    No links yet.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </fieldset>

        <div className="modal-actions">
          <button type="button" className="btn" onClick={onClose} disabled={busy} data-testid="share-close">
            Close
          </button>
        </div>
      </div>
    </Dialog>
  );
}
