/**
 * A broker that loses one message, on demand: the next `chat:message` a replica publishes to the others
 * is dropped before it reaches the broker, as an at-most-once broker may drop it. Local delivery on
 * that replica is untouched (it does not go through `serverSideEmit`). Or heartbeats that keep quiet
 * about the rooms' last seqs, so a lost message can be found only by the sender's republish.
 */
import type { ChatServer } from '../../src/realtime/events.js';

/** Drops the next `chat:message` `io` publishes; resolves with the dropped message once it was. */
export function dropNextChatMessage(io: ChatServer): Promise<unknown> {
  const original = io.serverSideEmit;
  return new Promise((resolve) => {
    io.serverSideEmit = ((event: string, ...args: unknown[]) => {
      if (event !== 'chat:message') return (original as (...all: unknown[]) => boolean).call(io, event, ...args);
      io.serverSideEmit = original;
      resolve(args[0]);
      return true;
    }) as ChatServer['serverSideEmit'];
  });
}

/**
 * From now on the heartbeats `io` sends carry no rooms' last seqs, so a replica that hears only these
 * beats learns of a lost message by another path or not at all.
 */
export function stripRoomSeqsFromBeats(io: ChatServer): void {
  const original = io.serverSideEmit;
  io.serverSideEmit = ((event: string, ...args: unknown[]) => {
    const [message, ...rest] = args;
    if (event === 'crdt' && isBeatWithRooms(message)) {
      const { rooms: _dropped, ...beat } = message;
      return (original as (...all: unknown[]) => boolean).call(io, event, beat, ...rest);
    }
    return (original as (...all: unknown[]) => boolean).call(io, event, ...args);
  }) as ChatServer['serverSideEmit'];
}

const isBeatWithRooms = (message: unknown): message is { t: 'beat'; rooms: unknown } =>
  typeof message === 'object' && message !== null && (message as { t?: unknown }).t === 'beat' && 'rooms' in message;
