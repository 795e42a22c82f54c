// The sidebar's room list: every room the server lists and every joined one, with how many people
// are in it and, for rooms not in view, how many messages arrived unread (their total goes in the
// tab's title too).
import { el } from './dom.js';
import { DEFAULT_ROOM, roomPath } from './env.js';

/**
 * @param {{
 *   rooms: import('./rooms.js').Rooms,
 *   directory: import('./room-directory.js').RoomDirectory,
 *   onOpen: (name: string) => void,
 *   onLeave: (name: string) => void,
 * }} deps
 */
export function showRoomList({ rooms, directory, onOpen, onLeave }) {
  const names = new Set([...directory.names(), ...rooms.joined().map((r) => r.name)]);
  renderRoomList(
    document.getElementById('room-list'),
    [...names].map((name) => {
      const room = rooms.get(name);
      return {
        name,
        joined: Boolean(room?.joined),
        active: room === rooms.active,
        unread: room?.unread ?? 0,
        online: onlineCount(room, name, directory),
      };
    }),
    { onOpen, onLeave },
  );
  const unread = rooms.all().reduce((sum, r) => sum + r.unread, 0);
  document.title = `${unread ? `(${unread}) ` : ''}#${rooms.active?.name ?? DEFAULT_ROOM} · Chorus`;
}

/** How many are in room `name` as far as is known now; null while it is not known. */
function onlineCount(room, name, directory) {
  if (room?.joined && room.timeline.loaded) return room.membersFresh ? room.members.size : null;
  return directory.onlineIn(name);
}

/**
 * @param {HTMLElement} list
 * @param {{ name: string, online: number | null, unread: number, joined: boolean, active: boolean }[]} rooms  online: null while not known
 * @param {{ onOpen: (name: string) => void, onLeave: (name: string) => void }} actions
 */
function renderRoomList(list, rooms, { onOpen, onLeave }) {
  const sorted = [...rooms].sort((a, b) => Number(b.name === DEFAULT_ROOM) - Number(a.name === DEFAULT_ROOM) || a.name.localeCompare(b.name));
  list.replaceChildren(
    ...sorted.map((room) => {
      const link = el(
        'a',
        {
          class: 'room-link',
          href: roomPath(room.name),
          'aria-label': [`#${room.name}`, room.unread > 0 && `${room.unread} unread`, room.online === null ? 'online unknown' : `${room.online} online`].filter(Boolean).join(', '),
          'aria-current': room.active ? 'page' : undefined,
          onclick: (event) => {
            if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
            event.preventDefault();
            onOpen(room.name);
          },
        },
        el('span', { class: 'room-hash', 'aria-hidden': 'true' }, '#'),
        el('span', { class: 'room-name' }, room.name),
        room.unread > 0 && el('span', { class: 'badge', 'aria-hidden': 'true' }, room.unread > 99 ? '99+' : String(room.unread)),
        room.online > 0 && el('span', { class: 'room-online', title: `${room.online} online`, 'aria-hidden': 'true' }, String(room.online)),
      );
      const leave =
        room.joined &&
        room.name !== DEFAULT_ROOM &&
        el('button', { type: 'button', class: 'icon-button room-leave', 'aria-label': `Leave #${room.name}`, title: 'Leave room', onclick: () => onLeave(room.name) }, '✕');
      const classes = ['room', room.unread > 0 && 'unread', room.joined && 'joined', room.active && 'active', room.name === DEFAULT_ROOM && 'default'];
      return el('li', { class: classes.filter(Boolean).join(' '), dataset: { room: room.name } }, link, leave);
    }),
  );
}
