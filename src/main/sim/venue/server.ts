// The simulator's TCP server and its fault injector.
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../../ops';
import type { Venue } from './venue';

export interface SimulatorFaults {
  /** Drop every connection at once (the venue keeps listening). */
  dropConnections(): void;
  /** Stop sending without closing (a dead feed); `false` resumes. Applies to new connections too. */
  stall(stalled: boolean): void;
  /** Error 1100 to every client; market data stops. */
  connectivityLost(): void;
  /** Error 1102 (data kept) or 1101 (subscriptions lost, clients must resubscribe). */
  connectivityRestored(dataKept: boolean): void;
  /** Error 2103: the market data farm is down (no ticks, subscriptions kept). */
  farmDown(): void;
  /** Error 2104: the farm is back. */
  farmUp(): void;
  /** Close everything and stop listening for `downMs`, then listen again; venue state is kept (TWS's daily restart). */
  restart(downMs?: number): Promise<void>;
  /** Ends a restart's outage now (the port listens again); nothing when none is under way. */
  up(): void;
  /** The next order is rejected with error 201. */
  rejectNextOrder(reason?: string): void;
  /** Delay everything sent to clients by `ms` (real time). */
  setLatency(ms: number): void;
}

export class SimServer {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private stalled = false;
  private latencyMs = 0;
  private boundPort = 0;
  /** Ends the outage of a restart under way. */
  private endOutage: (() => void) | undefined;

  constructor(
    private readonly venue: Venue,
    private readonly host: string,
    private readonly port: number,
    private readonly logger: Logger,
  ) {}

  get address(): { host: string; port: number } {
    return { host: this.host, port: this.boundPort };
  }

  async listen(port = this.port): Promise<void> {
    const server = createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.logger.error({ err }, 'sim server error'));
    this.server = server;
    this.boundPort = (server.address() as { port: number }).port;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    const session = this.venue.attach(socket);
    session.setStalled(this.stalled);
    session.setLatency(this.latencyMs);
  }

  readonly faults: SimulatorFaults = {
    dropConnections: () => {
      this.logger.info({ connections: this.sockets.size }, 'sim fault: dropping every connection');
      for (const s of this.sockets) s.destroy();
    },
    stall: (stalled) => {
      this.stalled = stalled;
      this.logger.info({ stalled }, 'sim fault: stall');
      for (const s of this.venue.allSessions()) s.setStalled(stalled);
    },
    connectivityLost: () => this.venue.connectivityLost(),
    connectivityRestored: (dataKept) => this.venue.connectivityRestored(dataKept),
    farmDown: () => this.venue.setFarm(false),
    farmUp: () => this.venue.setFarm(true),
    restart: async (downMs = 1_000) => {
      this.logger.info({ downMs }, 'sim fault: restart');
      await this.close();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => this.endOutage?.(), downMs);
        this.endOutage = () => {
          clearTimeout(timer);
          this.endOutage = undefined;
          resolve();
        };
      });
      await this.listen(this.boundPort);
    },
    up: () => this.endOutage?.(),
    rejectNextOrder: (reason = 'simulated rejection') => this.venue.engine.rejectNextOrder(reason),
    setLatency: (ms) => {
      this.latencyMs = ms;
      for (const s of this.venue.allSessions()) s.setLatency(ms);
    },
  };
}
