import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Gauge } from 'prom-client';
import { TRADING_MODES, type CommandResult, type DeskHealth, type DeskInfo, type TradingMode } from '../../shared';
import { createVenueMetrics, type IbAdapter } from '../ib';
import { checkReadiness, createLogger, createMetricsRegistry, type Logger, type ReadinessCheck, type ReadinessReport, type Registry } from '../ops';
import { createLocalServer, tokenMatches, type LocalServer } from '../server';
import { createStreamMetrics, StreamServer, type StreamServerFaults, type StreamSource } from '../transport';
import { systemClock } from '../clock';
import { createDemoSimulator, DEMO_VENUE_STATE_FILE, type Simulator } from '../sim';
import { DeskSharing } from '../share';
import packageJson from '../../../package.json';
import type { DeskConfig } from './config';
import { ensureDataDir, loadOrCreateControlToken } from './data-dir';
import { Lifecycle, type Service } from './lifecycle';
import { CommandRouter } from './commands';
import type { TradingCore } from './trading-core';
import { TradingScope } from './trading-scope';

export const VERSION: string = packageJson.version;

export interface DeskDependencies {
  /** Defaults to JSON on stdout at the configured level. */
  readonly logger?: Logger;
  /** Only for fault drills (test/support/faults.ts): the stream server's hooks. */
  readonly streamFaults?: StreamServerFaults;
}

/** The DualDesk core, Electron-free. Electron, the headless CLI and the tests all build it here. */
export interface Desk {
  readonly config: DeskConfig;
  readonly logger: Logger;
  readonly metrics: Registry;
  /** The loopback server, when `config.server.enabled`. */
  readonly server: LocalServer | undefined;
  readonly info: () => DeskInfo;
  readonly readiness: () => Promise<ReadinessReport>;
  readonly start: () => Promise<void>;
  /** Stops intake first, then every part in reverse start order. Idempotent. */
  readonly stop: () => Promise<void>;
  readonly mode: TradingMode;
  /** The venue adapter of the current mode, when a venue is configured. */
  readonly venue: IbAdapter | undefined;
  /** The in-process simulator, in demo mode. */
  readonly simulator: Simulator | undefined;
  /** The current mode's sequenced stream (journal and publisher). */
  readonly stream: StreamSource | undefined;
  /** The stream's channel to subscribers: WebSockets of the local server, and the Electron window over IPC. */
  readonly streamServer: StreamServer;
  /** Disconnects, switches databases, connects to the other mode's endpoint, verifies and resyncs. */
  readonly switchMode: (mode: TradingMode) => Promise<void>;
  /** Runs a trader's command (validated; a typed result or a typed error, never a throw). */
  readonly command: (name: string, args: unknown) => Promise<CommandResult<unknown>>;
  /** The current mode's trading core. */
  readonly core: TradingCore | undefined;
  /** Sharing the stream with remote viewers (the share server and the viewer tokens). */
  readonly sharing: DeskSharing;
}

