/**
 * The Socket.IO protocol of namespace `/`, as types. Client events carry an ack whose answer is
 * always `{ ok: true, ... }` or `{ ok: false, error: { code, message } }`.
 */
import type { Server, Socket } from 'socket.io';
import type { ErrorCode } from '../chat/errors.js';
import type { Message, PublicUser } from '../chat/messages.js';
import { nameKey } from '../identity/name-key.js';

export type AckResponse =
  | ({ ok: true } & Record<string, unknown>)
  /** `retryAfterMs` comes with `rate_limited`: when the next such event would be accepted. */
  | { ok: false; error: { code: ErrorCode; message: string; retryAfterMs?: number } };
export type Ack = (response: AckResponse) => void;

/** Inbound payloads are `unknown` until validated: nothing a client sends is trusted by type. */
type Inbound = (payload?: unknown, ack?: Ack) => void;

export const CLIENT_EVENTS = ['room:join', 'room:leave', 'message:send', 'typing', 'friends:add', 'friends:remove', 'friends:list'] as const;
export type ClientEvent = (typeof CLIENT_EVENTS)[number];
export type ClientToServerEvents = Record<ClientEvent, Inbound>;

export interface ServerToClientEvents {
  message: (message: Message) => void;
  'member:join': (event: { room: string; user: PublicUser }) => void;
  'member:leave': (event: { room: string; user: PublicUser }) => void;
  typing: (event: { room: string; user: PublicUser; typing: boolean }) => void;
  presence: (event: { name: string; online: boolean }) => void;
  friends: (event: { friends: FriendView[] }) => void;
}

/** A friend as clients see it. */
export interface FriendView {
  name: string;
  online: boolean;
}

export interface SocketData {
  user: PublicUser;
  sessionId: string;
}

/** What replicas tell each other through the broker (`serverSideEmit`). */
export interface InterServerEvents {
  /** A message stored by the sending replica, for delivery to this replica's sockets. */
  'chat:message': (message: unknown) => void;
  /** Presence and friends replication (`src/replication/messages.ts`). */
  crdt: (message: unknown) => void;
}

export type ChatServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type ChatSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/** Rooms Chorus uses for itself hold a colon, which chat room names cannot. */
export const userRoom = (name: string) => `user:${nameKey(name)}`;
export const sessionRoom = (sessionId: string) => `session:${sessionId}`;
export const isChatRoom = (room: string) => !room.includes(':');
