/**
 * A broker that loses one message, on demand: the next `chat:message` a replica publishes to the others
 * is dropped before it reaches the broker, as an at-most-once broker may drop it. Local delivery on
 * that replica is untouched (it does not go through `serverSideEmit`).
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
