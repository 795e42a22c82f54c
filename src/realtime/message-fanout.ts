/**
 * Gets every entry of a room's log — a post, or a message in the state a change left it — to the
 * sockets in its room, on every replica, in `updatedSeq` order, once: a post as `message`, a change as
 * `message:changed`. The replica that stored the entry publishes it here: it goes to this replica's sequencer and, through
 * the broker, to every other replica's. Each sequencer puts concurrent sends (from any replica) back in
 * order before its local sockets see them. If the broker is down the message still reaches local
 * sockets, and remote clients recover it with `sinceSeq` (it is committed to the store before it is
 * published: readable by every replica, though durable only once its sender is acked).
 * A publish the broker loses in a quiet room is found through the heartbeats (`roomSeqs`): each replica
 * tells the others the last seq of its recently active rooms, and a sequencer behind one reads the store.
 */
import type { Logger } from 'pino';
import { isPost, withAuthors, type Message } from '../chat/messages.js';
import { RoomSequencer, type GapReport } from '../chat/room-sequencer.js';
import { describeIssues } from '../chat/schemas.js';
import type { Metrics } from '../observability/metrics.js';
import { ROOMS_PER_BEAT } from '../replication/messages.js';
import type { RoomSeqs } from '../replication/replicator.js';
import type { Store } from '../store/port.js';
import type { ChatServer } from './events.js';
import { peerMessage } from './protocol.js';

const GAP_OUTCOMES: Record<GapReport['outcome'], string> = {
  filled: 'read it from the store',
  skipped: 'the store does not have it either (its seq was taken and never stored, or the message changed again since); moved on',
  failed: 'the store could not be read; delivered what was held',
};

/** Messages read per gap fill; a gap longer than this is unusual and the rest follows on the next fill. */
const GAP_FILL_LIMIT = 100;

/** Takes what another replica says it stored: a valid message goes on to `push`; anything else is logged and dropped. */
export function peerMessageReceiver(logger: Logger, push: (message: Message) => void): (value: unknown) => void {
  return (value) => {
    const parsed = peerMessage.safeParse(value);
    if (parsed.success) push(parsed.data);
    else logger.warn({ problem: describeIssues(parsed.error) }, 'dropped a malformed chat:message from another replica');
  };
}

export interface MessageFanout {
  /** Publishes a log entry: a message as stored or changed (a reply re-quoted is one too). */
  publish(message: Message): void;
  /** The last seq of the rooms most recently delivered here, for peers; and what peers say of theirs. */
  readonly roomSeqs: RoomSeqs;
  /** A socket here joined `room` and was sent `history`, the room's log up to `upTo`. */
  joined(room: string, history: readonly Message[], upTo: number): void;
  close(): void;
}

export interface FanoutDeps {
  io: ChatServer;
  store: Store;
  logger: Logger;
  metrics: Metrics;
}

export function createMessageFanout({ io, store, logger, metrics }: FanoutDeps): MessageFanout {
  const localRooms = io.of('/').adapter.rooms;
  /** room -> the highest seq delivered here, least recently active first (a Map keeps insertion order). */
  const recentRooms = new Map<string, number>();
  const sequencer = new RoomSequencer({
    deliver: (message) => {
      const seq = Math.max(message.updatedSeq, recentRooms.get(message.room) ?? 0);
      recentRooms.delete(message.room);
      recentRooms.set(message.room, seq);
      if (recentRooms.size > ROOMS_PER_BEAT) recentRooms.delete(recentRooms.keys().next().value!);
      const sockets = io.local.to(message.room);
      if (isPost(message)) sockets.emit('message', message);
      else sockets.emit('message:changed', { room: message.room, message });
      // Counted here, once per message, rather than by a listener on every socket's every packet.
      metrics.messagesDelivered.inc(localRooms.get(message.room)?.size ?? 0);
    },
    fetchAfter: async (room, afterSeq) => withAuthors(store.users, (await store.messages.since(room, afterSeq, GAP_FILL_LIMIT)).messages),
    onError: (err) => logger.warn({ err }, 'could not read missing messages; delivering what arrived'),
    onGap: ({ room, missing, held, outcome }) => {
      metrics.sequencerGaps.inc({ outcome });
      logger.warn({ room, missingSeq: missing, held, outcome }, `room held back by missing seq ${missing}: ${GAP_OUTCOMES[outcome]}`);
    },
  });
  const fromPeer = peerMessageReceiver(logger, (message) => sequencer.push(message));
  io.on('chat:message', fromPeer);
  return {
    publish: (message) => {
      sequencer.push(message);
      io.serverSideEmit('chat:message', message);
    },
    joined: (room, history, upTo) => sequencer.observe(room, history.map((m) => m.updatedSeq), upTo),
    roomSeqs: {
      latest: () => [...recentRooms].reverse(),
      heard: (seqs) => seqs.forEach(([room, seq]) => sequencer.heard(room, seq)),
    },
    close: () => {
      io.off('chat:message', fromPeer);
      sequencer.close();
    },
  };
}
