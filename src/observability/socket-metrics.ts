/**
 * Series read from the Socket.IO server itself: the chat rooms in use on this replica and the chat
 * messages it delivers. They watch the server from outside (an outgoing-packet listener per socket,
 * the adapter's room map at scrape time), so the realtime handlers stay free of metric calls.
 */
import { Counter, Gauge } from 'prom-client';
import { isChatRoom, type ChatServer } from '../realtime/events.js';
import type { Metrics } from './metrics.js';

/** Adds `chorus_rooms` and `chorus_messages_delivered_total` for `io` to `metrics`; once per server. */
export function instrumentSockets(io: ChatServer, metrics: Metrics): void {
  // A delivery costs one addition; the counter takes the sum at scrape time.
  let delivered = 0;
  new Counter({
    name: 'chorus_messages_delivered_total',
    help: 'Chat messages sent to sockets on this replica (one per receiving socket)',
    registers: [metrics.registry],
    collect() {
      this.inc(delivered);
      delivered = 0;
    },
  });
  io.on('connection', (socket) => {
    socket.onAnyOutgoing((event: string) => {
      if (event === 'message') delivered += 1;
    });
  });

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
