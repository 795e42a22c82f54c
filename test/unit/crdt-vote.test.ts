import fc from 'fast-check';
import { deliveryOrder, expectMergeLaws, playOps } from '../helpers/crdt-laws.js';
import { describe, expect, it } from 'vitest';
import { CrdtDecodeError, Vote } from '../../src/crdt/index.js';

const REPLICAS = ['r0', 'r1', 'r2', 'r3'] as const;

/** What a replica sends: the delta through the real codec, as JSON text. */
function send(delta: Vote.State): string {
  return JSON.stringify(Vote.encode(delta));
}

function receive(state: Vote.State, message: string): Vote.State {
  return Vote.merge(state, Vote.decode(JSON.parse(message)));
}

function overTheWire(delta: Vote.State): Vote.State {
  return Vote.decode(JSON.parse(send(delta)));
}

/** Applies a mutator's delta locally, failing the test when the mutator had nothing to say. */
function apply(state: Vote.State, delta: Vote.State | null): Vote.State {
  expect(delta).not.toBeNull();
  return Vote.merge(state, delta!);
}

function stateOf(...votes: Array<[string, boolean]>): Vote.State {
  return votes.reduce((state, [replica, vote]) => apply(state, Vote.set(state, replica, vote)), Vote.initial());
}

function summary(state: Vote.State, self: string) {
  return {
    vote: Vote.selfVote(state, self),
    votesFor: Vote.votesFor(state),
    voters: Vote.voters(state, self),
    atLeastOne: Vote.atLeastOne(state),
    majority: Vote.majority(state, self),
    all: Vote.all(state, self),
  };
}

describe('Vote: Cloudstate behaviour', () => {
  it('reads a fresh Vote as vote=false, votesFor=0, voters=1: the local replica is a voter before voting', () => {
    expect(summary(Vote.initial(), 'r')).toEqual({
      vote: false,
      votesFor: 0,
      voters: 1,
      atLeastOne: false,
      majority: false,
      all: false,
    });
  });

  it('counts the local yes with the others: 5 voters, 3 yes, voting yes makes 4', () => {
    let state = stateOf(['a', true], ['b', true], ['c', true], ['d', true], ['d', false]);
    expect(summary(state, 'me')).toMatchObject({ vote: false, votesFor: 3, voters: 5, majority: true, all: false });
    state = apply(state, Vote.set(state, 'me', true));
    expect(summary(state, 'me')).toEqual({ vote: true, votesFor: 4, voters: 5, atLeastOne: true, majority: true, all: false });
    state = apply(state, Vote.set(state, 'd', true));
    expect(Vote.all(state, 'me')).toBe(true);
  });

  it('needs strictly more than half for a majority', () => {
    const half = stateOf(['a', true], ['b', true], ['b', false]);
    expect(Vote.majority(half, 'a')).toBe(false);
    expect(Vote.majority(stateOf(['a', true], ['b', true], ['b', false], ['c', true]), 'a')).toBe(true);
  });

  it('emits no delta when the vote does not change, a fresh replica voting no included', () => {
    expect(Vote.set(Vote.initial(), 'r', false)).toBeNull();
    const yes = stateOf(['r', true]);
    expect(Vote.set(yes, 'r', true)).toBeNull();
  });

  it("emits a delta holding only the replica's own vote, with the next counter", () => {
    const state = stateOf(['other', true], ['r', true]);
    const delta = Vote.set(state, 'r', false);
    expect(delta && Vote.encode(delta)).toEqual({ v: [['r', 2, 0]] });
    expect(Vote.selfVote(apply(state, delta), 'r')).toBe(false);
  });

  it('keeps the newest vote per replica whatever the delivery order', () => {
    let writer = Vote.initial();
    const deltas: Vote.State[] = [];
    for (const vote of [true, false, true]) {
      const delta = Vote.set(writer, 'w', vote)!;
      deltas.push(delta);
      writer = Vote.merge(writer, delta);
    }
    const reader = [...deltas].reverse().reduce((state, delta) => Vote.merge(state, overTheWire(delta)), Vote.initial());
    expect(Vote.encode(reader)).toEqual({ v: [['w', 3, 1]] });
  });
});

