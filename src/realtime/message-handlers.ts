/**
 * `message:send` (durable before acked, idempotent per author by clientId, optionally a reply) and `typing`.
 */
import { performance } from 'node:perf_hooks';
import { AppError } from '../chat/errors.js';
import { resolveMentions } from '../chat/mentions.js';
import { withAuthors } from '../chat/messages.js';
import type { RoomAccess } from '../chat/room-access.js';
import type { Metrics } from '../observability/metrics.js';
import type { Store } from '../store/port.js';
import type { EventBinder } from './ack.js';
import { requireJoined, type ChatSocket } from './events.js';
import type { MessageFanout } from './message-fanout.js';
import type { PostNotices } from './post-notices.js';

export interface MessageHandlerDeps {
  fanout: MessageFanout;
  store: Store;
  metrics: Metrics;
  access: RoomAccess;
  notices: PostNotices;
  bind: EventBinder;
}

export function registerMessageHandlers(socket: ChatSocket, { fanout, store, metrics, access, notices, bind }: MessageHandlerDeps): void {
  bind(socket, 'message:send', async ({ room, text, clientId, replyTo }) => {
    // Access first, so someone outside a private room hears `forbidden` whatever they did; and joined is
    // not enough there: a member removed on another replica may not have left it here yet.
    const readers = await access.readers(room, socket.data.user.name);
    requireJoined(socket, room);
    if (replyTo !== undefined) {
      const original = await store.messages.find(room, replyTo);
      if (!original || original.deleted) throw new AppError('not_found', 'The message you reply to is not in this room.');
    }
    const started = performance.now();
    const author = socket.data.user.name;
    const mentions = await resolveMentions(store.users, text);
    const { message: stored, created, requoted } = await store.messages.append({ room, clientId, author, text, ts: Date.now(), replyTo, mentions });
    metrics.sendToDurableSeconds.observe((performance.now() - started) / 1000);
    // The avatars may have changed since this socket connected: read the current ones.
    const [posted, ...requotes] = await withAuthors(store.users, [stored, ...requoted]);
    // The post goes out quoting its original as it is now: a quote the store has already erased (its
    // original was deleted while the reply was stored) is never broadcast, not even for a moment.
    const message = requotes.length > 0 ? { ...posted!, replyTo: requotes.at(-1)!.replyTo } : posted!;
    if (created) metrics.messagesReceived.inc();
    if (requotes.length > 0) metrics.messageChanges.inc({ kind: 'requote' }, requotes.length);
    // Durable first, then broadcast: a client that misses this event recovers it via sinceSeq. A repeat
    // is published again, since the first publish may be what the broker lost (the reason to retry);
    // sequencers drop the copy wherever it did arrive. A reply re-quoted as it was stored is the post and
    // then a change of it, each with its seq: both are published, or every replica would wait on the post's.
    fanout.publish(message);
    requotes.forEach((reply) => fanout.publish(reply));
    // A repeat was announced with its first copy.
    if (created) notices.posted(message, readers);
    return { message };
  });

  bind(socket, 'typing', async ({ room, typing: isTyping }) => {
    requireJoined(socket, room);
    socket.to(room).emit('typing', { room, user: socket.data.user, typing: isTyping });
    return {};
  });
}
