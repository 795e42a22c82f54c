/**
 * The Socket.IO server and socket types of namespace `/`, over the protocol (`protocol.ts`). Client
 * events carry an ack whose answer is always `{ ok: true, ... }` or `{ ok: false, error: { code, message } }`.
 */
import type { Server, Socket } from 'socket.io';
import { AppError, type ErrorCode } from '../chat/errors.js';
import type { PublicUser } from '../chat/messages.js';
import { nameKey } from '../identity/name-key.js';
import type { ClientEvent, InterServerEvents, ServerToClientEvents } from './protocol.js';

export type AckResponse =
  | ({ ok: true } & Record<string, unknown>)
  /** `retryAfterMs` comes with `rate_limited`: when the next such event would be accepted. */
  | { ok: false; error: { code: ErrorCode; message: string; retryAfterMs?: number } };
export type Ack = (response: AckResponse) => void;

/** Inbound payloads are `unknown` until validated: nothing a client sends is trusted by type. */
type Inbound = (payload?: unknown, ack?: Ack) => void;
export type ClientToServerEvents = Record<ClientEvent, Inbound>;

export interface SocketData {
  user: PublicUser;
  sessionId: string;
}

export type ChatServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type ChatSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/** Rooms Chorus uses for itself hold a colon, which chat room names cannot. */
export const userRoom = (name: string) => `user:${nameKey(name)}`;
export const sessionRoom = (sessionId: string) => `session:${sessionId}`;
export const isChatRoom = (room: string) => !room.includes(':');

/** Events about a room's messages need the socket to be in the room: what it has not joined it cannot touch. */
export function requireJoined(socket: ChatSocket, room: string): void {
  if (!socket.rooms.has(room)) throw new AppError('not_in_room', `Join "${room}" first.`);
}
