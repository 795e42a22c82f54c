/**
 * The clients of one target: signed in (Chorus), connected over websocket, each in one room, spread
 * evenly. A step sends at an offered rate (rising linearly over the ramp, then steady for the measured
 * window), every client in turn, and tallies what arrives where.
 */
import { performance, monitorEventLoopDelay } from 'node:perf_hooks';
import { SESSION_COOKIE } from '../src/http/session.js';
import type { BenchClient, ConnectClient } from './clients/client.js';
import { connectLean } from './clients/lean-client.js';
import { connectSocketIo } from './clients/sio-client.js';
import { P99_LIMIT_MS, type BenchOptions } from './options.js';
import { startPhase } from './progress.js';
import type { Target, TargetName } from './targets.js';
import { DeliveryTracker, type LatencySummary } from './tracker.js';

interface Member {
  client: BenchClient;
  room: string;
  /** This client's index among its room's members. */
  slot: number;
  members: number;
}

export interface StepResult {
  target: TargetName;
  /** The nominal offered rate (msg/s). */
  offered: number;
  /** What the generator managed to send in the measured window (msg/s). */
  sentPerSecond: number;
  /** Arrivals at clients during the measured window (deliveries/s). */
  deliveredPerSecond: number;
  latencyMs: LatencySummary;
  lost: number;
  duplicated: number;
  /** Arrivals of messages from before this step (counted lost then). */
  late: number;
  /** Sends the server refused, by code. */
  refused: Record<string, number>;
  lostConnections: number;
  serverCpuSeconds: number;
  serverCpuPerDeliveryUs: number;
  /** Server CPU over the window per message sent in it: its handling and all its deliveries. */
  serverCpuPerMessageUs: number;
  serverRssBytes: number;
  /** This process's CPU over the window, in % of one core: near 100 means the generator is the bottleneck. */
  generatorCpuPercent: number;
  generatorLoopDelayP99Ms: number;
  passed: boolean;
}

/** How long a step waits after its window for messages still on their way before counting them lost. */
const DRAIN_LIMIT_MS = 5_000;
const TICK_MS = 5;
const CONNECT_CONCURRENCY = 50;

export class ClientPool {
  /** The current step's; until the first, one that knows no message. */
  private tracker = new DeliveryTracker('-', 1);
  private refused: Record<string, number> = {};
  private lostConnections = 0;
  private steps = 0;

  private constructor(
    private readonly target: Target,
    private readonly runId: string,
    private readonly members: Member[],
  ) {}

  /** Memory the target's servers took per connection, measured around `connect`. */
  idleBytesPerConnection = NaN;

  /**
   * Connects `options.clients` clients to `target`, with a progress bar. Memory per connection is taken
   * over all but the first tenth: those also pay for one-time growth (code compiled, heap first grown).
   * Every client signs in before any connects: a session lives in the store, not in the connection, so
   * the measurement holds what keeping a connection costs, not the garbage of a thousand sign-ins.
   */
  static async connect(target: Target, options: BenchOptions, runId: string): Promise<ClientPool> {
    const connect: ConnectClient = options.client === 'lean' ? connectLean : connectSocketIo;
    const perRoom = Array.from({ length: options.rooms }, (_, r) => Math.floor(options.clients / options.rooms) + (r < options.clients % options.rooms ? 1 : 0));
    const members: Member[] = [];
    const pool = new ClientPool(target, runId, members);
    const cookies = await signInAll(target, options.clients, runId);
    const phase = startPhase(`connecting to ${target.name}`, options.clients, 'clients');
    let next = 0;
    const worker = async (upTo: number) => {
      while (next < upTo) {
        const i = next++;
        const url = target.urls[i % target.urls.length]!;
        const room = `b${runId}-${i % options.rooms}`;
        const slot = Math.floor(i / options.rooms);
        const client = await connect(url, cookies[i], {
          onMessage: (clientId) => pool.tracker.received(clientId, slot),
          onRefused: (code) => (pool.refused[code] = (pool.refused[code] ?? 0) + 1),
          onLost: () => (pool.lostConnections += 1),
        });
        const member: Member = { client, room, slot, members: perRoom[i % options.rooms]! };
        members.push(member);
        await client.join(room);
        phase.update(members.length, target.urls.length > 1 ? `${target.urls.length} replicas` : '');
      }
    };
    const connectUpTo = (upTo: number) => Promise.all(Array.from({ length: CONNECT_CONCURRENCY }, () => worker(upTo)));
    const first = Math.ceil(options.clients / 10);
    let before;
    try {
      await connectUpTo(first);
      before = await target.usage.read();
      await connectUpTo(options.clients);
    } finally {
      phase.stop();
    }
    // Interleave rooms in the send order, so consecutive sends go to different rooms and clients.
    members.sort((a, b) => a.slot - b.slot || a.room.localeCompare(b.room));
    const after = await target.usage.read();
    pool.idleBytesPerConnection = (after.rssBytes - before.rssBytes) / (options.clients - first || 1);
    return pool;
  }

  /** Offers `rate` msg/s: ramps up over `options.ramp` s, then measures `options.duration` s. */
  runStep(rate: number, options: BenchOptions): Promise<StepResult> {
    return this.load(rate, options.ramp, options.duration, options.payload, `${this.target.name} at ${rate} msg/s`);
  }

