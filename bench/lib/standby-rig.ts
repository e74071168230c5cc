// The parent side of the standby-cost benchmark: starts ./standby-subscriber.ts as a child process and
// asks it, one request at a time, to start, mark the start of a window, and report the window.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { KafkaSettings } from '../../src/main/transport';
import type { StandbyCommand, StandbyReply, StandbyReport } from './standby-subscriber';

export class StandbyChild {
  private constructor(private readonly child: ChildProcess) {}

  /** A subscriber process on `url`, with a Kafka standby when `kafka` is given; resolves once it has its snapshot (and its standby tails). */
  static async start(url: string, token: string, kafka: KafkaSettings | undefined): Promise<StandbyChild> {
    const script = fileURLToPath(new URL('./standby-subscriber.ts', import.meta.url));
    // BENCH_STANDBY_NODE_ARGS: extra Node flags for the child, e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof'.
    const extra = (process.env['BENCH_STANDBY_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== '');
    const child = spawn(process.execPath, [...extra, '--import', 'tsx', script], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const c = new StandbyChild(child);
    await c.call({ type: 'start', url, token, kafka }, 'ready');
    return c;
  }

  async mark(): Promise<void> {
    await this.call({ type: 'mark' }, 'marked');
  }

  report(): Promise<StandbyReport> {
    return this.call({ type: 'report' }, 'report') as Promise<StandbyReport>;
  }

  async stop(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.send({ type: 'stop' } satisfies StandbyCommand);
    await exited;
  }

  private call(command: StandbyCommand, answer: StandbyReply['type']): Promise<StandbyReply> {
    return new Promise((resolve, reject) => {
      const onMessage = (m: StandbyReply) => {
        if (m.type !== answer) return;
        this.child.off('message', onMessage);
        this.child.off('exit', onExit);
        resolve(m);
      };
      const onExit = (code: number | null) => reject(new Error(`the standby subscriber exited (${code}) before answering ${command.type}`));
      this.child.on('message', onMessage);
      this.child.once('exit', onExit);
      this.child.send(command);
    });
  }
}
