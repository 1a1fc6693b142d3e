import { describe, expect, it } from 'vitest';
import { beta, binom, repetitions, revolveCost, revolveDepth, revolveSchedule, revolveSplit, revolveTable, scheduleRecomputations, scheduleSlots } from '../src/plan';

// Revolve's pieces on small cases worked out by hand (test/planner.test.ts checks the programme, the
// closed form and the schedules against each other for every l ≤ 200, s ≤ 10).
describe('binomials', () => {
  it('C(n, k), zero outside 0 ≤ k ≤ n, Infinity past 2^53', () => {
    expect([binom(5, 2), binom(5, 0), binom(5, 5), binom(5, 3), binom(40, 20)]).toEqual([10, 1, 1, 10, 137846528820]);
    expect([binom(5, 6), binom(-1, 0), binom(5, -1)]).toEqual([0, 0, 0]);
    expect([binom(60, 30), binom(1000, 500)]).toEqual([Infinity, Infinity]);
    expect([beta(2, 3), beta(2, 0), beta(2, -1)]).toEqual([10, 1, 0]);
  });
  it('repetitions: the least t with C(s + t, s) ≥ l', () => {
    expect([repetitions(10, 3), repetitions(11, 3), repetitions(1, 1), repetitions(2, 1), repetitions(10, 1)]).toEqual([2, 3, 0, 1, 9]);
    expect(() => repetitions(5, 0)).toThrow('repetitions: need s ≥ 1 slot, got 0');
  });
});

describe('cost', () => {
  it('F*(l, s): one slot is l(l − 1)/2, one step is free, no slot is impossible', () => {
    expect([revolveCost(10, 1), revolveCost(4, 2), revolveCost(1, 0), revolveCost(2, 0), revolveCost(5, 4), revolveCost(5, 9)]).toEqual([45, 4, 0, Infinity, 4, 4]);
    for (const l of [0, -3, 2.5]) expect(() => revolveCost(l, 2)).toThrow(`revolveCost: chain length must be a positive integer, got ${l}`);
  });
  it('the dynamic programme as a table', () => {
    expect(revolveTable(4, 2)).toEqual([
      [Infinity, 0, Infinity, Infinity, Infinity],
      [Infinity, 0, 1, 3, 6],
      [Infinity, 0, 1, 2, 4],
    ]);
  });
});

describe('schedules', () => {
  it('the first split, and its domain', () => {
    expect([revolveSplit(10, 1), revolveSplit(4, 2), revolveSplit(10, 3)]).toEqual([9, 1, 4]);
    for (const [l, s] of [[1, 1], [5, 0]] as const) expect(() => revolveSplit(l, s)).toThrow(`revolveSplit: need l ≥ 2 and s ≥ 1, got l=${l}, s=${s}`);
  });
  it('four steps, two slots: recomputes F* = 4 steps, holds 2 checkpoints, nests 2 deep', () => {
    const s = revolveSchedule(4, 2);
    expect(s).toEqual([[0], [[1], 2], 3]);
    expect(revolveSchedule(4, 2, 10)).toEqual([[10], [[11], 12], 13]);
    expect([scheduleRecomputations(s), scheduleSlots(s), revolveDepth(4, 2)]).toEqual([4, 2, 2]);
    expect([revolveSchedule(1, 0), revolveSchedule(3, 3)]).toEqual([[0], [[0], [1], 2]]);
    expect(() => revolveSchedule(3, 0)).toThrow('revolveSchedule: 3 steps left and no slot to checkpoint them');
  });
  it('slots and recomputations of hand-written schedules', () => {
    expect([scheduleSlots([0, 1, 2]), scheduleSlots([[0, 1], 2]), scheduleSlots([[0, [1, 2]], [3], 4]), scheduleSlots([[[[0]]], 1])]).toEqual([0, 1, 2, 1]);
    // A trailing segment holds its checkpoint; a segment whose re-run needs 2 slots on top of 1 held needs 3.
    expect([scheduleSlots([0, [1]]), scheduleSlots([[0], [[1], [2], 3]])]).toEqual([1, 3]);
    expect([scheduleRecomputations([0, 1, 2]), scheduleRecomputations([[0, 1], 2]), scheduleRecomputations([[0, [1, 2]], [3], 4])]).toEqual([0, 2, 6]);
  });
  it('depth: one slot nests l − 1 deep; a limit stops the walk at limit + 1', () => {
    expect([revolveDepth(20, 1), revolveDepth(20, 1, 5), revolveDepth(20, 1, 19), revolveDepth(1, 3), revolveDepth(2, 1)]).toEqual([19, 6, 19, 0, 1]);
    expect(revolveDepth(300, 2, 256)).toBeLessThanOrEqual(256);
    expect(revolveDepth(300, 1, 256)).toBe(257);
  });
});

describe('binom and repetitions at their edges', () => {
  it('C(0, 0) = C(5, 0) = 1, and a negative or too large k gives 0', () => {
    expect([binom(0, 0), binom(5, 0), binom(5, 5), binom(5, 6), binom(5, -1)]).toEqual([1, 1, 1, 0, 0]);
  });
  it('repetitions refuses zero slots (with none, no number of repetitions reverses a chain)', () => {
    expect(() => repetitions(5, 0)).toThrow('repetitions: need s ≥ 1 slot, got 0');
  });
});
