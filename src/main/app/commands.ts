// The one command router: every command (from IPC, the local server or a test) is validated with its
// schema, runs against the current mode's trading core, and answers with a typed result or error.
import {
  CommandSchemas,
  DeskCommandError,
  parseCommand,
  type CommandName,
  type CommandResult,
  type CommandValues,
  type DeskHealth,
  type ParsedCommandArgs,
  type TradingMode,
} from '../../shared';
import type { Logger } from '../ops';
import { RiskLimitsError } from '../risk';
import { ViewerTokenError, type DeskSharing } from '../share';
import type { TradingCore } from './trading-core';

export interface CommandTarget {
  core(): TradingCore | undefined;
  readonly mode: TradingMode;
  switchMode(mode: TradingMode): Promise<void>;
  health(): Promise<DeskHealth>;
  /** Sharing with viewers; absent where the desk does not share (then the share commands are refused). */
  readonly sharing?: Pick<DeskSharing, 'status' | 'setSharing' | 'createViewerToken' | 'listViewerTokens' | 'revokeViewerToken'>;
}

// Each handler is checked against its command's contract (CommandValues): the value, or a promise of it.
type Handlers = { [N in CommandName]: (args: ParsedCommandArgs<N>, core: TradingCore) => CommandValues[N] | Promise<CommandValues[N]> };

/** Market data a command opened in the trader's name (the UI's charts and quote boards). */
const UI_CONSUMER = 'ui';

/** Reads the UI polls: logged only when they fail. */
const QUIET = new Set<string>([
  'getHealth',
  'getOrders',
  'getPositions',
  'getEquity',
  'getRiskStatus',
  'getFills',
  'previewOrder',
  'getMarketData',
  'getWorkspace',
  'getShareStatus',
]);

/** Commands that answer without a trading core (while the desk starts or switches mode). */
const WITHOUT_CORE = new Set<string>(['getHealth', 'getShareStatus', 'setSharing', 'createViewerToken', 'listViewerTokens', 'revokeViewerToken']);

export class CommandRouter {
  private readonly handlers: Handlers = {
    subscribe: (a, core) => core.subscribe(a.instrument, UI_CONSUMER),
    unsubscribe: (a, core) => ({ unsubscribed: core.unsubscribe(a.conId, UI_CONSUMER) }),
    placeOrder: (a, core) => core.placeOrder(a.ticket),
    modifyOrder: (a, core) => {
      const { orderId, ...changes } = a;
      return core.modifyOrder(orderId, changes);
    },
    cancelOrder: (a, core) => this.execution(core).cancel(a.orderId),
    cancelAll: async (_a, core) => ({ cancelled: await this.execution(core).cancelAll() }),
    flatten: (a, core) => core.flatten(a.conId),
    killSwitch: (a, core) => core.triggerKillSwitch(a.reason ?? 'the trader pressed the kill switch'),
    rearm: (_a, core) => {
      const result = core.risk.rearm();
      if (!result.ok) throw new DeskCommandError(result.code, result.reason);
      return core.riskStatus();
    },
    getRiskLimits: (_a, core) => core.risk.getLimits(),
    setRiskLimits: (a, core) => {
      try {
        return core.risk.setLimits(a.limits);
      } catch (err) {
        if (err instanceof RiskLimitsError) throw new DeskCommandError('invalid-risk-limits', err.message);
        throw err;
      }
    },
    getOrders: (a, core) => core.execution?.orders(a.limit) ?? [],
    getPositions: (_a, core) => core.portfolio.positions(),
    getEquity: (_a, core) => core.portfolio.equity() ?? null,
    getRiskStatus: (_a, core) => core.riskStatus(),
    getReconciliation: (_a, core) => core.reconciliation(),
    adoptVenuePositions: (_a, core) => core.adoptVenuePositions(),
    getMarketData: (a, core) => {
      const snapshot = core.marketData?.snapshot(a.conId);
      if (!snapshot) throw new DeskCommandError('not-subscribed', `No market data for ${a.conId}: subscribe first.`);
      return snapshot;
    },
    armLive: (_a, core) => core.armLive(),
    disarmLive: (_a, core) => core.disarmLive(),
    previewOrder: (a, core) => core.previewOrder(a.ticket),
    getFills: (a, core) => core.execution?.fills(a.limit) ?? [],
    getHealth: () => this.target.health(),
    getWorkspace: (_a, core) => core.workspace.workspace,
    addToWatchlist: (a, core) => core.workspace.add(a.instrument),
    removeFromWatchlist: (a, core) => core.workspace.remove(a.conId),
    showChart: (a, core) => core.workspace.showChart(a.conId),
    // Sharing lives beside the trading core (src/main/share): it answers in either mode.
    getShareStatus: () => this.sharing().status(),
    setSharing: (a) => this.sharing().setSharing(a),
    createViewerToken: (a) => this.tokenRequest(() => this.sharing().createViewerToken(a)),
    listViewerTokens: () => this.sharing().listViewerTokens(),
    revokeViewerToken: (a) => this.tokenRequest(() => this.sharing().revokeViewerToken(a.id)),
    switchMode: async (a) => {
      if (a.mode === 'live' && this.target.mode !== 'live' && a.confirm !== true) {
        throw new DeskCommandError('confirm-required', 'Live trading uses real money: switch again with confirm: true.');
      }
      await this.target.switchMode(a.mode);
      return { mode: this.target.mode };
    },
  };

  constructor(
    private readonly target: CommandTarget,
    private readonly logger: Logger,
  ) {}

  has(name: string): name is CommandName {
    return Object.hasOwn(CommandSchemas, name);
  }

  /** Never throws: a refusal or a failure is a result with a code and a message in the trader's words. */
  async run(name: string, args: unknown): Promise<CommandResult<unknown>> {
    try {
      if (!this.has(name)) throw new DeskCommandError('unknown-command', `There is no command '${name}'.`);
      const parsed = parseCommand(name, args);
      const core = this.target.core();
      // Health answers while the core starts or switches: that is when the trader needs it most.
      if (!core && !WITHOUT_CORE.has(name)) throw new DeskCommandError('not-ready', 'DualDesk is starting or switching mode; try again in a moment.');
      const handler = this.handlers[name] as (a: unknown, c: TradingCore) => unknown;
      const value = await handler(parsed, core as TradingCore);
      if (!QUIET.has(name)) this.logger.info({ command: name }, 'command done');
      return { ok: true, value };
    } catch (err) {
      if (err instanceof DeskCommandError) {
        this.logger.info({ command: name, code: err.code, reason: err.message }, 'command refused');
        return { ok: false, error: { code: err.code, message: err.message } };
      }
      this.logger.error({ err, command: name }, 'command failed');
      return { ok: false, error: { code: 'internal', message: `${name} failed unexpectedly; see the DualDesk log.` } };
    }
  }

  private sharing(): NonNullable<CommandTarget['sharing']> {
    if (!this.target.sharing) throw new DeskCommandError('sharing-unavailable', 'Sharing with viewers is not available here.');
    return this.target.sharing;
  }

  /** A token request the register refuses (unknown id, bad label) is the trader's to fix, not an internal failure. */
  private async tokenRequest<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if (err instanceof ViewerTokenError) throw new DeskCommandError('invalid-viewer-token', err.message);
      throw err;
    }
  }

  private execution(core: TradingCore) {
    if (!core.execution) throw new DeskCommandError('no-venue', 'No venue is configured: start with --demo, or --venue tws|gateway.');
    return core.execution;
  }
}
