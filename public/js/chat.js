// The chat once signed in: the wiring between its parts, each a module of its own (the rooms, the
// composer, what can be done to a message, the connection and its banner, the room list and directory, unread counts,
// private conversations, friends, members, the outbox of unsent messages, the drawers and the profile corner). This file routes the server's
// events to them and one part's news to the others; it keeps no state of its own.
import { connect } from './connection.js';
import { ConnectionBanner } from './connection-banner.js';
import { Composer } from './composer.js';
import { Conversations } from './conversations.js';
import { Drafts } from './drafts.js';
import { setUpDrawers } from './drawers.js';
import { DEFAULT_ROOM, nameKey, roomFromLocation, roomPath, sameName } from './env.js';
import { FriendsPanel } from './friends.js';
import { renderMembers } from './members.js';
import { MentionNotifier } from './notifications.js';
import { Outbox } from './outbox.js';
import { MessageActions } from './message-actions.js';
import { knownNames, learnName, learnUser } from './people.js';
import { setUpProfile } from './profile.js';
import { RoomDirectory } from './room-directory.js';
import { renderRoomHeader } from './room-header.js';
import { showRoomList, titleOf } from './room-list.js';
import { loadUntilLoaded } from './older-messages.js';
import { setUpRoomNavigation } from './room-navigation.js';
import { setUpRoomManagement } from './room-management.js';
import { Rooms } from './rooms.js';
import { setUpSearch } from './search.js';
import { Unread } from './unread.js';

