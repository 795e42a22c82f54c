/**
 * `message:send` (durable before acked, idempotent per author by clientId) and `typing`.
 */
import { performance } from 'node:perf_hooks';
import { AppError } from '../chat/errors.js';
import { withAuthor } from '../chat/messages.js';
import { messageSend, typing } from '../chat/schemas.js';
import type { Metrics } from '../observability/metrics.js';
import type { Store } from '../store/port.js';
import type { EventBinder } from './ack.js';
import type { ChatSocket } from './events.js';
import type { MessageFanout } from './message-fanout.js';

export interface MessageHandlerDeps {
  fanout: MessageFanout;
  store: Store;
  metrics: Metrics;
  bind: EventBinder;
}

export function registerMessageHandlers(socket: ChatSocket, { fanout, store, metrics, bind }: MessageHandlerDeps): void {
  const requireMember = (room: string) => {
    if (!socket.rooms.has(room)) throw new AppError('not_in_room', `Join "${room}" first.`);
  };

  bind(socket, 'message:send', messageSend, async ({ room, text, clientId }) => {
    requireMember(room);
    const started = performance.now();
    const author = socket.data.user.name;
    const { message: stored, created } = await store.messages.append({ room, clientId, author, text, ts: Date.now() });
    metrics.sendToDurableSeconds.observe((performance.now() - started) / 1000);
    // The avatar may have changed since this socket connected: read the current one.
    const user = await store.users.find(author);
    const message = withAuthor(stored, { name: stored.author, avatarUrl: user?.avatarUrl ?? null });
    if (created) metrics.messagesReceived.inc();
    // Durable first, then broadcast: a client that misses this event recovers it via sinceSeq. A repeat
    // is published again, since the first publish may be what the broker lost (the reason to retry);
    // sequencers drop the copy wherever it did arrive.
    fanout.publish(message);
    return { message };
  });

  bind(socket, 'typing', typing, async ({ room, typing: isTyping }) => {
    requireMember(room);
    socket.to(room).emit('typing', { room, user: socket.data.user, typing: isTyping });
    return {};
  });
}
