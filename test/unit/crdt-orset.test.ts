import { decode as msgpackDecode, encode as msgpackEncode } from '@msgpack/msgpack';
import fc from 'fast-check';
import { deliveryOrder, expectMergeLaws, playOps } from '../helpers/crdt-laws.js';
import { describe, expect, it } from 'vitest';
import { CrdtDecodeError, ORSet } from '../../src/crdt/index.js';

const REPLICAS = ['r0', 'r1', 'r2', 'r3'] as const;
const ELEMENTS = ['a', 'b', 'c', 'd', 'e'] as const;

/** What a replica sends: the delta through the real codec, as JSON text. */
function send(delta: ORSet.State): string {
  return JSON.stringify(ORSet.encode(delta));
}

function receive(state: ORSet.State, message: string): ORSet.State {
  return ORSet.merge(state, ORSet.decode(JSON.parse(message)));
}

/** Applies a mutator's delta locally, failing the test when the mutator had nothing to say. */
function apply(state: ORSet.State, delta: ORSet.State | null): ORSet.State {
  expect(delta).not.toBeNull();
  return ORSet.merge(state, delta!);
}

describe('ORSet: Cloudstate behaviour', () => {
  it('emits a delta with only the elements that were absent', () => {
    let state = apply(ORSet.initial(), ORSet.add(ORSet.initial(), 'r', 'a', 'b'));
    const delta = ORSet.add(state, 'r', 'b', 'c');
    expect(delta && ORSet.values(delta)).toEqual(['c']);
    state = apply(state, delta);
    expect(ORSet.values(state)).toEqual(['a', 'b', 'c']);
    expect(ORSet.add(state, 'r', 'a', 'c')).toBeNull();
  });

  it('removes an element: add(x, y), delete(x) leaves {y}', () => {
    let state = apply(ORSet.initial(), ORSet.add(ORSet.initial(), 'r', 'x', 'y'));
    const delta = ORSet.remove(state, 'r', 'x');
    // A remove carries no entries, only the dots it observed.
    expect(delta && ORSet.encode(delta)).toEqual({ v: [['r', 1]], e: [] });
    state = apply(state, delta);
    expect(ORSet.values(state)).toEqual(['y']);
    expect([ORSet.has(state, 'x'), ORSet.has(state, 'y'), ORSet.size(state)]).toEqual([false, true, 1]);
  });

  it('clears: add(a), clear, add(x) leaves {x}', () => {
    let state = apply(ORSet.initial(), ORSet.add(ORSet.initial(), 'r', 'a'));
    state = apply(state, ORSet.clear(state, 'r'));
    expect(ORSet.size(state)).toBe(0);
    state = apply(state, ORSet.add(state, 'r', 'x'));
    expect(ORSet.values(state)).toEqual(['x']);
  });

  it('emits no delta when deleting an absent element or clearing an empty set', () => {
    const state = apply(ORSet.initial(), ORSet.add(ORSet.initial(), 'r', 'a'));
    expect(ORSet.remove(state, 'r', 'zzz')).toBeNull();
    expect(ORSet.clear(ORSet.initial(), 'r')).toBeNull();
    expect(ORSet.add(state, 'r')).toBeNull();
  });

  it('lets a concurrent add win over a remove, merged either way', () => {
    const shared = apply(ORSet.initial(), ORSet.add(ORSet.initial(), 'A', 'x'));
    // B removes and re-adds x (a fresh dot) while A, which has seen only the first add, removes x.
    const bRemove = ORSet.remove(shared, 'B', 'x')!;
    const bAdd = ORSet.add(ORSet.merge(shared, bRemove), 'B', 'x')!;
    const aRemove = ORSet.remove(shared, 'A', 'x')!;
    const atA = [bRemove, bAdd].reduce(ORSet.merge, ORSet.merge(shared, aRemove));
    const atB = ORSet.merge([bRemove, bAdd].reduce(ORSet.merge, shared), aRemove);
    expect(ORSet.values(atA)).toEqual(['x']);
    expect(ORSet.encode(atB)).toEqual(ORSet.encode(atA));
  });

  it('lets a concurrent add from a replica that never saw x win over a clear', () => {
    const a = apply(ORSet.initial(), ORSet.add(ORSet.initial(), 'A', 'x'));
    const addB = ORSet.add(ORSet.initial(), 'B', 'x')!;
    const merged = ORSet.merge(ORSet.merge(a, ORSet.clear(a, 'A')!), addB);
    expect(ORSet.values(merged)).toEqual(['x']);
  });
});

