// Messages on their way to the server. Each gets a clientId once, when it is written; it is sent
// (again) with that same id until the server acknowledges it, so a message sent while offline or
// during a reconnect is delivered exactly once: the server answers a repeated id with the first copy.
// Entries go out one at a time, in the order they were written.

/** Codes after which trying again later may work. */
const RETRYABLE = new Set(['offline', 'store_unavailable', 'rate_limited', 'not_in_room', 'internal']);
const RETRY_DELAY_MS = 1_000;
/** Tries while connected before an entry is shown as failed (with a Retry button). */
const MAX_ATTEMPTS = 5;

export class Outbox {
  /**
   * @param {{
   *   connection: { connected: boolean, request(event: string, payload: unknown): Promise<any> },
   *   onChange: (entry) => void,
   *   onDelivered: (entry, message) => void,
   * }} deps
   */
  constructor({ connection, onChange, onDelivered }) {
    this.connection = connection;
    this.onChange = onChange;
    this.onDelivered = onDelivered;
    this.entries = [];
    this.running = false;
  }

  /** Queues `text` for `room` (a reply to message `replyTo`, if given) and starts sending if connected. */
  add(room, text, replyTo) {
    const entry = { clientId: newClientId(), room, text, replyTo, state: 'queued', error: '' };
    this.entries.push(entry);
    this.onChange(entry);
    void this.pump();
    return entry;
  }

  /** The entry for a message the server has echoed back, if it is ours and still waiting. */
  settle(message) {
    const entry = this.entries.find((e) => e.clientId === message.clientId && e.room === message.room);
    if (entry) this.finish(entry, message);
  }

  retry(entry) {
    entry.state = 'queued';
    entry.attempts = 0;
    this.onChange(entry);
    void this.pump();
  }

  discard(entry) {
    this.entries = this.entries.filter((e) => e !== entry);
  }

  /** Sends queued entries in order while connected; safe to call at any time. */
  async pump() {
    if (this.running) return;
    this.running = true;
    try {
      for (;;) {
        const entry = this.entries.find((e) => e.state === 'queued' || e.state === 'sending');
        if (!entry || !this.connection.connected) break;
        entry.state = 'sending';
        entry.attempts = (entry.attempts ?? 0) + 1;
        this.onChange(entry);
        try {
          const { room, text, clientId, replyTo } = entry;
          const { message } = await this.connection.request('message:send', { room, text, clientId, ...(replyTo ? { replyTo } : {}) });
          this.finish(entry, message);
        } catch (err) {
          if (!this.entries.includes(entry)) continue; // delivered meanwhile by the broadcast
          const lostLink = !this.connection.connected;
          const retryable = lostLink || (RETRYABLE.has(err.code) && entry.attempts < MAX_ATTEMPTS);
          entry.state = retryable ? 'queued' : 'failed';
          entry.error = err.message;
          if (lostLink) entry.attempts = 0;
          this.onChange(entry);
          if (lostLink) break; // the next connection pumps again
          if (retryable) await delay(RETRY_DELAY_MS);
        }
      }
    } finally {
      this.running = false;
    }
  }

  finish(entry, message) {
    this.entries = this.entries.filter((e) => e !== entry);
    this.onDelivered(entry, message);
  }
}

const delay = (ms) => new Promise((resolve) => window.setTimeout(resolve, ms));

function newClientId() {
  return crypto.randomUUID().replaceAll('-', '');
}
