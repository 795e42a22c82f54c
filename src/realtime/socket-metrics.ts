/**
 * A series read from the Socket.IO server itself at scrape time: the chat rooms in use on this replica,
 * from the adapter's room map, so nothing on the hot path pays for it.
 */
import { Gauge } from 'prom-client';
import type { Metrics } from '../observability/metrics.js';
import { isChatRoom, type ChatServer } from './events.js';

/** Adds `chorus_rooms` for `io` to `metrics`; once per server. */
export function instrumentSockets(io: ChatServer, metrics: Metrics): void {
  new Gauge({
    name: 'chorus_rooms',
    help: 'Chat rooms with at least one socket on this replica',
    registers: [metrics.registry],
    collect() {
      const { rooms, sids } = io.of('/').adapter;
      let count = 0;
      // Every socket also sits in a room named by its id; those are not chat rooms.
      for (const room of rooms.keys()) if (isChatRoom(room) && !sids.has(room)) count += 1;
      this.set(count);
    },
  });
}
