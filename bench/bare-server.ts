/**
 * The ceiling the bench compares Chorus with: a bare Socket.IO room server on the same stack, with
 * rooms and nothing else (no persistence, no sessions, no validation). It speaks the bench's subset of
 * Chorus's protocol: `room:join { room }` and `message:send { room, text, clientId }`, acked, and a
 * `message` to every socket in the room, the sender included.
 *
 *   PORT=0 node bare-server.mjs   → prints {"port":<port>} once listening; SIGTERM closes it.
 *
 * It is compiled to plain JavaScript by the bench (bench/processes.ts), so it imports packages only.
 */
import http from 'node:http';
import { Server } from 'socket.io';

type Ack = (answer: { ok: true }) => void;

const server = http.createServer();
// Chorus's limit on an inbound packet, so both refuse the same oversized input.
const io = new Server(server, { maxHttpBufferSize: 64 * 1024 });

io.on('connection', (socket) => {
  socket.on('room:join', (payload: { room: string }, ack?: Ack) => {
    void socket.join(payload.room);
    ack?.({ ok: true });
  });
  socket.on('message:send', (message: { room: string; text: string; clientId: string }, ack?: Ack) => {
    io.to(message.room).emit('message', message);
    ack?.({ ok: true });
  });
});

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as { port: number }).port })}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    io.close(() => process.exit(0));
  });
}
