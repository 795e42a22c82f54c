/**
 * Registers socket event handlers that never throw: the event is rate-limited and its payload
 * validated first, both by its entry in the protocol table (`protocol.ts`), the handler's result or
 * error becomes the ack, and a client that sent no ack callback cannot crash anything. Each run counts
 * in `inFlight` until its ack is handed over, so a drain can wait for every answer.
 */
import type { Logger } from 'pino';
import { toPublicError } from '../chat/errors.js';
import { parseInput } from '../chat/schemas.js';
import type { Metrics } from '../observability/metrics.js';
import type { Ack, ChatSocket } from './events.js';
import type { InFlight } from './in-flight.js';
import { CLIENT_PROTOCOL, RATE_LIMITS, type ClientEvent, type ClientEventInput, type ClientEventSpec } from './protocol.js';
import { UserRateLimiter } from './rate-limit.js';

export type EventHandler<E extends ClientEvent> = (input: ClientEventInput<E>) => Promise<Record<string, unknown>>;

export interface AckContext {
  logger: Logger;
  metrics: Metrics;
  inFlight: InFlight;
}

export function createEventBinder({ logger, metrics, inFlight }: AckContext) {
  // One limiter per replica: every socket of a user draws on the same budget.
  const limiter = new UserRateLimiter(RATE_LIMITS);
  return function bind<E extends ClientEvent>(socket: ChatSocket, event: E, handler: EventHandler<E>): void {
    const { schema }: ClientEventSpec = CLIENT_PROTOCOL[event];
    const name: ClientEvent = event;
    socket.on(name, (...args: unknown[]) => inFlight.track(socket.id, () => answer(args)));

    async function answer(args: unknown[]): Promise<void> {
      const ack = typeof args.at(-1) === 'function' ? (args.pop() as Ack) : undefined;
      // Before validation: a flood of junk costs as little as possible.
      const retryAfterMs = limiter.take(socket.data.user.name, event, Date.now());
      if (retryAfterMs > 0) {
        metrics.rejectedInputs.inc({ code: 'rate_limited' });
        logger.debug({ event, socket: socket.id, retryAfterMs }, 'rate limited');
        ack?.({ ok: false, error: { code: 'rate_limited', message: `Too many "${event}" events; slow down.`, retryAfterMs } });
        return;
      }
      try {
        // TypeScript cannot narrow the table's entry by a generic key; `schema` is the one `E` names.
        const result = await handler(parseInput(schema, args[0]) as ClientEventInput<E>);
        ack?.({ ok: true, ...result });
      } catch (err) {
        const error = toPublicError(err);
        metrics.rejectedInputs.inc({ code: error.code });
        if (error.code === 'internal') logger.error({ err, event, socket: socket.id }, 'socket handler failed');
        else logger.debug({ event, socket: socket.id, code: error.code }, error.message);
        ack?.({ ok: false, error });
      }
    }
  };
}

export type EventBinder = ReturnType<typeof createEventBinder>;
