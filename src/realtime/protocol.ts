/**
 * The Socket.IO protocol of namespace `/` in one place. Client → server events are one table, event →
 * { schema, rateLimit }: the event list, the binder's validation and limits (`ack.ts`) and the limits
 * in docs/protocol.md (held to it by test/unit/protocol.test.ts) all come from it, so a new event is
 * one entry here plus its handler. Then the payloads of server → client events, and what replicas send
 * each other.
 */
import { z } from 'zod';
import type { Message, PublicUser } from '../chat/messages.js';
import type { RoomSummary } from '../chat/room-summaries.js';
import type { RoomKind, UnreadCounts } from '../store/port.js';
import { clientId, emoji, historyEpoch, messageId, messageText, roomName, seq, userName } from '../chat/schemas.js';
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
const messageRef = { room: roomName, id: messageId };
const reaction = z.strictObject({ ...messageRef, emoji });
// Changes to the room log cost what a post costs (a seq, a durable write, a broadcast): the same limit, each.
const logChangeLimit = { burst: 30, perSecond: 10 };

export const CLIENT_PROTOCOL = {
  // Every tab joins its room and lists friends when it (re)connects, so these bursts cover a user with
  // many tabs coming back after a restart at once.
  // `epoch`: the history epoch the client's `sinceSeq` comes from (see `RoomJoinAck`).
  'room:join': {
    schema: z.strictObject({ room: roomName, sinceSeq: seq.optional(), epoch: historyEpoch.optional() }),
    rateLimit: { burst: 100, perSecond: 10 },
  },
  'room:leave': { schema: z.strictObject({ room: roomName }), rateLimit: { burst: 100, perSecond: 10 } },
  'message:send': { schema: z.strictObject({ room: roomName, text: messageText, clientId, replyTo: messageId.optional() }), rateLimit: logChangeLimit },
  'message:edit': { schema: z.strictObject({ ...messageRef, text: messageText }), rateLimit: logChangeLimit },
  'message:delete': { schema: z.strictObject(messageRef), rateLimit: logChangeLimit },
  'reaction:add': { schema: reaction, rateLimit: logChangeLimit },
  'reaction:remove': { schema: reaction, rateLimit: logChangeLimit },
  typing: { schema: z.strictObject({ room: roomName, typing: z.boolean() }), rateLimit: { burst: 20, perSecond: 5 } },
  'friends:add': { schema: friendName, rateLimit: { burst: 20, perSecond: 2 } },
  'friends:remove': { schema: friendName, rateLimit: { burst: 20, perSecond: 2 } },
  // `{}`; a client that sends nothing but the ack is fine too.
  'friends:list': { schema: z.strictObject({}).optional(), rateLimit: { burst: 100, perSecond: 5 } },
  'dm:open': { schema: friendName, rateLimit: { burst: 20, perSecond: 2 } },
  'room:create': { schema: z.strictObject({ room: roomName, private: z.literal(true) }), rateLimit: { burst: 10, perSecond: 1 } },
  'room:invite': { schema: z.strictObject({ room: roomName, name: userName }), rateLimit: { burst: 30, perSecond: 5 } },
  'room:remove': { schema: z.strictObject({ room: roomName, name: userName }), rateLimit: { burst: 30, perSecond: 5 } },
  // Sent as a reader scrolls and on focus, by every tab: generous.
  'room:read': { schema: z.strictObject({ room: roomName, seq }), rateLimit: { burst: 100, perSecond: 10 } },
  'user:ban': { schema: friendName, rateLimit: { burst: 20, perSecond: 2 } },
  'user:unban': { schema: friendName, rateLimit: { burst: 20, perSecond: 2 } },
} as const satisfies Record<string, ClientEventSpec>;

export type ClientEvent = keyof typeof CLIENT_PROTOCOL;
/** An event's payload once validated. */
export type ClientEventInput<E extends ClientEvent> = z.output<(typeof CLIENT_PROTOCOL)[E]['schema']>;

