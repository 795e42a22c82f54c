/**
 * The Socket.IO adapters' liveness follows `REPLICA_TIMEOUT_MS`: the timeout is the setting, the
 * heartbeat a third of it. Two replicas on one memory bus; fake timers drive the heartbeats and the
 * adapters' once-a-second cleanup, which are what this is about (the bus delivers in microtasks).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Server } from 'socket.io';
import { brokerOptionsOf, createBroker } from '../../src/broker/create-broker.js';
import { MemoryBus } from '../../src/broker/memory-bus.js';
import type { Broker } from '../../src/broker/port.js';
import { loadConfig } from '../../src/config/config.js';

const TIMEOUT_MS = 3_000;

describe('broker heartbeats from REPLICA_TIMEOUT_MS', () => {
  const servers: Server[] = [];
  const brokers: Broker[] = [];

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  });

  afterEach(async () => {
    // Servers without an HTTP server of their own: closing the adapter is what io.close() would do here.
    for (const io of servers.splice(0)) io.of('/').adapter.close();
    await Promise.all(brokers.splice(0).map((b) => b.close()));
    vi.useRealTimers();
  });

  function replicas(): [a: Server, cutB: () => Promise<void>] {
    const config = loadConfig({ REPLICA_TIMEOUT_MS: String(TIMEOUT_MS) });
    const bus = new MemoryBus();
    const [a, b] = [0, 1].map(() => {
      const broker = createBroker(config.broker, { ...brokerOptionsOf(config), bus });
      const io = new Server();
      io.adapter(broker.adapter);
      brokers.push(broker);
      servers.push(io);
      return { io, broker };
    }) as [{ io: Server; broker: Broker }, { io: Server; broker: Broker }];
    // Closing b's broker silences it without the goodbye its adapter would send.
    return [a.io, () => b.broker.close()];
  }

  const counted = (io: Server) => io.of('/').adapter.serverCount();

  it('keeps a live replica counted: it says it is alive well within the timeout', async () => {
    const [a] = replicas();
    await vi.advanceTimersByTimeAsync(0);
    expect(await counted(a)).toBe(2);
    // Looked at after every cleanup, over many timeouts.
    for (let second = 0; second < (TIMEOUT_MS * 10) / 1_000; second++) {
      await vi.advanceTimersByTimeAsync(1_000);
      expect(await counted(a)).toBe(2);
    }
  });

  it('forgets a silent replica once the timeout has passed, not before', async () => {
    const [a, cutB] = replicas();
    await vi.advanceTimersByTimeAsync(TIMEOUT_MS * 2);
    await cutB();
    // Heard from at most a heartbeat (a third of the timeout) before the cut.
    await vi.advanceTimersByTimeAsync(TIMEOUT_MS - TIMEOUT_MS / 3 - 100);
    expect(await counted(a)).toBe(2);
    // The timeout, plus the adapter's one-second cleanup.
    await vi.advanceTimersByTimeAsync(TIMEOUT_MS / 3 + 1_000 + 200);
    expect(await counted(a)).toBe(1);
  });
});
