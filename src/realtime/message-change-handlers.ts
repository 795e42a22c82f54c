/**
 * The room log's changes: `message:edit`, `message:delete`, `reaction:add` and `reaction:remove`. Each
 * is checked here (joined, the message exists, who may do it), made by the store with the room's next
 * seq, durably, and published like a post, so every socket on every replica sees it in log order. A
 * change that was already made (a retry) changes nothing, takes no seq, and is published again, as a
 * repeated send is: the first publish may be what was lost.
 */
import { AppError } from '../chat/errors.js';
import { resolveMentions } from '../chat/mentions.js';
import { authorNames, lookUpUsers, withAuthors } from '../chat/messages.js';
import type { Readers, RoomAccess } from '../chat/room-access.js';
import { sameName } from '../identity/name-key.js';
import type { Metrics } from '../observability/metrics.js';
import type { MessageChange, Store, StoredMessage } from '../store/port.js';
import type { EventBinder } from './ack.js';
import { commitPublisher } from './commit-publisher.js';
import { requireJoined, type ChatSocket } from './events.js';
import type { MessageFanout } from './message-fanout.js';
import type { Admins } from '../moderation/admins.js';
import type { PostNotices } from './post-notices.js';

/** Distinct emoji one message may carry, so a message's reactions stay a short row and a bounded document. */
export const MAX_EMOJI_PER_MESSAGE = 50;

export interface MessageChangeHandlerDeps {
  fanout: MessageFanout;
  store: Store;
  metrics: Metrics;
  access: RoomAccess;
  notices: PostNotices;
  admins: Admins;
  bind: EventBinder;
}

/** The `kind` label of `chorus_message_changes_total`. */
const metricKind = (change: MessageChange) => (change.kind === 'react' ? (change.on ? 'reaction_add' : 'reaction_remove') : change.kind);

export function registerMessageChangeHandlers(socket: ChatSocket, deps: MessageChangeHandlerDeps): void {
  const { fanout, store, metrics, access, notices, admins, bind } = deps;
  const me = () => socket.data.user.name;

  /** The socket may change messages of `room`: (in a private room) still a member, and joined. Refused as `forbidden` first. */
  const requireAccess = async (room: string) => {
    const readers = await access.readers(room, me());
    requireJoined(socket, room);
    return readers;
  };

  /** The message `id` of `room`, as the socket may address it: joined, and the message there (a tombstone only when `allowDeleted`). */
  const target = async (room: string, id: string, { allowDeleted = false } = {}): Promise<{ message: StoredMessage; readers: Readers }> => {
    const readers = await requireAccess(room);
    const message = await store.messages.find(room, id);
    if (!message || (message.deleted && !allowDeleted)) throw new AppError('not_found', 'No such message in this room.');
    return { message, readers };
  };

  const requireAuthor = (message: StoredMessage, action: string) => {
    if (!sameName(message.author, me())) throw new AppError('forbidden', `Only its author may ${action} a message.`);
  };

  /**
   * Makes `change`, publishes the message and the replies re-quoted with it, and answers with the message.
   * Given the message as `target` found it, its authors are looked up first, so that a change that
   * re-quotes nothing is published the moment it commits (commit-publisher.ts); otherwise once durable.
   */
  const commit = async (room: string, id: string, change: MessageChange, found?: StoredMessage) => {
    const early = commitPublisher(fanout, found ? await lookUpUsers(store.users, authorNames([found])) : new Map());
    const result = await store.messages.change(room, id, change, (committed) => {
      // A delete always goes out; anything else on a message deleted meanwhile is refused below, unpublished.
      if (!committed.message.deleted || change.kind === 'delete') early.onCommitted(committed);
    });
    // Gone since `target` looked: trimmed, or (for anything but a delete) deleted meanwhile, which wins.
    if (!result || (result.message.deleted && change.kind !== 'delete')) throw new AppError('not_found', 'No such message in this room.');
    if (result.changed) {
      metrics.messageChanges.inc({ kind: metricKind(change) });
      if (result.requoted.length > 0) metrics.messageChanges.inc({ kind: 'requote' }, result.requoted.length);
    }
    if (early.published) return { message: early.published, changed: result.changed };
    const [message, ...requoted] = await withAuthors(store.users, [result.message, ...result.requoted]);
    fanout.publish(message!);
    requoted.forEach((reply) => fanout.publish(reply));
    return { message: message!, changed: result.changed };
  };

  bind(socket, 'message:edit', async ({ room, id, text }) => {
    const { message: original, readers } = await target(room, id);
    requireAuthor(original, 'edit');
    const mentions = await resolveMentions(store.users, text);
    const { message, changed } = await commit(room, id, { kind: 'edit', text, at: Date.now(), mentions }, original);
    if (changed) notices.edited(message, readers, original.mentions);
    return { message };
  });

  bind(socket, 'message:delete', async ({ room, id }) => {
    const { message: original } = await target(room, id, { allowDeleted: true });
    // An admin may delete anyone's message; who they are is read now, so a password removed or a ban counts.
    const byAdmin = !sameName(original.author, me()) && admins.isAdmin(await store.users.find(me()));
    if (!byAdmin) requireAuthor(original, 'delete');
    const { message, changed } = await commit(room, id, { kind: 'delete' }, original);
    if (byAdmin && changed) admins.record({ actor: me(), action: 'message:delete', target: original.author, room, messageId: id });
    return { message };
  });

  bind(socket, 'reaction:add', async ({ room, id, emoji }) => {
    const { message } = await target(room, id);
    const known = message.reactions.some((r) => r.emoji === emoji);
    if (!known && message.reactions.length >= MAX_EMOJI_PER_MESSAGE) {
      throw new AppError('invalid_input', `A message takes at most ${MAX_EMOJI_PER_MESSAGE} different emoji.`);
    }
    const { message: changed } = await commit(room, id, { kind: 'react', emoji, user: me(), on: true }, message);
    return { message: changed };
  });

  // Nothing to check before the store's own look: `commit` answers not_found for a message not (or no longer) there.
  bind(socket, 'reaction:remove', async ({ room, id, emoji }) => {
    await requireAccess(room);
    const { message } = await commit(room, id, { kind: 'react', emoji, user: me(), on: false });
    return { message };
  });
}
