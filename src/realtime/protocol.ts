/**
 * The Socket.IO protocol of namespace `/` in one place. Client → server events are one table, event →
 * { schema, rateLimit }: the event list, the binder's validation and limits (`ack.ts`) and the limits
 * in docs/protocol.md (held to it by test/unit/protocol.test.ts) all come from it, so a new event is
 * one entry here plus its handler. Then the payloads of server → client events, and what replicas send
 * each other.
 */
import { z } from 'zod';
import type { Message, PublicUser } from '../chat/messages.js';
import { clientId, messageText, roomName, seq, userName } from '../chat/schemas.js';
import type { RateLimit } from './rate-limit.js';

export interface ClientEventSpec {
  /** What the payload must be; objects are strict, so an unexpected key is refused, not dropped. */
  schema: z.ZodType;
  /**
   * Per user, across their sockets on a replica. Generous for people, tight enough that one user cannot
   * monopolise a replica.
   */
  rateLimit: RateLimit;
}

const friendName = z.strictObject({ name: userName });

export const CLIENT_PROTOCOL = {
  // Every tab joins its room and lists friends when it (re)connects, so these bursts cover a user with
  // many tabs coming back after a restart at once.
  'room:join': { schema: z.strictObject({ room: roomName, sinceSeq: seq.optional() }), rateLimit: { burst: 100, perSecond: 10 } },
  'room:leave': { schema: z.strictObject({ room: roomName }), rateLimit: { burst: 100, perSecond: 10 } },
  'message:send': { schema: z.strictObject({ room: roomName, text: messageText, clientId }), rateLimit: { burst: 30, perSecond: 10 } },
  typing: { schema: z.strictObject({ room: roomName, typing: z.boolean() }), rateLimit: { burst: 20, perSecond: 5 } },
  'friends:add': { schema: friendName, rateLimit: { burst: 20, perSecond: 2 } },
  'friends:remove': { schema: friendName, rateLimit: { burst: 20, perSecond: 2 } },
  // `{}`; a client that sends nothing but the ack is fine too.
  'friends:list': { schema: z.strictObject({}).optional(), rateLimit: { burst: 100, perSecond: 5 } },
} as const satisfies Record<string, ClientEventSpec>;

export type ClientEvent = keyof typeof CLIENT_PROTOCOL;
/** An event's payload once validated. */
export type ClientEventInput<E extends ClientEvent> = z.output<(typeof CLIENT_PROTOCOL)[E]['schema']>;

export const CLIENT_EVENTS = Object.keys(CLIENT_PROTOCOL) as ClientEvent[];

/** Each event's limit, as the limiter takes them. */
export const RATE_LIMITS = Object.fromEntries(
  CLIENT_EVENTS.map((event) => [event, CLIENT_PROTOCOL[event].rateLimit]),
) as Record<ClientEvent, RateLimit>;

/** A friend as clients see it. */
export interface FriendView {
  name: string;
  online: boolean;
}

/** Server → client: each event's payload. */
export interface ServerEventPayloads {
  message: Message;
  'member:join': { room: string; user: PublicUser };
  'member:leave': { room: string; user: PublicUser };
  typing: { room: string; user: PublicUser; typing: boolean };
  presence: { name: string; online: boolean };
  friends: { friends: FriendView[] };
}

export type ServerToClientEvents = { [E in keyof ServerEventPayloads]: (payload: ServerEventPayloads[E]) => void };

/**
 * A message as the replica that stored it hands it to the others (`chat:message`), checked on arrival
 * as the CRDT messages are (`src/replication/messages.ts`): peers are our own replicas, but a bad deploy
 * or a foreign publisher on the broker must not crash this one. Loose: a field a newer replica adds
 * during a rolling deploy still reaches the clients.
 */
export const peerMessage = z.looseObject({
  id: z.string().min(1),
  room: z.string().min(1).max(64),
  seq: z.number().int().min(1),
  clientId: z.string(),
  user: z.looseObject({ name: z.string().min(1), avatarUrl: z.string().nullable() }),
  text: z.string(),
  ts: z.number(),
}) satisfies z.ZodType<Message>;

/** What replicas tell each other through the broker (`serverSideEmit`); unknown until validated. */
export interface InterServerEvents {
  /** A message stored by the sending replica, for delivery to this replica's sockets: a {@link peerMessage}. */
  'chat:message': (message: unknown) => void;
  /** Presence and friends replication (`src/replication/messages.ts`). */
  crdt: (message: unknown) => void;
}
