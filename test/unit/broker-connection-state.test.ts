/**
 * The connection state every broker driver keeps: what check() says, and the logs, which must warn
 * once per outage however many reconnection attempts fail.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ConnectionState } from '../../src/broker/connection-state.js';
import { registerDependencyMetrics } from '../../src/observability/dependency-metrics.js';

function recordingLogger(): { logger: pino.Logger; lines: Array<{ level: number; msg: string }> } {
  const lines: Array<{ level: number; msg: string }> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as { level: number; msg: string });
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), lines };
}

const WARN = 40;
const INFO = 30;

async function reconnects(broker: string): Promise<number> {
  const registry = new Registry();
  registerDependencyMetrics(registry);
  const metric = await registry.getSingleMetric('chorus_broker_reconnects_total')!.get();
  return metric.values.find((v) => v.labels.broker === broker)?.value ?? 0;
}

describe('ConnectionState', () => {
  it('warns once per outage, says when connected, and counts coming back as a reconnect', async () => {
    const { logger, lines } = recordingLogger();
    const state = new ConnectionState('test-broker', logger);
    await expect(state.check()).rejects.toThrow('test-broker: not connected yet');

    state.markDown(new Error('ECONNREFUSED'));
    state.markDown(new Error('ECONNREFUSED again'));
    await expect(state.check()).rejects.toThrow('test-broker: ECONNREFUSED again');
    state.markUp({ server: 'here' });
    await expect(state.check()).resolves.toBeUndefined();
    expect(await reconnects('test-broker')).toBe(0);

    state.markDown(new Error('reset'));
    state.markDown(new Error('refused'));
    state.markDown(new Error('refused'));
    state.markUp();
    expect(await reconnects('test-broker')).toBe(1);

    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [WARN, 'test-broker unavailable; reconnecting'],
      [INFO, 'test-broker connected'],
      [WARN, 'test-broker unavailable; reconnecting'],
      [INFO, 'test-broker connected'],
    ]);
  });

  it('stays down and silent once closed', async () => {
    const { logger, lines } = recordingLogger();
    const state = new ConnectionState('closing-broker', logger);
    state.markUp();
    state.markClosed();
    state.markDown(new Error('connection closed'));
    state.markUp();
    await expect(state.check()).rejects.toThrow('closing-broker: closed');
    expect(lines.map((l) => l.msg)).toEqual(['closing-broker connected']);
  });
});
