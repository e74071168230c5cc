import { createDesk, installShutdownHandlers, loadConfig, VERSION } from '../app';
import { createLogger } from '../ops';
import type { CliIo } from './io';

export interface ServeOptions {
  readonly dataDir?: string;
  readonly config?: string;
  readonly mode?: string;
  readonly port?: number;
  readonly logLevel?: string;
  readonly demo?: boolean;
  readonly demoSymbols?: number;
  readonly demoRate?: number;
  readonly demoSpeed?: number;
  readonly venue?: string;
  readonly venueHost?: string;
  readonly clientId?: number;
  readonly account?: string;
  readonly kafka?: readonly string[];
  readonly sharePort?: number;
  readonly shareHost?: string;
}

/** `dualdesk serve`: builds the desk from flags, environment and config file, starts it, and stays up until a signal. */
export async function serve(opts: ServeOptions, io: CliIo): Promise<void> {
  const config = loadConfig({
    defaults: { server: { enabled: true, ...(io.uiDir === undefined ? {} : { uiDir: io.uiDir }) } },
    flags: {
      dataDir: opts.dataDir,
      mode: opts.mode,
      demo: opts.demo,
      'demoMarket.symbols': opts.demoSymbols,
      'demoMarket.rate': opts.demoRate,
      'demoMarket.speed': opts.demoSpeed,
      'server.port': opts.port,
      'log.level': opts.logLevel,
      'venue.platform': opts.venue,
      'venue.host': opts.venueHost,
      'venue.clientId': opts.clientId,
      'venue.account': opts.account,
      'kafka.brokers': opts.kafka,
      'share.port': opts.sharePort,
      'share.host': opts.shareHost,
      // Naming a share port (flag or environment) is turning sharing on.
      ...(opts.sharePort !== undefined || (io.env['DUALDESK_SHARE_PORT'] ?? '') !== '' ? { 'share.enabled': true } : {}),
    },
    env: io.env,
    ...(opts.config === undefined ? {} : { configFile: opts.config }),
  });
  const logger = createLogger({ level: config.log.level });
  const desk = createDesk(config, { logger });
  const removeHandlers = installShutdownHandlers({ stop: desk.stop, logger, timeoutMs: config.shutdownTimeoutMs });
  try {
    await desk.start();
  } catch (err) {
    removeHandlers();
    logger.fatal({ err }, 'DualDesk failed to start');
    throw err;
  }
  logger.info({ version: VERSION, mode: config.mode, dataDir: config.dataDir, address: desk.server?.address() }, 'DualDesk serving');
  // The one place the token is shown: the URL a trader opens. Log lines never carry it.
  io.stderr(`DualDesk ${VERSION} (${config.mode}) is serving at ${desk.server?.url() ?? '(no server)'}\n`);
  const share = desk.sharing.status();
  if (share.enabled) io.stderr(`Sharing with viewers at ${share.url ?? ''} (TLS 1.3, certificate SHA-256 ${share.fingerprint ?? ''})\n`);
}
