/**
 * A browser behind a sticky proxy. Node's Socket.IO client keeps no cookies, but a browser sends the
 * proxy's affinity cookie with every request, so its long-polling requests and its WebSocket upgrade
 * all reach the replica that holds its Engine.IO session. This client keeps every cookie it is given
 * (the session's and the proxy's) and sends them all, on HTTP and on each Engine.IO request.
 */
import type { Socket } from 'socket.io-client';
import { Browser, type HttpResult } from '../../dev/harness.js';

export class ProxiedBrowser extends Browser {
  readonly #cookies = new Map<string, string>();

  override async request<T = any>(method: string, pathname: string, body?: unknown, init?: { raw?: string; contentType?: string }): Promise<HttpResult<T>> {
    const result = await super.request<T>(method, pathname, body, init);
    for (const setCookie of result.headers.getSetCookie()) {
      const pair = setCookie.split(';')[0]!;
      const eq = pair.indexOf('=');
      this.#cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    this.cookie = [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    return result;
  }

  /** The value of cookie `name`, if one was set. */
  cookieValue(name: string): string | undefined {
    return this.#cookies.get(name);
  }

  /**
   * Connects the way a browser does: HTTP long-polling first, then the upgrade to WebSocket. Resolves
   * once the upgrade is done, so every request of this Engine.IO session has been sent.
   */
  async connectAndUpgrade(): Promise<Socket> {
    const socket = await this.connect({ transports: ['polling', 'websocket'] });
    const engine = socket.io.engine;
    if (engine.transport.name !== 'websocket') {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no upgrade to WebSocket within 10 s')), 10_000);
        engine.once('upgrade', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return socket;
  }
}
