import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { divideRoundHalfUp, formatQuantity, invoiceTotals, lineNetCents, quantityWithUnit, vatCents } from '../../../shared/domain/invoicing/amounts.js';
import { PRICE_UNIT_LABELS } from '../../../shared/domain/activities.js';

describe('line amounts', () => {
  it('rounds each line half up to the cent, in integers', () => {
    expect(lineNetCents(150, 1999)).toBe(2999); // 29,985 € -> 29,99 €
    expect(lineNetCents(150, 1997)).toBe(2996); // 29,955 € -> 29,96 €
    expect(lineNetCents(133, 1001)).toBe(1331); // 13,3133 € -> 13,31 €
    expect(lineNetCents(100, 1234)).toBe(1234);
    expect(lineNetCents(25, 2)).toBe(1); // 0,005 € -> 0,01 €
    expect(lineNetCents(0, 5000)).toBe(0);
    // 1,15 x 1,00 € is exactly 1,15 €, which floating point would make 1,1499999.
    expect(lineNetCents(115, 100)).toBe(115);
    expect(lineNetCents(105, 10)).toBe(11); // 0,105 € -> 0,11 €
  });

  it('refuses fractional quantities or prices', () => {
    expect(() => lineNetCents(1.5, 100)).toThrow(RangeError);
    expect(() => lineNetCents(100, 10.5)).toThrow(RangeError);
  });

  it('agrees with exact decimal rounding for any quantity and price', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 0, max: 10_000_000 }), (q, p) => {
        const exact = BigInt(q) * BigInt(p);
        const expected = (exact + 50n) / 100n;
        expect(lineNetCents(q, p)).toBe(Number(expected));
      }),
    );
  });

  it('divides half away from zero', () => {
    expect(divideRoundHalfUp(-150, 100)).toBe(-2);
    expect(divideRoundHalfUp(149, 100)).toBe(1);
    expect(() => divideRoundHalfUp(1, 0)).toThrow(RangeError);
  });
});

describe('totals per VAT rate', () => {
  it('computes VAT on each rate base, not on each line (BR-CO-17)', () => {
    // Three lines of 0,05 € at 10 %: per line VAT would be 3 x 0,01 € (0,005 each, rounded up); on the base it is 0,02 €.
    const lines = [1, 2, 3].map(() => ({ quantityHundredths: 100, unitPriceCents: 5, vatRateBps: 1000 }));
    const totals = invoiceTotals(lines, 'vat');
    expect(totals.perRate).toEqual([{ category: 'S', vatRateBps: 1000, baseCents: 15, vatCents: 2 }]);
    expect(totals).toMatchObject({ netCents: 15, vatCents: 2, grossCents: 17 });
  });

  it('groups lines by rate, highest first, and adds up', () => {
    const totals = invoiceTotals(
      [
        { quantityHundredths: 150, unitPriceCents: 1999, vatRateBps: 550 },
        { quantityHundredths: 200, unitPriceCents: 2500, vatRateBps: 2000 },
        { quantityHundredths: 100, unitPriceCents: 1000, vatRateBps: 550 },
        { quantityHundredths: 100, unitPriceCents: 800, vatRateBps: 0 },
      ],
      'vat',
    );
    expect(totals.lines).toEqual([{ netCents: 2999 }, { netCents: 5000 }, { netCents: 1000 }, { netCents: 800 }]);
    expect(totals.perRate).toEqual([
      { category: 'S', vatRateBps: 2000, baseCents: 5000, vatCents: 1000 },
      { category: 'S', vatRateBps: 550, baseCents: 3999, vatCents: 220 }, // 219,945 -> 220
      { category: 'Z', vatRateBps: 0, baseCents: 800, vatCents: 0 },
    ]);
    expect(totals).toMatchObject({ netCents: 9799, vatCents: 1220, grossCents: 11019 });
  });

  it('needs a rate on every line when the cooperative charges VAT', () => {
    expect(() => invoiceTotals([{ quantityHundredths: 100, unitPriceCents: 100, vatRateBps: null }], 'vat')).toThrow(/VAT rate/);
    expect(() => invoiceTotals([{ quantityHundredths: 100, unitPriceCents: 100, vatRateBps: 20.5 }], 'vat')).toThrow(/VAT rate/);
  });

  it('under the franchise charges no VAT at all, whatever the lines say', () => {
    const totals = invoiceTotals(
      [
        { quantityHundredths: 150, unitPriceCents: 1999, vatRateBps: 2000 },
        { quantityHundredths: 100, unitPriceCents: 1000, vatRateBps: null },
      ],
      'franchise',
    );
    expect(totals.perRate).toEqual([{ category: 'E', vatRateBps: 0, baseCents: 3999, vatCents: 0 }]);
    expect(totals).toMatchObject({ netCents: 3999, vatCents: 0, grossCents: 3999 });
  });

  it('keeps gross = net + VAT and VAT = sum of the per-rate VAT for any lines', () => {
    const line = fc.record({ quantityHundredths: fc.integer({ min: 1, max: 100_000 }), unitPriceCents: fc.integer({ min: 0, max: 1_000_000 }), vatRateBps: fc.constantFrom(2000, 1000, 550, 210) });
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 20 }), (lines) => {
        const totals = invoiceTotals(lines, 'vat');
        expect(totals.grossCents).toBe(totals.netCents + totals.vatCents);
        expect(totals.perRate.reduce((s, g) => s + g.baseCents, 0)).toBe(totals.netCents);
        for (const g of totals.perRate) expect(g.vatCents).toBe(vatCents(g.baseCents, g.vatRateBps));
      }),
    );
  });
});

describe('quantities as they read', () => {
  it('writes hundredths without trailing zeros, and counts the unit in French: plural from 2, symbols never', () => {
    expect([formatQuantity(150), formatQuantity(200), formatQuantity(125), formatQuantity(10)]).toEqual(['1,5', '2', '1,25', '0,1']);
    const { heure, forfait, unite, jour, m2, km } = PRICE_UNIT_LABELS;
    expect(quantityWithUnit(150, heure)).toBe('1,5 heure');
    expect(quantityWithUnit(199, heure)).toBe('1,99 heure');
    expect(quantityWithUnit(200, heure)).toBe('2 heures');
    expect(quantityWithUnit(1_100, heure)).toBe('11 heures');
    expect(quantityWithUnit(300, unite)).toBe('3 unités');
    expect(quantityWithUnit(250, jour)).toBe('2,5 jours');
    expect(quantityWithUnit(200, forfait)).toBe('2 forfaits');
    expect(quantityWithUnit(100, forfait)).toBe('1 forfait');
    expect(quantityWithUnit(1_250, m2)).toBe('12,5 m²');
    expect(quantityWithUnit(4_000, km)).toBe('40 km');
  });
});
