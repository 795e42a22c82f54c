/**
 * `message:send` (published at commit, acked once durable, idempotent per author by clientId,
 * optionally a reply) and `typing`.
 */
import { performance } from 'node:perf_hooks';
import { AppError } from '../chat/errors.js';
import { resolveMentions } from '../chat/mentions.js';
import { lookUpUsers, withAuthors, type Message } from '../chat/messages.js';
import type { RoomAccess } from '../chat/room-access.js';
import type { Metrics } from '../observability/metrics.js';
import type { AppendResult, Store } from '../store/port.js';
import type { EventBinder } from './ack.js';
import { commitPublisher } from './commit-publisher.js';
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
    const original = replyTo === undefined ? undefined : await store.messages.find(room, replyTo);
    if (replyTo !== undefined && (!original || original.deleted)) throw new AppError('not_found', 'The message you reply to is not in this room.');
    const started = performance.now();
    const author = socket.data.user.name;
    // The avatars may have changed since this socket connected: read the current ones, before the append,
    // so that the post can be published the moment it commits.
    const [mentions, authors] = await Promise.all([resolveMentions(store.users, text), lookUpUsers(store.users, [author, ...(original ? [original.author] : [])])]);
    // Published at commit (commit-publisher.ts): a client that misses it recovers it via sinceSeq. A
    // repeat is published again, since the first publish may be what the broker lost (the reason to
    // retry); sequencers drop the copy wherever it did arrive.
    const early = commitPublisher(fanout, authors);
    const result = await store.messages.append({ room, clientId, author, text, ts: Date.now(), replyTo, mentions }, early.onCommitted);
    metrics.sendToDurableSeconds.observe((performance.now() - started) / 1000);
    const message = early.published ?? (await publishRequoted(result));
    if (result.created) metrics.messagesReceived.inc();
    // A repeat was announced with its first copy.
    if (result.created) notices.posted(message, readers);
    return { message };
  });

  /**
   * A post whose original changed while it was stored, published once durable: the post goes out quoting
   * its original as it is now (a quote the store has already erased, its original deleted meanwhile, is
   * never broadcast, not even for a moment), then each re-quote, a change with a seq of its own: all are
   * published, or every replica would wait on the post's seq.
   */
  async function publishRequoted({ message: stored, requoted }: AppendResult): Promise<Message> {
    const [posted, ...requotes] = await withAuthors(store.users, [stored, ...requoted]);
    const message = requotes.length > 0 ? { ...posted!, replyTo: requotes.at(-1)!.replyTo } : posted!;
    if (requotes.length > 0) metrics.messageChanges.inc({ kind: 'requote' }, requotes.length);
    fanout.publish(message);
    requotes.forEach((reply) => fanout.publish(reply));
    return message;
  }

  bind(socket, 'typing', async ({ room, typing: isTyping }) => {
    requireJoined(socket, room);
    socket.to(room).emit('typing', { room, user: socket.data.user, typing: isTyping });
    return {};
  });
}
