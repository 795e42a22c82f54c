// The header of the room in view: its name (a DM's other person, a lock on a private room) and how
// many are in it, or that this is not known (from a lost connection, or the first load, until the
// room's join answers).
import { el } from './dom.js';
import { lockIcon } from './icons.js';

/**
 * @param {{ name: string, members: Map<string, unknown>, membersFresh: boolean }} room
 * @param {{ private?: true, dm?: { with: { name: string } } } | undefined} entry  its room list entry, if known
 */
export function renderRoomHeader(room, entry) {
  const title = document.getElementById('room-title');
  if (entry?.dm) title.replaceChildren(el('span', { class: 'visually-hidden' }, 'Direct messages with '), entry.dm.with.name);
  else if (entry?.private) title.replaceChildren(lockIcon('room-lock'), el('span', { class: 'visually-hidden' }, 'Private room '), `# ${room.name}`);
  else title.textContent = `# ${room.name}`;
  const toggle = document.getElementById('toggle-members');
  toggle.classList.toggle('presence-unknown', !room.membersFresh);
  toggle.title = room.membersFresh ? 'Who is in this room' : 'Who is online is not known until the server answers';
  document.getElementById('room-online').textContent = room.membersFresh ? String(room.members.size) : '?';
  document.getElementById('room-online-note').textContent = room.membersFresh ? '' : ': not known until the server answers';
}
