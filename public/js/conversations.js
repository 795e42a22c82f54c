// Private conversations from the page's side: opening the DM with someone (dm:open), making a private
// room (room:create), and its owner inviting and removing members (room:invite / room:remove; a
// member removing themselves leaves). Each resolves with the server's answer or rejects with an error
// whose message says, in plain words, why it was refused.

/** What a refusal means to the person who asked, by the contract's error codes. */
const PLAIN = {
  forbidden: 'You are not allowed to do that here: only a private room’s owner manages it, and only its members may read it.',
  not_found: 'Nobody by that name has signed in here.',
  name_in_use: 'A room with that name exists already; pick another name.',
  offline: 'Not connected: try again once the connection is back.',
  rate_limited: 'Too many requests: wait a moment and try again.',
};

function plainError(err) {
  const plain = PLAIN[err.code];
  const error = new Error(err.code === 'invalid_input' || !plain ? err.message : plain);
  error.code = err.code;
  return error;
}

export class Conversations {
  /** @param {{ connection: { request(event: string, payload: unknown): Promise<any> } }} deps */
  constructor({ connection }) {
    this.connection = connection;
  }

  async ask(event, payload) {
    try {
      return await this.connection.request(event, payload);
    } catch (err) {
      throw plainError(err);
    }
  }

  /** The DM with `name`, as its room list entry. */
  async openDm(name) {
    return (await this.ask('dm:open', { name })).room;
  }

  /** A new private room `room` owned by this user, as its room list entry. */
  async createPrivate(room) {
    return (await this.ask('room:create', { room, private: true })).room;
  }

  /** Resolves with the room's members afterwards. */
  async invite(room, name) {
    return (await this.ask('room:invite', { room, name })).members;
  }

  async remove(room, name) {
    return (await this.ask('room:remove', { room, name })).members;
  }
}
