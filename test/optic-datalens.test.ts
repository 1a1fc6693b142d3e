// Data lenses: GetPut / PutGet / PutPut on record and array lenses and their
// composites, category laws, fp-ts instance, and conversions to backprop lenses.
import { fc, test } from '@fast-check/vitest';
import { pipe } from 'fp-ts/lib/function.js';
import { describe, expect } from 'vitest';
import { dataLensLaws, dataLensProperties } from '../laws/optic';
import type { DataLens } from '../src/optic';
import {
  andThenDataLens,
  composeDataLens,
  dataLens,
  DataLensCategory,
  index,
  modify,
  prop,
  propOf,
  toBackpropLens,
  toGradientLens,
} from '../src/optic';
import { deepEq } from './optic-fixtures';

const params = { numRuns: 100 };

type Address = { city: string; zip: number };
type Person = { name: string; age: number; address: Address };
type Team = { lead: Person; scores: ReadonlyArray<number> };

const arbAddress: fc.Arbitrary<Address> = fc.record({ city: fc.string(), zip: fc.integer() });
const arbPerson: fc.Arbitrary<Person> = fc.record({ name: fc.string(), age: fc.nat(120), address: arbAddress });
const arbTeam: fc.Arbitrary<Team> = fc.record({
  lead: arbPerson,
  scores: fc.array(fc.integer(), { minLength: 3, maxLength: 6 }),
});

const eqS = deepEq as { equals: <T>(x: T, y: T) => boolean };
const P = propOf<Person>();
const leadCity = composeDataLens(
  composeDataLens(prop<Team, 'lead'>('lead'), P('address')),
  prop<Address, 'city'>('city'),
);
const secondScore = pipe(prop<Team, 'scores'>('scores'), andThenDataLens(index<number>(2)));

describe('data-lens laws', () => {
  test('prop: GetPut, PutGet, PutPut', () => {
    fc.assert(dataLensProperties.lawful(P('age'), arbPerson, fc.nat(120), eqS, eqS), params);
  });
  test('index: GetPut, PutGet, PutPut (in range)', () => {
    fc.assert(
      dataLensProperties.lawful(index<number>(1), fc.array(fc.integer(), { minLength: 2 }), fc.integer(), eqS, eqS),
      params,
    );
  });
  test('composites are lawful', () => {
    fc.assert(dataLensProperties.getPut(leadCity, arbTeam, eqS), params);
    fc.assert(dataLensProperties.putGet(leadCity, arbTeam, fc.string(), eqS), params);
    fc.assert(dataLensProperties.putPut(leadCity, arbTeam, fc.string(), eqS), params);
    fc.assert(dataLensProperties.lawful(secondScore, arbTeam, fc.integer(), eqS, eqS), params);
  });
  test.prop([arbTeam, fc.string()], params)('composition is associative and unital', (t, c) => {
    expect(
      dataLensLaws.associativity(prop<Team, 'lead'>('lead'), P('address'), prop<Address, 'city'>('city'), eqS, eqS)(
        t,
        c,
      ),
    ).toBe(true);
    expect(dataLensLaws.identity(leadCity, eqS, eqS)(t, c)).toBe(true);
  });
  test.prop([arbTeam, fc.string()], params)('DataLensCategory.compose(bc, ab) = composeDataLens(ab, bc)', (t, c) => {
    const viaInstance = DataLensCategory.compose(
      prop<Address, 'city'>('city'),
      DataLensCategory.compose(P('address'), prop<Team, 'lead'>('lead')),
    );
    expect(viaInstance.get(t)).toBe(leadCity.get(t));
    expect(viaInstance.set(t, c)).toEqual(leadCity.set(t, c));
    expect(DataLensCategory.compose(DataLensCategory.id<string>(), viaInstance).get(t)).toBe(leadCity.get(t));
  });
});

describe('the data-lens laws have teeth', () => {
  // Setting also bumps a counter: PutPut and GetPut fail, PutGet holds.
  const sloppy: DataLens<Person, number> = dataLens(
    (p) => p.age,
    (p, age) => ({ ...p, age, name: p.name + '!' }),
  );
  // get and set disagree about units: PutGet fails.
  const skewed: DataLens<Person, number> = dataLens(
    (p) => p.age,
    (p, age) => ({ ...p, age: age + 1 }),
  );
  const ada: Person = { name: 'Ada', age: 36, address: { city: 'London', zip: 1 } };
  test('each law rejects a lens that breaks it', () => {
    expect(dataLensLaws.getPut(sloppy, eqS)(ada)).toBe(false);
    expect(dataLensLaws.putPut(sloppy, eqS)(ada, 1, 2)).toBe(false);
    expect(dataLensLaws.putGet(skewed, eqS)(ada, 40)).toBe(false);
  });
});

describe('using data lenses', () => {
  const ada: Person = { name: 'Ada', age: 36, address: { city: 'London', zip: 1 } };
  test('set and modify copy, never mutate', () => {
    const older = modify(P('age'), (n) => n + 1)(ada);
    expect(older).toEqual({ ...ada, age: 37 });
    expect(ada.age).toBe(36);
    const moved = composeDataLens(P('address'), prop<Address, 'city'>('city')).set(ada, 'Paris');
    expect(moved.address.city).toBe('Paris');
    expect(ada.address.city).toBe('London');
  });
  test('index out of range throws instead of growing the array', () => {
    expect(() => index<number>(3).get([1, 2, 3])).toThrow(RangeError);
    expect(() => index<number>(-1).set([1, 2, 3], 0)).toThrow(RangeError);
  });
  test('toBackpropLens: the backward pass carries new values', () => {
    const l = toBackpropLens(P('age'));
    expect(l.get(ada)).toBe(36);
    expect(l.put(ada, 40)).toEqual({ ...ada, age: 40 });
  });
  test('toGradientLens: the backward pass is the VJP of a projection', () => {
    const g = toGradientLens(index<number>(1), [0, 0, 0]);
    expect(g.get([5, 6, 7])).toBe(6);
    expect(g.put([5, 6, 7], 2)).toEqual([0, 2, 0]);
  });
});
