/**
 * Prometheus metrics for one app instance. Each app gets its own registry, so tests can run several
 * replicas in one process without their counters colliding. The registry also carries the process's
 * default metrics (CPU, memory, event-loop lag as `nodejs_eventloop_lag_*`), the store and broker
 * series of `dependency-metrics.ts`, and the rooms gauge of `src/realtime/socket-metrics.ts` once the
 * app's Socket.IO server is instrumented.
 */
import { createRequire } from 'node:module';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { registerDependencyMetrics } from './dependency-metrics.js';
import { registerHttpMetrics, type HttpMetrics } from './http-metrics.js';

/** The release, from package.json (two levels up from both src/observability and dist/observability). */
const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

export interface Metrics {
  registry: Registry;
  connectedSockets: Gauge;
  messagesReceived: Counter;
  /** Changes to stored messages (the room log besides posts), by kind: edit, delete, reaction_add, reaction_remove, requote. */
  messageChanges: Counter<'kind'>;
  /** One per socket a chat message is delivered to on this replica. */
  messagesDelivered: Counter;
  sendToDurableSeconds: Histogram;
  rejectedInputs: Counter<'code'>;
  /**
   * Time from a CRDT delta being sent by another replica to its arrival here: what the replicator's
   * `onDeltaLag` hears (in ms; observe it in seconds).
   */
  crdtReplicationLagSeconds: Histogram;
  /** `/readyz` answers by status: a replica that keeps saying it is not ready is out of its proxy. */
  readinessProbes: Counter<'status'>;
  /**
   * Rooms a sequencer held back for its whole gap timeout, waiting on a missing seq, by how that ended:
   * `filled` (read from the store), `skipped` (the store does not have it either), `failed` (the store
   * could not be read; what was held is delivered).
   */
  sequencerGaps: Counter<'outcome'>;
  /** Replicas whose room members this one stopped counting because it counts them dead. */
  occupancyReplicasDropped: Counter;
  /** 1 from SIGTERM until the replica has closed its last socket, else 0. */
  draining: Gauge;
  /** Sockets a drain closed for their clients to reconnect elsewhere. */
  drainSocketsClosed: Counter;
  /** New Engine.IO sessions refused while draining: clients that came before the proxy noticed. */
  drainRefusedHandshakes: Counter;
  http: HttpMetrics;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  registerDependencyMetrics(registry);
  // Always 1: its labels say which release and Node.js each replica runs, e.g. during a rolling deploy.
  new Gauge({ name: 'chorus_build_info', help: 'The release of Chorus and of Node.js this replica runs', labelNames: ['version', 'nodejs'], registers: [registry] })
    .set({ version, nodejs: process.versions.node }, 1);
  return {
    registry,
    http: registerHttpMetrics(registry),
    connectedSockets: new Gauge({ name: 'chorus_connected_sockets', help: 'Socket.IO connections open on this replica', registers: [registry] }),
    messagesReceived: new Counter({ name: 'chorus_messages_received_total', help: 'Messages accepted from clients and stored', registers: [registry] }),
    messageChanges: new Counter({
      name: 'chorus_message_changes_total',
      help: 'Changes to stored messages made here, by kind (edit, delete, reaction_add, reaction_remove, requote: a reply following its original)',
      labelNames: ['kind'],
      registers: [registry],
    }),
    messagesDelivered: new Counter({
      name: 'chorus_messages_delivered_total',
      help: 'Chat messages sent to sockets on this replica (one per receiving socket)',
      registers: [registry],
    }),
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
    crdtReplicationLagSeconds: new Histogram({
      name: 'chorus_crdt_replication_lag_seconds',
      help: 'Time from a CRDT delta (presence, friends) being sent by another replica to its arrival here',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    readinessProbes: new Counter({
      name: 'chorus_readiness_probes_total',
      help: 'Readiness probes (/readyz) answered, by status: ready, starting, unavailable (the store is down) or draining (shutting down)',
      labelNames: ['status'],
      registers: [registry],
    }),
    sequencerGaps: new Counter({
      name: 'chorus_sequencer_gaps_total',
      help: 'Rooms held back for the whole gap timeout by a missing seq (a message the broker lost, or a seq never stored), by outcome',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    occupancyReplicasDropped: new Counter({
      name: 'chorus_occupancy_replicas_dropped_total',
      help: 'Replicas whose room members stopped counting here because they were counted dead (timed out)',
      registers: [registry],
    }),
    draining: new Gauge({ name: 'chorus_draining', help: '1 while this replica drains (SIGTERM until its last socket is closed), else 0', registers: [registry] }),
    drainSocketsClosed: new Counter({
      name: 'chorus_drain_sockets_closed_total',
      help: 'Sockets closed by a drain so that their clients reconnect to another replica',
      registers: [registry],
    }),
    drainRefusedHandshakes: new Counter({
      name: 'chorus_drain_refused_handshakes_total',
      help: 'New Socket.IO connections refused while draining (503; the client retries, and the proxy sends it elsewhere)',
      registers: [registry],
    }),
  };
}