describe('Vote: membership', () => {
  it('stops counting a pruned replica, and its old deltas do not bring it back', () => {
    const oldDelta = Vote.set(Vote.initial(), 'gone', true)!;
    const pruner = Vote.merge(stateOf(['a', true]), oldDelta);
    const prune = Vote.pruneVoters(pruner, ['a', 'b']);
    expect(prune && Vote.encode(prune)).toEqual({ v: [], r: [['gone', 1]] });
    const pruned = apply(pruner, prune);
    expect(summary(pruned, 'b')).toMatchObject({ votesFor: 1, voters: 2 });
    // Another replica hears of the pruning first and of the old vote later.
    const late = Vote.merge(Vote.merge(Vote.initial(), overTheWire(prune!)), overTheWire(oldDelta));
    expect(Vote.encode(late)).toEqual({ v: [], r: [['gone', 1]] });
    expect(Vote.pruneVoters(pruned, ['a', 'b'])).toBeNull();
  });

  it('counts a replica pruned by mistake again once it votes, since its counter passes the tombstone', () => {
    const voter = stateOf(['live', true], ['live', false]);
    const pruned = apply(voter, Vote.pruneVoters(voter, ['other']));
    expect(Vote.voters(pruned, 'live')).toBe(1);
    expect(Vote.selfVote(pruned, 'live')).toBe(false);
    const again = Vote.set(pruned, 'live', true);
    expect(again && Vote.encode(again)).toEqual({ v: [['live', 3, 1]] });
    expect(Vote.votesFor(apply(pruned, again))).toBe(1);
  });

  it('keeps a vote the pruner had not seen, until it prunes again', () => {
    const seen = Vote.set(Vote.initial(), 'gone', true)!;
    const unseen = Vote.set(Vote.merge(Vote.initial(), seen), 'gone', false)!;
    const pruner = Vote.merge(Vote.initial(), seen);
    let state = apply(pruner, Vote.pruneVoters(pruner, ['me']));
    state = Vote.merge(state, unseen);
    expect(Vote.voters(state, 'me')).toBe(2);
    state = apply(state, Vote.pruneVoters(state, ['me']));
    expect(Vote.encode(state)).toEqual({ v: [], r: [['gone', 2]] });
  });
});

describe('Vote: compact form', () => {
  it('round-trips through JSON, sorted by replica', () => {
    const state = apply(stateOf(['b', true], ['a', true], ['c', true]), Vote.pruneVoters(stateOf(['c', true]), ['a', 'b']));
    const wire = Vote.encode(state);
    expect(wire).toEqual({ v: [['a', 1, 1], ['b', 1, 1]], r: [['c', 1]] });
    expect(Vote.encode(Vote.decode(JSON.parse(JSON.stringify(wire))))).toEqual(wire);
  });

  it('joins two different votes under one counter the same way in both orders (never sent, but not undefined)', () => {
    const [no, yes] = [Vote.decode({ v: [['a', 1, 0]] }), Vote.decode({ v: [['a', 1, 1]] })];
    expect(Vote.encode(Vote.merge(no, yes))).toEqual(Vote.encode(Vote.merge(yes, no)));
  });

  it('drops votes a tombstone covers when decoding, as a join would', () => {
    expect(Vote.encode(Vote.decode({ v: [['x', 2, 1], ['y', 3, 1]], r: [['x', 2]] }))).toEqual({ v: [['y', 3, 1]], r: [['x', 2]] });
  });

  it.each([
    ['a non-object', [], /Vote is not an object/],
    ['null', null, /Vote is not an object/],
    ['an unexpected key', { v: [], x: 1 }, /unexpected key "x"/],
    ['a missing vote list', {}, /Vote\.v is not an array/],
    ['a short entry', { v: [['a', 1]] }, /Vote\.v\[0\] does not hold 3 items/],
    ['a non-string replica', { v: [[1, 1, 1]] }, /Vote\.v\[0\]\[0\] is not a string/],
    ['a zero counter', { v: [['a', 0, 1]] }, /Vote\.v\[0\]\[1\] is not a positive safe integer/],
    ['a fractional counter', { v: [['a', 1.5, 1]] }, /positive safe integer/],
    ['a boolean vote', { v: [['a', 1, true]] }, /Vote\.v\[0\]\[2\] is not 0 or 1/],
    ['a repeated replica', { v: [['a', 1, 1], ['a', 2, 0]] }, /Vote\.v\[1\]\[0\] repeats "a"/],
    ['a malformed tombstone', { v: [], r: [['a', -1]] }, /Vote\.r\[0\]\[1\]/],
  ])('refuses %s', (_name, data, message) => {
    expect(() => Vote.decode(data)).toThrow(CrdtDecodeError);
    expect(() => Vote.decode(data)).toThrow(message);
  });
});

