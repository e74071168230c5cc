// A child process for benchmarks: the DualDesk simulator (or a bare baseline server that streams
// pre-encoded ticks) on a free port; prints the port as JSON and runs until its stdin closes.
import { createServer } from 'node:net';
import { createLogger } from '../../src/main/ops';
import { createSimulator } from '../../src/main/sim';
import { encodeFrame, FrameDecoder } from '../../src/main/sim/protocol/framing';
import { managedAccounts, nextValidId, tickPrice, tickSize } from '../../src/main/sim/protocol/outgoing';

const options = JSON.parse(process.argv[2] ?? '{}') as { kind: 'sim' | 'bare'; symbols?: string[]; tickRate?: number };
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));

if (options.kind === 'sim') {
  const sim = createSimulator({
    logger: createLogger({ level: 'warn' }),
    ...(options.symbols ? { symbols: options.symbols } : {}),
    tickRate: options.tickRate ?? 4,
    // The benchmark client sends as fast as it can; pacing is tested elsewhere.
    maxMessagesPerSecond: 1_000_000,
    marketDataLines: 1_000,
  });
  await sim.start();
  process.stdout.write(`${JSON.stringify({ port: sim.address.port })}\n`);
} else {
  // Baseline: the same frames on the same socket, with no market model, matching or bookkeeping.
  const rate = (options.tickRate ?? 2000) * (options.symbols?.length ?? 10);
  const server = createServer((socket) => {
    const decoder = new FrameDecoder();
    socket.setNoDelay(true);
    const subs: number[] = [];
    let timer: NodeJS.Timeout | undefined;
    socket.on('data', (chunk: Buffer) => {
      for (const item of decoder.push(chunk)) {
        if (item.kind === 'hello') socket.write(encodeFrame(['193', '20261121 10:00:00 America/New_York']));
        else if (item.fields[0] === '71') socket.write(Buffer.concat([encodeFrame(managedAccounts(['DU1234567'])), encodeFrame(nextValidId(1))]));
        else if (item.fields[0] === '1') subs.push(Number(item.fields[2]));
      }
      if (subs.length > 0 && !timer) {
        let sent = 0;
        const started = performance.now();
        timer = setInterval(() => {
          const due = Math.floor(((performance.now() - started) / 1000) * rate);
          const frames: Buffer[] = [];
          for (; sent < due; sent++) {
            const id = subs[sent % subs.length] as number;
            const price = 100 + (sent % 100) / 100;
            frames.push(encodeFrame(tickPrice(id, 1, price, 300)), encodeFrame(tickSize(id, 0, 300)));
          }
          if (frames.length) socket.write(Buffer.concat(frames));
        }, 20);
      }
    });
    socket.on('close', () => clearInterval(timer));
    socket.on('error', () => undefined);
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: (server.address() as { port: number }).port })}\n`));
}
