// HybridSubscriber: the stream's subscriber in Node — the shared state machine (src/shared/stream)
// over a `ws` WebSocket, with Kafka (KafkaStreamReader) as its backup.
import WebSocket from 'ws';
import { StreamSubscriber, type StreamSocket, type StreamSocketEvents, type StreamSubscriberOptions } from '../../shared/stream';
import { systemClock, type Clock } from '../clock';
import type { Logger } from '../ops';

export interface HybridSubscriberOptions extends Omit<StreamSubscriberOptions, 'connect' | 'timers' | 'logger'> {
  /** ws://host:port/stream (or wss://) */
  readonly url: string;
  readonly token: string;
  readonly logger: Logger;
  readonly clock?: Clock;
}

export class HybridSubscriber extends StreamSubscriber {
  constructor(options: HybridSubscriberOptions) {
    const { url, token, clock, ...rest } = options;
    super({ ...rest, timers: clock ?? systemClock, connect: (events) => connectWs(url, token, events) });
  }
}

function connectWs(url: string, token: string, events: StreamSocketEvents): StreamSocket {
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` }, perMessageDeflate: false });
  ws.binaryType = 'nodebuffer';
  ws.on('open', () => events.open());
  ws.on('message', (data: Buffer) => events.message(data));
  ws.on('close', (code: number, reason: Buffer) => events.close(code, reason.toString()));
  ws.on('error', (err) => events.error(err.message));
  return {
    send: (bytes) => ws.send(bytes, { binary: true }),
    close: (code, reason) => ws.close(code, reason),
    abort: () => ws.terminate(),
  };
}
