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
  updates: boolean;
  positions: boolean;
  readonly summaries: Map<number, Set<string> | 'All'>;
  readonly pnl: Set<number>;
  readonly pnlSingle: Map<number, number>;
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

  constructor(private readonly o: AccountsOptions) {}

  private subsOf(session: ClientSession): AccountSubs {
    let s = this.subs.get(session);
    if (!s) {
      s = { updates: false, positions: false, summaries: new Map(), pnl: new Set(), pnlSingle: new Map() };
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

  private knownAccount(session: ClientSession, id: number, account: string): boolean {
    if (account === '' || account === this.o.accountId || account.toUpperCase() === 'ALL') return true;
    session.error(id, ERR.BAD_REQUEST, TEXT.badRequest('ac', `unknown account '${account}'; this venue has ${this.o.accountId}`));
    return false;
  }

  reqAccountUpdates(session: ClientSession, req: Req<'reqAccountUpdates'>): void {
    const s = this.subsOf(session);
    if (!req.subscribe) {
      s.updates = false;
      return;
    }
    if (!this.knownAccount(session, -1, req.account)) return;
    s.updates = true;
    this.sendAccountUpdates(session);
    session.send(accountDownloadEnd(this.o.accountId));
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
    if (!this.knownAccount(session, req.reqId, req.account)) return;
    this.subsOf(session).pnl.add(req.reqId);
    this.sendPnl(session, req.reqId);
  }

  cancelPnL(session: ClientSession, reqId: number): void {
    this.subsOf(session).pnl.delete(reqId);
  }

  reqPnLSingle(session: ClientSession, req: Req<'reqPnLSingle'>): void {
    if (!this.knownAccount(session, req.reqId, req.account)) return;
    this.subsOf(session).pnlSingle.set(req.reqId, req.conId);
    this.sendPnlSingle(session, req.reqId, req.conId);
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
        if (s.updates) this.sendAccountUpdates(session);
        if (this.dirty && s.positions) this.sendPositions(session);
        for (const [reqId, wanted] of s.summaries) this.sendSummary(session, reqId, wanted);
      }
      this.dirty = false;
      if (refresh) this.lastRefresh = now;
    }
    if (pnlDue) {
      this.lastPnl = now;
      for (const [session, s] of this.subs) {
        for (const reqId of s.pnl) this.sendPnl(session, reqId);
        for (const [reqId, conId] of s.pnlSingle) this.sendPnlSingle(session, reqId, conId);
      }
    }
  }

  private sendAccountUpdates(session: ClientSession): void {
    const now = this.o.now();
    const account = this.o.engine.account;
    for (const v of account.values(now)) session.send(accountValue(v.key, v.value, v.currency, this.o.accountId));
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
          account: this.o.accountId,
        }),
      );
    }
    const t = localParts(now, TWS_TIME_ZONE);
    session.send(accountUpdateTime(`${t.hour}:${t.minute}`));
  }

  private sendPositions(session: ClientSession): void {
    for (const p of this.o.engine.account.positions()) {
      session.send(position(this.o.accountId, wireContract(p.instrument), p.quantity, p.averageCost));
    }
  }

  private sendSummary(session: ClientSession, reqId: number, wanted: Set<string> | 'All'): void {
    for (const v of this.o.engine.account.values(this.o.now())) {
      if (wanted !== 'All' && !wanted.has(v.key)) continue;
      session.send(accountSummary(reqId, this.o.accountId, v.key, v.value, v.currency));
    }
  }

  private sendPnl(session: ClientSession, reqId: number): void {
    const p = this.o.engine.account.pnl(this.o.now());
    session.send(pnl(session.version, reqId, p.dailyPnL, p.unrealizedPnL, p.realizedPnL));
  }

  private sendPnlSingle(session: ClientSession, reqId: number, conId: number): void {
    const p = this.o.engine.account.positionPnl(conId, this.o.now());
    session.send(pnlSingle(session.version, reqId, p?.position ?? 0, p?.dailyPnL ?? 0, p?.unrealizedPnL ?? 0, p?.realizedPnL ?? 0, p?.value ?? 0));
  }
}
