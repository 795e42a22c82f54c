// The members drawer's part for a private room: its owner invites and removes people, any other
// member leaves it. Changes go to the server (room:invite, room:remove), whose answer is the roster.

/**
 * @param {{
 *   me: { name: string },
 *   rooms: import('./rooms.js').Rooms,
 *   conversations: import('./conversations.js').Conversations,
 *   onRoster: () => void,
 *   onLeft: (room: string) => void,
 * }} deps  onRoster: the active room's roster changed; onLeft: this user left private room `room`
 */
export function setUpRoomManagement({ me, rooms, conversations, onRoster, onLeft }) {
  const error = document.getElementById('manage-error');
  const input = document.getElementById('invite-name');
  /** The private room this user is leaving, whose room:removed is their own doing. */
  let leaving = null;

  /** Invites (`action` 'invite') or removes ('remove') `name` in the active room; true when done. */
  const change = async (action, name) => {
    const room = rooms.active;
    error.textContent = '';
    try {
      rooms.setRoster(room, await conversations[action](room.name, name));
      onRoster();
      return true;
    } catch (err) {
      error.textContent = err.message;
      return false;
    }
  };
  document.getElementById('invite-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const name = input.value.trim();
    if (name && (await change('invite', name))) input.value = '';
  });
  document.getElementById('leave-private').addEventListener('click', async () => {
    leaving = rooms.active.name;
    if (await change('remove', me.name)) onLeft(leaving);
    leaving = null;
  });
  return { change, isLeaving: (room) => room === leaving };
}