describe('ORSet: compact form', () => {
  it('round-trips through JSON and MessagePack, elements named like Object.prototype keys included', () => {
    let state = apply(ORSet.initial(), ORSet.add(ORSet.initial(), 'r1', '__proto__', 'constructor', 'b'));
    state = apply(state, ORSet.remove(state, 'r1', 'b'));
    // An out-of-order dot stays in the cloud until the ones before it arrive.
    const other = ORSet.add(ORSet.initial(), 'r2', 'p')!;
    const later = ORSet.add(ORSet.merge(ORSet.initial(), other), 'r2', 'q')!;
    state = ORSet.merge(state, later);
    const wire = ORSet.encode(state);
    expect(wire).toEqual({
      v: [['r1', 3]],
      d: [['r2', 2]],
      e: [
        ['__proto__', [['r1', 1]]],
        ['constructor', [['r1', 2]]],
        ['q', [['r2', 2]]],
      ],
    });
    expect(ORSet.encode(ORSet.decode(JSON.parse(JSON.stringify(wire))))).toEqual(wire);
    expect(ORSet.encode(ORSet.decode(msgpackDecode(msgpackEncode(wire))))).toEqual(wire);
    expect(ORSet.encode(ORSet.merge(state, other))).toEqual({
      v: [['r1', 3], ['r2', 2]],
      e: [
        ['__proto__', [['r1', 1]]],
        ['constructor', [['r1', 2]]],
        ['p', [['r2', 1]]],
        ['q', [['r2', 2]]],
      ],
    });
  });

  it.each([
    ['a non-object', 'set', /ORSet is not an object/],
    ['an unexpected key', { v: [], e: [], x: [] }, /unexpected key "x"/],
    ['a missing entry list', { v: [] }, /ORSet\.e is not an array/],
    ['a bad vector counter', { v: [['r', 0]], e: [] }, /ORSet\.v\[0\]\[1\] is not a positive safe integer/],
    ['a repeated vector replica', { v: [['r', 1], ['r', 2]], e: [] }, /ORSet\.v\[1\]\[0\] repeats "r"/],
    ['a cloud entry without counters', { v: [], d: [['r']], e: [] }, /ORSet\.d\[0\] holds no counter/],
    ['a repeated counter', { v: [], d: [['r', 2, 2]], e: [] }, /ORSet\.d\[0\] repeats a counter/],
    ['an element without dots', { v: [['r', 1]], e: [['x', []]] }, /ORSet\.e\[0\]\[1\] holds no dot/],
    ['a repeated element', { v: [['r', 2]], e: [['x', [['r', 1]]], ['x', [['r', 2]]]] }, /ORSet\.e\[1\]\[0\] repeats "x"/],
    ['a non-string element', { v: [['r', 1]], e: [[1, [['r', 1]]]] }, /ORSet\.e\[0\]\[0\] is not a string/],
    ['a dot outside the context', { v: [['r', 1]], e: [['x', [['r', 2]]]] }, /ORSet\.e\[0\]\[1\] holds a dot outside the context/],
  ])('refuses %s', (_name, data, message) => {
    expect(() => ORSet.decode(data)).toThrow(CrdtDecodeError);
    expect(() => ORSet.decode(data)).toThrow(message);
  });
});

type Op =
  | { kind: 'add'; replica: number; elements: string[]; seenBy: number[] }
  | { kind: 'remove'; replica: number; element: string; seenBy: number[] }
  | { kind: 'clear'; replica: number; seenBy: number[] };

const replicaIndex = fc.nat({ max: REPLICAS.length - 1 });
const seenBy = fc.uniqueArray(replicaIndex, { maxLength: REPLICAS.length });
const element = fc.constantFrom(...ELEMENTS);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('add' as const), replica: replicaIndex, elements: fc.array(element, { minLength: 1, maxLength: 3 }), seenBy }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('remove' as const), replica: replicaIndex, element, seenBy }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('clear' as const), replica: replicaIndex, seenBy }) },
);
const opsArb = fc.array(opArb, { maxLength: 30 });

function mutate(state: ORSet.State, replica: string, op: Op): ORSet.State | null {
  switch (op.kind) {
    case 'add':
      return ORSet.add(state, replica, ...op.elements);
    case 'remove':
      return ORSet.remove(state, replica, op.element);
    case 'clear':
      return ORSet.clear(state, replica);
  }
}

