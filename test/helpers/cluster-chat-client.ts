/**
 * Chat users of the local haproxy cluster (scripts/cluster), for the tests that take its replicas away
 * under them (test/deploy/cluster.e2e.test.ts: a SIGKILL; rolling-restart.e2e.test.ts: drains). Each is
 * a browser behind the sticky proxy (ProxiedBrowser) in one room, and reconnects the way the page does.
 */
import type { Socket } from 'socket.io-client';
import { AFFINITY_COOKIE, STATS_PATH } from '../../scripts/cluster/haproxy-config.js';
import type { Browser } from '../../dev/harness.js';
import { ProxiedBrowser } from './proxied-browser.js';

export interface Message {
  seq: number;
  clientId: string;
  room: string;
}

/** A connection that ended: when, on which replica (its affinity cookie), and why, as the client says. */
export interface Disconnect {
  at: number;
  replica: string;
  reason: string;
}

/**
 * How long a reconnecting client may take to rejoin. Replicas wait for a dead peer's answers until its
 * heartbeat times out (`REPLICA_TIMEOUT_MS`, 6 s), so a join right after the kill can fail once or twice.
 */
const REJOIN_DEADLINE_MS = 30_000;

/**
 * A chat user in one room, as a browser tab would be: it records the affinity cookie and Engine.IO
 * session of each connection, and every message it sees; when its replica goes away it asks the proxy
 * again (which moves it to another replica), reconnects, and recovers what it missed with sinceSeq.
 */
export class ChatClient {
  /** Every message seen, live or in a join's history, by seq. */
  readonly seen = new Map<number, Message>();
  /** Seqs delivered live, one list per connection. */
  readonly liveSeqs: number[][] = [];
  /** The replica (affinity cookie) and Engine.IO session id of each connection. */
  readonly replicas: string[] = [];
  readonly sids: string[] = [];
  /** When each connection was up (connected and upgraded). */
  readonly connectedAt: number[] = [];
  /** clientId → the seq its acknowledgement carried. */
  readonly acked = new Map<string, number>();
  /** Every connection that ended under it, in order. */
  readonly disconnects: Disconnect[] = [];
  /** Every attempt that failed and was tried again (a request, a connection), in order. */
  readonly failures: string[] = [];
  #socket?: Socket;
  #recovery?: Promise<void>;
  #closed = false;

  private constructor(
    readonly browser: ProxiedBrowser,
    readonly name: string,
    readonly room: string,
  ) {}

  static async join(url: string, name: string, room: string): Promise<ChatClient> {
    const browser = new ProxiedBrowser(url);
    const signedIn = await browser.signIn(name);
    if (signedIn.status !== 200) throw new Error(`sign-in of ${name}: ${signedIn.status}`);
    const client = new ChatClient(browser, name, room);
    await client.#open(undefined);
    return client;
  }

  /** Sends `count` messages one after another (see `send`). */
  async sendAll(count: number, onAck: () => void): Promise<void> {
    for (let n = 0; n < count; n++) {
      await this.send(n);
      onAck();
    }
  }

  /** Sends a message every `paceMs` or so, until `stopped()` says so; resolves with how many were sent. */
  async sendUntil(stopped: () => boolean, paceMs: number): Promise<number> {
    let n = 0;
    while (!stopped()) {
      await this.send(n++);
      await new Promise((resolve) => setTimeout(resolve, paceMs));
    }
    return n;
  }