/** @param {{ name: string, avatarUrl: string | null }} me */
export function startChat(me, { onSignedOut }) {
  document.getElementById('sign-in-screen').hidden = true;
  document.getElementById('app').hidden = false;
  learnUser(me);

  const banner = new ConnectionBanner();
  const connection = connect({ onUp, onDown, onSignedOut });
  const drawers = setUpDrawers();
  const drafts = new Drafts(me.name);
  const conversations = new Conversations({ connection });
  const unread = new Unread({ connection, onChange: () => renderRooms() });
  const directory = new RoomDirectory({
    connection,
    onChange: () => rooms.active && roomChanged(rooms.active),
    onList: (list) => {
      unread.replaceAll(list);
      if (rooms.active) markRead(rooms.active);
    },
  });
  const composer = new Composer({
    connection,
    drafts,
    onSend: (room, text, replyTo) => {
      outbox.add(room, text, replyTo);
      rooms.showLatest();
    },
    onEditLast: () => actions.editLast(),
    names: () => knownNames().filter((name) => !sameName(name, me.name)),
  });
  const rooms = new Rooms({
    me,
    connection,
    onChange: roomChanged,
    onTyping: () => composer.showTyping(rooms.active?.typists.summary() ?? ''),
    onJoinFailed: (room, err) => {
      if (err.code === 'forbidden') return void lostRoom(room.name, `You are not a member of #${room.name} (any more), so it was closed.`);
      composer.showError(`Could not open #${room.name}: ${err.message}`);
    },
    onPost: (room, message) => {
      if (isReading(room)) markRead(room);
      else unread.post(room.name, message.seq);
    },
  });
  const outbox = new Outbox({
    connection,
    onChange: (entry) => {
      const room = rooms.ensure(entry.room);
      room.timeline.showPending(entry, (e) => outbox.retry(e), (e) => {
        outbox.discard(e);
        room.timeline.removePending(e.clientId);
      });
      if (room === rooms.active) room.timeline.scrollToBottom();
    },
    onDelivered: (entry, message) => {
      rooms.ensure(entry.room).timeline.removePending(entry.clientId);
      rooms.receive(message);
    },
  });
  const actions = new MessageActions({ me, connection, rooms, composer });
  const friends = new FriendsPanel({
    connection,
    onChange: () => {
      friends.friends.forEach((f) => learnName(f.name));
      renderMembersPanel();
      renderRooms();
    },
    onOpen: (name) => void openDm(name),
  });
  setUpProfile({ me, onSignOut: onSignedOut });
  setUpRoomNavigation({
    open: openRoom,
    inView: () => rooms.active?.name,
    createPrivate: async (name) => {
      const entry = await conversations.createPrivate(name);
      directory.add(entry);
      openRoom(entry.name, { push: true });
    },
  });
  setUpSearch({ onOpen: (message) => void jumpTo(message), roomLabel: (room) => titleOf({ name: room }, directory) });
  const notifier = new MentionNotifier({ onOpen: (message) => void jumpTo(message) });
  const roomManagement = setUpRoomManagement({
    me,
    rooms,
    conversations,
    onRoster: () => renderMembersPanel(),
    onLeft: (room) => lostRoom(room, `You left #${room}.`),
  });

  const { socket } = connection;
  socket.on('message', (message) => {
    rooms.receive(message, { fromLog: true });
    outbox.settle(message);
  });
  socket.on('message:changed', ({ message }) => rooms.receive(message, { fromLog: true }));
  socket.on('member:join', ({ room, user }) => rooms.memberJoined(room, user));
  socket.on('member:leave', ({ room, user }) => rooms.memberLeft(room, user));
  socket.on('typing', ({ room, user, typing }) => rooms.typing(room, user, typing));
  socket.on('room:activity', ({ room, lastSeq, user }) => {
    if (!directory.entry(room)) void directory.refresh(); // a DM someone else opened: its first message
    if (!sameName(user, me.name) && !rooms.get(room)?.joined) unread.post(room, lastSeq);
  });
  socket.on('mention', ({ room, message }) => {
    notifier.mention(message, titleOf({ name: room }, directory));
    const here = rooms.get(room);
    if (here && isReading(here)) return;
    // A post in a joined room is counted by its `message`, one in a private room or DM by room:activity.
    const counted = Boolean(here?.joined) || Boolean(directory.entry(room)?.private || directory.entry(room)?.dm);
    unread.mention(room, message.seq, { countPost: !counted });
  });
  socket.on('room:added', ({ room }) => {
    directory.add(room);
    unread.set(room.name, room);
  });
  socket.on('room:removed', ({ room }) => lostRoom(room, roomManagement.isLeaving(room) ? `You left #${room}.` : `You were removed from #${room} by its owner.`));
  socket.on('room:read', (read) => unread.set(read.room, read));
  socket.on('room:members', ({ room, members }) => {
    const here = rooms.get(room);
    if (!here) return;
    rooms.setRoster(here, members);
    if (here === rooms.active) renderMembersPanel();
  });
  document.addEventListener('visibilitychange', () => rooms.active && markRead(rooms.active));

  openRoom(roomFromLocation(), { push: false });

  async function onUp() {
    banner.showUp();
    await rooms.rejoinAll();
    void outbox.pump();
    void friends.refresh();
    void directory.refresh();
  }

  function onDown() {
    if (!banner.showDown()) return;
    // Who is online is not known from here until the server answers again (each room's join, the
    // friends list, the room directory): say so rather than show the last state as if it were live.
    directory.markStale();
    rooms.markStale();
    friends.markUnknown();
    if (rooms.active) roomChanged(rooms.active);
  }

  function openRoom(name, { push }) {
    const room = rooms.open(name);
    if (!room) return;
    if (push) history.pushState({ room: name }, '', roomPath(name));
    roomChanged(room);
    drawers.closeAll();
    composer.show(name);
  }

  async function leaveRoom(name) {
    const room = rooms.leave(name);
    if (!room) return;
    drafts.set(name, '');
    if (room === rooms.active) openRoom(DEFAULT_ROOM, { push: true });
    await connection.request('room:leave', { room: name }).catch(() => {
      // Offline: the next connection does not rejoin it, which is the same as leaving.
    });
    void directory.refresh();
  }

  function roomChanged(room) {
    if (room === rooms.active) markRead(room);
    renderRooms();
    if (room !== rooms.active) return;
    renderRoomHeader(room, directory.entry(room.name));
    renderMembersPanel();
  }

  function renderRooms() {
    showRoomList({
      rooms,
      directory,
      unread,
      presenceOf: (name) => friends.presenceOf(name),
      onOpen: (name) => openRoom(name, { push: true }),
      onLeave: (name) => void leaveRoom(name),
    });
  }

  /** Whether the user is reading `room` now: in view, in a visible tab, its history loaded. */
  function isReading(room) {
    return room === rooms.active && document.visibilityState === 'visible' && room.timeline.loaded;
  }

  function markRead(room) {
    if (isReading(room)) unread.read(room.name, Math.max(room.timeline.cursor, room.timeline.seqs.at(-1) ?? 0));
  }

  /** Opens `message`'s room at it, loading older history until it is there. */
  async function jumpTo(message) {
    openRoom(message.room, { push: true });
    const room = rooms.get(message.room);
    if (!room) return;
    await rooms.whenLoaded(room);
    if (room.timeline.reveal(message.id)) return;
    if ((await loadUntilLoaded(room, message.id, message.seq)) && room.timeline.reveal(message.id)) return;
    composer.showError('That message is no longer in the room’s history.');
  }

  async function openDm(name) {
    try {
      const entry = await conversations.openDm(name);
      directory.add(entry);
      openRoom(entry.name, { push: true });
    } catch (err) {
      document.getElementById('friend-error').textContent = `Could not message ${name}: ${err.message}`;
    }
  }

  /** Room `name` is no longer this user's (removed, or refused): it goes, and if it was in view, so does the view. */
  function lostRoom(name, why) {
    directory.remove(name);
    unread.forget(name);
    const room = rooms.leave(name);
    if (!room) return;
    drafts.set(name, '');
    if (room === rooms.active) {
      openRoom(DEFAULT_ROOM, { push: true });
      composer.showError(why);
    }
    renderRooms();
  }

  function renderMembersPanel() {
    const room = rooms.active;
    if (!room) return;
    const entry = directory.entry(room.name);
    const owner = entry?.private && sameName(entry.owner, me.name);
    const withRoster = room.kind === 'private' || room.kind === 'dm';
    renderMembers(document.getElementById('member-list'), withRoster ? [...room.roster.values()] : [...room.members.values()], {
      me,
      known: room.membersFresh,
      isFriend: (name) => friends.isFriend(name),
      onAddFriend: (name) => void friends.add(name),
      onMessage: (name) => void openDm(name),
      isOnline: (name) => room.members.has(nameKey(name)),
      onRemove: owner ? (name) => void roomManagement.change('remove', name) : undefined,
    });
    const manage = document.getElementById('room-manage');
    manage.hidden = room.kind !== 'private';
    document.getElementById('invite-form').hidden = !owner;
    document.getElementById('leave-private').hidden = Boolean(owner);
  }
}
