/** The parts of `npm run migrate` that need no database: its command line, checksums, progress lines and plans. */
import path from 'node:path';
import { PassThrough } from 'node:stream';
import mongoose from 'mongoose';
import { describe, expect, it } from 'vitest';
import { canonicalJson, RecordChecksum } from '../../src/ops/checksum.js';
import { parseMigrateArgs, UsageError } from '../../src/ops/migrate-options.js';
import { migrationPlans } from '../../src/ops/plans.js';
import { progressOn } from '../../src/ops/progress.js';
import type { EmbeddedSource } from '../../src/ops/embedded-source.js';
import { defineModels } from '../../src/store/mongo/models.js';

describe('migrate command line', () => {
  const to = 'mongodb://db.example:27017/chorus';

  it('takes the source from DATA_DIR (or ./data) and the uploads from UPLOAD_DIR, with defaults for the rest', () => {
    expect(parseMigrateArgs(['--to', to], { DATA_DIR: '/srv/chorus' })).toEqual({
      from: '/srv/chorus',
      to,
      uploads: 'volume',
      uploadDir: '/srv/chorus/uploads',
      force: false,
      verifyOnly: false,
      batchSize: 500,
    });
    expect(parseMigrateArgs(['--to', to], {})).toMatchObject({ from: path.resolve('data'), uploadDir: path.resolve('data', 'uploads') });
    expect(parseMigrateArgs(['--to', to, '--from', '/old', '--uploads', 'gridfs', '--force', '--batch-size', '50'], { UPLOAD_DIR: '/shared' })).toMatchObject({
      from: '/old',
      uploadDir: '/shared',
      uploads: 'gridfs',
      force: true,
      batchSize: 50,
    });
    expect(parseMigrateArgs(['--help'], {})).toBeNull();
  });

  it.each([
    [[], /--to is required/],
    [['--to', 'postgres://x'], /MongoDB connection string/],
    [['--to', to, '--uploads', 'nfs'], /--uploads is volume or gridfs/],
    [['--to', to, '--batch-size', '0'], /--batch-size must be a whole number from 1/],
    [['--to', to, '--batch-size', '2.5'], /--batch-size must be a whole number from 1/],
    [['--to', to, '--batch-size', 'many'], /--batch-size must be a whole number from 1/],
    [['--to', to, '--frm', 'x'], /Unknown option '--frm'/],
    [['--to', to, 'extra'], /positional/i],
  ])('refuses %j', (argv, message) => {
    expect(() => parseMigrateArgs(argv, {})).toThrow(UsageError);
    expect(() => parseMigrateArgs(argv, {})).toThrow(message);
  });
});

describe('migrate checksums', () => {
  it('serializes a document alike whatever the order of its fields, and tells apart what differs', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: null }], c: 'é' } })).toBe('{"a":{"c":"é","d":[1,{"x":null,"y":2}]},"b":1}');
    expect(canonicalJson({ a: 1, gone: undefined })).toBe(canonicalJson({ a: 1 }));
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
  });

  it('sums records in any order to the same checksum, and any change, loss or repeat changes it', () => {
    const of = (...records: unknown[]) => {
      const sum = new RecordChecksum();
      records.forEach((record) => sum.add(record));
      return sum.tally;
    };
    const a = { _id: 'a', text: 'one' };
    const b = { _id: 'b', text: 'two' };
    expect(of(a, b)).toEqual(of(b, a));
    expect(of(a, b).count).toBe(2);
    expect(of(a, b).checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(of(a, b).checksum).not.toBe(of(a, { ...b, text: 'Two' }).checksum);
    expect(of(a, b).checksum).not.toBe(of(a).checksum);
    expect(of(a, b).checksum).not.toBe(of(a, b, b).checksum);
  });
});

describe('migrate progress', () => {
  it('writes plain lines where there is no terminal: the start, each tenth, and where it ended', () => {
    const out = new PassThrough();
    const task = progressOn(out).start('messages', 20);
    for (let i = 0; i < 20; i += 5) task.advance(5);
    task.finish();
    expect(String(out.read()).split('\n')).toEqual(['messages: 0/20', 'messages: 5/20', 'messages: 10/20', 'messages: 15/20', 'messages: 20/20', '']);
  });

  it('says where a failed copy got to, and an empty collection once', () => {
    const out = new PassThrough();
    const progress = progressOn(out);
    const failing = progress.start('users', 1000);
    failing.advance(3);
    failing.finish();
    const empty = progress.start('reads', 0);
    empty.finish();
    expect(String(out.read()).split('\n')).toEqual(['users: 0/1000', 'users: 3/1000', 'reads: 0/0', '']);
  });
});

describe('migrate plans', () => {
  it('write into the collections of the MongoDB store, the meta table only when the source has one', () => {
    const models = defineModels(mongoose.createConnection());
    const collections = new Set(Object.values(models).map((model) => model.collection.collectionName));
    const source = (tables: string[]) => ({ hasTable: (name: string) => tables.includes(name) }) as EmbeddedSource;
    const plans = migrationPlans(source([]));
    expect(plans.map((plan) => plan.collection)).toEqual(['users', 'messages', 'rooms', 'friends', 'reads']);
    expect(plans.filter((plan) => !collections.has(plan.collection))).toEqual([]);
    expect(migrationPlans(source(['meta'])).map((plan) => plan.collection)).toContain('meta');
  });

  it('tell an earlier copy of the source from another history', () => {
    const plans = new Map(migrationPlans({ hasTable: () => true } as unknown as EmbeddedSource).map((plan) => [plan.collection, plan]));
    const judge = (collection: string, target: object, source?: object) => plans.get(collection)!.otherHistory(target, source);
    const message = { _id: 'm1', room: 'general', seq: 3, updatedSeq: 5 };
    expect(judge('messages', message, message)).toBeUndefined();
    expect(judge('messages', message, { ...message, updatedSeq: 9, text: 'edited since' })).toBeUndefined();
    expect(judge('messages', message, { ...message, updatedSeq: 4 })).toMatch(/changed at seq 5, after the source's last change \(4\)/);
    expect(judge('messages', message, { ...message, room: 'other' })).toBe('not in the source');
    expect(judge('messages', message)).toBe('not in the source');
    expect(judge('rooms', { _id: 'general', seq: 7 }, { _id: 'general', seq: 7 })).toBeUndefined();
    expect(judge('rooms', { _id: 'general', seq: 8 }, { _id: 'general', seq: 7 })).toMatch(/at seq 8, ahead of the source's 7/);
    expect(judge('meta', { _id: 'history_epoch', value: 'a' }, { _id: 'history_epoch', value: 'a' })).toBeUndefined();
    expect(judge('meta', { _id: 'history_epoch', value: 'b' }, { _id: 'history_epoch', value: 'a' })).toMatch(/history_epoch is b, not the source's a/);
    for (const collection of ['users', 'friends', 'reads']) expect(judge(collection, { _id: 'x' })).toBe('not in the source');
  });
});
