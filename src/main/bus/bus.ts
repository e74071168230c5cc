// The in-process message bus of the trading core: typed topics with wildcards, priorities, and
// request/response. Delivery is synchronous (the trading path never waits for a scheduler); a message
// published while another is being delivered is queued by priority, so a halt overtakes market data.
import { topicMatcher } from '../../shared/stream';

/** Highest first. FLASH_CRASH and URGENT are for halts and kill switches; market data is NORMAL or LOW. */
export const PRIORITIES = ['FLASH_CRASH', 'URGENT', 'HIGH', 'NORMAL', 'LOW'] as const;
export type Priority = (typeof PRIORITIES)[number];

const MAX_ROUTES = 10_000;

const RANK: Readonly<Record<Priority, number>> = { FLASH_CRASH: 0, URGENT: 1, HIGH: 2, NORMAL: 3, LOW: 4 };

export type Handler<T> = (data: T, topic: string) => void;

/** Topics and their payloads, keyed by exact topics or template patterns (`md.quote.${string}`). */
export type TopicMap = object;

/** Keys of a topic map as strings (a pattern key such as `md.quote.${string}` matches its topics and wildcards). */
type TopicOf<T extends TopicMap> = keyof T & string;

export interface BusErrorSink {
  (err: unknown, topic: string): void;
}

interface Subscription {
  readonly pattern: string;
  readonly matches: (topic: string) => boolean;
  readonly handler: Handler<unknown>;
}

/** One FIFO per priority, as parallel arrays with read and write indexes that keep their capacity (no per-message objects). */
class Lane {
  readonly topics: string[] = [];
  readonly data: unknown[] = [];
  head = 0;
  tail = 0;
  get empty(): boolean {
    return this.head === this.tail;
  }
  push(topic: string, data: unknown): void {
    this.topics[this.tail] = topic;
    this.data[this.tail] = data;
    this.tail++;
  }
  /** Takes the next message's topic; its data is `data[head - 1]` until the next push. */
  shift(): number {
    const at = this.head++;
    if (this.head === this.tail) this.head = this.tail = 0;
    return at;
  }
}

export class MessageBus<T extends TopicMap> {
  private readonly subs: Subscription[] = [];
  /** Resolved subscriber lists per concrete topic, rebuilt when subscriptions change. */
  private readonly routes = new Map<string, Handler<unknown>[]>();
  private readonly lanes = PRIORITIES.map(() => new Lane());
  private draining = false;
  private readonly handlers = new Map<string, (request: unknown) => unknown>();
  private delivered = 0;
  private failures = 0;

  constructor(private readonly onError: BusErrorSink = () => undefined) {}

  /** Subscribes to a topic or a pattern (`*` one word, `>` the rest); returns the unsubscribe. */
  subscribe<K extends TopicOf<T>>(pattern: K, handler: Handler<T[K]>): () => void {
    const wildcard = pattern.split('.').some((w) => w === '*' || w === '>');
    const matches = wildcard ? (topicMatcher([pattern]) as (t: string) => boolean) : (t: string) => t === pattern;
    const sub: Subscription = { pattern, matches, handler: handler as Handler<unknown> };
    this.subs.push(sub);
    this.routes.clear();
    return () => {
      const i = this.subs.indexOf(sub);
      if (i >= 0) this.subs.splice(i, 1);
      this.routes.clear();
    };
  }

  /** Any topic matching a pattern, untyped (bridges such as the stream publisher). */
  subscribeAny(pattern: string, handler: Handler<unknown>): () => void {
    return this.subscribe(pattern as TopicOf<T>, handler);
  }

  /** Delivers to every matching subscriber before returning (or, inside a delivery, after the messages ahead of it by priority). */
  publish<K extends TopicOf<T>>(topic: K, data: T[K], priority: Priority = 'NORMAL'): void {
    (this.lanes[RANK[priority]] as Lane).push(topic, data);
    if (!this.draining) this.drain();
  }

  /** The one handler of a request name (a command); a second registration is a bug. */
  handle<Req, Res>(name: string, fn: (request: Req) => Res | Promise<Res>): () => void {
    if (this.handlers.has(name)) throw new Error(`bus: '${name}' already has a handler`);
    this.handlers.set(name, fn as (request: unknown) => unknown);
    return () => this.handlers.delete(name);
  }

  async request<Res>(name: string, request: unknown): Promise<Res> {
    const fn = this.handlers.get(name);
    if (!fn) throw new Error(`bus: nothing handles '${name}'`);
    return (await fn(request)) as Res;
  }

  stats(): { subscriptions: number; delivered: number; failures: number } {
    return { subscriptions: this.subs.length, delivered: this.delivered, failures: this.failures };
  }

  private drain(): void {
    this.draining = true;
    try {
      for (let lane = this.nextLane(); lane !== undefined; lane = this.nextLane()) {
        const at = lane.shift();
        const topic = lane.topics[at] as string;
        const data = lane.data[at];
        lane.data[at] = undefined; // the payload is not kept alive by the queue
        this.deliver(topic, data);
      }
    } finally {
      this.draining = false;
    }
  }

  private nextLane(): Lane | undefined {
    for (const lane of this.lanes) if (!lane.empty) return lane;
    return undefined;
  }

  private deliver(topic: string, data: unknown): void {
    let route = this.routes.get(topic);
    if (!route) {
      route = this.subs.filter((s) => s.matches(topic)).map((s) => s.handler);
      // Per-order topics keep coming: the cache is a cache, not a registry of every topic ever seen.
      if (this.routes.size >= MAX_ROUTES) this.routes.clear();
      this.routes.set(topic, route);
    }
    for (const handler of route) {
      try {
        handler(data, topic);
        this.delivered++;
      } catch (err) {
        // One failing consumer must not cost the others their message.
        this.failures++;
        this.onError(err, topic);
      }
    }
  }
}
