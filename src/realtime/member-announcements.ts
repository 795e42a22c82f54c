/**
 * `member:join` and `member:leave` for real arrivals and departures only. A user whose last socket
 * leaves a room is announced gone after a grace period (presence's offline grace), and only if they
 * are still gone then, counted across the cluster; a return within the grace is announced neither
 * way. A reload, a reconnect or a hop to another replica is therefore silent.
 *
 * Across replicas, the replica that saw a departure owns its announcement and tells its peers
 * (`member:departing`), so a return on any replica is recognised as one and its join is not
 * announced. Every arrival is told to the peers (`member:arrived`), and an owner that hears of one
 * cancels its pending departure; the owner also counts the room again when the grace ends, so a lost
 * notice cannot announce a departure that did not happen. Peers stop recognising returns a margin
 * before the owner announces, so a suppressed join's `arrived` reaches the owner in time: when the
 * replicas disagree, the room sees a join too many rather than a leave for someone still there. A
 * newer departure elsewhere takes the announcement over, so one departure is announced once. What
 * this cannot cover: a return that reaches a replica before the owner's `departing` notice does is
 * announced as a join (the leave is still not), and a departure whose owner dies within the grace is
 * never announced (the members' next join lists the truth).
 */
import { z } from 'zod';
import type { Logger } from 'pino';
import type { PublicUser } from '../chat/messages.js';
import { roomName, userName } from '../chat/schemas.js';
import type { ChatServer, ChatSocket } from './events.js';
import { roomMembers } from './occupancy.js';

export interface MemberAnnouncer {
  /** `socket` is its user's first socket in `room` in the cluster: announce them, unless they are back within the grace. */
  arrived(socket: ChatSocket, room: string): void;
  /** `user` has no socket left in `room` in the cluster: announce it when the grace ends, unless they come back. */
  departed(room: string, user: PublicUser): void;
  /** Cancels pending announcements and stops listening to peers; idempotent. */
  close(): void;
}

export interface MemberAnnouncerOptions {
  io: ChatServer;
  logger: Logger;
  /** How long a departure waits for a return before it is announced (ms). */
  graceMs: number;
}

const notice = z.strictObject({ room: roomName, name: userName });

/** How much sooner than the owner a peer stops recognising returns: two notices' trip through the broker. */
const peerMargin = (graceMs: number) => Math.min(500, graceMs / 4);

interface Departure {
  timer: NodeJS.Timeout;
  /** Whether this replica announces it; otherwise a peer does and this entry only recognises a return. */
  owned: boolean;
}

export function createMemberAnnouncer({ io, logger, graceMs }: MemberAnnouncerOptions): MemberAnnouncer {
  const departures = new Map<string, Departure>();
  // Sockets closing with the app still report departures; none may start a timer after close().
  let closed = false;
  const keyOf = (room: string, name: string) => `${room}\n${name.toLowerCase()}`;

  function forget(key: string): Departure | undefined {
    const departure = departures.get(key);
    if (departure) clearTimeout(departure.timer);
    departures.delete(key);
    return departure;
  }

  async function announceIfStillGone(room: string, user: PublicUser): Promise<void> {
    const members = await roomMembers(io, room);
    if (!members.has(user.name.toLowerCase())) io.to(room).emit('member:leave', { room, user });
  }

  /** Whether one of `name`'s sockets on this replica is in `room` (a return that beat the notice here). */
  function hereInRoom(room: string, name: string): boolean {
    const nsp = io.of('/');
    const key = name.toLowerCase();
    return [...(nsp.adapter.rooms.get(room) ?? [])].some((id) => nsp.sockets.get(id)?.data.user.name.toLowerCase() === key);
  }

  const onDeparting = (payload: unknown) => {
    const parsed = notice.safeParse(payload);
    if (!parsed.success) return logger.warn('dropped a malformed member:departing from another replica');
    const { room, name } = parsed.data;
    const key = keyOf(room, name);
    // The peer's departure is the newer one: it announces, not us.
    forget(key);
    if (hereInRoom(room, name)) return;
    departures.set(key, { owned: false, timer: setTimeout(() => departures.delete(key), graceMs - peerMargin(graceMs)) });
  };
  const onArrived = (payload: unknown) => {
    const parsed = notice.safeParse(payload);
    if (!parsed.success) return logger.warn('dropped a malformed member:arrived from another replica');
    const key = keyOf(parsed.data.room, parsed.data.name);
    if (departures.get(key)?.owned) forget(key);
  };
  io.on('member:departing', onDeparting);
  io.on('member:arrived', onArrived);

  return {
    arrived(socket, room) {
      const user = socket.data.user;
      const returning = forget(keyOf(room, user.name));
      if (!returning) socket.to(room).emit('member:join', { room, user });
      // A departure owned here has just been cancelled; one owned by a peer is cancelled by this notice.
      if (!returning?.owned) io.serverSideEmit('member:arrived', { room, name: user.name });
    },
    departed(room, user) {
      if (closed) return;
      const key = keyOf(room, user.name);
      forget(key);
      const timer = setTimeout(() => {
        departures.delete(key);
        announceIfStillGone(room, user).catch((err: unknown) => logger.warn({ err, room }, 'could not announce a member leaving'));
      }, graceMs);
      departures.set(key, { owned: true, timer });
      io.serverSideEmit('member:departing', { room, name: user.name });
    },
    close() {
      closed = true;
      io.off('member:departing', onDeparting);
      io.off('member:arrived', onArrived);
      for (const key of [...departures.keys()]) forget(key);
    },
  };
}
