// The chat once signed in: the wiring between its parts, each a module of its own (the rooms, the
// composer, the connection and its banner, the room list and directory, friends, members, the
// outbox of unsent messages, the drawers and the profile corner). This file routes the server's
// events to them and one part's news to the others; it keeps no state of its own.
import { connect } from './connection.js';
import { ConnectionBanner } from './connection-banner.js';
import { Composer } from './composer.js';
import { Drafts } from './drafts.js';
import { setUpDrawers } from './drawers.js';
import { DEFAULT_ROOM, roomFromLocation, roomPath } from './env.js';
import { FriendsPanel } from './friends.js';
import { renderMembers } from './members.js';
import { Outbox } from './outbox.js';
import { learnUser } from './people.js';
import { setUpProfile } from './profile.js';
import { RoomDirectory } from './room-directory.js';
import { renderRoomHeader } from './room-header.js';
import { showRoomList } from './room-list.js';
import { setUpRoomNavigation } from './room-navigation.js';
import { Rooms } from './rooms.js';

/** @param {{ name: string, avatarUrl: string | null }} me */
export function startChat(me, { onSignedOut }) {
  document.getElementById('sign-in-screen').hidden = true;
  document.getElementById('app').hidden = false;
  learnUser(me);

  const banner = new ConnectionBanner();
  const connection = connect({ onUp, onDown, onSignedOut });
  const drawers = setUpDrawers();
  const drafts = new Drafts(me.name);
  const directory = new RoomDirectory({ connection, onChange: renderRooms });
  const composer = new Composer({
    connection,
    drafts,
    onSend: (room, text) => {
      outbox.add(room, text);
      rooms.showLatest();
    },
  });
  const rooms = new Rooms({
    me,
    connection,
    onChange: roomChanged,
    onTyping: () => composer.showTyping(rooms.active?.typists.summary() ?? ''),
    onJoinFailed: (room, err) => composer.showError(`Could not open #${room.name}: ${err.message}`),
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
  const friends = new FriendsPanel({ connection, onChange: renderMembersPanel });
  setUpProfile({ me, onSignOut: onSignedOut });
  setUpRoomNavigation({ open: openRoom, inView: () => rooms.active?.name });

  const { socket } = connection;
  socket.on('message', (message) => {
    rooms.receive(message);
    outbox.settle(message);
  });
  socket.on('member:join', ({ room, user }) => rooms.memberJoined(room, user));
  socket.on('member:leave', ({ room, user }) => rooms.memberLeft(room, user));
  socket.on('typing', ({ room, user, typing }) => rooms.typing(room, user, typing));

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
    renderRooms();
    if (room !== rooms.active) return;
    renderRoomHeader(room);
    renderMembersPanel();
  }

  function renderRooms() {
    showRoomList({ rooms, directory, onOpen: (name) => openRoom(name, { push: true }), onLeave: (name) => void leaveRoom(name) });
  }

  function renderMembersPanel() {
    const room = rooms.active;
    if (!room) return;
    renderMembers(document.getElementById('member-list'), [...room.members.values()], {
      me,
      known: room.membersFresh,
      isFriend: (name) => friends.isFriend(name),
      onAddFriend: (name) => void friends.add(name),
    });
  }
}
