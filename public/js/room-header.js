// The header of the room in view: its name and how many are in it, or that this is not known (from a
// lost connection, or the first load, until the room's join answers).

/** @param {{ name: string, members: Map<string, unknown>, membersFresh: boolean }} room */
export function renderRoomHeader(room) {
  document.getElementById('room-title').textContent = `# ${room.name}`;
  const toggle = document.getElementById('toggle-members');
  toggle.classList.toggle('presence-unknown', !room.membersFresh);
  toggle.title = room.membersFresh ? 'Who is in this room' : 'Who is online is not known until the server answers';
  document.getElementById('room-online').textContent = room.membersFresh ? String(room.members.size) : '?';
  document.getElementById('room-online-note').textContent = room.membersFresh ? '' : ': not known until the server answers';
}
