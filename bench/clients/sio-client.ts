/** The bench's client on socket.io-client, websocket transport only, as the issue specifies. */
import { io } from 'socket.io-client';
import { reportRefusal, settleJoin, type BenchClient, type ConnectClient } from './client.js';

export const connectSocketIo: ConnectClient = (url, cookie, events) =>
  new Promise((resolve, reject) => {
    const socket = io(url, {
      transports: ['websocket'],
      extraHeaders: cookie ? { cookie } : {},
      reconnection: false,
      forceNew: true,
    });
    let closedByUs = false;
    socket.on('message', (message: { clientId: string }) => events.onMessage(message.clientId));
    socket.once('connect', () => {
      socket.on('disconnect', (reason) => {
        if (!closedByUs) events.onLost(reason);
      });
      resolve({
        join: (room) => new Promise((joined, refused) => socket.emit('room:join', { room }, settleJoin(room, joined, refused))),
        send: (message) => socket.emit('message:send', message, reportRefusal(events)),
        close: () => {
          closedByUs = true;
          socket.disconnect();
        },
      } satisfies BenchClient);
    });
    socket.once('connect_error', (err) => {
      socket.disconnect();
      reject(new Error(`connect refused: ${err.message}`));
    });
  });
