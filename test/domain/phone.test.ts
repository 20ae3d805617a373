import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { normalizeFrenchMobile } from '../../shared/domain/phone.js';

describe('normalizeFrenchMobile', () => {
  it.each([
    ['06 12 34 56 78', '+33612345678'],
    ['07.12.34.56.78', '+33712345678'],
    ['+33 6 12 34 56 78', '+33612345678'],
    ['+33 (0)6 12 34 56 78', '+33612345678'],
    ['0033612345678', '+33612345678'],
    ['0690 12 34 56', '+590690123456'],
    ['0694123456', '+594694123456'],
    ['0696123456', '+596696123456'],
    ['0692123456', '+262692123456'],
    ['0639123456', '+262639123456'],
    ['+262 692 12 34 56', '+262692123456'],
    ['+590690123456', '+590690123456'],
  ])('accepts the mobile %s as %s', (input, expected) => {
    expect(normalizeFrenchMobile(input)).toBe(expected);
  });

  it.each([
    ['01 23 45 67 89', 'a Paris landline'],
    ['03 21 00 00 00', 'a Lens landline'],
    ['09 12 34 56 78', 'a VoIP number'],
    ['08 00 00 00 00', 'a special number'],
    ['+32 470 12 34 56', 'a Belgian mobile'],
    ['+590 590 12 34 56', 'a Guadeloupe landline'],
    ['06 12 34 56', 'a number too short'],
    ['06 12 34 56 78 9', 'a number too long'],
    ['abc', 'letters'],
    ['', 'nothing'],
  ])('refuses %s (%s)', (input) => {
    expect(normalizeFrenchMobile(input)).toBeNull();
  });

  it('is stable: a normalized number normalizes to itself', () => {
    fc.assert(
      fc.property(fc.constantFrom('6', '7'), fc.stringMatching(/^\d{8}$/), (first, rest) => {
        const e164 = normalizeFrenchMobile(`0${first}${rest}`);
        return e164 === null || normalizeFrenchMobile(e164) === e164;
      }),
    );
  });

  it('never throws on arbitrary input', () => {
    fc.assert(fc.property(fc.string(), (s) => normalizeFrenchMobile(s) === null || /^\+\d{11,12}$/.test(normalizeFrenchMobile(s)!)));
  });
});
