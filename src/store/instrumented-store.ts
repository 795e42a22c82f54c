/**
 * Times every store call into `chorus_store_operation_seconds{operation, driver}`, whatever the driver:
 * repository methods by their promise, session-store methods by their callback.
 */
import type { Store as SessionStore } from 'express-session';
import { timeStoreOperation } from '../observability/dependency-metrics.js';
import type { Store } from './port.js';

/**
 * `store` with its repositories timed; the rest (`ping`, `close`, the session store object) stays as it
 * was. Both drivers build their store as a plain object, so spreading it keeps every member.
 */
export function instrumentStore(store: Store): Store {
  const driver = store.kind;
  timeSessionCalls(store.sessions, driver);
  return {
    ...store,
    users: timedRepository(store.users, 'users', driver),
    messages: timedRepository(store.messages, 'messages', driver),
    rooms: timedRepository(store.rooms, 'rooms', driver),
    friends: timedRepository(store.friends, 'friends', driver),
  };
}

type AsyncMethods<R> = { [K in keyof R]: (...args: never[]) => Promise<unknown> };

/** A copy of `repository` whose methods are timed as `<scope>.<method>`. */
function timedRepository<R extends AsyncMethods<R>>(repository: R, scope: string, driver: string): R {
  const timed: Partial<R> = {};
  for (const name of Object.keys(repository) as (keyof R & string)[]) {
    const method = repository[name];
    const operation = `${scope}.${name}`;
    timed[name] = (async (...args: never[]) => {
      const done = timeStoreOperation(operation, driver);
      try {
        return await method.apply(repository, args);
      } finally {
        done();
      }
    }) as R[typeof name];
  }
  return timed as R;
}

const SESSION_CALLS = ['get', 'set', 'touch', 'destroy'] as const;

type SessionCallback = (...results: unknown[]) => void;

/**
 * Times the session store's calls until their callback. The methods are shadowed on the instance rather
 * than wrapped in a new object: express-session listens to the store's own events, and drivers keep
 * private fields that a proxy would not reach.
 */
function timeSessionCalls(sessions: SessionStore, driver: string): void {
  for (const name of SESSION_CALLS) {
    const method = sessions[name] as (...args: unknown[]) => void;
    const operation = `sessions.${name}`;
    Object.defineProperty(sessions, name, {
      configurable: true,
      writable: true,
      value: (...args: unknown[]) => {
        const done = timeStoreOperation(operation, driver);
        const last = args.at(-1);
        if (typeof last === 'function') {
          args[args.length - 1] = (...results: unknown[]) => {
            done();
            (last as SessionCallback)(...results);
          };
          method.apply(sessions, args);
        } else {
          // No callback (set/touch/destroy allow that): the call itself is all there is to time.
          try {
            method.apply(sessions, args);
          } finally {
            done();
          }
        }
      },
    });
  }
}
