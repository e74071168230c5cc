import { Command, CommanderError, Option } from 'commander';
import { TRADING_MODES } from '../../shared';
import { ConfigError, VERSION } from '../app';
import { LOG_LEVELS } from '../ops';
import { parseBrokers, parseInteger, parseLiveAccount, parsePaperAccounts, parsePort, parseSymbols, positiveNumber } from './parsers';
import { relay, type RelayCliOptions } from './relay';
import { serve, type ServeOptions } from './serve';
import { sim, type SimOptions } from './sim';
import type { CliIo } from './io';
import { tail, type TailOptions } from './tail';
import {
  parseLabel,
  parseScope,
  parseTtl,
  tokenCreate,
  tokenList,
  tokenPublicKey,
  tokenRevoke,
  type TokenCreateOptions,
  type TokenDirOptions,
  type TokenListOptions,
} from './token';
import { parseResume, parseStreamUrl, parseTopicPatterns, TOKEN_ENV } from './tail-target';

/** Usage errors (unknown flags, bad values, bad configuration) exit with 2. */
export const EXIT_USAGE = 2;

function buildProgram(io: CliIo): Command {
  const program = new Command()
    .name('dualdesk')
    .description('DualDesk, a trading workstation for Interactive Brokers: run its core headless and its tools.')
    .version(VERSION, '-v, --version')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride()
    .showSuggestionAfterError(true);

  program
    .command('serve')
    .description('Run the DualDesk core headless with its local server (health, readiness, metrics, web UI).')
    .option('--data-dir <path>', 'where databases and secrets live (default: ~/.dualdesk)')
    .option('--config <file>', 'JSON config file (default: <data-dir>/config.json when present)')
    .addOption(new Option('--mode <mode>', 'trading mode').choices(TRADING_MODES))
    .option('--port <port>', 'local server port on 127.0.0.1 (default: 7800; 0 picks a free one)', parsePort)
    .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS))
    .option('--demo', 'start the built-in simulator in-process as the venue (paper)')
    .option('--demo-symbols <n>', 'with --demo: the number of instruments (the catalog, then synthetic stocks SYM001…; default 7)', parseInteger)
    .option('--demo-rate <n>', 'with --demo: market updates per second across all instruments (default 4 per instrument)', positiveNumber(1_000_000))
    .option('--demo-speed <x>', "with --demo: run the demo market's clock x times faster than real time", positiveNumber(10_000))
    .addOption(new Option('--venue <platform>', 'connect to TWS or IB Gateway (port by mode: TWS 7497/7496, Gateway 4002/4001)').choices(['tws', 'gateway']))
    .option('--venue-host <host>', 'where TWS/IB Gateway runs (default 127.0.0.1)')
    .option('--client-id <n>', 'the fixed API client id (default 1)', parseInteger)
    .option('--account <id>', 'the IB account to trade when the login manages several (venue.account)')
    .option('--kafka <brokers>', "copy the stream to Kafka as its durable backup (host:port,host:port; TLS and SASL in the config file's kafka block)", parseBrokers)
    .option('--share-port <port>', 'share the stream with remote viewers over HTTPS + WSS (TLS 1.3) on this port (config share.port, default 8443; 0 picks a free one)', parsePort)
    .option('--share-host <addr>', 'with --share-port: the address to listen on (default 0.0.0.0, every interface)')
    .addHelpText(
      'after',
      '\nEnvironment: DUALDESK_DATA_DIR, DUALDESK_CONFIG, DUALDESK_MODE, DUALDESK_DEMO, DUALDESK_PORT, DUALDESK_LOG_LEVEL,\n' +
        'DUALDESK_VENUE, DUALDESK_VENUE_HOST, DUALDESK_CLIENT_ID, DUALDESK_ACCOUNT, DUALDESK_KAFKA, DUALDESK_DEMO_SYMBOLS, DUALDESK_DEMO_RATE,\n' +
        'DUALDESK_DEMO_SPEED, DUALDESK_SHARE_PORT, DUALDESK_SHARE_HOST. Venue ports: venue.paperPort / venue.livePort in the config file.\n' +
        'Precedence: flags > environment > config file > defaults.',
    )
    .action(async (opts: ServeOptions) => {
      await serve(opts, io);
    });

  program
    .command('sim')
    .description('Run the TWS-protocol simulator: a synthetic market and a paper venue that TWS API clients connect to.')
    .option('--port <port>', 'port on 127.0.0.1 (TWS paper uses 7497)', parsePort, 7497)
    .option('--seed <n>', 'random seed: the same seed gives the same market', parseInteger, 42)
    .option('--symbols <list>', 'comma-separated universe (default: AAPL,MSFT,NVDA,AMZN,SPY,EUR.USD,ES); unknown symbols become synthetic stocks', parseSymbols)
    .option('--tick-rate <n>', 'quote updates per second per symbol', positiveNumber(10_000), 4)
    .option('--live-account <id>', 'present a live-looking account (U…) instead of the paper one (DU…)', parseLiveAccount)
    .addOption(
      new Option('--accounts <list>', 'present several paper accounts (DU1234567,DU7654321), each with its own book, instead of one')
        .argParser(parsePaperAccounts)
        .conflicts('liveAccount'),
    )
    .addOption(new Option('--sessions <mode>', "market hours: 'always' open, or each exchange's calendar").choices(['always', 'exchange']).default('always'))
    .option('--speed <x>', 'run the market clock x times faster than real time', positiveNumber(10_000))
    .option('--control-port <port>', 'loopback HTTP port for fault injection (POST /faults/...)', parsePort)
    .option('--latency-ms <ms>', 'delay everything sent to clients', positiveNumber(60_000))
    .addOption(new Option('--state <file>', 'keep the paper account (cash, positions, orders, executions, next ids) in this file across runs').conflicts('accounts'))
    .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS).default('info'))
    .action(async (opts: SimOptions) => {
      await sim(opts, io);
    });

  program
    .command('relay')
    .description("Serve the share protocol and the web viewer to viewers from the stream's Kafka topic (TLS 1.3; tokens verified with the desk's public key).")
    .option('--kafka <brokers>', "the brokers (host:port,host:port; TLS and SASL in the config file's kafka block)", parseBrokers)
    .addOption(new Option('--mode <mode>', 'the trading mode whose stream to serve (topic <kafka.topic>.<mode>; default paper)').choices(TRADING_MODES))
    .option('--topic <name>', 'the stream topic (default: <kafka.topic>.<mode>, dualdesk.stream.paper)')
    .option('--port <port>', "viewers' HTTPS + WSS port (default 8443; 0 picks a free one)", parsePort)
    .option('--host <addr>', 'the address viewers connect to (default 0.0.0.0, every interface)')
    .option('--public-key <file>', "the desk's viewer-token public key, PEM (dualdesk token public-key)")
    .option('--tls-cert <file>', 'the TLS certificate, PEM (with --tls-key; default a self-signed one in the data dir)')
    .option('--tls-key <file>', "the TLS certificate's private key, PEM")
    .option('--data-dir <path>', 'where the self-signed certificate is kept (default: ~/.dualdesk-relay)')
    .option('--config <file>', 'JSON config file: kafka, share (limits), relay (window, ops port), log')
    .option('--ops-port <port>', '/health, /ready and /metrics (default: a free port, printed at start)', parsePort)
    .option('--ops-host <addr>', "the ops port's address (default 127.0.0.1; the relay's private interface when the balancer is on another host)")
    .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS))
    .addHelpText('after', '\nOutput: one line on stdout once serving (viewer URL, certificate fingerprint, ops URL), then JSON logs. SIGTERM or SIGINT stops it.')
    .action(async (opts: RelayCliOptions) => {
      await relay(opts, io);
    });

  program
    .command('tail')
    .description("Watch a desk's stream headless (the hybrid subscriber, Kafka as its backup): each frame as a JSON line, or one line of statistics a second.")
    .option('--url <url>', 'the stream, ws://host:port/stream (no token in it)', parseStreamUrl)
    .option('--data-dir <path>', 'the local desk: its config (port, Kafka) and control token')
    .option('--port <port>', "with --data-dir: the desk's server port when not in its config", parsePort)
    .addOption(new Option('--mode <mode>', 'the trading mode whose Kafka topic backs the stream').choices(TRADING_MODES).default('paper'))
    .option('--kafka <brokers>', 'read Kafka (host:port,host:port) when the WebSocket fails', parseBrokers)
    .option('--kafka-topic <name>', 'the Kafka topic (default: <kafka.topic>.<mode>, dualdesk.stream.paper)')
    .option('--token-file <path>', `a file holding the control token (or ${TOKEN_ENV}; never a flag: ps would show it)`)
    .option('--topics <patterns>', 'only these topics (md.quote.*,order.>)', parseTopicPatterns)
    .option('--resume <epoch:seq>', "start after this position (a printed line's epoch and seq)", parseResume)
    .option('--stats', 'print one JSON line of statistics per second instead of the frames')
    .addHelpText('after', '\nOutput: one JSON line per frame {epoch, seq, ts, topic, data} on stdout; diagnostics on stderr. Ctrl-C stops it.')
    .action(async (opts: TailOptions) => {
      await tail(opts, io);
    });

  const token = program
    .command('token')
    .description('Viewer tokens for sharing the stream: create, list, revoke, and the public key that verifies them (works whether or not the desk runs).');
  const dirOptions = (cmd: Command) =>
    cmd
      .option('--data-dir <path>', 'where databases and secrets live (default: ~/.dualdesk)')
      .option('--config <file>', 'JSON config file (default: <data-dir>/config.json when present)');
  dirOptions(token.command('create').description('Create a viewer token and print its viewer link (the token is shown this once).'))
    .requiredOption('--scope <list>', 'what the viewer sees: market,positions,orders,pnl,alerts,account (at least one besides account)', parseScope)
    .requiredOption('--ttl <duration>', 'how long the token lives: 30m, 8h, 7d (1m to 30d)', parseTtl)
    .requiredOption('--label <name>', 'who it is for (1 to 64 printable characters)', parseLabel)
    .option('--json', 'print {id, token, scope, expiresAt, url} as JSON')
    .action(async (opts: TokenCreateOptions) => tokenCreate(opts, io));
  dirOptions(token.command('list').description('List viewer tokens (never the tokens themselves); expired ones for a week.'))
    .option('--json', 'print a JSON array')
    .action(async (opts: TokenListOptions) => tokenList(opts, io));
  dirOptions(
    token.command('revoke').description('Revoke a viewer token: a running desk closes its viewers within a second.').argument('<id>', "the token's id (token list)"),
  ).action(async (id: string, opts: TokenDirOptions) => tokenRevoke(id, opts, io));
  dirOptions(token.command('public-key').description("Print the public key (PEM) that verifies this desk's viewer tokens.")).action(async (opts: TokenDirOptions) =>
    tokenPublicKey(opts, io),
  );

  // Every subcommand reports errors the same way (one line, exit code 2).
  const configure = (cmd: Command): void => {
    cmd.configureOutput({ writeOut: io.stdout, writeErr: io.stderr }).exitOverride();
    cmd.commands.forEach(configure);
  };
  program.commands.forEach(configure);
  return program;
}

/**
 * Runs the CLI. Resolves to an exit code when the command has finished, or `undefined` when a
 * long-running command (serve) has started and the process should stay alive.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number | undefined> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return undefined;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
      // `dualdesk` alone prints help to stderr: a usage error too.
      return EXIT_USAGE;
    }
    if (err instanceof ConfigError) {
      io.stderr(`error: ${err.message}\n`);
      return EXIT_USAGE;
    }
    io.stderr(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
