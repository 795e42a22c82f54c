/**
 * What the load generator needs from a client, whichever library speaks Socket.IO underneath: join a
 * room, send `message:send`, and hear of every `message` that arrives and every send refused.
 */

export interface OutgoingMessage {
  room: string;
  text: string;
  clientId: string;
}

export interface ClientEvents {
  /** A `message` arrived; the bench knows it by the clientId it was sent with. */
  onMessage(clientId: string): void;
  /** The server acked a `message:send` with `{ ok: false }`. */
  onRefused(code: string): void;
  /** The connection closed without the bench closing it. */
  onLost(reason: string): void;
}

export interface BenchClient {
  /** Resolves once the join is acked; rejects with the server's code otherwise. */
  join(room: string): Promise<void>;
  /** Sends without waiting; a refusal comes through `onRefused`. */
  send(message: OutgoingMessage): void;
  close(): void;
}

/** Opens a websocket-transport connection to `url` carrying `cookie` (when Chorus needs one). */
export type ConnectClient = (url: string, cookie: string | undefined, events: ClientEvents) => Promise<BenchClient>;

export type AckAnswer = { ok: true } | { ok: false; error: { code: string } };

/** Turns a join's ack into a settled promise. */
export function settleJoin(room: string, resolve: () => void, reject: (err: Error) => void) {
  return (answer: AckAnswer) => (answer.ok ? resolve() : reject(new Error(`room:join ${room} refused: ${answer.error.code}`)));
}

/** Reports a send's ack when it refused. */
export function reportRefusal(events: ClientEvents) {
  return (answer: AckAnswer) => {
    if (!answer.ok) events.onRefused(answer.error.code);
  };
}
