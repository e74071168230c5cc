// The stream contract (docs/PROTOCOL.md). Frames are msgpack maps with an `op`, or arrays of them.
import { z } from 'zod';

/** One published message, as every channel carries it. `prev` is the seq of the previous data frame sent to this subscriber. */
export interface DataFrame {
  readonly op: 'data';
  readonly epoch: string;
  readonly seq: number;
  readonly prev: number;
  /** Publish time, epoch ms. */
  readonly ts: number;
  readonly topic: string;
  readonly data: unknown;
}

export interface WelcomeFrame {
  readonly op: 'welcome';
  readonly epoch: string;
  readonly head: number;
  /** The server will continue from the subscriber's position (no snapshot follows). */
  readonly resumed: boolean;
}

/** The state as of `seq`: the latest data of every topic the subscriber may see. */
export interface SnapshotFrame {
  readonly op: 'snapshot';
  readonly epoch: string;
  readonly seq: number;
  readonly state: Readonly<Record<string, unknown>>;
}

/** Sent every 250 ms; `head` is the seq of the latest message this subscriber is entitled to. */
export interface HeartbeatFrame {
  readonly op: 'hb';
  readonly epoch: string;
  readonly head: number;
  readonly ts: number;
}

/** The subscriber's position can no longer be served (a new epoch, or a range pruned from the journal). */
export interface ResetFrame {
  readonly op: 'reset';
  readonly epoch: string;
  readonly reason: string;
}

/** Sent before the server closes a connection. */
export interface ErrorFrame {
  readonly op: 'error';
  readonly code: string;
  readonly message: string;
}

export type ServerFrame = DataFrame | WelcomeFrame | SnapshotFrame | HeartbeatFrame | ResetFrame | ErrorFrame;

export const TOPIC_PATTERN = /^(?:[A-Za-z0-9_-]+|\*|>)(?:\.(?:[A-Za-z0-9_-]+|\*|>))*$/;
export const MAX_TOPICS = 64;
/** Replays longer than this are asked for in pieces (or read from Kafka). */
export const MAX_REPLAY = 100_000;
/** Frames in one client message at most (a client needs two: hello and a replay). */
export const MAX_CLIENT_FRAMES = 8;

const seq = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

export const HelloSchema = z.strictObject({
  op: z.literal('hello'),
  resume: z.strictObject({ epoch: z.string().min(1).max(64), seq }).optional(),
  topics: z.array(z.string().max(200).regex(TOPIC_PATTERN, 'topic patterns are dot-separated words, * (one word) or > (the rest)')).max(MAX_TOPICS).optional(),
});

export const ReplaySchema = z
  .strictObject({ op: z.literal('replay'), from: seq.min(1), to: seq.min(1) })
  .refine((r) => r.to >= r.from, { message: 'to must not be before from' })
  .refine((r) => r.to - r.from < MAX_REPLAY, { message: `a replay covers at most ${MAX_REPLAY} messages` });

export const ClientFrameSchema = z.union([HelloSchema, ReplaySchema]);
export type HelloFrame = z.infer<typeof HelloSchema>;
export type ReplayFrame = z.infer<typeof ReplaySchema>;
export type ClientFrame = HelloFrame | ReplayFrame;

const DataSchema = z.object({ op: z.literal('data'), epoch: z.string(), seq, prev: seq, ts: z.number(), topic: z.string(), data: z.unknown() });
export const ServerFrameSchema = z.discriminatedUnion('op', [
  DataSchema,
  z.object({ op: z.literal('welcome'), epoch: z.string(), head: seq, resumed: z.boolean() }),
  z.object({ op: z.literal('snapshot'), epoch: z.string(), seq, state: z.record(z.string(), z.unknown()) }),
  z.object({ op: z.literal('hb'), epoch: z.string(), head: seq, ts: z.number() }),
  z.object({ op: z.literal('reset'), epoch: z.string(), reason: z.string() }),
  z.object({ op: z.literal('error'), code: z.string(), message: z.string() }),
]);

/**
 * A server frame from decoded msgpack, or undefined if it is not a valid one. Data frames (nearly all
 * of them, at tens of thousands a second) are checked by hand, refusing exactly what ServerFrameSchema
 * refuses, at a fraction of zod's cost; the rare frames go through the schema.
 */
export function parseServerFrame(raw: unknown): ServerFrame | undefined {
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw) && (raw as { op?: unknown }).op === 'data') {
    const { epoch, seq, prev, ts, topic, data } = raw as Record<string, unknown>;
    if (typeof epoch !== 'string' || !isSeq(seq) || !isSeq(prev) || typeof ts !== 'number' || !Number.isFinite(ts) || typeof topic !== 'string') return undefined;
    if (!('data' in raw)) return undefined; // the schema wants the key, even for undefined data
    // A new object, as the schema gives: fields beyond the contract are dropped.
    return { op: 'data', epoch, seq, prev, ts, topic, data };
  }
  const parsed = ServerFrameSchema.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}

function isSeq(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

/** WebSocket close codes of the stream (4000-4999 are the application's). */
export const CLOSE = {
  /** A frame that is not valid msgpack, not a known op, or not valid for the op. */
  BAD_FRAME: 4000,
  /** A viewer without a valid token: none, malformed, or not signed by this desk (share server). */
  UNAUTHORIZED: 4001,
  /** No hello within the handshake time. */
  HANDSHAKE_TIMEOUT: 4002,
  /** The viewer's token expired (at connect, or while connected: closed within a second). */
  TOKEN_EXPIRED: 4003,
  /** The viewer's token was revoked (at connect, or while connected: closed within a second). */
  TOKEN_REVOKED: 4004,
  /** A share server limit: the viewer count, or connections from one address. */
  LIMIT: 4009,
  /** Nothing heard from the viewer (no pong) within the idle timeout. */
  IDLE: 4010,
  /** The subscriber stayed behind the stream longer than the server keeps its backlog. */
  TOO_SLOW: 4008,
  /** A frame over the size limit. */
  TOO_BIG: 1009,
  /** The server is shutting down. */
  GOING_AWAY: 1001,
  /** Not now: the stream is not ready yet, or a check could not be made; reconnect shortly. */
  TRY_AGAIN_LATER: 1013,
} as const;
