import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isPossibleDuplicateId, matchPerson, matchingKeys, possibleDuplicateId } from '../../shared/domain/person-matching.js';

const leaAt = (overrides: Partial<Parameters<typeof matchingKeys>[0]> = {}) =>
  matchingKeys({ firstName: 'Léa', lastName: 'Dupont-Martin', birthDate: '2007-05-01', email: 'famille.dupont@example.org', phone: '+33612345678', ...overrides });

describe('the keys of a referral', () => {
  it('normalise the name and the e-mail, and join the identity with each contact for the strong keys', () => {
    const keys = leaAt({ firstName: ' LÉA ', lastName: 'dupont martin', email: 'Famille.Dupont@Example.org ' });
    expect(keys).toEqual(leaAt());
    expect(keys.lookups).toEqual([
      { kind: 'IDENTITY', value: 'dupont martin|lea|2007-05-01' },
      { kind: 'EMAIL', value: 'famille.dupont@example.org' },
      { kind: 'PHONE', value: '+33612345678' },
    ]);
    expect(keys.strong).toEqual([
      { kind: 'IDENTITY-EMAIL', value: 'dupont martin|lea|2007-05-01#famille.dupont@example.org' },
      { kind: 'IDENTITY-PHONE', value: 'dupont martin|lea|2007-05-01#+33612345678' },
    ]);
  });

  it('differ in their strong keys for two children sharing the family e-mail', () => {
    const hugo = leaAt({ firstName: 'Hugo', birthDate: '2009-01-10', phone: '+33698765432' });
    expect(hugo.lookups[1]).toEqual(leaAt().lookups[1]);
    expect(hugo.strong.some((k) => leaAt().strong.some((l) => l.value === k.value))).toBe(false);
  });
});

describe('a strong match links, anything less is a "doublon possible"', () => {
  it('links on the identity with the e-mail, or with the mobile, or both, of one person', () => {
    expect(matchPerson({ strong: { 'IDENTITY-EMAIL': 'p1' }, lookups: { IDENTITY: ['p1'], EMAIL: ['p1'] } })).toEqual({ kind: 'strong', personId: 'p1', matchedBy: ['IDENTITY-EMAIL'] });
    expect(matchPerson({ strong: { 'IDENTITY-PHONE': 'p1' }, lookups: {} })).toEqual({ kind: 'strong', personId: 'p1', matchedBy: ['IDENTITY-PHONE'] });
    expect(matchPerson({ strong: { 'IDENTITY-PHONE': 'p1', 'IDENTITY-EMAIL': 'p1' }, lookups: {} })).toMatchObject({ kind: 'strong', matchedBy: ['IDENTITY-EMAIL', 'IDENTITY-PHONE'] });
  });

  it('links even when a sibling shares the e-mail: the strong match names the person', () => {
    expect(matchPerson({ strong: { 'IDENTITY-PHONE': 'lea' }, lookups: { EMAIL: ['lea', 'hugo'], IDENTITY: ['lea'], PHONE: ['lea'] } })).toMatchObject({ kind: 'strong', personId: 'lea' });
  });

  it.each([
    ['the e-mail only (a family e-mail)', { EMAIL: ['p1'] }, ['EMAIL']],
    ['the mobile only', { PHONE: ['p1'] }, ['PHONE']],
    ['the name and birth date only (namesakes)', { IDENTITY: ['p1'] }, ['IDENTITY']],
    ['the e-mail and the mobile, under another name', { EMAIL: ['p1'], PHONE: ['p1'] }, ['EMAIL', 'PHONE']],
  ] as const)('does not link on %s', (_label, lookups, matchedBy) => {
    expect(matchPerson({ strong: {}, lookups: lookups as never })).toEqual({ kind: 'weak', candidates: [{ personId: 'p1', matchedBy }] });
  });

  it('does not choose between two namesakes holding one strong key each', () => {
    const match = matchPerson({ strong: { 'IDENTITY-EMAIL': 'a', 'IDENTITY-PHONE': 'b' }, lookups: { IDENTITY: ['a', 'b'], EMAIL: ['a'], PHONE: ['b'] } });
    expect(match).toEqual({
      kind: 'weak',
      candidates: [
        { personId: 'a', matchedBy: ['IDENTITY', 'EMAIL'] },
        { personId: 'b', matchedBy: ['IDENTITY', 'PHONE'] },
      ],
    });
  });

  it('finds nobody when nothing is known', () => {
    expect(matchPerson({ strong: {}, lookups: {} })).toEqual({ kind: 'none' });
  });

  it('never links without a strong key, whatever the lookups say', () => {
    const ids = fc.array(fc.constantFrom('a', 'b', 'c'), { maxLength: 3 });
    fc.assert(
      fc.property(fc.record({ IDENTITY: ids, EMAIL: ids, PHONE: ids }), (lookups) => {
        expect(matchPerson({ strong: {}, lookups }).kind).not.toBe('strong');
      }),
    );
  });
});

describe('possible duplicate ids', () => {
  it('name the pair whatever the order, and refuse anything else', () => {
    const a = '0f8fad5b-d9cb-469f-a165-70867728950e';
    const b = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
    expect(possibleDuplicateId(b, a)).toBe(possibleDuplicateId(a, b));
    expect(isPossibleDuplicateId(possibleDuplicateId(a, b))).toBe(true);
    for (const wrong of [a, `${a}_`, `${a}_${b}/x`, `${a}-${b}`, '../x']) expect(isPossibleDuplicateId(wrong)).toBe(false);
  });
});
