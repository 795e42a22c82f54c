/**
 * The servers the bench compares Chorus with, on the same stack. Bare: a Socket.IO room server with
 * rooms and nothing else (no persistence, no sessions, no validation), the ceiling. With `DURABLE_DB`
 * set, the naive durable peer: the same, plus what every chat tutorial does to keep history — one
 * SQLite insert per message on the main thread, `synchronous=FULL` (each commit fsynced, as Chorus's
 * acks are), then the broadcast and the ack. Both speak the bench's subset of Chorus's protocol:
 * `room:join { room }` and `message:send { room, text, clientId }`, acked, and a `message` to every
 * socket in the room, the sender included.
 *
 *   PORT=0 [DURABLE_DB=file] node bare-server.mjs   → prints {"port":<port>} once listening; SIGTERM closes it.
 *
 * It is compiled to plain JavaScript by the bench (bench/processes.ts), so it imports packages only.
 */
import http from 'node:http';
import Database from 'better-sqlite3';
import { Server } from 'socket.io';

type Ack = (answer: { ok: true }) => void;
type Message = { room: string; text: string; clientId: string };

/** Keeps `message` durably before it is sent on, or does nothing (bare). */
function openHistory(file: string | undefined): (message: Message) => void {
  if (!file) return () => {};
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY, room TEXT NOT NULL, client_id TEXT NOT NULL, text TEXT NOT NULL, ts INTEGER NOT NULL)');
  const insert = db.prepare('INSERT INTO messages (room, client_id, text, ts) VALUES (?, ?, ?, ?)');
  return (message) => void insert.run(message.room, message.clientId, message.text, Date.now());
}

const keep = openHistory(process.env.DURABLE_DB);

const server = http.createServer();
// Chorus's limit on an inbound packet, so both refuse the same oversized input.
const io = new Server(server, { maxHttpBufferSize: 64 * 1024 });

io.on('connection', (socket) => {
  socket.on('room:join', (payload: { room: string }, ack?: Ack) => {
    void socket.join(payload.room);
    ack?.({ ok: true });
  });
  socket.on('message:send', (message: Message, ack?: Ack) => {
    keep(message);
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
