/**
 * `friends:add`, `friends:remove` and `friends:list`, and the events that keep clients in step: a
 * user's other sockets (on any replica) get `friends` when the list changes, and everyone who has a
 * user as a friend gets `presence` when that user comes online or goes offline.
 */
import { AppError } from '../chat/errors.js';
import { friendName, friendsList } from '../chat/schemas.js';
import type { Friends } from '../friends/friends.js';
import type { Presence, PresenceChange } from '../presence/presence.js';
import type { Store } from '../store/port.js';
import type { EventBinder } from './ack.js';
import { userRoom, type ChatServer, type ChatSocket, type FriendView } from './events.js';
import { sameName } from '../identity/name-key.js';

export interface FriendsDeps {
  io: ChatServer;
  store: Store;
  friends: Friends;
  presence: Presence;
}

/** `owner`'s friends with their status now. */
function friendsOf(owner: string, { friends, presence }: Pick<FriendsDeps, 'friends' | 'presence'>): FriendView[] {
  return friends.list(owner).map((name) => ({ name, online: presence.isOnline(name) }));
}

export function registerFriendsHandlers(socket: ChatSocket, deps: FriendsDeps & { bind: EventBinder }): void {
  const { store, friends, bind } = deps;
  const me = socket.data.user.name;
  const answer = () => ({ friends: friendsOf(me, deps) });
  // The asking socket has its answer in the ack; the user's other sockets here hear it as an event
  // (those on other replicas hear it when the delta arrives there).
  const tellMyOtherSockets = () => socket.to(userRoom(me)).local.emit('friends', answer());

  bind(socket, 'friends:list', friendsList, async () => answer());

  bind(socket, 'friends:add', friendName, async ({ name }) => {
    const friend = await store.users.find(name);
    if (!friend) throw new AppError('not_found', `Nobody is called "${name}".`);
    if (sameName(friend.name, me)) throw new AppError('invalid_input', 'You cannot add yourself as a friend.');
    if (await friends.add(me, friend.name)) tellMyOtherSockets();
    return answer();
  });

  bind(socket, 'friends:remove', friendName, async ({ name }) => {
    // By the name as listed, whatever the case typed: a friend who cannot be found is simply not removed.
    const listed = friends.list(me).find((friend) => sameName(friend, name));
    if (listed !== undefined && (await friends.remove(me, listed))) tellMyOtherSockets();
    return answer();
  });
}

/**
 * Sends this replica's sockets the friends and presence events of changes that came from elsewhere.
 * Every replica does so for its own sockets only, so each socket hears each change once. Returns the
 * function that stops it.
 */
export function forwardFriendsEvents({ io, friends, presence }: Omit<FriendsDeps, 'store'>): () => void {
  const onFriends = (owner: string) => io.local.to(userRoom(owner)).emit('friends', { friends: friendsOf(owner, { friends, presence }) });
  const onPresence = ({ name, online }: PresenceChange) => {
    const followers = friends.followersOf(name);
    if (followers.length > 0) io.local.to(followers.map(userRoom)).emit('presence', { name, online });
  };
  friends.on('change', onFriends);
  presence.on('change', onPresence);
  return () => {
    friends.off('change', onFriends);
    presence.off('change', onPresence);
  };
}