  /** Sends message `n`, and again with the same clientId after each reconnection until it is acknowledged. */
  async send(n: number): Promise<void> {
    const clientId = `${this.name}-${n}`;
    for (;;) {
      // A socket that is already gone would only buffer the send until its ack times out; and a
      // reconnection that failed for good fails the send.
      await this.#recovery;
      try {
        const ack = await this.#socket!.timeout(15_000).emitWithAck('message:send', { room: this.room, text: `${this.name} #${n}`, clientId });
        if (!ack.ok) throw new Error(`${this.name}: message:send refused: ${JSON.stringify(ack.error)}`);
        this.acked.set(clientId, ack.message.seq);
        return;
      } catch (err) {
        if (!this.#recovery) throw err;
        this.failures.push(`send ${clientId}: ${(err as Error).message}`);
      }
    }
  }

  /** True while the latest connection is up. */
  get connected(): boolean {
    return this.#socket?.connected ?? false;
  }

  close(): void {
    this.#closed = true;
    this.#socket?.disconnect();
  }

  async #open(sinceSeq: number | undefined): Promise<void> {
    const socket = await this.#retryAsBrowsersDo('connect', () => this.browser.connectAndUpgrade());
    this.connectedAt.push(Date.now());
    this.replicas.push(this.browser.cookieValue(AFFINITY_COOKIE)!);
    this.sids.push(socket.io.engine.id);
    const live: number[] = [];
    this.liveSeqs.push(live);
    socket.on('message', (message: Message) => {
      if (message.room !== this.room) return;
      live.push(message.seq);
      this.seen.set(message.seq, message);
    });
    for (const message of await rejoin(socket, this.room, sinceSeq)) this.seen.set(message.seq, message);
    socket.once('disconnect', (reason) => {
      if (this.#closed) return;
      this.disconnects.push({ at: Date.now(), replica: this.replicas.at(-1)!, reason });
      this.#recovery = this.#reconnect();
      // Whoever sends next awaits the recovery and sees its failure; a client nobody uses any more
      // (the test already failed or ended) must not leave an unhandled rejection behind.
      this.#recovery.catch(() => {});
    });
    this.#socket = socket;
  }

  async #reconnect(): Promise<void> {
    // Any request carries the old affinity cookie; the proxy finds that replica gone, serves the
    // request on another one and sets a new cookie, as a browser's next request would.
    const me = await this.#retryAsBrowsersDo('GET /api/me', async () => {
      const answer = await this.browser.request('GET', '/api/me');
      // A request already on its way to the replica as it died comes back 502; the page's reconnect
      // tries again, and the proxy, finding the replica gone, sends the retry to another one.
      if (answer.status === 502) throw new Error(`${this.name}: /api/me answered 502 while the replica died`);
      return answer;
    });
    if (me.status !== 200) throw new Error(`${this.name}: /api/me answered ${me.status} after the replica died`);
    await this.#open(Math.max(0, ...this.seen.keys()));
    this.#recovery = undefined;
  }

  /**
   * Runs `attempt` again, after a pause that grows with each try, when it throws: a kept-alive connection
   * to the proxy that served the dead replica may be closed just as it is reused (browsers retry then),
   * and a page reconnecting after its replica died tries again too. Each failure is kept in `failures`.
   */
  async #retryAsBrowsersDo<T>(what: string, attempt: () => Promise<T>, attempts = 5): Promise<T> {
    for (let i = 1; ; i++) {
      try {
        return await attempt();
      } catch (err) {
        if (i === attempts) throw err;
        this.failures.push(`${what}: ${(err as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, 100 * i));
      }
    }
  }
}

/** `room:join`, retried until a replica answers ok, for a client that just lost its replica. */
async function rejoin(socket: Socket, room: string, sinceSeq: number | undefined): Promise<Message[]> {
  const deadline = Date.now() + REJOIN_DEADLINE_MS;
  for (;;) {
    let failure: unknown;
    try {
      const ack = await socket.timeout(12_000).emitWithAck('room:join', sinceSeq === undefined ? { room } : { room, sinceSeq });
      if (ack.ok) return ack.history as Message[];
      failure = ack.error;
    } catch (err) {
      failure = err;
    }
    if (Date.now() > deadline) throw new Error(`room:join kept failing for ${REJOIN_DEADLINE_MS} ms: ${JSON.stringify(failure)}`);
  }
}

/** The whole history of `room`, oldest first, paged through the HTTP API. */
export async function readHistory(browser: Browser, room: string): Promise<Message[]> {
  const messages: Message[] = [];
  let before: number | undefined;
  for (;;) {
    const page = await browser.request('GET', `/api/rooms/${room}/messages?limit=100${before === undefined ? '' : `&before=${before}`}`);
    if (page.status !== 200) throw new Error(`history of ${room}: ${page.status}`);
    messages.unshift(...(page.body.messages as Message[]));
    if (!page.body.hasMore) return messages;
    before = page.body.messages[0].seq;
  }
}

/** What haproxy's statistics say of each named server of the replicas backend (UP, DOWN, …). */
export async function serverStatuses(proxyUrl: string, names: string[]): Promise<string[]> {
  const csv = await (await fetch(`${proxyUrl}${STATS_PATH};csv`)).text();
  const [header, ...rows] = csv.split('\n').filter(Boolean).map((line) => line.replace(/^# /, '').split(','));
  const column = (field: string) => header!.indexOf(field);
  return names.map((server) => rows.find((row) => row[column('pxname')] === 'replicas' && row[column('svname')] === server)?.[column('status')] ?? 'missing');
}
