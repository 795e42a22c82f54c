/** Listening on a port, with the failure (EADDRINUSE, EACCES) as a rejection rather than an 'error' event. */
import type { Server } from 'node:net';
import type { AddressInfo } from 'node:net';

/** Listens on `host:port` (0 = a free port) and resolves with the address actually bound. */
export function listenOn(server: Server, port: number, host?: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}