type Op =
  | { kind: 'vote'; replica: number; vote: boolean; seenBy: number[] }
  | { kind: 'prune'; replica: number; dead: number[]; seenBy: number[] };

const replicaIndex = fc.nat({ max: REPLICAS.length - 1 });
const seenBy = fc.uniqueArray(replicaIndex, { maxLength: REPLICAS.length });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('vote' as const), replica: replicaIndex, vote: fc.boolean(), seenBy }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('prune' as const), replica: replicaIndex, dead: seenBy, seenBy }) },
);
const opsArb = fc.array(opArb, { maxLength: 30 });

/** Runs the ops on replicas that hear each delta only if in the op's `seenBy` (see `playOps`). */
function play(ops: readonly Op[]) {
  return playOps(ops, REPLICAS.map(() => Vote.initial()), {
    mutate: (state, op) =>
      op.kind === 'vote'
        ? Vote.set(state, REPLICAS[op.replica]!, op.vote)
        : Vote.pruneVoters(state, REPLICAS.filter((_, i) => i === op.replica || !op.dead.includes(i))),
    send,
    receive,
  });
}

const RUNS = { numRuns: 150 };

describe('Vote: properties', () => {
  it('converges on every replica once every delta arrives, in any order and duplicated', () => {
    fc.assert(
      fc.property(opsArb, fc.gen(), (ops, g) => {
        const { states, sent } = play(ops);
        const expected = Vote.encode(sent.reduce(receive, Vote.initial()));
        for (const state of states) {
          const final = deliveryOrder(g, sent).reduce(receive, state);
          expect(Vote.encode(final)).toEqual(expected);
          expect(Vote.votesFor(final)).toBe(expected.v.filter(([, , vote]) => vote === 1).length);
        }
      }),
      RUNS,
    );
  });

  it('merges commutatively, associatively and idempotently', () => {
    fc.assert(
      fc.property(opsArb, fc.gen(), (ops, g) => {
        const { snapshots } = play(ops);
        const [a, b, c] = [0, 1, 2].map(() => snapshots[g(fc.nat, { max: snapshots.length - 1 })]!) as [Vote.State, Vote.State, Vote.State];
        expectMergeLaws(Vote.merge, Vote.encode, [a, b, c]);
      }),
      RUNS,
    );
  });

  it('never brings back a pruned replica when its old deltas arrive after the pruning', () => {
    const [gone, pruner] = [REPLICAS[3], REPLICAS[0]];
    const liveOps = fc.array(
      opArb.filter((op) => op.kind === 'vote'),
      { maxLength: 20 },
    );
    fc.assert(
      fc.property(liveOps, fc.gen(), (ops, g) => {
        const { states, sent } = play(ops);
        // The pruner has heard everything the departed replica said, then prunes it; it never speaks again.
        const prune = Vote.pruneVoters(sent.reduce(receive, states[0]!), REPLICAS.filter((r) => r !== gone));
        const everything = prune ? [...sent, send(prune)] : sent;
        for (const state of states) {
          const final = deliveryOrder(g, everything).reduce(receive, state);
          expect(final.votes.has(gone)).toBe(false);
          expect(Vote.voters(final, pruner)).toBeLessThanOrEqual(REPLICAS.length - 1);
        }
      }),
      RUNS,
    );
  });
});
