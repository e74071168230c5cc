// The account at the venue: account updates (values and portfolio), positions, account summary and
// PnL subscriptions, refreshed when fills change the account and on IB's cadence otherwise.
import type { MatchingEngine } from '../engine/types';
import { ERR, TEXT } from '../protocol/errors';
import type { Request } from '../protocol/incoming';
import {
  accountDownloadEnd,
  accountSummary,
  accountSummaryEnd,
  accountUpdateTime,
  accountValue,
  pnl,
  pnlSingle,
  portfolioValue,
  position,
  positionEnd,
} from '../protocol/outgoing';
import { localParts, TWS_TIME_ZONE } from './formats';
import type { ClientSession } from './session';
import { wireContract } from './wire';

type Req<T extends Request['type']> = Extract<Request, { type: T }>;

interface AccountSubs {
  /** The account whose updates the session subscribed to (IB's reqAccountUpdates is one account at a time). */
  updates: string | undefined;
  positions: boolean;
  readonly summaries: Map<number, Set<string> | 'All'>;
  readonly pnl: Map<number, string>;
  readonly pnlSingle: Map<number, { readonly accountId: string; readonly conId: number }>;
}

/** TWS refreshes account updates every 3 minutes even when nothing trades. */
const ACCOUNT_REFRESH_MS = 180_000;
/** PnL subscriptions tick about once a second. */
const PNL_INTERVAL_MS = 1_000;

export interface AccountsOptions {
  readonly engine: MatchingEngine;
  readonly accountId: string;
  readonly now: () => number;
}

export class AccountDesk {
  private readonly subs = new Map<ClientSession, AccountSubs>();
  private dirty = false;
  private lastRefresh = 0;
  private lastPnl = 0;

  constructor(private readonly options: AccountsOptions) {}

  private subsOf(session: ClientSession): AccountSubs {
    let s = this.subs.get(session);
    if (!s) {
      s = { updates: undefined, positions: false, summaries: new Map(), pnl: new Map(), pnlSingle: new Map() };
      this.subs.set(session, s);
    }
    return s;
  }

  dropSession(session: ClientSession): void {
    this.subs.delete(session);
  }

  /** Fills changed cash or positions: subscribers hear about it on the next flush. */
  markDirty(): void {
    this.dirty = true;
  }

  /** The account a request names ('' or ALL: the first), or undefined (and an error to the client) when the venue has no such account. */
  private knownAccount(session: ClientSession, id: number, account: string): string | undefined {
    if (account === '' || account.toUpperCase() === 'ALL') return this.options.accountId;
    if (this.options.engine.accountIds.includes(account)) return account;
    session.error(id, ERR.BAD_REQUEST, TEXT.badRequest('ac', `unknown account '${account}'; this venue has ${this.options.engine.accountIds.join(', ')}`));
    return undefined;
  }

  private book(accountId: string) {
    return this.options.engine.accountOf(accountId) ?? this.options.engine.account;
  }

  reqAccountUpdates(session: ClientSession, req: Req<'reqAccountUpdates'>): void {
    const s = this.subsOf(session);
    if (!req.subscribe) {
      s.updates = undefined;
      return;
    }
    const accountId = this.knownAccount(session, -1, req.account);
    if (accountId === undefined) return;
    s.updates = accountId;
    this.sendAccountUpdates(session, accountId);
    session.send(accountDownloadEnd(accountId));
  }

  reqPositions(session: ClientSession): void {
    this.subsOf(session).positions = true;
    this.sendPositions(session);
    session.send(positionEnd());
  }

  cancelPositions(session: ClientSession): void {
    this.subsOf(session).positions = false;
  }

  reqAccountSummary(session: ClientSession, req: Req<'reqAccountSummary'>): void {
    const tags = req.tags.trim();
    const wanted = tags === '' || tags.toUpperCase() === 'ALL' ? 'All' : new Set(tags.split(',').map((t) => t.trim()));
    this.subsOf(session).summaries.set(req.reqId, wanted);
    this.sendSummary(session, req.reqId, wanted);
    session.send(accountSummaryEnd(req.reqId));
  }

  cancelAccountSummary(session: ClientSession, reqId: number): void {
    this.subsOf(session).summaries.delete(reqId);
  }

