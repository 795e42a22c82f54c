/**
 * In-process MongoDB wire-protocol server, for tests and dev tooling (`npm run cluster`, the benchmarks),
 * never for production: `dist/` does not contain it.
 *
 * No mongod can run on the machines these tests run on, so this speaks just enough of the wire
 * protocol (a legacy OP_QUERY handshake, then OP_MSG) for the real `mongodb` driver, mongoose and
 * connect-mongo to work unchanged over TCP. Data lives in memory; `bson` does (de)serialisation
 * and `mingo` does query matching, projection, sorting, aggregation and most update operators.
 *
 * Every command runs synchronously to completion on the event loop, so each command is atomic,
 * which is what makes concurrent `$inc` upserts and unique indexes behave like a real server.
 *
 * It has to stay fast as collections grow: the load benchmark's multi-replica runs go through it when no
 * real MongoDB is at hand, and there every chat message costs several point reads and writes on
 * collections of tens of thousands of documents. So equality on `_id` or on a unique index is answered
 * from that index (`Collection.candidates`), and the TTL sweep only runs once something is due.
 */
import net from 'node:net';
import { BSON, EJSON, Long, ObjectId } from 'bson';
import { Aggregator, ProcessingMode, Query, update as applyOperators } from 'mingo';

export interface MongoWireServer {
  /** e.g. mongodb://127.0.0.1:PORT */
  url: string;
  port: number;
  close(): Promise<void>;
  /** Drop all data (every database, collection, index and open cursor). */
  reset(): void;
}

type Doc = Record<string, any>;

/** As listIndexes reports it: v, key and name, plus the client's options (unique, partialFilterExpression, ...). */
type IndexSpec = Doc & { v: number; key: Doc; name: string };

interface Index {
  spec: IndexSpec;
  fields: string[];
  partial?: Query;
  /** Unique indexes only: index key -> key of the owning document's _id. */
  entries: Map<string, string>;
  /** Lookup indexes only (see `lookupIndex`): how many documents `keyable` rejects, which forces a full scan. */
  unkeyable: number;
}

/** An open cursor: its namespace and the documents not yet returned. */
interface CursorState { ns: string; rest: Doc[] }
type Handler = (cmd: Doc, db: string, connectionId: number) => Doc;

const OP_REPLY = 1;
const OP_QUERY = 2004;
const OP_MSG = 2013;
const CHECKSUM_PRESENT = 1 << 0;
const MORE_TO_COME = 1 << 1;
const MAX_MESSAGE_BYTES = 48_000_000;
const DEFAULT_FIRST_BATCH = 101;
const ID_INDEX: IndexSpec = { v: 2, key: { _id: 1 }, name: '_id_' };

/** A command failure that maps onto a MongoDB error reply (`ok: 0`, code, codeName). */
class CommandError extends Error {
  constructor(readonly code: number, readonly codeName: string, message: string, readonly extra: Doc = {}) {
    super(message);
  }
}

function toCommandError(error: unknown): CommandError {
  if (error instanceof CommandError) return error;
  return new CommandError(2, 'BadValue', error instanceof Error ? error.message : String(error));
}

function errorReply(error: unknown): Doc {
  const e = toCommandError(error);
  return { ok: 0, errmsg: e.message, code: e.code, codeName: e.codeName, ...e.extra };
}

// ---- Value helpers ----

/** Canonical string for a BSON value, so equal values (ObjectIds, dates, sub-documents) compare equal as Map keys. */
function valueKey(value: unknown): string {
  return EJSON.stringify({ v: value ?? null });
}

/** Deep copy through BSON: keeps ObjectId/Date/Long/Binary intact and drops `undefined`, like a real store would. */
function clone(doc: Doc): Doc {
  return BSON.deserialize(BSON.serialize(doc, { ignoreUndefined: true }));
}

/** Byte-level equality, which is how `nModified` knows a no-op update from a real one. */
function sameDocument(a: Doc, b: Doc): boolean {
  return Buffer.from(BSON.serialize(a, { ignoreUndefined: true })).equals(BSON.serialize(b, { ignoreUndefined: true }));
}

