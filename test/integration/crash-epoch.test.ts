/**
 * What a client holds after its replica goes down, now that messages are published at commit and acked
 * at sync. A SIGKILLed process loses nothing: every message anyone received is in the store when it
 * starts again, under the same epoch, so a client rejoining with its sinceSeq merges. A machine that went
 * down (an OS crash or a power cut; here what it leaves behind, a lease of an earlier boot, since this
 * test cannot crash the machine) may have lost what was committed but not synced: the store starts with a
 * new epoch, and the client is answered with a fresh history (`resync`) instead of trusting its seqs.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { collect, request, tempDir, user } from '../../dev/harness.js';
import { startReplicaProcess, type ReplicaProcess } from '../../dev/processes.js';
import { DATABASE_FILE } from '../../src/store/embedded/embedded-store.js';

const SENDS = 20;

describe('a replica that goes down', () => {
  let replica: ReplicaProcess | undefined;
  afterEach(async () => {
    await replica?.stop('SIGKILL');
    replica = undefined;
  });

  /** A replica on `dataDir`; alice sends SENDS messages that bob receives, then the replica is SIGKILLed. */
  async function sendThenKill(dataDir: string) {
    replica = await startReplicaProcess({ DATA_DIR: dataDir, SESSION_SECRET: 'crash-epoch-test' });
    const [alice, bob] = [await user(replica.url, 'alice'), await user(replica.url, 'bob')];
    await request(alice.socket, 'room:join', { room: 'r' });
    const joined = await request(bob.socket, 'room:join', { room: 'r' });
    const received = collect(bob.socket, 'message');
    const acks = [];
    for (let i = 1; i <= SENDS; i++) acks.push(await request(alice.socket, 'message:send', { room: 'r', text: `m${i}`, clientId: `c${i}` }));
    expect(acks.every((ack) => ack.ok)).toBe(true);
    await expect.poll(() => received.length).toBe(SENDS);
    expect(await replica.stop('SIGKILL')).toBeNull();
    replica = undefined;
    return { epoch: joined.epoch as string, lastSeq: Math.max(...received.map((m: { seq: number }) => m.seq)) };
  }

  /** bob, on a replica started again on `dataDir`, rejoining from `sinceSeq` of `epoch`. */
  async function rejoin(dataDir: string, epoch: string, sinceSeq: number) {
    replica = await startReplicaProcess({ DATA_DIR: dataDir, SESSION_SECRET: 'crash-epoch-test' });
    const bob = await user(replica.url, 'bob');
    const fresh = await request(bob.socket, 'room:join', { room: 'r' });
    const rejoined = await request(bob.socket, 'room:join', { room: 'r', sinceSeq, epoch });
    return { fresh, rejoined };
  }

  it('keeps every received message and the epoch when the process was SIGKILLed', async () => {
    const dataDir = tempDir();
    const { epoch, lastSeq } = await sendThenKill(dataDir);
    const { fresh, rejoined } = await rejoin(dataDir, epoch, lastSeq);
    expect(fresh.history.map((m: { text: string }) => m.text)).toEqual(Array.from({ length: SENDS }, (_, i) => `m${i + 1}`));
    expect(rejoined).toMatchObject({ ok: true, epoch, resync: false, history: [] });
  });

  it('gives the history a new epoch after the machine went down, and the rejoining client resyncs', async () => {
    const dataDir = tempDir();
    const { epoch, lastSeq } = await sendThenKill(dataDir);
    // The killed replica's lease is still there; after a reboot it names the boot before.
    const db = new Database(path.join(dataDir, DATABASE_FILE));
    expect(db.prepare("UPDATE replica_leases SET boot_id = 'an-earlier-boot'").run().changes).toBe(1);
    db.close();
    const { fresh, rejoined } = await rejoin(dataDir, epoch, lastSeq);
    expect(fresh.epoch).not.toBe(epoch);
    expect(rejoined).toMatchObject({ ok: true, epoch: fresh.epoch, resync: true });
    expect(rejoined.history).toEqual(fresh.history);
    expect(replica!.logs.some((line) => String(line.msg).includes('store: new history epoch: the machine went down'))).toBe(true);
  });
});
