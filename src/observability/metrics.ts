/**
 * Prometheus metrics for one app instance. Each app gets its own registry, so tests can run several
 * replicas in one process without their counters colliding.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  connectedSockets: Gauge;
  messagesReceived: Counter;
  sendToDurableSeconds: Histogram;
  rejectedInputs: Counter<'code'>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    connectedSockets: new Gauge({ name: 'chorus_connected_sockets', help: 'Socket.IO connections open on this replica', registers: [registry] }),
    messagesReceived: new Counter({ name: 'chorus_messages_received_total', help: 'Messages accepted from clients and stored', registers: [registry] }),
    sendToDurableSeconds: new Histogram({
      name: 'chorus_send_to_durable_seconds',
      help: 'Time from receiving message:send to the message being durable in the store',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    }),
    rejectedInputs: new Counter({
      name: 'chorus_rejected_inputs_total',
      help: 'Requests and socket events refused, by error code',
      labelNames: ['code'],
      registers: [registry],
    }),
  };
}
