/**
 * `user:ban` and `user:unban`, for admins (`src/moderation/admins.ts`). A ban is stored first, so no
 * replica lets the name sign in or use a session again (both read the user from the store), then the
 * user's sockets are disconnected on every replica at once through the adapter.
 */
import { AppError } from '../chat/errors.js';
import { sameName } from '../identity/name-key.js';
import type { Admins } from '../moderation/admins.js';
import type { Store } from '../store/port.js';
import type { EventBinder } from './ack.js';
import { userRoom, type ChatSocket } from './events.js';

export interface ModerationHandlerDeps {
  store: Store;
  admins: Admins;
  bind: EventBinder;
}

export function registerModerationHandlers(socket: ChatSocket, { store, admins, bind }: ModerationHandlerDeps): void {
  const me = () => socket.data.user.name;

  /** The user `name` an admin acts on; the caller's powers are read now, not at connection time. */
  const moderated = async (name: string) => {
    if (!admins.isAdmin(await store.users.find(me()))) throw new AppError('forbidden', 'Only an admin may do that.');
    if (sameName(name, me())) throw new AppError('invalid_input', 'An admin cannot ban or unban themselves.');
    if (admins.isListed(name)) throw new AppError('forbidden', 'Admins cannot be banned.');
    const user = await store.users.find(name);
    if (!user) throw new AppError('not_found', `Nobody is called "${name}".`);
    return user;
  };

  bind(socket, 'user:ban', async ({ name }) => {
    const user = await moderated(name);
    if (await store.users.setBanned(user.name, true)) admins.record({ actor: me(), action: 'user:ban', target: user.name });
    // Also on a repeat: a socket that connected while the first ban was being stored goes now.
    socket.nsp.in(userRoom(user.name)).disconnectSockets(true);
    return { name: user.name };
  });

  bind(socket, 'user:unban', async ({ name }) => {
    const user = await moderated(name);
    if (await store.users.setBanned(user.name, false)) admins.record({ actor: me(), action: 'user:unban', target: user.name });
    return { name: user.name };
  });
}