function isPlainObject(value: unknown): value is Doc {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

function getPath(doc: unknown, path: string): unknown {
  let value = doc;
  for (const part of path.split('.')) value = typeof value === 'object' && value !== null ? (value as Doc)[part] : undefined;
  return value;
}

function setPath(doc: Doc, path: string, value: unknown): void {
  const parts = path.split('.');
  const last = parts.pop() as string;
  let target = doc;
  for (const part of parts) target = isPlainObject(target[part]) ? target[part] : (target[part] = {});
  target[last] = value;
}

/** MongoDB returns _id first; mingo projections append it last. */
function idFirst(doc: Doc): Doc {
  return '_id' in doc ? { _id: doc._id, ...doc } : doc;
}

function withId(doc: Doc): Doc {
  return { _id: doc._id ?? new ObjectId(), ...doc };
}

function duplicateKey(ns: string, spec: IndexSpec, doc: Doc): CommandError {
  const keyValue = Object.fromEntries(Object.keys(spec.key).map((f) => [f, getPath(doc, f) ?? null]));
  const show = (v: unknown) => (v instanceof ObjectId ? `ObjectId('${v.toHexString()}')` : EJSON.stringify(v));
  const shown = Object.entries(keyValue).map(([k, v]) => `${k}: ${show(v)}`).join(', ');
  const errmsg = `E11000 duplicate key error collection: ${ns} index: ${spec.name} dup key: { ${shown} }`;
  return new CommandError(11000, 'DuplicateKey', errmsg, { keyPattern: spec.key, keyValue });
}

// ---- Querying and updating (mingo does the heavy lifting) ----

interface SelectOptions { sort?: Doc; skip?: number; limit?: number; projection?: Doc }

/** Filters, sorts, pages and projects documents. Without a projection it returns the stored objects themselves. */
function select(docs: Doc[], filter: Doc = {}, options: SelectOptions = {}): Doc[] {
  const projection = options.projection && Object.keys(options.projection).length ? options.projection : undefined;
  const cursor = new Query(filter).find<Doc>(docs, projection ?? {});
  if (options.sort && Object.keys(options.sort).length) cursor.sort(options.sort);
  if (options.skip) cursor.skip(options.skip);
  if (options.limit) cursor.limit(options.limit);
  const result = cursor.all();
  return projection ? result.map(idFirst) : result;
}

/** The document an upsert starts from: the query's equality fields, including `_id`. */
function equalityFields(query: Doc, into: Doc = {}): Doc {
  for (const [key, value] of Object.entries(query)) {
    const operators = isPlainObject(value) && Object.keys(value).some((k) => k.startsWith('$'));
    if (key === '$and' && Array.isArray(value)) value.forEach((q: Doc) => equalityFields(q, into));
    else if (key.startsWith('$') || value instanceof RegExp) continue;
    else if (!operators) setPath(into, key, value);
    else if ('$eq' in value) setPath(into, key, value.$eq);
  }
  return into;
}

interface UpdateOptions { inserting?: boolean; query?: Doc; arrayFilters?: Doc[] }

const IMMUTABLE_ID = "Performing an update on the path '_id' would modify the immutable field '_id'";

/** The stages MongoDB allows in an update pipeline: they reshape one document, never filter or multiply it. */
const UPDATE_STAGES = new Set(['$addFields', '$set', '$project', '$unset', '$replaceRoot', '$replaceWith']);

/** Applies an update pipeline (an array of stages, each seeing the document as the previous one left it) to a copy of `doc`. */
function applyPipeline(doc: Doc, pipeline: unknown[]): Doc {
  for (const stage of pipeline) {
    const name = isPlainObject(stage) ? Object.keys(stage)[0] : undefined;
    if (!isPlainObject(stage) || Object.keys(stage).length !== 1 || !UPDATE_STAGES.has(name!)) {
      throw new CommandError(72, 'InvalidOptions', `${String(name ?? 'A non-object stage')} is not allowed to be used within an update`);
    }
  }
  const [next = {}] = new Aggregator(pipeline as Doc[], { processingMode: ProcessingMode.CLONE_INPUT }).run<Doc>([clone(doc)]);
  if (doc._id !== undefined && valueKey(next._id) !== valueKey(doc._id)) throw new CommandError(66, 'ImmutableField', IMMUTABLE_ID);
  return clone(idFirst(next));
}

/** Applies an update (operators, or a pipeline) to a copy of `doc` (nothing here sends replacement documents). */
function applyUpdate(doc: Doc, update: Doc | unknown[], options: UpdateOptions = {}): Doc {
  if (Array.isArray(update)) return applyPipeline(doc, update);
  const next = clone(doc);
  // mingo has no $setOnInsert and rejects any $set of _id, even to its current value (connect-mongo
  // sends exactly that with upsert), so both are resolved here before mingo sees the modifier.
  const { $setOnInsert, $set, ...modifier } = update;
  const set: Doc = { ...$set, ...(options.inserting ? $setOnInsert : {}) };
  if ('_id' in set) {
    if (next._id !== undefined && valueKey(set._id) !== valueKey(next._id)) throw new CommandError(66, 'ImmutableField', IMMUTABLE_ID);
    next._id = set._id;
    delete set._id;
  }
  if (Object.keys(set).length) modifier.$set = set;
  if (Object.keys(modifier).length) {
    // The condition lets mingo resolve positional `$` paths; it is meaningless for a fresh upsert.
    applyOperators(next, modifier, options.arrayFilters, options.inserting ? undefined : options.query);
  }
  return clone(next);
}

// ---- Storage ----

function makeIndex(raw: Doc): Index {
  const { v: _v, key, name, ...options } = raw;
  const defaultName = Object.entries(key).map(([field, dir]) => `${field}_${String(dir)}`).join('_');
  const spec: IndexSpec = { v: 2, key, name: name ?? defaultName, ...options };
  const partial = spec.partialFilterExpression ? new Query(spec.partialFilterExpression) : undefined;
  return { spec, fields: Object.keys(key), entries: new Map(), partial, unkeyable: 0 };
}

/**
 * Whether equality on all of the index's fields can be answered from `entries`: unique and covering every
 * document (not partial, not sparse), so a document missing from `entries` under the query's key cannot match.
 */
function lookupIndex(index: Index): boolean {
  return !!index.spec.unique && !index.partial && !index.spec.sparse;
}

/**
 * Whether `doc`'s values at `fields` are found by an index lookup whenever a plain equality matches them.
 * An array on the path is not: `{ f: 'x' }` matches `{ f: ['x', 'y'] }`, which is indexed under the whole array.
 */
function keyable(doc: Doc, fields: string[]): boolean {
  return fields.every((field) => {
    let value: unknown = doc;
    for (const part of field.split('.')) {
      if (Array.isArray(value)) return false;
      value = typeof value === 'object' && value !== null ? (value as Doc)[part] : undefined;
    }
    return !Array.isArray(value);
  });
}

/**
 * A query value an index lookup can serve: one mingo's equality matches only against a value with the same
 * `valueKey` (so no null, which also matches missing fields, no arrays or sub-documents, no regexes).
 */
function lookupValue(value: unknown): boolean {
  if (typeof value === 'string' || typeof value === 'boolean' || typeof value === 'number') return true;
  return value instanceof ObjectId || (value instanceof Date && !Number.isNaN(value.getTime()));
}

/** The top-level (and `$and`) equality conditions of a query whose values `lookupValue` accepts, by path. */
function lookupEqualities(query: unknown, into = new Map<string, unknown>()): Map<string, unknown> {
  if (!isPlainObject(query)) return into;
  for (const [key, value] of Object.entries(query)) {
    if (key === '$and' && Array.isArray(value)) value.forEach((q: unknown) => lookupEqualities(q, into));
    if (key.startsWith('$') || into.has(key)) continue;
    const operators = isPlainObject(value) && Object.keys(value).some((k) => k.startsWith('$'));
    const wanted = !operators ? value : Object.keys(value).every((k) => k.startsWith('$')) ? value.$eq : undefined;
    if (lookupValue(wanted)) into.set(key, wanted);
  }
  return into;
}

/** When a document expires through the collection's TTL indexes (Infinity: never). */
function expiry(indexes: Index[], doc: Doc): number {
  let at = Number.POSITIVE_INFINITY;
  for (const { spec, fields } of indexes) {
    if (typeof spec.expireAfterSeconds !== 'number' || fields.length !== 1) continue;
    const value = getPath(doc, fields[0] as string);
    for (const date of Array.isArray(value) ? value : [value]) {
      const time = date instanceof Date ? date.getTime() + spec.expireAfterSeconds * 1000 : Number.NaN;
      if (time < at) at = time; // NaN (not a date, or a bad expireAfterSeconds) never expires
    }
  }
  return at;
}

/** The unique-index key of `doc`, or undefined when the index does not cover it (not unique, partial, sparse). */
function uniqueKey(index: Index, doc: Doc): string | undefined {
  if (!index.spec.unique || (index.partial && !index.partial.test(doc))) return undefined;
  const values = index.fields.map((f) => getPath(doc, f));
  if (index.spec.sparse && values.every((v) => v === undefined)) return undefined;
  // As in MongoDB, a missing field indexes as null, so two documents lacking it collide.
  return valueKey(values.map((v) => v ?? null));
}

/** createIndexes is idempotent for an identical spec, but a different index under a taken name is an error. */
function assertSameIndex(existing: IndexSpec, requested: IndexSpec): void {
  const shape = (a: IndexSpec) => valueKey([a.key, !!a.unique, !!a.sparse, a.partialFilterExpression, a.expireAfterSeconds]);
  if (shape(existing) === shape(requested)) return;
  const message = `An existing index has the same name as the requested index: ${existing.name}`;
  throw new CommandError(86, 'IndexKeySpecsConflict', message);
}

/** One collection: documents in insertion (natural) order keyed by _id, plus secondary indexes. */
class Collection {
  readonly docs = new Map<string, Doc>();
  readonly indexes: Index[] = [];
  /** Documents whose _id `keyable` rejects; while there are any, equality on _id scans. */
  private unkeyableIds = 0;
  /** No document expires before this (it may be earlier than the true next expiry, never later). */
  private nextExpiry = Number.POSITIVE_INFINITY;

  constructor(readonly ns: string) {}

  all(): Doc[] {
    return [...this.docs.values()];
  }

  /**
   * The documents `filter` may match, for `select` to filter: at most one when the filter's equality
   * conditions cover `_id` or every field of a lookup index, else all of them. Looked-up documents are
   * matched by the whole filter afterwards, so the result is exactly what a full scan would give.
   */
  candidates(filter: unknown): Doc[] {
    const equal = lookupEqualities(filter);
    let id: string | undefined;
    if (equal.has('_id') && this.unkeyableIds === 0) {
      id = valueKey(equal.get('_id'));
    } else {
      const index = this.indexes.find((i) => lookupIndex(i) && i.unkeyable === 0 && i.fields.every((f) => equal.has(f)));
      // Built like uniqueKey() builds the stored key (no nulls can occur: lookupValue excludes them).
      if (!index) return this.all();
      id = index.entries.get(valueKey(index.fields.map((f) => equal.get(f))));
    }
    const doc = id === undefined ? undefined : this.docs.get(id);
    return doc ? [doc] : [];
  }

  /**
   * Inserts a document, or stores a new version of an existing one (updates never change _id).
   * Every unique index is checked before anything is touched, so a rejected write leaves no trace.
   */
  write(doc: Doc, inserting: boolean): void {
    const id = valueKey(doc._id);
    if (inserting && this.docs.has(id)) throw duplicateKey(this.ns, ID_INDEX, doc);
    const keys = this.indexes.map((index) => uniqueKey(index, doc));
    this.indexes.forEach((index, i) => {
      const owner = keys[i] === undefined ? undefined : index.entries.get(keys[i]);
      if (owner !== undefined && owner !== id) throw duplicateKey(this.ns, index.spec, doc);
    });
    this.unindex(id);
    this.indexes.forEach((index, i) => keys[i] !== undefined && index.entries.set(keys[i], id));
    this.count(doc, 1);
    this.docs.set(id, doc);
    this.nextExpiry = Math.min(this.nextExpiry, expiry(this.indexes, doc));
  }

  remove(doc: Doc): void {
    const id = valueKey(doc._id);
    this.unindex(id);
    this.docs.delete(id);
  }

  /** Adds an index, enforcing uniqueness over existing data; re-creating an identical index is a no-op. */
  addIndex(raw: Doc): void {
    const index = makeIndex(raw);
    if (index.spec.name === ID_INDEX.name) return;
    const clash = this.indexes.find((i) => i.spec.name === index.spec.name);
    if (clash) return assertSameIndex(clash.spec, index.spec);
    for (const doc of this.docs.values()) {
      const key = uniqueKey(index, doc);
      if (key !== undefined && index.entries.has(key)) throw duplicateKey(this.ns, index.spec, doc);
      if (key !== undefined) index.entries.set(key, valueKey(doc._id));
      if (lookupIndex(index) && !keyable(doc, index.fields)) index.unkeyable++;
    }
    this.indexes.push(index);
    if (typeof index.spec.expireAfterSeconds === 'number') this.nextExpiry = Number.NEGATIVE_INFINITY;
  }

  /**
   * TTL indexes, applied lazily: a document expires once its date field + expireAfterSeconds has passed.
   * Checked before every command, so it sweeps only once `nextExpiry` says something may be due (a sweep
   * on every command would be a full scan each time); what is due is still gone before anyone reads it.
   */
  expire(now: number): void {
    if (now < this.nextExpiry) return;
    let next = Number.POSITIVE_INFINITY;
    for (const doc of this.all()) {
      const at = expiry(this.indexes, doc);
      if (at <= now) this.remove(doc);
      else if (at < next) next = at;
    }
    this.nextExpiry = next;
  }

  /** Keeps the `unkeyable` counts when `doc` enters (+1) or leaves (-1) the collection. */
  private count(doc: Doc, delta: 1 | -1): void {
    if (!keyable(doc, ['_id'])) this.unkeyableIds += delta;
    for (const index of this.indexes) if (lookupIndex(index) && !keyable(doc, index.fields)) index.unkeyable += delta;
  }

  private unindex(id: string): void {
    const old = this.docs.get(id);
    if (!old) return;
    this.count(old, -1);
    for (const index of this.indexes) {
      const key = uniqueKey(index, old);
      if (key !== undefined && index.entries.get(key) === id) index.entries.delete(key);
    }
  }
}

/** Runs write statements like the server does (ordered batches stop at the first error); `{ writeErrors }` if any failed. */
function runStatements(items: Doc[], ordered: boolean, run: (item: Doc, index: number) => void): Doc {
  const writeErrors: Doc[] = [];
  for (const [index, item] of items.entries()) {
    try {
      run(item, index);
    } catch (error) {
      const e = toCommandError(error);
      writeErrors.push({ index, code: e.code, errmsg: e.message, ...e.extra });
      if (ordered) break;
    }
  }
  return writeErrors.length ? { writeErrors } : {};
}

/** The command layer: databases, cursors and one handler per supported command. */
class Engine {
  private readonly dbs = new Map<string, Map<string, Collection>>();
  private readonly cursors = new Map<string, CursorState>();
  private nextCursorId = 1;

  private readonly commands: Record<string, Handler> = {
    // No topologyVersion on purpose: with one, the driver switches to streaming (awaitable) hello.
    hello: (_, _db, connectionId) => ({
      ismaster: true, helloOk: true, isWritablePrimary: true, maxBsonObjectSize: 16_777_216,
      maxMessageSizeBytes: MAX_MESSAGE_BYTES, maxWriteBatchSize: 100_000, localTime: new Date(),
      logicalSessionTimeoutMinutes: 30, connectionId, minWireVersion: 0, maxWireVersion: 21, readOnly: false,
    }),
    ismaster: (...args) => this.commands.hello!(...args),
    buildInfo: () => ({ version: '7.0.0', versionArray: [7, 0, 0, 0], bits: 64, maxBsonObjectSize: 16_777_216 }),
    ping: () => ({}),
    endSessions: () => ({}),
    create: ({ create: name }, db) => {
      if (this.dbs.get(db)?.has(name)) throw new CommandError(48, 'NamespaceExists', `Collection ${db}.${name} exists`);
      this.ensure(db, name);
      return {};
    },
    drop: ({ drop: name }, db) => {
      if (!this.dbs.get(db)?.delete(name)) throw new CommandError(26, 'NamespaceNotFound', 'ns not found');
      return {};
    },
    dropDatabase: (_, db) => (this.dbs.delete(db), { dropped: db }),
    createIndexes: (cmd, db) => {
      const coll = this.ensure(db, cmd.createIndexes);
      for (const spec of cmd.indexes ?? []) coll.addIndex(spec);
      return {}; // the driver reports the requested names, not counts from the reply
    },
    // By name only, as the store uses it; the _id index cannot be dropped.
    dropIndexes: (cmd, db) => {
      const coll = this.read(db, cmd.dropIndexes);
      if (!coll) throw new CommandError(26, 'NamespaceNotFound', `ns not found ${db}.${String(cmd.dropIndexes)}`);
      const at = coll.indexes.findIndex((i) => i.spec.name === cmd.index);
      if (at < 0) throw new CommandError(27, 'IndexNotFound', `index not found with name [${String(cmd.index)}]`);
      coll.indexes.splice(at, 1);
      return { nIndexesWas: coll.indexes.length + 2 };
    },
    listIndexes: (cmd, db) => {
      const coll = this.read(db, cmd.listIndexes);
      if (!coll) throw new CommandError(26, 'NamespaceNotFound', `ns does not exist: ${db}.${String(cmd.listIndexes)}`);
      return this.openCursor(coll.ns, [ID_INDEX, ...coll.indexes.map((i) => i.spec)], cmd.cursor?.batchSize);
    },
    // Collection options are not kept (nothing here creates a capped or validated one), so none are reported.
    listCollections: (cmd, db) => {
      const infos = [...(this.dbs.get(db)?.keys() ?? [])].map((name) => ({
        name, type: 'collection', options: {}, info: { readOnly: false }, idIndex: ID_INDEX,
      }));
      const listed = select(infos, cmd.filter ?? {}).map((c) => (cmd.nameOnly ? { name: c.name, type: c.type } : c));
      return this.openCursor(`${db}.$cmd.listCollections`, listed, cmd.cursor?.batchSize);
    },
    find: (cmd, db) => {
      const docs = select(this.candidates(db, cmd.find, cmd.filter), cmd.filter, { ...cmd, limit: Math.abs(cmd.limit ?? 0) });
      return this.openCursor(`${db}.${cmd.find}`, docs, cmd.batchSize, cmd.singleBatch === true || cmd.limit < 0);
    },
    getMore: (cmd) => {
      const id = String(cmd.getMore);
      const cursor = this.cursors.get(id);
      if (!cursor) throw new CommandError(43, 'CursorNotFound', `cursor id ${id} not found`);
      const nextBatch = cursor.rest.splice(0, cmd.batchSize || Number.POSITIVE_INFINITY);
      if (cursor.rest.length === 0) this.cursors.delete(id);
      return { cursor: { id: this.cursors.has(id) ? Long.fromString(id) : Long.ZERO, ns: cursor.ns, nextBatch } };
    },
    aggregate: (cmd, db) => {
      // CLONE_INPUT because stages such as $addFields/$set may otherwise write into stored documents.
      const aggregator = new Aggregator(cmd.pipeline ?? [], { processingMode: ProcessingMode.CLONE_INPUT });
      const out = aggregator.run<Doc>(this.docsOf(db, cmd.aggregate)).map(idFirst);
      return this.openCursor(`${db}.${String(cmd.aggregate)}`, out, cmd.cursor?.batchSize);
    },
    count: (cmd, db) => ({ n: select(this.candidates(db, cmd.count, cmd.query), cmd.query, cmd).length }),
    distinct: (cmd, db) => {
      const values = new Map<string, unknown>();
      for (const doc of select(this.candidates(db, cmd.distinct, cmd.query), cmd.query)) {
        const value = getPath(doc, cmd.key);
        for (const item of Array.isArray(value) ? value : [value]) if (item !== undefined) values.set(valueKey(item), item);
      }
      return { values: [...values.values()] };
    },
    insert: (cmd, db) => {
      const coll = this.ensure(db, cmd.insert);
      let n = 0;
      const errors = runStatements(cmd.documents ?? [], cmd.ordered !== false, (doc) => {
        coll.write(withId(doc), true);
        n++;
      });
      return { n, ...errors };
    },
    update: (cmd, db) => {
      let n = 0;
      let nModified = 0;
      const upserted: Doc[] = [];
      const errors = runStatements(cmd.updates ?? [], cmd.ordered !== false, (stmt, index) => {
        const result = this.modify(db, cmd.update, stmt);
        n += result.before.length + (result.upserted ? 1 : 0);
        nModified += result.modified;
        if (result.upserted) upserted.push({ index, _id: result.upserted._id });
      });
      return { n, nModified, ...(upserted.length ? { upserted } : {}), ...errors };
    },
    delete: (cmd, db) => {
      const coll = this.read(db, cmd.delete);
      let n = 0;
      const errors = runStatements(cmd.deletes ?? [], cmd.ordered !== false, (stmt) => {
        for (const doc of coll ? select(coll.candidates(stmt.q), stmt.q, { limit: stmt.limit }) : []) {
          coll!.remove(doc);
          n++;
        }
      });
      return { n, ...errors };
    },
    findAndModify: (cmd, db) => {
      const stmt = { q: cmd.query, u: cmd.update, upsert: cmd.upsert, sort: cmd.sort, arrayFilters: cmd.arrayFilters };
      const { before: [before], after: [after], upserted } = this.modify(db, cmd.findAndModify, stmt);
      const lastErrorObject = upserted
        ? { n: 1, updatedExisting: false, upserted: upserted._id }
        : { n: before ? 1 : 0, updatedExisting: !!before };
      return { lastErrorObject, value: (cmd.new ? after : before) ?? null };
    },
  };

  /** Runs one command and always returns a reply document; handler errors become `ok: 0` replies. */
  run(db: string, cmd: Doc, connectionId: number): Doc {
    const name = Object.keys(cmd)[0] ?? '';
    const handler = Object.hasOwn(this.commands, name) ? this.commands[name] : undefined;
    if (!handler) return { ok: 0, errmsg: `no such command: '${name}'`, code: 59, codeName: 'CommandNotFound' };
    try {
      return { ...handler(cmd, db, connectionId), ok: 1 };
    } catch (error) {
      return errorReply(error);
    }
  }

  reset(): void {
    this.dbs.clear();
    this.cursors.clear();
  }

  /** A collection for reading, with expired TTL documents already purged; undefined if it does not exist. */
  private read(db: string, name: string): Collection | undefined {
    const coll = this.dbs.get(db)?.get(name);
    coll?.expire(Date.now());
    return coll;
  }

  /** The documents of a collection (none if it does not exist), for reading. */
  private docsOf(db: string, name: string): Doc[] {
    return this.read(db, name)?.all() ?? [];
  }

  /** The documents of a collection that `filter` may match (see `Collection.candidates`), for reading. */
  private candidates(db: string, name: string, filter: unknown): Doc[] {
    return this.read(db, name)?.candidates(filter) ?? [];
  }

  /** A collection for writing, created implicitly like MongoDB does. */
  private ensure(db: string, name: string): Collection {
    if (typeof name !== 'string' || !name) throw new CommandError(73, 'InvalidNamespace', `Invalid name: ${String(name)}`);
    const colls = this.dbs.get(db) ?? this.dbs.set(db, new Map()).get(db)!;
    const coll = this.read(db, name) ?? new Collection(`${db}.${name}`);
    colls.set(name, coll);
    return coll;
  }

  /** Splices the first batch off `docs` (a fresh array); the rest waits under a stable int64 id for getMore. */
  private openCursor(ns: string, docs: Doc[], batchSize?: number, singleBatch = false): Doc {
    const firstBatch = docs.splice(0, batchSize || DEFAULT_FIRST_BATCH);
    let id = Long.ZERO;
    if (!singleBatch && docs.length) {
      id = Long.fromNumber(this.nextCursorId++);
      this.cursors.set(id.toString(), { ns, rest: docs });
    }
    return { cursor: { id, ns, firstBatch } };
  }

  /**
   * One update statement (q, u, upsert, multi, sort, arrayFilters) for update and findAndModify: the matched
   * documents before and after it, or (matching none) the document an upsert built from the query's equality fields.
   */
  private modify(db: string, name: string, stmt: Doc): { before: Doc[]; after: Doc[]; modified: number; upserted?: Doc } {
    const coll = this.read(db, name);
    const before = coll ? select(coll.candidates(stmt.q), stmt.q, { sort: stmt.sort, limit: stmt.multi ? 0 : 1 }) : [];
    if (before.length === 0 && stmt.upsert) {
      const base = equalityFields(stmt.q ?? {});
      const upserted = withId(applyUpdate(base, stmt.u, { inserting: true, arrayFilters: stmt.arrayFilters }));
      this.ensure(db, name).write(upserted, true);
      return { before, after: [upserted], modified: 0, upserted };
    }
    let modified = 0;
    const after = before.map((doc) => {
      const next = applyUpdate(doc, stmt.u, { query: stmt.q, arrayFilters: stmt.arrayFilters });
      if (sameDocument(doc, next)) return doc;
      coll!.write(next, false);
      modified++;
      return next;
    });
    return { before, after, modified };
  }
}

// ---- Wire protocol ----

interface Request { db: string; command: Doc; noReply: boolean }

function readDocument(buf: Buffer, offset: number): Doc {
  return BSON.deserialize(buf.subarray(offset, offset + buf.readInt32LE(offset)));
}

/** Legacy OP_QUERY: only the driver's first handshake (`ismaster`/`hello` on `admin.$cmd`) arrives this way. */
function parseOpQuery(msg: Buffer): Request {
  const nsEnd = msg.indexOf(0, 20);
  const ns = msg.toString('utf8', 20, nsEnd);
  const query = readDocument(msg, nsEnd + 1 + 8); // skip numberToSkip + numberToReturn
  const command = isPlainObject(query.$query) ? query.$query : query;
  return { db: ns.slice(0, ns.indexOf('.')), command, noReply: false };
}

/** OP_MSG: flagBits, then sections — kind 0 is the command body, kind 1 a named document sequence merged into it. */
function parseOpMsg(msg: Buffer): Request {
  const flags = msg.readUInt32LE(16);
  const end = msg.length - (flags & CHECKSUM_PRESENT ? 4 : 0);
  let command: Doc = {};
  const sequences: Doc = {};
  for (let pos = 20; pos < end; ) {
    const kind = msg[pos++];
    const size = msg.readInt32LE(pos);
    if (kind === 0) {
      command = readDocument(msg, pos);
    } else if (kind === 1) {
      const idEnd = msg.indexOf(0, pos + 4);
      const docs: Doc[] = [];
      for (let p = idEnd + 1; p < pos + size; p += msg.readInt32LE(p)) docs.push(readDocument(msg, p));
      sequences[msg.toString('utf8', pos + 4, idEnd)] = docs;
    } else {
      throw new Error(`unsupported OP_MSG section kind ${String(kind)}`);
    }
    pos += size;
  }
  Object.assign(command, sequences);
  return { db: String(command.$db ?? 'admin'), command, noReply: (flags & MORE_TO_COME) !== 0 };
}

let nextResponseId = 1;

/** OP_REPLY to an OP_QUERY (flags, cursorId 0, startingFrom 0, numberReturned 1), else OP_MSG with one body section. */
function encodeReply(opCode: number, responseTo: number, reply: Doc): Buffer {
  const body = BSON.serialize(reply, { ignoreUndefined: true });
  const legacy = opCode === OP_QUERY;
  const prefix = Buffer.alloc(legacy ? 20 : 5); // OP_MSG: flagBits 0 + section kind 0
  if (legacy) prefix.writeInt32LE(1, 16);
  const header = Buffer.alloc(16);
  header.writeInt32LE(16 + prefix.length + body.length, 0);
  header.writeInt32LE(nextResponseId++, 4);
  header.writeInt32LE(responseTo, 8);
  header.writeInt32LE(legacy ? OP_REPLY : OP_MSG, 12);
  return Buffer.concat([header, prefix, body]);
}

/** Answers one complete message; undefined when no reply is due (moreToCome). Never throws. */
function handleMessage(engine: Engine, msg: Buffer, connectionId: number): Buffer | undefined {
  const requestId = msg.readInt32LE(4);
  const opCode = msg.readInt32LE(12);
  let noReply = false;
  try {
    if (opCode !== OP_QUERY && opCode !== OP_MSG) throw new Error(`unsupported opCode ${opCode}`);
    const request = opCode === OP_QUERY ? parseOpQuery(msg) : parseOpMsg(msg);
    noReply = request.noReply;
    const reply = engine.run(request.db, request.command, connectionId);
    return noReply ? undefined : encodeReply(opCode, requestId, reply);
  } catch (error) {
    // Unparseable requests or unserialisable replies still get an answer, so the driver's
    // connection stays in sync instead of waiting forever.
    return noReply ? undefined : encodeReply(opCode, requestId, errorReply(error));
  }
}

/** Reassembles messages from arbitrary TCP chunks and answers them in order. */
function serveConnection(socket: net.Socket, engine: Engine, connectionId: number): void {
  let pending: Buffer = Buffer.alloc(0);
  socket.setNoDelay(true);
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length >= 4) {
      const length = pending.readInt32LE(0);
      if (length < 16 || length > MAX_MESSAGE_BYTES) return void socket.destroy(); // the stream can't be resynchronised
      if (pending.length < length) return;
      const reply = handleMessage(engine, pending.subarray(0, length), connectionId);
      pending = pending.subarray(length);
      if (reply) socket.write(reply);
    }
  });
}

/** Starts the server on 127.0.0.1 (an ephemeral port unless `port` is given). */
export async function startMongoWireServer(options: { port?: number } = {}): Promise<MongoWireServer> {
  const engine = new Engine();
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    serveConnection(socket, engine, ++connections);
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `mongodb://127.0.0.1:${port}`,
    port,
    reset: () => engine.reset(),
    close: () =>
      new Promise<void>((resolve) => {
        // Clients keep pooled connections open; server.close() alone would wait for them forever.
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
