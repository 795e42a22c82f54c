/**
 * Publishing a write's message when the store commits it instead of once it is durable: recipients no
 * longer wait for the disk's sync (fsync stalls of tens of ms set the delivery p99 otherwise), only the
 * sender's ack does. A committed message is readable by every replica's gap fill and every recovering
 * client at once, so nothing downstream can tell it from a durable one — except after a power cut or
 * an OS crash between commit and sync, which can lose it after recipients saw it; the embedded store
 * then gives its history a new epoch (`src/store/embedded/crash-epoch.ts`), and clients resync.
 *
 * Only the plain case goes out early: a write that re-quoted replies with it, or whose authors were not
 * looked up beforehand, is published after it is durable, as before (`published` stays undefined).
 */
import { attachAuthors, type UsersByKey, type Message } from '../chat/messages.js';
import type { StoredMessage } from '../store/port.js';
import type { MessageFanout } from './message-fanout.js';

export interface CommitPublisher {
  /** For the store's `onCommitted`. */
  onCommitted(result: { message: StoredMessage; requoted: readonly StoredMessage[] }): void;
  /** The message published at commit, if it was. */
  readonly published: Message | undefined;
}

export function commitPublisher(fanout: MessageFanout, authors: UsersByKey): CommitPublisher {
  let published: Message | undefined;
  return {
    onCommitted({ message, requoted }) {
      if (requoted.length > 0) return;
      published = attachAuthors(authors, [message])?.[0];
      if (published) fanout.publish(published);
    },
    get published() {
      return published;
    },
  };
}