  reqPnL(session: ClientSession, req: Req<'reqPnL'>): void {
    const accountId = this.knownAccount(session, req.reqId, req.account);
    if (accountId === undefined) return;
    this.subsOf(session).pnl.set(req.reqId, accountId);
    this.sendPnl(session, req.reqId, accountId);
  }

  cancelPnL(session: ClientSession, reqId: number): void {
    this.subsOf(session).pnl.delete(reqId);
  }

  reqPnLSingle(session: ClientSession, req: Req<'reqPnLSingle'>): void {
    const accountId = this.knownAccount(session, req.reqId, req.account);
    if (accountId === undefined) return;
    this.subsOf(session).pnlSingle.set(req.reqId, { accountId, conId: req.conId });
    this.sendPnlSingle(session, req.reqId, accountId, req.conId);
  }

  cancelPnLSingle(session: ClientSession, reqId: number): void {
    this.subsOf(session).pnlSingle.delete(reqId);
  }

  /** Pushes what changed (after fills) and the periodic refreshes. */
  onTime(now: number): void {
    const refresh = now - this.lastRefresh >= ACCOUNT_REFRESH_MS;
    const pnlDue = now - this.lastPnl >= PNL_INTERVAL_MS;
    if (this.dirty || refresh) {
      for (const [session, s] of this.subs) {
        if (s.updates !== undefined) this.sendAccountUpdates(session, s.updates);
        if (this.dirty && s.positions) this.sendPositions(session);
        for (const [reqId, wanted] of s.summaries) this.sendSummary(session, reqId, wanted);
      }
      this.dirty = false;
      if (refresh) this.lastRefresh = now;
    }
    if (pnlDue) {
      this.lastPnl = now;
      for (const [session, s] of this.subs) {
        for (const [reqId, accountId] of s.pnl) this.sendPnl(session, reqId, accountId);
        for (const [reqId, { accountId, conId }] of s.pnlSingle) this.sendPnlSingle(session, reqId, accountId, conId);
      }
    }
  }

  private sendAccountUpdates(session: ClientSession, accountId: string): void {
    const now = this.options.now();
    const account = this.book(accountId);
    for (const v of account.values(now)) session.send(accountValue(v.key, v.value, v.currency, accountId));
    for (const p of account.positions()) {
      const mark = account.markPrice(p.instrument.conId, now) ?? 0;
      const pp = account.positionPnl(p.instrument.conId, now);
      session.send(
        portfolioValue({
          contract: wireContract(p.instrument),
          position: p.quantity,
          marketPrice: mark,
          marketValue: pp?.value ?? p.quantity * mark * p.instrument.multiplier,
          averageCost: p.averageCost,
          unrealizedPnL: pp?.unrealizedPnL ?? 0,
          realizedPnL: p.realizedPnL,
          account: accountId,
        }),
      );
    }
    const t = localParts(now, TWS_TIME_ZONE);
    session.send(accountUpdateTime(`${t.hour}:${t.minute}`));
  }

  /** Positions of every account, as IB's reqPositions sends them. */
  private sendPositions(session: ClientSession): void {
    for (const accountId of this.options.engine.accountIds) {
      for (const p of this.book(accountId).positions()) session.send(position(accountId, wireContract(p.instrument), p.quantity, p.averageCost));
    }
  }

  private sendSummary(session: ClientSession, reqId: number, wanted: Set<string> | 'All'): void {
    for (const accountId of this.options.engine.accountIds) {
      for (const v of this.book(accountId).values(this.options.now())) {
        if (wanted !== 'All' && !wanted.has(v.key)) continue;
        session.send(accountSummary(reqId, accountId, v.key, v.value, v.currency));
      }
    }
  }

  private sendPnl(session: ClientSession, reqId: number, accountId: string): void {
    const p = this.book(accountId).pnl(this.options.now());
    session.send(pnl(session.version, reqId, p.dailyPnL, p.unrealizedPnL, p.realizedPnL));
  }

  private sendPnlSingle(session: ClientSession, reqId: number, accountId: string, conId: number): void {
    const p = this.book(accountId).positionPnl(conId, this.options.now());
    session.send(pnlSingle(session.version, reqId, p?.position ?? 0, p?.dailyPnL ?? 0, p?.unrealizedPnL ?? 0, p?.realizedPnL ?? 0, p?.value ?? 0));
  }
}
