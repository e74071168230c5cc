// A child process for the share benchmark's memory figure: one server (the DualDesk share server on a
// journaled stream, or the naive ws broadcast) alone in a fresh process, so its resident set before and
// after the viewers connect is its own (in the benchmark's process, memory freed by an earlier round is
// reused and hides the cost). Messages over IPC: it sends {url, token?} when listening and answers
// 'measure' with {rss} after full collections; it exits when the IPC channel closes. The DualDesk stream
// holds what a desk's does for a viewer of scope market: quotes and three charts' md.history.1m (240 bars
// each, the default), so each viewer is sent a snapshot of about 30 KB. BENCH_SHARE_FRAGMENT_BYTES
// (default the server's, VIEWER_FRAGMENT_BYTES; 'whole' for none) sets the viewers' write size.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { loadShareCertificate, ViewerTokens } from '../../src/main/share';
import { packBarHistory } from '../../src/shared/bar-history';
import { startBenchShare, startNaiveBroadcast } from './share-rig';
import { sleep, startDeskStream } from './stream-rig';

export type MemoryServerKind = 'dualdesk' | 'naive';
export type MemoryServerReply =
  { readonly type: 'listening'; readonly url: string; readonly token?: string } | { readonly type: 'rss'; readonly rss: number; readonly heap: number; readonly external: number };

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const kind = process.argv[2] as MemoryServerKind;
const dir = mkdtempSync(join(tmpdir(), 'dualdesk-bench-share-memory-'));
const send = (m: MemoryServerReply) => process.send?.(m);

const certificate = await loadShareCertificate({ dataDir: dir });
let close: () => Promise<void>;
if (kind === 'dualdesk') {
  const tokens = await ViewerTokens.open(dir);
  const { token } = await tokens.create({ scope: ['market'], ttlMs: 3_600_000, label: 'bench' });
  const desk = await startDeskStream(join(dir, 'paper-stream.db'));
  const fragment = process.env['BENCH_SHARE_FRAGMENT_BYTES'];
  const share = await startBenchShare(
    certificate,
    tokens,
    { journal: desk.journal, publisher: desk.publisher },
    {
      maxPerAddress: 5_000,
      ...(fragment === undefined || fragment === '' ? {} : { viewerFragmentBytes: fragment === 'whole' ? Number.POSITIVE_INFINITY : Number(fragment) }),
    },
  );
  // A stream with something in it, as a desk's is: the viewers' snapshots are not empty.
  desk.sink.emit(100);
  const start = Date.UTC(2026, 11, 4, 14, 30);
  for (const [i, symbol] of ['AAPL', 'MSFT', 'SPY'].entries()) {
    const bars = Array.from({ length: 240 }, (_, k) => {
      const open = 100 + i * 50 + Math.sin(k / 9) * 2 + k / 100;
      return { time: start + k * 60_000, open, high: open + 0.37, low: open - 0.29, close: open + 0.11, volume: 10_000 + ((k * 7919) % 5_000) };
    });
    desk.publisher.publish(`md.history.1m.${symbol}`, packBarHistory(265598 + i, symbol, bars));
  }
  send({ type: 'listening', url: `wss://127.0.0.1:${share.address().port}/stream`, token });
  close = async () => {
    await share.stop();
    await desk.close();
    tokens.close();
  };
} else {
  const naive = await startNaiveBroadcast(certificate);
  send({ type: 'listening', url: naive.url });
  close = () => naive.close();
}

process.on('message', (m: string) => {
  if (m !== 'measure') return;
  void (async () => {
    for (let i = 0; i < 3; i++) {
      gc();
      await sleep(200);
    }
    const m = process.memoryUsage();
    // BENCH_SHARE_HEAP_SNAPSHOTS=<path prefix>: a heap snapshot at each measure, to see what a viewer costs.
    const snapshots = process.env['BENCH_SHARE_HEAP_SNAPSHOTS'];
    if (snapshots) v8.writeHeapSnapshot(`${snapshots}-${Date.now()}.heapsnapshot`);
    send({ type: 'rss', rss: m.rss, heap: m.heapUsed, external: m.external });
  })();
});
process.on('disconnect', () => {
  void close().finally(() => {
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  });
});
