/**
 * A lean Socket.IO client: the Engine.IO v4 / Socket.IO v5 text framing over a bare `ws` websocket,
 * only as much as the bench uses (connect to `/`, events with acks, ping/pong). It spends about a third
 * less CPU per message than socket.io-client, which matters because the generator must not be what
 * saturates first.
 *
 * Frames: `0{…}` open → we answer `40` (connect to `/`); `40{…}` connected, `44{…}` refused; `2` ping →
 * `3` pong; `42[event, payload]` an event; `42<id>[…]` an event wanting an ack; `43<id>[answer]` an ack;
 * `41` or `1` the server closing.
 */
import WebSocket from 'ws';
import { reportRefusal, settleJoin, type AckAnswer, type BenchClient, type ConnectClient } from './client.js';

export const connectLean: ConnectClient = (url, cookie, events) =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`, {
      headers: cookie ? { cookie } : {},
      perMessageDeflate: false,
    });
    const acks = new Map<number, (answer: AckAnswer) => void>();
    let nextAckId = 0;
    let connected = false;
    let closedByUs = false;

    const emit = (event: string, payload: unknown, onAck: (answer: AckAnswer) => void) => {
      const id = nextAckId++;
      acks.set(id, onAck);
      ws.send(`42${id}${JSON.stringify([event, payload])}`);
    };

    const client: BenchClient = {
      join: (room) => new Promise((joined, refused) => emit('room:join', { room }, settleJoin(room, joined, refused))),
      send: (message) => emit('message:send', message, reportRefusal(events)),
      close: () => {
        closedByUs = true;
        ws.close();
      },
    };

    const onSocketIoPacket = (frame: string) => {
      switch (frame[1]) {
        case '2': {
          const [event, payload] = JSON.parse(frame.slice(2)) as [string, { clientId: string }];
          if (event === 'message') events.onMessage(payload.clientId);
          break;
        }
        case '3': {
          const bracket = frame.indexOf('[');
          const id = Number(frame.slice(2, bracket));
          const [answer] = JSON.parse(frame.slice(bracket)) as [AckAnswer];
          acks.get(id)?.(answer);
          acks.delete(id);
          break;
        }
        case '0':
          connected = true;
          resolve(client);
          break;
        case '4':
          ws.close();
          reject(new Error(`connect refused: ${(JSON.parse(frame.slice(2)) as { message: string }).message}`));
          break;
        case '1':
          ws.close();
          break;
      }
    };

    ws.on('message', (data: Buffer) => {
      const frame = data.toString();
      if (frame[0] === '4') onSocketIoPacket(frame);
      else if (frame[0] === '2') ws.send('3');
      else if (frame[0] === '0') ws.send('40');
      else if (frame[0] === '1') ws.close();
    });
    ws.on('error', (err) => {
      if (!connected) reject(err);
    });
    ws.on('close', (code) => {
      if (!connected) reject(new Error(`websocket closed (${code}) before connecting`));
      else if (!closedByUs) events.onLost(`websocket closed (${code})`);
    });
  });
