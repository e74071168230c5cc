import { AcceleratedClock, systemClock } from '../clock';
import { installShutdownHandlers } from '../app';
import { createLogger, type LogLevel } from '../ops';
import { createSimulator, startControlServer } from '../sim';
import type { CliIo } from './io';

export interface SimOptions {
  readonly port: number;
  readonly seed: number;
  readonly symbols?: string[];
  readonly tickRate: number;
  readonly liveAccount?: string;
  readonly accounts?: string[];
  readonly sessions: 'always' | 'exchange';
  readonly speed?: number;
  readonly controlPort?: number;
  readonly latencyMs?: number;
  /** The paper account's file: kept across runs (see src/main/sim/state.ts). */
  readonly state?: string;
  readonly logLevel: LogLevel;
}

/** `dualdesk sim`: the TWS-protocol simulator on its own, until a signal. */
export async function sim(opts: SimOptions, io: CliIo): Promise<void> {
  const logger = createLogger({ level: opts.logLevel });
  const clock = opts.speed === undefined ? systemClock : new AcceleratedClock(Date.now(), opts.speed);
  const simulator = createSimulator({
    port: opts.port,
    seed: opts.seed,
    ...(opts.symbols ? { symbols: opts.symbols } : {}),
    tickRate: opts.tickRate,
    sessions: opts.sessions,
    clock,
    ...(opts.liveAccount ? { liveAccount: opts.liveAccount } : {}),
    ...(opts.state === undefined ? {} : { stateFile: opts.state }),
    ...(opts.accounts ? { accounts: opts.accounts } : {}),
    logger,
  });
  await simulator.start();
  if (clock instanceof AcceleratedClock) clock.start();
  if (opts.latencyMs) simulator.faults.setLatency(opts.latencyMs);
  const control = opts.controlPort === undefined ? undefined : await startControlServer(simulator, opts.controlPort, logger);
  installShutdownHandlers({
    logger,
    timeoutMs: 5_000,
    stop: async () => {
      if (clock instanceof AcceleratedClock) clock.stop();
      await new Promise<void>((resolve) => (control ? control.close(() => resolve()) : resolve()));
      await simulator.stop();
    },
  });
  const { host, port } = simulator.address;
  const controlText = control ? `; control on 127.0.0.1:${(control.address() as { port: number }).port}` : '';
  const stateText = opts.state === undefined ? '' : `; account kept in ${opts.state}`;
  io.stderr(`DualDesk simulator on ${host}:${port} (account ${simulator.engine.accountIds.join(', ')}, seed ${opts.seed})${controlText}${stateText}\n`);
}
