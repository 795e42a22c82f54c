/**
 * A TCP relay between a client and a real service, for fault tests: cut() severs every connection and
 * refuses new ones (they are accepted and closed at once) until restore(); reset() aborts every
 * connection with a TCP RST, as a crashed peer, a rebooted NAT or a load balancer's idle reaper does.
 */
import net from 'node:net';

export interface Relay {
  /** The port clients should connect to, on 127.0.0.1. */
  readonly port: number;
  /** Destroys all current connections and refuses new ones. */
  cut(): void;
  /**
   * Aborts every current connection with an RST on both sides (each end reads ECONNRESET rather than an
   * orderly end), and goes on relaying new ones.
   */
  reset(): void;
  /** Relays new connections again. */
  restore(): void;
  /** Stops listening and destroys every connection. */
  close(): Promise<void>;
}

export async function startRelay(targetPort: number, targetHost = '127.0.0.1'): Promise<Relay> {
  const sockets = new Set<net.Socket>();
  let open = true;
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    // Resets are the point of a relay that cuts: nothing to report.
    socket.on('error', () => {});
  };
  const server = net.createServer((client) => {
    track(client);
    if (!open) {
      client.destroy();
      return;
    }
    const upstream = net.connect({ host: targetHost, port: targetPort });
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('relay has no port');
  const destroyAll = () => sockets.forEach((socket) => socket.destroy());
  return {
    port: address.port,
    reset() {
      // Each pair's 'close' handler destroys its other half; resetting that half first keeps it an RST.
      for (const socket of [...sockets]) if (!socket.destroyed) socket.resetAndDestroy();
    },
    cut() {
      open = false;
      destroyAll();
    },
    restore() {
      open = true;
    },
    close() {
      open = false;
      destroyAll();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