export function createDesk(config: DeskConfig, deps: DeskDependencies = {}): Desk {
  const logger = deps.logger ?? createLogger({ level: config.log.level });
  const metrics = createMetricsRegistry({ version: VERSION });
  const modeGauge = new Gauge({ name: 'dualdesk_trading_mode', help: 'The current trading mode (1).', labelNames: ['mode'] as const, registers: [metrics] });
  const showMode = (mode: TradingMode) => {
    for (const m of TRADING_MODES) modeGauge.set({ mode: m }, m === mode ? 1 : 0);
  };
  showMode(config.mode);
  ensureDataDir(config.dataDir, logger);

  // The demo venue: the TWS-protocol simulator, in-process on a free loopback port, with its paper
  // account kept in the data directory (one venue, one paper account, whichever mode the desk runs in).
  let simulator: Simulator | undefined;
  const demoVenue: Service = {
    name: 'simulator',
    async start() {
      const stateFile = join(config.dataDir, DEMO_VENUE_STATE_FILE);
      simulator = createDemoSimulator({ ...config.demoMarket, stateFile, logger: logger.child({ component: 'sim' }) });
      await simulator.start();
    },
    async stop() {
      await simulator?.stop();
      simulator = undefined;
    },
  };

  const controlToken = config.server.enabled ? loadOrCreateControlToken(config.dataDir, logger) : undefined;
  // Always there: the Electron window reads the stream through it over IPC, with or without the local server.
  const streamServer = new StreamServer({
    faults: deps.streamFaults,
    logger,
    metrics,
    clock: systemClock,
    authorize: (token) => (controlToken !== undefined && tokenMatches(token, controlToken) ? { who: 'control-token' } : undefined),
  });
  const streamService: Service = {
    name: 'stream-server',
    start: () => undefined,
    stop: () => streamServer.close(),
  };

  const sharing = new DeskSharing({
    dataDir: config.dataDir,
    settings: config.share,
    logger,
    metrics,
    clock: systemClock,
    ...(config.server.uiDir === undefined ? {} : { uiDir: config.server.uiDir }),
  });

  const trading = new TradingScope({
    config,
    logger,
    venueMetrics: createVenueMetrics(metrics),
    streamMetrics: createStreamMetrics(metrics),
    metrics,
    demoVenue: () => simulator?.address,
    onModeChange: showMode,
    onStream: (source) => {
      streamServer.setSource(source);
      sharing.setSource(source);
    },
  });

  const checks: ReadinessCheck[] = [
    { name: 'venue', check: () => trading.venueReadiness() },
    {
      name: 'stream',
      check: () => {
        const source = trading.streamSource;
        if (!source) return { ok: false, reason: 'not open' };
        const failure = source.publisher.failure;
        if (failure !== undefined) return { ok: false, reason: failure };
        const subscribers = streamServer.stats();
        const behind = subscribers.filter((c) => c.state === 'catching-up').length;
        return { ok: true, detail: `epoch ${source.publisher.epoch}, head ${source.publisher.head}; ${subscribers.length} WebSocket subscriber(s), ${behind} catching up` };
      },
    },
    { name: 'kafka', check: () => trading.kafkaReadiness(), optional: true },
    {
      name: 'journal',
      check: () => {
        const store = trading.journal;
        if (!store) return { ok: false, reason: 'not open' };
        store.db.prepare('SELECT 1').get();
        return { ok: true };
      },
    },
  ];

  const info = (): DeskInfo => ({ product: 'DualDesk', version: VERSION, mode: trading.mode });
  // The share server is reported while sharing is on (or failed to come on); viewers are not the trader's readiness.
  const readiness = () => {
    // Asked once per report: the share server's state could change between two asks.
    const share = sharing.readiness();
    return checkReadiness(share === undefined ? checks : [...checks, { name: 'share', optional: true, check: () => share } satisfies ReadinessCheck]);
  };

  const session = randomUUID();
  const health = async (): Promise<DeskHealth> => {
    const report = await readiness();
    const check = (name: keyof DeskHealth['checks']) => {
      const d = report.dependencies[name];
      return d === undefined ? { ok: false, detail: 'unknown' } : { ok: d.ok, detail: (d.ok ? d.detail : d.reason) ?? '' };
    };
    const source = trading.streamSource;
    const subscribers = streamServer.stats();
    const kafka = trading.kafkaStatus();
    const venue = trading.venue?.status();
    return {
      mode: trading.mode,
      session,
      at: Date.now(),
      venueConfigured: config.demo || config.venue !== undefined,
      ...(venue ? { venue } : {}),
      checks: { venue: check('venue'), stream: check('stream'), kafka: check('kafka'), journal: check('journal') },
      stream: source
        ? { epoch: source.publisher.epoch, head: source.publisher.head, subscribers: subscribers.length, catchingUp: subscribers.filter((c) => c.state === 'catching-up').length }
        : null,
      kafka: kafka ? { state: kafka.state, backlog: kafka.backlog, lagMs: kafka.lagMs, ...(kafka.lastError ? { lastError: kafka.lastError } : {}) } : null,
    };
  };

  const commands = new CommandRouter(
    {
      core: () => trading.core,
      get mode() {
        return trading.mode;
      },
      switchMode: (mode) => trading.switchTo(mode),
      health,
      sharing,
    },
    logger.child({ component: 'commands' }),
  );

  const server = controlToken
    ? createLocalServer({
        commands,
        host: config.server.host,
        port: config.server.port,
        token: controlToken,
        stream: streamServer,
        logger,
        metrics,
        readiness,
        info,
        ...(config.server.uiDir === undefined ? {} : { uiDir: config.server.uiDir }),
      })
    : undefined;

  // Intake (the server) starts last so it stops first.
  const services: Service[] = [...(config.demo ? [demoVenue] : []), trading, streamService, ...(server ? [server] : [])];
  const lifecycle = new Lifecycle(services, logger, config.shutdownTimeoutMs);

  return {
    config,
    logger,
    metrics,
    server,
    info,
    readiness,
    // Sharing comes on after everything else (the trader's desk first) and goes off first.
    start: async () => {
      await lifecycle.start();
      try {
        await sharing.start();
      } catch (err) {
        await sharing.stop();
        await lifecycle.stop();
        throw err;
      }
    },
    stop: async () => {
      await sharing.stop();
      await lifecycle.stop();
    },
    get mode() {
      return trading.mode;
    },
    get venue() {
      return trading.venue;
    },
    get simulator() {
      return simulator;
    },
    get stream() {
      return trading.streamSource;
    },
    streamServer,
    switchMode: (mode) => trading.switchTo(mode),
    command: (name, args) => commands.run(name, args),
    get core() {
      return trading.core;
    },
    sharing,
  };
}
