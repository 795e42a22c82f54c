/**
 * Gets every stored message to the sockets in its room, in seq order, once. The replica that stored a
 * message publishes it here; the room sequencer puts concurrent sends back in order before the local
 * sockets see them.
 */
import type { Logger } from 'pino';
import { toMessages, type Message } from '../chat/messages.js';
import { RoomSequencer } from '../chat/room-sequencer.js';
import type { Store } from '../store/port.js';
import type { ChatServer } from './events.js';

/** Messages read per gap fill; a gap longer than this is unusual and the rest follows on the next fill. */
const GAP_FILL_LIMIT = 100;

export interface MessageFanout {
  publish(message: Message): void;
  close(): void;
}

export function createMessageFanout({ io, store, logger }: { io: ChatServer; store: Store; logger: Logger }): MessageFanout {
  const sequencer = new RoomSequencer({
    deliver: (message) => io.local.to(message.room).emit('message', message),
    fetchAfter: async (room, afterSeq) => toMessages(store.users, (await store.messages.since(room, afterSeq, GAP_FILL_LIMIT)).messages),
    onError: (err) => logger.warn({ err }, 'could not read missing messages; delivering what arrived'),
  });
  return {
    publish: (message) => sequencer.push(message),
    close: () => sequencer.close(),
  };
}