/** Runs the ops on replicas that hear each delta only if in the op's `seenBy` (see `playOps`). */
function play(ops: readonly Op[], initial: readonly ORSet.State[] = REPLICAS.map(() => ORSet.initial())) {
  return playOps(ops, initial, { mutate: (state, op) => mutate(state, REPLICAS[op.replica]!, op), send, receive });
}

const RUNS = { numRuns: 150 };

describe('ORSet: properties', () => {
  it('converges on every replica once every delta arrives, in any order and duplicated', () => {
    fc.assert(
      fc.property(opsArb, fc.gen(), (ops, g) => {
        const { states, sent } = play(ops);
        const expected = sent.reduce(receive, ORSet.initial());
        for (const state of states) {
          const final = deliveryOrder(g, sent).reduce(receive, state);
          expect(ORSet.values(final)).toEqual(ORSet.values(expected));
          expect(ORSet.encode(final)).toEqual(ORSet.encode(expected));
        }
      }),
      RUNS,
    );
  });

  it('merges commutatively, associatively and idempotently', () => {
    fc.assert(
      fc.property(opsArb, fc.gen(), (ops, g) => {
        const { snapshots } = play(ops);
        const [a, b, c] = [0, 1, 2].map(() => snapshots[g(fc.nat, { max: snapshots.length - 1 })]!) as [ORSet.State, ORSet.State, ORSet.State];
        expectMergeLaws(ORSet.merge, ORSet.encode, [a, b, c]);
      }),
      RUNS,
    );
  });

  it('keeps an element one replica adds while another concurrently removes it', () => {
    fc.assert(
      fc.property(opsArb, opsArb, element, fc.gen(), (history, concurrent, x, g) => {
        // From a common, fully synchronised state, B (re-)adds x with a fresh dot while A removes it, and
        // the other replicas keep working on anything but x.
        const synced = play(history).sent.reduce(receive, ORSet.initial());
        const removeAtB = ORSet.remove(synced, REPLICAS[1], x);
        const atB = removeAtB ? ORSet.merge(synced, removeAtB) : synced;
        const addAtB = ORSet.add(atB, REPLICAS[1], x)!;
        const removeAtA = ORSet.remove(synced, REPLICAS[0], x);
        const untouched = concurrent.filter(
          (op) => op.replica > 1 && op.kind !== 'clear' && (op.kind === 'add' ? !op.elements.includes(x) : op.element !== x),
        );
        const others = play(untouched, REPLICAS.map(() => synced));
        const sent = [...[removeAtA, removeAtB, addAtB].flatMap((delta) => (delta ? [send(delta)] : [])), ...others.sent];
        const replicas = [
          removeAtA ? ORSet.merge(synced, removeAtA) : synced,
          ORSet.merge(atB, addAtB),
          ...others.states.slice(2),
        ];
        for (const state of replicas) expect(ORSet.has(deliveryOrder(g, sent).reduce(receive, state), x)).toBe(true);
      }),
      RUNS,
    );
  });

  it('holds nothing for removed elements once replicas have synchronised: no tombstones, no dot cloud', () => {
    fc.assert(
      fc.property(opsArb, (ops) => {
        const { sent } = play(ops);
        const synced = ORSet.encode(sent.reduce(receive, ORSet.initial()));
        expect(synced.d).toBeUndefined();
        expect(synced.v.length).toBeLessThanOrEqual(REPLICAS.length);
        // One entry per present element, with at most one surviving add per replica.
        expect(synced.e.map(([name]) => name)).toEqual(ORSet.values(ORSet.decode(synced)));
        for (const [, dots] of synced.e) for (const [, ...counters] of dots) expect(counters).toHaveLength(1);
      }),
      RUNS,
    );
  });
});

describe('ORSet: size', () => {
  it('stays the same size after a thousand add/remove cycles, but for the counters', () => {
    let state = ORSet.initial();
    const sizes: number[] = [];
    for (let cycle = 1; cycle <= 1000; cycle++) {
      for (const name of ELEMENTS) state = apply(state, ORSet.add(state, REPLICAS[cycle % REPLICAS.length]!, name));
      for (const name of ELEMENTS) state = apply(state, ORSet.remove(state, REPLICAS[(cycle + 1) % REPLICAS.length]!, name));
      if (cycle === 10 || cycle === 1000) sizes.push(send(state).length);
    }
    expect(ORSet.encode(state)).toEqual({ v: REPLICAS.map((r) => [r, 1250]), e: [] });
    // Only the counters' digits grow (1250 versus 15 per replica).
    expect(sizes[1]! - sizes[0]!).toBeLessThanOrEqual(2 * REPLICAS.length);
  });
});
