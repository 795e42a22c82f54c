// The sidebar's room lists: every room the server lists and every joined one, public and private
// rooms (a lock on those) in one list and direct conversations (as the other person, with their
// presence) in another; with how many people are in each and, for rooms not being read, how many
// messages arrived unread and how many of those mention this user (the unread total goes in the tab's
// title too). A public room counts unread only while it is joined here: the server keeps counting a
// room the user has read once, and a room the user left should not collect a badge.
import { el } from './dom.js';
import { DEFAULT_ROOM, roomPath } from './env.js';
import { presenceLabel } from './friends.js';
import { lockIcon } from './icons.js';

/**
 * @param {{
 *   rooms: import('./rooms.js').Rooms,
 *   directory: import('./room-directory.js').RoomDirectory,
 *   unread: import('./unread.js').Unread,
 *   presenceOf: (name: string) => 'online' | 'offline' | 'unknown',
 *   onOpen: (name: string) => void,
 *   onLeave: (name: string) => void,
 * }} deps
 */
export function showRoomList({ rooms, directory, unread, presenceOf, onOpen, onLeave }) {
  const names = new Set([...directory.names(), ...rooms.joined().map((r) => r.name)]);
  const entries = [...names].map((name) => {
    const room = rooms.get(name);
    const listed = directory.entry(name);
    const joined = Boolean(room?.joined);
    const counts = unread.get(name);
    const member = Boolean(listed?.private || listed?.dm) || name.startsWith('dm-');
    return {
      name,
      joined,
      active: room === rooms.active,
      unread: joined || member ? counts.unread : 0,
      mentions: counts.mentions,
      online: onlineCount(room, name, directory),
      private: Boolean(listed?.private),
      dmWith: listed?.dm?.with.name,
      dmOnline: listed?.dm?.online,
    };
  });
  const dms = entries.filter((e) => e.dmWith !== undefined || e.name.startsWith('dm-'));
  renderRooms(document.getElementById('room-list'), entries.filter((e) => !dms.includes(e)), { onOpen, onLeave });
  renderDms(document.getElementById('dm-list'), dms, { presenceOf, onOpen });
  document.getElementById('dms-empty').hidden = dms.length > 0;
  const total = entries.reduce((sum, e) => sum + e.unread, 0);
  document.title = `${total ? `(${total}) ` : ''}${titleOf(rooms.active, directory)} · Chorus`;
}

/** How a room is called where its name alone says too little: a DM by its other person. */
export function titleOf(room, directory) {
  const name = room?.name ?? DEFAULT_ROOM;
  const other = directory.entry(name)?.dm?.with.name;
  return other ?? `#${name}`;
}

/** How many are in room `name` as far as is known now; null while it is not known. */
function onlineCount(room, name, directory) {
  if (room?.joined && room.timeline.loaded) return room.membersFresh ? room.members.size : null;
  return directory.onlineIn(name);
}

const countLabels = (room) => [room.unread > 0 && `${room.unread} unread`, room.mentions > 0 && `${room.mentions} ${room.mentions === 1 ? 'mention' : 'mentions'}`];

const badges = (room) => [
  room.mentions > 0 && el('span', { class: 'badge mention-badge', 'aria-hidden': 'true', title: 'Mentions of you' }, `@${room.mentions > 99 ? '99+' : room.mentions}`),
  room.unread > 0 && el('span', { class: 'badge', 'aria-hidden': 'true' }, room.unread > 99 ? '99+' : String(room.unread)),
];

function roomLink(room, label, onOpen, ...children) {
  return el(
    'a',
    {
      class: 'room-link',
      href: roomPath(room.name),
      'aria-label': label.filter(Boolean).join(', '),
      'aria-current': room.active ? 'page' : undefined,
      onclick: (event) => {
        if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
        event.preventDefault();
        onOpen(room.name);
      },
    },
    ...children,
  );
}

const classesOf = (room) => ['room', room.unread > 0 && 'unread', room.mentions > 0 && 'mentioned', room.joined && 'joined', room.active && 'active', room.name === DEFAULT_ROOM && 'default'].filter(Boolean).join(' ');

function renderRooms(list, rooms, { onOpen, onLeave }) {
  const sorted = [...rooms].sort((a, b) => Number(b.name === DEFAULT_ROOM) - Number(a.name === DEFAULT_ROOM) || a.name.localeCompare(b.name));
  list.replaceChildren(
    ...sorted.map((room) => {
      const link = roomLink(
        room,
        [`#${room.name}`, room.private && 'private', ...countLabels(room), room.online === null ? 'online unknown' : `${room.online} online`],
        onOpen,
        room.private ? lockIcon('room-lock') : el('span', { class: 'room-hash', 'aria-hidden': 'true' }, '#'),
        el('span', { class: 'room-name' }, room.name),
        ...badges(room),
        room.online > 0 && el('span', { class: 'room-online', title: `${room.online} online`, 'aria-hidden': 'true' }, String(room.online)),
      );
      const leave =
        room.joined &&
        room.name !== DEFAULT_ROOM &&
        !room.private &&
        el('button', { type: 'button', class: 'icon-button room-leave', 'aria-label': `Leave #${room.name}`, title: 'Leave room', onclick: () => onLeave(room.name) }, '✕');
      return el('li', { class: classesOf(room), dataset: { room: room.name } }, link, leave);
    }),
  );
}

/**
 * The DM partner's presence: a friend's is live; anyone else's is as the last room list said (the
 * server sends presence events to friends only), so it is at most one directory refresh old.
 */
function dmPresence(room, presenceOf) {
  const live = presenceOf(room.dmWith);
  if (live !== 'unknown' || room.dmOnline === undefined) return live;
  return room.dmOnline ? 'online' : 'offline';
}

function renderDms(list, dms, { presenceOf, onOpen }) {
  const sorted = [...dms].sort((a, b) => (a.dmWith ?? a.name).localeCompare(b.dmWith ?? b.name));
  list.replaceChildren(
    ...sorted.map((room) => {
      const who = room.dmWith ?? 'Direct conversation';
      const state = room.dmWith ? dmPresence(room, presenceOf) : 'unknown';
      const link = roomLink(
        room,
        [who, 'direct message', state === 'unknown' ? undefined : state, ...countLabels(room)],
        onOpen,
        el('span', { class: `dot ${state}`, 'aria-hidden': 'true', ...presenceLabel(state) }),
        el('span', { class: 'room-name' }, who),
        ...badges(room),
      );
      return el('li', { class: `${classesOf(room)} dm`, dataset: { room: room.name } }, link);
    }),
  );
}
