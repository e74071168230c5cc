import type { DeskInfo } from '../../shared';
import { checkReadiness, createLogger, createMetricsRegistry, type Logger, type ReadinessCheck, type ReadinessReport, type Registry } from '../ops';
import { createLocalServer, type LocalServer } from '../server';
import { createSimulator, type Simulator } from '../sim';
import { openStore, storeFile, type Store } from '../store';
import packageJson from '../../../package.json';
import type { DeskConfig } from './config';
import { ensureDataDir, loadOrCreateControlToken } from './data-dir';
import { Lifecycle, type Service } from './lifecycle';

export const VERSION: string = packageJson.version;

export interface DeskDependencies {
  /** Defaults to JSON on stdout at the configured level. */
  readonly logger?: Logger;
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
}

export function createDesk(config: DeskConfig, deps: DeskDependencies = {}): Desk {
  const logger = deps.logger ?? createLogger({ level: config.log.level });
  const metrics = createMetricsRegistry({ version: VERSION, mode: config.mode });
  ensureDataDir(config.dataDir, logger);

  let store: Store | undefined;
  const journal: Service = {
    name: 'journal',
    start() {
      store = openStore(storeFile(config.dataDir, config.mode), config.mode);
      logger.info({ file: store.file, schemaVersion: store.schemaVersion }, 'journal open');
    },
    stop() {
      store?.close();
      store = undefined;
    },
  };

  // The demo venue: the TWS-protocol simulator, in-process on a free loopback port.
  let simulator: Simulator | undefined;
  const demoVenue: Service = {
    name: 'simulator',
    async start() {
      simulator = createSimulator({ logger: logger.child({ component: 'sim' }) });
      await simulator.start();
    },
    async stop() {
      await simulator?.stop();
      simulator = undefined;
    },
  };

  const checks: ReadinessCheck[] = [
    {
      name: 'venue',
      check: () => {
        if (!config.demo) return { ok: false, reason: 'not configured' };
        if (!simulator) return { ok: false, reason: 'demo simulator not started' };
        const { host, port } = simulator.address;
        return { ok: false, reason: `demo simulator listening on ${host}:${port}; no venue adapter connected to it yet` };
      },
    },
    {
      name: 'journal',
      check: () => {
        if (!store) return { ok: false, reason: 'not open' };
        store.db.prepare('SELECT 1').get();
        return { ok: true };
      },
    },
  ];

  const info = (): DeskInfo => ({ product: 'DualDesk', version: VERSION, mode: config.mode });
  const readiness = () => checkReadiness(checks);

  const server = config.server.enabled
    ? createLocalServer({
        host: config.server.host,
        port: config.server.port,
        token: loadOrCreateControlToken(config.dataDir, logger),
        logger,
        metrics,
        readiness,
        info,
        ...(config.server.uiDir === undefined ? {} : { uiDir: config.server.uiDir }),
      })
    : undefined;

  // Intake (the server) starts last so it stops first.
  const services: Service[] = [journal, ...(config.demo ? [demoVenue] : []), ...(server ? [server] : [])];
  const lifecycle = new Lifecycle(services, logger, config.shutdownTimeoutMs);

  return {
    config,
    logger,
    metrics,
    server,
    info,
    readiness,
    start: () => lifecycle.start(),
    stop: () => lifecycle.stop(),
  };
}
