// The chat once signed in: rooms, the message log, members, typing, friends and the connection,
// wired together. Each room the user opens stays joined (its unread count keeps counting) until they
// leave it; the joined rooms are remembered per user in this browser.
import { api } from './api.js';
import { connect } from './connection.js';
import { Drafts } from './drafts.js';
import { setUpDrawers } from './drawers.js';
import { DEFAULT_ROOM, normalizeRoom, roomFromLocation, roomPath } from './env.js';
import { FriendsPanel } from './friends.js';
import { renderMembers } from './members.js';
import { Outbox } from './outbox.js';
import { learnUser } from './people.js';
import { setUpProfile } from './profile.js';
import { renderRoomList } from './room-list.js';
import { Timeline } from './timeline.js';
import { Typists, TypingSender } from './typing.js';

const ROOM_LIST_REFRESH_MS = 15_000;
const RECONNECTED_NOTICE_MS = 2_500;
const HISTORY_PAGE = 50;

const $ = (id) => document.getElementById(id);
const keyOf = (name) => name.toLowerCase();

/** @param {{ name: string, avatarUrl: string | null }} me */
export function startChat(me, { onSignedOut }) {
  $('sign-in-screen').hidden = true;
  $('app').hidden = false;
  learnUser(me);

  const rooms = new Map(); // name -> room state
  const directory = new Map(); // name -> { online } from GET /api/rooms
  const savedRoomsKey = `chorus.rooms.${keyOf(me.name)}`;
  const drafts = new Drafts(me.name);
  let active = null;
  let wasDown = false;
  /** Whether the directory's online counts are fresh (false from a lost connection to the next refresh). */
  let directoryFresh = true;
  let bannerTimer;

  const connection = connect({ onUp, onDown, onSignedOut });
  const { socket } = connection;
  const drawers = setUpDrawers();
  const outbox = new Outbox({
    connection,
    onChange: (entry) => {
      const room = roomState(entry.room);
      room.timeline.showPending(entry, (e) => outbox.retry(e), (e) => {
        outbox.discard(e);
        room.timeline.removePending(e.clientId);
      });
      if (room === active) room.timeline.scrollToBottom();
    },
    onDelivered: (entry, message) => {
      roomState(entry.room).timeline.removePending(entry.clientId);
      show(message);
    },
  });
  const friends = new FriendsPanel({ connection, onChange: renderMembersPanel });
  const typingSender = new TypingSender((room, typing) => {
    connection.request('typing', { room, typing }).catch(() => {
      // Typing hints are best effort: a lost one expires at the receivers.
    });
  });
  setUpProfile({ me, onSignOut: onSignedOut });

  socket.on('message', (message) => {
    show(message);
    outbox.settle(message);
  });
  socket.on('member:join', ({ room, user }) => {
    const state = rooms.get(room);
    if (!state) return;
    learnUser(user);
    // Someone already listed is not news: a return the server could not tell from an arrival (it
    // reached another replica before word of the departure did).
    const news = !state.members.has(keyOf(user.name)) && keyOf(user.name) !== keyOf(me.name);
    state.members.set(keyOf(user.name), user);
    if (news) addMembershipLine(state, 'joined', user);
    roomChanged(state);
  });
  socket.on('member:leave', ({ room, user }) => {
    const state = rooms.get(room);
    if (!state || !state.members.delete(keyOf(user.name))) return;
    state.typists.set(user, false);
    addMembershipLine(state, 'left', user);
    roomChanged(state);
  });
  socket.on('typing', ({ room, user, typing }) => {
    if (keyOf(user.name) !== keyOf(me.name)) rooms.get(room)?.typists.set(user, typing);
  });

  setUpComposer();
  setUpRoomForm();
  window.addEventListener('popstate', () => openRoom(roomFromLocation(), { push: false }));
  document.addEventListener('keydown', switchRoomsByKeyboard);
  $('new-messages').addEventListener('click', () => {
    active?.timeline.scrollToBottom();
    hidePill();
  });
  window.setInterval(() => connection.connected && refreshDirectory(), ROOM_LIST_REFRESH_MS);

  for (const name of savedRooms()) roomState(name).joined = true;
  openRoom(roomFromLocation(), { push: false });

  // ---- connection -------------------------------------------------------------------------------

  async function onUp() {
    window.clearTimeout(bannerTimer);
    if (wasDown) {
      showBanner('Back online.', 'ok');
      bannerTimer = window.setTimeout(() => hideBanner(), RECONNECTED_NOTICE_MS);
    } else {
      hideBanner();
    }
    wasDown = false;
    $('me-status').textContent = 'online';
    await Promise.all([...rooms.values()].filter((r) => r.joined).map(join));
    void outbox.pump();
    void friends.refresh();
    void refreshDirectory();
  }

  function onDown() {
    if (wasDown) return;
    wasDown = true;
    window.clearTimeout(bannerTimer);
    showBanner('Connection lost. Reconnecting… Messages you send now will go out when it is back.', 'warn');
    $('me-status').textContent = 'offline';
    // Who is online is not known from here until the server answers again (each room's join, the
    // friends list, the room directory): say so rather than show the last state as if it were live.
    directoryFresh = false;
    for (const room of rooms.values()) {
      room.typists.clear();
      room.membersFresh = false;
    }
    friends.markUnknown();
    if (active) roomChanged(active);
  }

  function showBanner(text, tone) {
    const banner = $('banner');
    banner.textContent = text;
    banner.dataset.tone = tone;
    banner.hidden = false;
  }

  function hideBanner() {
    $('banner').hidden = true;
  }

  // ---- rooms ------------------------------------------------------------------------------------

  function roomState(name) {
    let room = rooms.get(name);
    if (room) return room;
    room = {
      name,
      joined: false,
      unread: 0,
      members: new Map(),
      /** Whether `members` is the server's current answer rather than what was known before a lost connection. */
      membersFresh: false,
      timeline: new Timeline({
        room: name,
        me,
        onNearTop: () => void loadOlder(room),
        onBottom: () => room === active && hidePill(),
      }),
      typists: new Typists(() => room === active && renderTyping()),
    };
    room.timeline.element.hidden = true;
    $('timelines').append(room.timeline.element);
    rooms.set(name, room);
    return room;
  }

  /** Joins `room` (again): the first time for the latest history, later for what was missed. */
  async function join(room) {
    const first = !room.timeline.loaded;
    const sinceSeq = first ? undefined : room.timeline.lastSeq;
    try {
      const ack = await connection.request('room:join', { room: room.name, ...(sinceSeq === undefined ? {} : { sinceSeq }) });
      ack.online.forEach(learnUser);
      room.members = new Map(ack.online.map((u) => [keyOf(u.name), u]));
      room.membersFresh = true;
      if (first) room.timeline.hasMore = ack.history.length > 0 && ack.history[0].seq > 1;
      for (const message of ack.history) show(message, { countUnread: !first });
      room.timeline.loaded = true;
      room.timeline.setLoadingOlder(false);
      if (first && room === active) {
        room.timeline.scrollToBottom();
        if (room.timeline.wantsOlder()) void loadOlder(room);
      }
      roomChanged(room);
    } catch (err) {
      if (room === active) $('send-error').textContent = `Could not open #${room.name}: ${err.message}`;
    }
  }

  function openRoom(name, { push }) {
    const room = roomState(name);
    if (active === room) return;
    typingSender.stop();
    if (active) active.timeline.element.hidden = true;
    active = room;
    room.timeline.element.hidden = false;
    room.unread = 0;
    $('room-title').textContent = `# ${name}`;
    // The composer holds the draft of the room in view and nothing else, so Enter sends it there.
    $('text').value = drafts.get(name);
    $('text').placeholder = `Message #${name}`;
    $('send-error').textContent = '';
    hidePill();
    if (!room.joined) {
      room.joined = true;
      saveRooms();
      if (connection.connected) void join(room);
    }
    if (push) history.pushState({ room: name }, '', roomPath(name));
    renderTyping();
    roomChanged(room);
    drawers.closeAll();
    if (window.matchMedia('(pointer: fine)').matches) $('text').focus();
  }

  async function leaveRoom(name) {
    const room = rooms.get(name);
    if (!room || name === DEFAULT_ROOM) return;
    room.joined = false;
    saveRooms();
    drafts.set(name, '');
    if (active === room) openRoom(DEFAULT_ROOM, { push: true });
    room.timeline.element.remove();
    rooms.delete(name);
    await connection.request('room:leave', { room: name }).catch(() => {
      // Offline: the next connection does not rejoin it, which is the same as leaving.
    });
    void refreshDirectory();
  }

  async function loadOlder(room) {
    const { timeline } = room;
    if (!timeline.loaded || !timeline.hasMore || timeline.loadingOlder || timeline.oldestSeq === undefined) return;
    timeline.setLoadingOlder(true);
    try {
      const page = await api('GET', `/api/rooms/${encodeURIComponent(room.name)}/messages?before=${timeline.oldestSeq}&limit=${HISTORY_PAGE}`);
      page.messages.forEach((m) => learnUser(m.user));
      timeline.addOlder(page.messages, page.hasMore);
      if (timeline.wantsOlder()) void loadOlder(room);
    } catch {
      timeline.setLoadingOlder(false); // the next scroll to the top tries again
    }
  }

  function show(message, { countUnread = true } = {}) {
    const room = rooms.get(message.room);
    if (!room) return;
    learnUser(message.user);
    const pinned = room.timeline.isAtBottom();
    if (!room.timeline.add(message)) return;
    room.typists.set(message.user, false);
    const mine = keyOf(message.user.name) === keyOf(me.name);
    if (room === active) {
      if (pinned || mine) room.timeline.scrollToBottom();
      else showPill();
    } else if (!mine && countUnread) {
      room.unread += 1;
      renderRooms();
    }
  }

  function addMembershipLine(room, change, user) {
    const pinned = room.timeline.isAtBottom();
    room.timeline.addMembership(change, user);
    if (room === active && pinned) room.timeline.scrollToBottom();
  }

  async function refreshDirectory() {
    try {
      const { rooms: listed } = await api('GET', '/api/rooms');
      directory.clear();
      for (const r of listed) directory.set(r.name, { online: r.online });
      directoryFresh = true;
      renderRooms();
    } catch {
      // Shown again on the next refresh; the joined rooms are listed regardless.
    }
  }

  function roomChanged(room) {
    renderRooms();
    if (room === active) {
      const toggle = $('toggle-members');
      toggle.classList.toggle('presence-unknown', !room.membersFresh);
      // Unknown from a lost connection (or the first load) until this room's join answers.
      toggle.title = room.membersFresh ? 'Who is in this room' : 'Who is online is not known until the server answers';
      $('room-online').textContent = room.membersFresh ? String(room.members.size) : '?';
      $('room-online-note').textContent = room.membersFresh ? '' : ': not known until the server answers';
      renderMembersPanel();
    }
  }

  function renderRooms() {
    const names = new Set([...directory.keys(), ...[...rooms.values()].filter((r) => r.joined).map((r) => r.name)]);
    renderRoomList(
      $('room-list'),
      [...names].map((name) => {
        const room = rooms.get(name);
        const joined = Boolean(room?.joined);
        return {
          name,
          joined,
          active: room === active,
          unread: room?.unread ?? 0,
          online: onlineCount(room, name),
        };
      }),
      { onOpen: (name) => openRoom(name, { push: true }), onLeave: (name) => void leaveRoom(name) },
    );
    const unread = [...rooms.values()].reduce((sum, r) => sum + r.unread, 0);
    document.title = `${unread ? `(${unread}) ` : ''}#${active?.name ?? DEFAULT_ROOM} · Chorus`;
  }

  /** How many are in room `name` as far as is known now; null while it is not known. */
  function onlineCount(room, name) {
    if (room?.joined && room.timeline.loaded) return room.membersFresh ? room.members.size : null;
    return directoryFresh ? (directory.get(name)?.online ?? 0) : null;
  }

  function renderMembersPanel() {
    if (!active) return;
    renderMembers($('member-list'), [...active.members.values()], {
      me,
      known: active.membersFresh,
      isFriend: (name) => friends.isFriend(name),
      onAddFriend: (name) => void friends.add(name),
    });
  }

  function renderTyping() {
    $('typing').textContent = active?.typists.summary() ?? '';
  }

  function showPill() {
    $('new-messages').hidden = false;
  }

  function hidePill() {
    $('new-messages').hidden = true;
  }

  function savedRooms() {
    try {
      const names = JSON.parse(localStorage.getItem(savedRoomsKey) ?? '[]');
      return [DEFAULT_ROOM, ...names.map(normalizeRoom).filter(Boolean)];
    } catch {
      return [DEFAULT_ROOM];
    }
  }

  function saveRooms() {
    const names = [...rooms.values()].filter((r) => r.joined && r.name !== DEFAULT_ROOM).map((r) => r.name);
    localStorage.setItem(savedRoomsKey, JSON.stringify(names));
  }

  // ---- input ------------------------------------------------------------------------------------

  function setUpComposer() {
    const text = $('text');
    $('composer').addEventListener('submit', (event) => {
      event.preventDefault();
      if (!text.value.trim() || !active) return;
      $('send-error').textContent = '';
      typingSender.stop();
      outbox.add(active.name, text.value);
      text.value = '';
      drafts.set(active.name, '');
      active.timeline.scrollToBottom();
      hidePill();
    });
    text.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        $('composer').requestSubmit();
      }
    });
    text.addEventListener('input', () => {
      if (!active) return;
      drafts.set(active.name, text.value);
      if (connection.connected) typingSender.input(active.name, text.value.trim() !== '');
    });
    text.addEventListener('blur', () => typingSender.stop());
  }

  function setUpRoomForm() {
    const input = $('new-room');
    $('join-room').addEventListener('submit', (event) => {
      event.preventDefault();
      $('join-room-error').textContent = '';
      const name = normalizeRoom(input.value.replace(/^#/, ''));
      if (!name) {
        $('join-room-error').textContent = 'Room names are 1-64 of a-z, 0-9, - and _.';
        return;
      }
      input.value = '';
      openRoom(name, { push: true });
    });
  }

  /** Alt+↑ / Alt+↓ move through the joined rooms. */
  function switchRoomsByKeyboard(event) {
    if (!event.altKey || (event.key !== 'ArrowUp' && event.key !== 'ArrowDown')) return;
    const names = [...$('room-list').querySelectorAll('li.joined')].map((li) => li.dataset.room);
    const here = names.indexOf(active?.name);
    const next = names[(here + (event.key === 'ArrowDown' ? 1 : names.length - 1)) % names.length];
    if (next) {
      event.preventDefault();
      openRoom(next, { push: true });
    }
  }
}