export const CLIENT_EVENTS = Object.keys(CLIENT_PROTOCOL) as ClientEvent[];

/** Each event's limit, as the limiter takes them. */
export const RATE_LIMITS = Object.fromEntries(
  CLIENT_EVENTS.map((event) => [event, CLIENT_PROTOCOL[event].rateLimit]),
) as Record<ClientEvent, RateLimit>;

/** What `room:join` answers (besides `ok`). */
export type RoomJoinAck = {
  room: string;
  kind: RoomKind;
  /** The last messages by seq (a fresh join, or a resync), or those changed since `sinceSeq` in log order. */
  history: Message[];
  hasMore: boolean;
  online: PublicUser[];
  /** The users of a private room or DM. */
  members?: PublicUser[];
  /** The store's history epoch, for the client's next `sinceSeq` join. */
  epoch: string;
  /**
   * True when the join's `sinceSeq` came with another epoch than the store's (a backup was restored, or
   * the machine went down before commits were synced): its seqs name other messages, so `history` is a
   * fresh join's, to replace the room's timeline.
   */
  resync: boolean;
};

/** A friend as clients see it. */
export interface FriendView {
  name: string;
  online: boolean;
}

/** Server → client: each event's payload. */
export interface ServerEventPayloads {
  message: Message;
  'message:changed': { room: string; message: Message };
  'member:join': { room: string; user: PublicUser };
  'member:leave': { room: string; user: PublicUser };
  typing: { room: string; user: PublicUser; typing: boolean };
  presence: { name: string; online: boolean };
  friends: { friends: FriendView[] };
  mention: { room: string; message: Message };
  'room:read': { room: string; seq: number } & UnreadCounts;
  'room:added': { room: RoomSummary };
  'room:removed': { room: string };
  'room:members': { room: string; members: PublicUser[] };
  'room:activity': { room: string; lastSeq: number; user: string };
}

export type ServerToClientEvents = { [E in keyof ServerEventPayloads]: (payload: ServerEventPayloads[E]) => void };

const peerUser = z.looseObject({ name: z.string().min(1), avatarUrl: z.string().nullable() });

/**
 * A message as the replica that stored it, or changed it, hands it to the others (`chat:message`),
 * checked on arrival as the CRDT messages are (`src/replication/messages.ts`): peers are our own
 * replicas, but a bad deploy or a foreign publisher on the broker must not crash this one. Loose: a field
 * a newer replica adds during a rolling deploy still reaches the clients; and the room log's fields
 * default to an unchanged message's, so what an older replica sends is still a post.
 */
export const peerMessage = z
  .looseObject({
    id: z.string().min(1),
    room: z.string().min(1).max(64),
    seq: z.number().int().min(1),
    updatedSeq: z.number().int().min(1).optional(),
    clientId: z.string(),
    user: peerUser,
    text: z.string(),
    ts: z.number(),
    editedAt: z.number().nullable().default(null),
    deleted: z.boolean().default(false),
    replyTo: z.looseObject({ id: z.string().min(1), user: peerUser, excerpt: z.string().nullable() }).nullable().default(null),
    reactions: z.array(z.looseObject({ emoji: z.string().min(1), users: z.array(z.string()) })).default([]),
    mentions: z.array(z.string()).default([]),
  })
  .transform((m) => ({ ...m, updatedSeq: m.updatedSeq ?? m.seq }))
  .refine((m) => m.updatedSeq >= m.seq, 'updatedSeq before seq') satisfies z.ZodType<Message>;

/** What replicas tell each other through the broker (`serverSideEmit`); unknown until validated. */
export interface InterServerEvents {
  /** A message stored or changed by the sending replica, for delivery to this replica's sockets: a {@link peerMessage}. */
  'chat:message': (message: unknown) => void;
  /** Presence and friends replication (`src/replication/messages.ts`). */
  crdt: (message: unknown) => void;
}
