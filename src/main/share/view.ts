// What a viewer's scopes let it see: the topics (its scopes' and those every viewer gets) and, without
// `account`, its payloads with account ids replaced. Viewers with the same scopes share one view, so the
// stream server encodes each batch once for all of them.
import { ALWAYS_SHARED_TOPICS, REDACTED_ACCOUNT, SCOPE_TOPICS, VIEWER_SCOPES, type ViewerScope } from '../../shared';

export interface ViewerView {
  /** The same for every viewer with the same scopes (order and repeats do not matter). */
  readonly key: string;
  /** Topic patterns the viewer may see. */
  readonly topics: readonly string[];
  /** Hides account ids, for a view without the `account` scope. */
  readonly redact?: (topic: string, data: unknown) => unknown;
}

/** Payload fields that hold an account id (a string) or a list of them, wherever they appear. */
const ACCOUNT_FIELDS = new Set(['account', 'accounts', 'accountId', 'acctCode', 'acctNumber']);

/** The view of a set of scopes. */
export function viewOf(scope: readonly ViewerScope[]): ViewerView {
  const scopes = VIEWER_SCOPES.filter((s) => scope.includes(s));
  const topics = new Set<string>(ALWAYS_SHARED_TOPICS);
  for (const s of scopes) if (s !== 'account') for (const t of SCOPE_TOPICS[s]) topics.add(t);
  const key = scopes.join('+');
  return scopes.includes('account') ? { key, topics: [...topics] } : { key, topics: [...topics], redact: (_topic, data) => redactAccounts(data) };
}

/** A copy of `data` with every account id replaced by REDACTED_ACCOUNT (the original is untouched). */
export function redactAccounts(data: unknown): unknown {
  if (Array.isArray(data)) return data.map(redactAccounts);
  if (data === null || typeof data !== 'object') return data;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data)) {
    if (ACCOUNT_FIELDS.has(k)) out[k] = Array.isArray(v) ? v.map(() => REDACTED_ACCOUNT) : typeof v === 'string' ? REDACTED_ACCOUNT : redactAccounts(v);
    else out[k] = redactAccounts(v);
  }
  return out;
}
