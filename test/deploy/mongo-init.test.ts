/**
 * mongo-init/create-app-user.js, the script MongoDB's image runs with mongosh on an empty volume. No
 * mongod or mongosh can run here, so it runs in a VM context with the two mongosh globals it uses
 * (`db`, `print`) recording what it asks for; the compose and Kubernetes tests check that MongoDB gets
 * the variables it reads.
 */
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { ROOT } from './render.js';

const script = fs.readFileSync(path.join(ROOT, 'mongo-init/create-app-user.js'), 'utf8');

/** Runs the script with `env` and returns the users it created, by database. */
function runInitScript(env: Record<string, string>): { database: string; user: unknown }[] {
  const created: { database: string; user: unknown }[] = [];
  const db = { getSiblingDB: (database: string) => ({ createUser: (user: unknown) => created.push({ database, user }) }) };
  vm.runInNewContext(script, { db, print: () => {}, process: { env } });
  return created;
}

describe('the MongoDB init script', () => {
  it('creates the app user with readWrite on its own database only', () => {
    expect(runInitScript({ MONGO_DB_APP_USERNAME: 'chat', MONGO_DB_APP_PASSWORD: 's3cret', MONGO_DB_APP_DATABASE: 'chatdb' })).toEqual([
      { database: 'chatdb', user: { user: 'chat', pwd: 's3cret', roles: [{ role: 'readWrite', db: 'chatdb' }] } },
    ]);
  });

  it('uses the database the app defaults to when none is named', () => {
    expect(runInitScript({ MONGO_DB_APP_USERNAME: 'chat', MONGO_DB_APP_PASSWORD: 's3cret' })[0]?.database).toBe('chorus');
  });

  it('fails the first start, loudly, when the user or password is missing', () => {
    expect(() => runInitScript({ MONGO_DB_APP_USERNAME: 'chat' })).toThrow(/MONGO_DB_APP_PASSWORD/);
    expect(() => runInitScript({ MONGO_DB_APP_PASSWORD: 's3cret' })).toThrow(/MONGO_DB_APP_USERNAME/);
  });
});
