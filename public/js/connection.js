// The Socket.IO connection: reconnects by itself, tells the page when it is up or down (down only
// once an outage lasts: a moment's reconnect, as when a replica drains, says nothing), and turns
// emits into promises that settle on the ack, a timeout or a lost connection.
import { io } from '/socket.io/socket.io.esm.min.js';
import { socketPath } from './env.js';

const ACK_TIMEOUT_MS = 10_000;
/**
 * How long the link may be down before the page is told: a replica that drains for a deploy closes
 * its sockets on purpose, and the page is back on another replica well within this, so a planned
 * reconnect shows nothing. A real outage is reported once it has lasted this long.
 */
const DOWN_GRACE_MS = 2_000;

export class AckError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/**
 * @param {{ onUp: () => void, onDown: (reason: string) => void, onSignedOut: () => void }} handlers
 */
export function connect({ onUp, onDown, onSignedOut }) {
  const socket = io({
    path: socketPath,
    transports: ['websocket', 'polling'],
    tryAllTransports: true,
    reconnectionDelay: 300,
    reconnectionDelayMax: 3_000,
    // A connection attempt into a dead network can hang rather than fail; give up on it sooner than
    // the default 20 s so the next attempt comes promptly once the network is back.
    timeout: 5_000,
  });
  // Set from the first sign of an outage until the next connect; onDown is called once it outlasts the grace.
  let downTimer;
  const lost = (reason) => {
    downTimer ??= window.setTimeout(() => onDown(reason), DOWN_GRACE_MS);
  };
  const settle = () => {
    window.clearTimeout(downTimer);
    downTimer = undefined;
  };
  socket.on('connect', () => {
    settle();
    onUp();
  });
  socket.on('disconnect', (reason) => {
    lost(reason);
    // The server hung up on purpose (signed out elsewhere): Socket.IO will not retry by itself.
    if (reason === 'io server disconnect') socket.connect();
  });
  socket.on('connect_error', (err) => {
    if (err.message === 'unauthorized') {
      settle();
      socket.disconnect();
      onSignedOut();
    } else {
      lost(err.message);
    }
  });

  return {
    socket,
    get connected() {
      return socket.connected;
    },
    /** Emits `event` and resolves with the ack's fields; rejects with AckError (code 'offline' when the link failed). */
    request(event, payload) {
      return new Promise((resolve, reject) => {
        if (!socket.connected) return reject(new AckError('offline', 'Not connected.'));
        const dropped = () => settle(new AckError('offline', 'The connection was lost.'));
        socket.once('disconnect', dropped);
        function settle(error, ack) {
          socket.off('disconnect', dropped);
          if (error) reject(error);
          else if (ack.ok) resolve(ack);
          else reject(new AckError(ack.error?.code ?? 'internal', ack.error?.message ?? 'Something went wrong.'));
        }
        socket.timeout(ACK_TIMEOUT_MS).emit(event, payload, (err, ack) => {
          if (err) settle(new AckError('offline', 'The server did not answer in time.'));
          else settle(undefined, ack);
        });
      });
    },
  };
}
