/**
 * The Grafana dashboard queries only series a replica exports: a renamed metric fails here rather than
 * leaving an empty panel in production.
 */
import fs from 'node:fs';
import { Server } from 'socket.io';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/observability/metrics.js';
import { instrumentSockets } from '../../src/realtime/socket-metrics.js';
import type { ChatServer } from '../../src/realtime/events.js';

interface Panel {
  targets?: { expr: string }[];
}

const dashboard = JSON.parse(fs.readFileSync('monitoring/grafana/dashboards/chorus.json', 'utf8')) as {
  panels: Panel[];
  templating: { list: { definition: string }[] };
};

/** Every series name a replica's registry holds. A Socket.IO server never attached to HTTP owns nothing to close. */
async function exportedNames(): Promise<string[]> {
  const metrics = createMetrics();
  instrumentSockets(new Server() as ChatServer, metrics);
  return (await metrics.registry.getMetricsAsJSON()).map((m) => m.name);
}

describe('the Grafana dashboard', () => {
  it('asks only for series a replica exports', async () => {
    const exported = new Set(await exportedNames());

    const queries = [...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)), ...dashboard.templating.list.map((v) => v.definition)];
    const asked = new Set(queries.flatMap((q) => q.match(/\b(?:chorus|nodejs|process)_\w+/g) ?? []).map((name) => name.replace(/_(bucket|count|sum)$/, '')));
    expect(asked.size).toBeGreaterThan(10);
    expect([...asked].filter((name) => !exported.has(name))).toEqual([]);
  });

  it('has a panel for every chorus_ series', async () => {
    const ours = (await exportedNames()).filter((name) => name.startsWith('chorus_'));
    const text = JSON.stringify(dashboard.panels);
    expect(ours.filter((name) => !text.includes(name))).toEqual([]);
  });
});