  /** Unrecorded load at `rate` for `options.warmup` s, so the first step does not measure JIT compilation. */
  /** Loads the fresh server for --warmup seconds; what it measured shows how slowly the server starts. */
  async warmUp(rate: number, options: BenchOptions): Promise<StepResult | undefined> {
    if (options.warmup <= 0) return undefined;
    return this.load(rate, Math.min(options.ramp, options.warmup / 2), options.warmup, options.payload, `${this.target.name} warm-up`);
  }

  private async load(rate: number, rampSeconds: number, durationSeconds: number, payload: number, title: string): Promise<StepResult> {
    const maxMembers = Math.max(...this.members.map((m) => m.members));
    const tracker = new DeliveryTracker(`${this.runId}-${this.target.name}${this.steps++}-`, maxMembers);
    this.tracker = tracker;
    this.refused = {};
    const lostBefore = this.lostConnections;
    const text = 'x'.repeat(payload);
    const rampMs = rampSeconds * 1000;
    const totalMs = rampMs + durationSeconds * 1000;
    // Messages due by `t` ms: the integral of a rate rising linearly to `rate` over the ramp.
    const due = (t: number) =>
      t < rampMs ? (rate * t * t) / (2 * rampMs * 1000) : (rate * rampMs) / 2000 + (rate * (t - rampMs)) / 1000;

    const phase = startPhase(title, Math.ceil(totalMs / 1000), 's');
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    let sent = 0;
    let sentInWindow = 0;
    let window: { start: number; cpu: NodeJS.CpuUsage; server: Promise<{ cpuSeconds: number }> } | undefined;
    const start = performance.now();
    await new Promise<void>((done) => {
      const timer = setInterval(() => {
        const t = performance.now() - start;
        if (!window && t >= rampMs) {
          window = { start: performance.now(), cpu: process.cpuUsage(), server: this.target.usage.read() };
          tracker.windowOpen = true;
          loopDelay.enable();
        }
        const target = Math.floor(due(Math.min(t, totalMs)));
        while (sent < target) {
          const member = this.members[sent % this.members.length]!;
          const clientId = tracker.send(member.members, window !== undefined);
          member.client.send({ room: member.room, text, clientId });
          sent += 1;
          if (window) sentInWindow += 1;
        }
        phase.update(Math.floor(t / 1000), `sent ${sent}`);
        if (t >= totalMs) {
          clearInterval(timer);
          done();
        }
      }, TICK_MS);
    });
    const measured = window!;
    const windowSeconds = (performance.now() - measured.start) / 1000;
    tracker.windowOpen = false;
    loopDelay.disable();
    const generatorCpu = process.cpuUsage(measured.cpu);
    const [serverStart, serverEnd] = await Promise.all([measured.server, this.target.usage.read()]);

    const drainUntil = performance.now() + DRAIN_LIMIT_MS;
    while (!tracker.complete && performance.now() < drainUntil) {
      phase.update(Math.ceil(totalMs / 1000), 'draining');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    phase.stop();

    const tally = tracker.tally();
    const serverCpuSeconds = serverEnd.cpuSeconds - serverStart.cpuSeconds;
    const refused = this.refused;
    const lostConnections = this.lostConnections - lostBefore;
    const passed =
      tally.latencyMs.p99 < P99_LIMIT_MS && tally.lost === 0 && tally.duplicated === 0 && Object.keys(refused).length === 0 && lostConnections === 0;
    return {
      target: this.target.name,
      offered: rate,
      sentPerSecond: sentInWindow / windowSeconds,
      deliveredPerSecond: tally.arrivedInWindow / windowSeconds,
      latencyMs: tally.latencyMs,
      lost: tally.lost,
      duplicated: tally.duplicated,
      late: tally.unknown,
      refused,
      lostConnections,
      serverCpuSeconds,
      serverCpuPerDeliveryUs: (serverCpuSeconds / Math.max(1, tally.arrivedInWindow)) * 1e6,
      serverCpuPerMessageUs: (serverCpuSeconds / Math.max(1, sentInWindow)) * 1e6,
      serverRssBytes: serverEnd.rssBytes,
      generatorCpuPercent: ((generatorCpu.user + generatorCpu.system) / 1e6 / windowSeconds) * 100,
      generatorLoopDelayP99Ms: loopDelay.percentile(99) / 1e6,
      passed,
    };
  }

  close(): void {
    for (const member of this.members) member.client.close();
  }
}

/** Signs `name` in as a guest and returns the session cookie (`name=value`). */
/** Signs in `clients` users (as many at once as clients connect), each on the replica it will connect to. */
async function signInAll(target: Target, clients: number, runId: string): Promise<Array<string | undefined>> {
  const cookies: Array<string | undefined> = new Array(clients);
  if (!target.signIn) return cookies;
  const phase = startPhase(`signing in to ${target.name}`, clients, 'users');
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < clients) {
      const i = next++;
      cookies[i] = await signIn(target.urls[i % target.urls.length]!, `b${runId}-${i}`);
      phase.update(++done, '');
    }
  };
  try {
    await Promise.all(Array.from({ length: CONNECT_CONCURRENCY }, worker));
  } finally {
    phase.stop();
  }
  return cookies;
}

async function signIn(url: string, name: string): Promise<string> {
  const res = await fetch(new URL('/api/session', url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  if (!res.ok) throw new Error(`sign-in of ${name} at ${url} answered ${res.status}: ${await res.text()}`);
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`));
  if (!cookie) throw new Error(`sign-in at ${url} set no ${SESSION_COOKIE} cookie`);
  return cookie.split(';')[0]!;
}
