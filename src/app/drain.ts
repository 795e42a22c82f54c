/**
 * A replica's drain, on SIGTERM, so that a deploy moves its users to the other replicas without them
 * noticing. At once: new Engine.IO sessions are refused with a 503 the client retries, and `/readyz`
 * fails (the health router asks `draining`), so the proxy takes the replica out of rotation. After
 * `delayMs`, the time the proxy takes to notice (none when no socket is open), the open sockets are closed evenly over `spreadMs`,
 * each once the events it sent are answered; their clients reconnect by themselves, through the proxy,
 * to the other replicas, a few at a time. The drain ends when every handler in flight has answered, so
 * the store can then be closed under nobody.
 */
import { ServerResponse, type IncomingMessage } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DrainConfig } from '../config/config.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { ChatServer, ChatSocket } from '../realtime/events.js';
import type { InFlight } from '../realtime/in-flight.js';

export interface DrainOptions extends DrainConfig {
  io: ChatServer;
  inFlight: InFlight;
  metrics: Metrics;
  logger: Logger;
}

/** How often the sockets that have come due are closed: coarse enough to batch thousands, fine enough to spread a few. */
const TICK_MS = 50;
/**
 * The longest a socket chosen to go is kept for its events in flight, and then for its transport to
 * close. A send takes milliseconds; a client that keeps sending is closed anyway, and resends what went
 * unanswered with the same clientId (idempotent) on the replica it reconnects to.
 */
const SOCKET_WAIT_MS = 1_000;
const RETRY_AFTER_SECONDS = 1;
const REFUSED_BODY = JSON.stringify({ error: { code: 'draining', message: 'This replica is shutting down: connect again.' } });

/** Of `total` sockets closed evenly over `spreadMs`, how many are due `elapsedMs` after the first. */
export function dueCount(total: number, elapsedMs: number, spreadMs: number): number {
  if (spreadMs <= 0) return total;
  return Math.min(total, Math.floor((elapsedMs * total) / spreadMs) + 1);
}

export class Drain {
  readonly #options: DrainOptions;
  readonly #abort = new AbortController();
  #running: Promise<void> | undefined;

  constructor(options: DrainOptions) {
    this.#options = options;
  }

  /** True from the start of the drain on. */
  get draining(): boolean {
    return this.#running !== undefined;
  }

  /**
   * Engine.IO middleware: while draining, a request that would open a new session (no `sid`) is answered
   * 503 with `Retry-After`. Refusing here, at the transport, is what makes the client retry: it reconnects
   * with backoff after a failed handshake, whereas an error from a Socket.IO middleware would be final.
   * A proxy that retries 503s elsewhere (haproxy's `retry-on 503`) hides the refusal altogether.
   */
  readonly refuseNewSessions = (req: IncomingMessage & { _query?: Record<string, string> }, res: ServerResponse, next: (err?: unknown) => void): void => {
    if (!this.draining || req._query?.sid !== undefined) return next();
    this.#options.metrics.drainRefusedHandshakes.inc();
    if (res instanceof ServerResponse) {
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': String(RETRY_AFTER_SECONDS) }).end(REFUSED_BODY);
    } else {
      // A WebSocket handshake: Engine.IO hands middlewares a stand-in that cannot send a status line.
      req.socket.end(`HTTP/1.1 503 Service Unavailable\r\nRetry-After: ${RETRY_AFTER_SECONDS}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    }
  };

  /** Starts the drain (once) and resolves when every socket is closed and no handler runs any more. */
  run(): Promise<void> {
    return (this.#running ??= this.#drain());
  }

  /** Ends a drain in progress where it is (the app's close does the rest). Idempotent. */
  close(): void {
    this.#abort.abort();
  }

  async #drain(): Promise<void> {
    const { io, inFlight, metrics, logger, delayMs, spreadMs } = this.#options;
    const { signal } = this.#abort;
    metrics.draining.set(1);
    logger.info({ sockets: io.sockets.sockets.size, delayMs, spreadMs }, 'draining: refusing new sockets; closing the open ones once the proxy has noticed');
    try {
      // With no socket open there is nobody to move: waiting for the proxy would only delay the exit.
      if (io.sockets.sockets.size > 0) await sleep(delayMs, undefined, { signal });
      // Taken after the delay: a handshake that was already past the refusal when the drain began is in.
      const sockets = [...io.sockets.sockets.values()];
      const closing: Promise<void>[] = [];
      const start = Date.now();
      while (closing.length < sockets.length) {
        const due = dueCount(sockets.length, Date.now() - start, spreadMs);
        while (closing.length < due) closing.push(this.#closeWhenAnswered(sockets[closing.length]!));
        if (closing.length < sockets.length) await sleep(TICK_MS, undefined, { signal });
      }
      await Promise.all(closing);
      await inFlight.idle();
      logger.info({ closed: sockets.length }, 'drained: every socket closed, every event answered');
    } catch (err) {
      if (!signal.aborted) throw err;
    } finally {
      metrics.draining.set(0);
    }
  }

  async #closeWhenAnswered(socket: ChatSocket): Promise<void> {
    const { inFlight, metrics } = this.#options;
    // Its events in flight first, so that their acks are written before the transport goes.
    await atMost(inFlight.idle(socket.id), SOCKET_WAIT_MS);
    if (!socket.connected) return;
    const closed = new Promise<void>((resolve) => socket.conn.once('close', () => resolve()));
    // The transport, not socket.disconnect(): a client takes a lost transport for an outage and
    // reconnects by itself, but a DISCONNECT packet ("io server disconnect") tells it to stay away.
    socket.conn.close();
    metrics.drainSocketsClosed.inc();
    // Closing flushes what is buffered first; the app's close afterwards would discard it.
    await atMost(closed, SOCKET_WAIT_MS);
  }
}

/** Waits for `promise`, but `ms` at most. */
async function atMost(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
