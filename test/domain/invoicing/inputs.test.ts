import { describe, expect, it } from 'vitest';
import type { PriceListVersion } from '../../../shared/domain/activities.js';
import { ConflictError, InvalidInputError } from '../../../shared/domain/errors.js';
import { MAX_UNIT_PRICE_CENTS } from '../../../shared/domain/activities.js';
import { invoiceTotals } from '../../../shared/domain/invoicing/amounts.js';
import { MAX_DECLARATION_LINES, MAX_QUANTITY_HUNDREDTHS, declarationFieldsFrom, parseCustomerInput, parseCustomerUpdate, parseDeclarationCorrection, parseDeclarationInput, type DeclarationContext } from '../../../shared/domain/invoicing/inputs.js';

const by = { id: 'staff-1', name: 'Camille' };
const version = (n: number, effectiveFrom: string, unitPriceCents: number, vatRateBps: number | null = 2000): PriceListVersion => ({
  version: n,
  effectiveFrom,
  lines: [{ lineId: 'L1', label: 'Tonte de pelouse', unit: 'heure', unitPriceCents, serviceKind: 'jardinage', vatRateBps }],
  createdAt: `${effectiveFrom}T08:00:00.000Z`,
  createdBy: by,
});

const context = (extra: Partial<DeclarationContext> = {}): DeclarationContext => ({
  activity: { status: 'active', startDate: '2027-01-10' },
  prices: [version(1, '2027-01-10', 1500), version(2, '2027-03-15', 1800)],
  vatMode: 'franchise',
  month: '2027-03',
  today: '2027-03-20',
  ...extra,
});

/** The field errors of what `run` throws. */
function fieldErrors(run: () => unknown): Record<string, string> {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidInputError) return Object.fromEntries(error.errors.map((e) => [e.field, e.message]));
    throw error;
  }
  throw new Error('no error thrown');
}

describe('a declaration from what is sent', () => {
  it('takes a price-list line from the version in force on the service date, and its label when none is typed', () => {
    const before = declarationFieldsFrom(parseDeclarationInput({ customerId: 'c1', serviceDate: '2027-03-14', lines: [{ priceLineId: 'L1', quantityHundredths: 150 }] }), context());
    expect(before.lines).toEqual([{ description: 'Tonte de pelouse', quantityHundredths: 150, unit: 'heure', unitPriceCents: 1500, vatRateBps: null, priceLineId: 'L1' }]);
    const after = declarationFieldsFrom(parseDeclarationInput({ customerId: 'c1', serviceDate: '2027-03-15', lines: [{ priceLineId: 'L1', quantityHundredths: 100, description: 'Tonte et ramassage' }] }), context());
    expect(after.lines[0]).toMatchObject({ description: 'Tonte et ramassage', unitPriceCents: 1800 });
  });

  it("refuses a price that is not the list's that day, and a line the list does not have", () => {
    const errors = fieldErrors(() =>
      declarationFieldsFrom(parseDeclarationInput({ customerId: 'c1', serviceDate: '2027-03-14', lines: [{ priceLineId: 'L1', quantityHundredths: 100, unitPriceCents: 1800 }, { priceLineId: 'L9', quantityHundredths: 100 }] }), context()),
    );
    expect(errors['lines.0.unitPriceCents']).toMatch(/15,00/);
    expect(errors['lines.1.priceLineId']).toMatch(/grille en vigueur/);
  });

  it('keeps a free price within bounds, with its VAT rate only when the cooperative charges VAT', () => {
    const free = { description: 'Taille de haie', quantityHundredths: 100, unit: 'forfait', unitPriceCents: 9000, vatRateBps: 1000 };
    expect(declarationFieldsFrom(parseDeclarationInput({ customerId: 'c1', serviceDate: '2027-03-02', lines: [free] }), context()).lines[0]).toMatchObject({ unitPriceCents: 9000, vatRateBps: null });
    expect(declarationFieldsFrom(parseDeclarationInput({ customerId: 'c1', serviceDate: '2027-03-02', lines: [free] }), context({ vatMode: 'vat' })).lines[0]).toMatchObject({ vatRateBps: 1000 });
    const errors = fieldErrors(() =>
      declarationFieldsFrom(parseDeclarationInput({ customerId: 'c1', serviceDate: '2027-03-02', lines: [{ ...free, unitPriceCents: 600_000 }, { quantityHundredths: 100, unitPriceCents: 100 }, { ...free, vatRateBps: undefined }] }), context({ vatMode: 'vat' })),
    );
    expect(errors['lines.0.unitPriceCents']).toMatch(/prix libre/);
    expect(errors['lines.1.description']).toBeDefined();
    expect(errors['lines.1.unit']).toBeDefined();
    expect(errors['lines.2.vatRateBps']).toMatch(/taux de TVA/);
  });

  it('refuses a declaration above 100 000 € excluding VAT, whose VAT could not be computed in safe integers', () => {
    // 30 lines of 10 000 hours at a listed 100 000 € an hour: its VAT at 20 % threw a RangeError (a 500, after the
    // declaration was written) when the cooperative charges VAT.
    const dear = context({ vatMode: 'vat', prices: [{ ...version(1, '2027-01-10', MAX_UNIT_PRICE_CENTS), lines: [{ lineId: 'L1', label: 'Tonte', unit: 'heure', unitPriceCents: MAX_UNIT_PRICE_CENTS, serviceKind: 'jardinage', vatRateBps: 2000 }] }] });
    const lines = Array.from({ length: MAX_DECLARATION_LINES }, () => ({ priceLineId: 'L1', quantityHundredths: MAX_QUANTITY_HUNDREDTHS }));
    expect(fieldErrors(() => declarationFieldsFrom(parseDeclarationInput({ customerId: 'c1', serviceDate: '2027-03-02', lines }), dear))).toEqual({
      lines: 'Une déclaration ne peut pas dépasser 100\u00a0000,00\u00a0€ hors taxes : vérifiez les quantités et les prix.',
    });
    const atLimit = declarationFieldsFrom(parseDeclarationInput({ customerId: 'c1', serviceDate: '2027-03-02', lines: [{ priceLineId: 'L1', quantityHundredths: 100 }] }), dear);
    expect(invoiceTotals(Array.from({ length: 100 }, () => atLimit.lines[0]!), 'vat').grossCents).toBe(1_200_000_000);
  });

  it('refuses negative or fractional cents and quantities, and an unknown VAT rate, field by field', () => {
    const errors = fieldErrors(() =>
      parseDeclarationInput({
        customerId: 'c1',
        serviceDate: '2027-03-02',
        lines: [
          { description: 'a', unit: 'heure', quantityHundredths: 100, unitPriceCents: -100 },
          { description: 'b', unit: 'heure', quantityHundredths: 100, unitPriceCents: 10.5 },
          { description: 'c', unit: 'heure', quantityHundredths: 1.5, unitPriceCents: 100, vatRateBps: 1900 },
        ],
      }),
    );
    expect(errors['lines.0.unitPriceCents']).toMatch(/négatif/);
    expect(errors['lines.1.unitPriceCents']).toMatch(/entier/);
    expect(errors['lines.2.quantityHundredths']).toMatch(/entier/);
    expect(errors['lines.2.vatRateBps']).toMatch(/Taux de TVA invalide/);
  });

  it('keeps the service date in the month, not after today nor before the activity starts', () => {
    const at = (serviceDate: string) => fieldErrors(() => declarationFieldsFrom(parseDeclarationInput({ customerId: 'c1', serviceDate, lines: [{ priceLineId: 'L1', quantityHundredths: 100 }] }), context()));
    expect(at('2027-04-01').serviceDate).toMatch(/mars 2027/);
    expect(at('2027-03-21').serviceDate).toMatch(/après aujourd/);
    expect(fieldErrors(() => declarationFieldsFrom(parseDeclarationInput({ customerId: 'c1', serviceDate: '2027-01-09', lines: [{ priceLineId: 'L1', quantityHundredths: 100 }] }), context({ month: '2027-01' }))).serviceDate).toMatch(/commence le/);
  });

  it('refuses a service dated within a pause, once resumed: the runs of the pause may not have listed the activity', () => {
    const resumed = context({ activity: { status: 'active', startDate: '2027-01-10', pauses: [{ from: '2027-02-20', until: '2027-03-10' }] } });
    const at = (serviceDate: string) => declarationFieldsFrom(parseDeclarationInput({ customerId: 'c1', serviceDate, lines: [{ priceLineId: 'L1', quantityHundredths: 100 }] }), resumed);
    // Its first day and the day it resumed stay open: the service may have come before the pause or after the resumption.
    expect(at('2027-03-10').serviceDate).toBe('2027-03-10');
    expect(at('2027-03-11').serviceDate).toBe('2027-03-11');
    expect(fieldErrors(() => at('2027-03-09'))).toEqual({ serviceDate: "L'activité était en pause du 20/02/2027 au 10/03/2027 : la prestation ne peut pas dater de cette période." });
    expect(fieldErrors(() => at('2027-03-01')).serviceDate).toMatch(/en pause/);
    const february = { ...resumed, month: '2027-02' };
    expect(declarationFieldsFrom(parseDeclarationInput({ customerId: 'c1', serviceDate: '2027-02-20', lines: [{ priceLineId: 'L1', quantityHundredths: 100 }] }), february).serviceDate).toBe('2027-02-20');
    expect(fieldErrors(() => declarationFieldsFrom(parseDeclarationInput({ customerId: 'c1', serviceDate: '2027-02-21', lines: [{ priceLineId: 'L1', quantityHundredths: 100 }] }), february)).serviceDate).toMatch(/en pause/);
  });

  it('takes no declaration for an activity that is not active (409)', () => {
    const body = parseDeclarationInput({ customerId: 'c1', serviceDate: '2027-03-02', lines: [{ priceLineId: 'L1', quantityHundredths: 100 }] });
    for (const status of ['paused', 'closed', 'draft'] as const) expect(() => declarationFieldsFrom(body, context({ activity: { status, startDate: '2027-01-10' } }))).toThrow(ConflictError);
  });
});

describe('a value of the wrong type', () => {
  it('gets one error, its type, not also the checks of the type it should have had', () => {
    // A text of 31 characters where the lines are expected: the list's 30-line limit said "30 lignes au maximum." too.
    try {
      parseDeclarationInput({ customerId: 'c1', serviceDate: '2027-03-14', lines: 'x'.repeat(31) });
      throw new Error('no error thrown');
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as InvalidInputError).errors).toEqual([{ field: 'lines', message: 'Les lignes doivent être une liste.' }]);
    }
  });
});

describe('the characters a text may carry', () => {
  // An invoice's Factur-X XML cannot hold a NUL or another control character (XML 1.0), nor a lone surrogate: such a
  // text, accepted, made an issued invoice whose XML no receiver can read.
  const BAD = ['Jea\u0000nne', 'Tonte\u0007', 'a\u001b[31mb', 'x\u007fy', 'c\u0085d', 'Je\ud800anne', 'e\udc00f', 'g\uffffh', '\u202eennaeJ', 'a\u2066b\u2069'];
  const address = { line1: '12 place de la République', postalCode: '62300', city: 'Lens' };

  it("refuses them in a customer's name, address and e-mail, field by field", () => {
    for (const bad of BAD) {
      const errors = fieldErrors(() => parseCustomerInput({ kind: 'individual', name: bad, address: { line1: bad, line2: bad, postalCode: '62300', city: bad }, email: `a${bad}@example.fr` }));
      expect(Object.keys(errors).sort(), JSON.stringify(bad)).toEqual(['address.city', 'address.line1', 'address.line2', 'email', 'name']);
      expect(errors.name).toBe('Ce texte contient des caractères invisibles ou non valides : retapez-le.');
    }
  });

  it("refuses them in a declaration's description (a free text of the shared rules), keeping tabs, line breaks and any letter", () => {
    for (const bad of BAD) {
      const errors = fieldErrors(() => parseDeclarationInput({ customerId: 'c1', serviceDate: '2027-03-14', lines: [{ description: bad, unit: 'heure', quantityHundredths: 100, unitPriceCents: 1000 }] }));
      expect(errors, JSON.stringify(bad)).toEqual({ 'lines.0.description': 'Ce texte contient des caractères invisibles ou non valides : retapez-le.' });
    }
    const fine = 'Taille de haie\t(2 h)\r\nÉlagage — 漢字 😀 Ж';
    expect(parseDeclarationInput({ customerId: 'c1', serviceDate: '2027-03-14', lines: [{ description: fine, unit: 'heure', quantityHundredths: 100, unitPriceCents: 1000 }] }).lines[0]!.description).toBe(fine);
    expect(parseCustomerInput({ kind: 'individual', name: 'Zoé 漢字 😀', address, email: 'zoe@example.fr' }).name).toBe('Zoé 漢字 😀');
  });
});

describe('a customer from what is sent', () => {
  const address = { line1: '12 place de la République', postalCode: '62300', city: 'Lens' };

  it('cleans a business and refuses a SIREN whose Luhn key fails, and unknown fields', () => {
    expect(parseCustomerInput({ kind: 'business', name: 'Boulangerie', address, email: 'compta@boulangerie.example', siren: '732 829 320', vatNumber: 'fr44732829320' })).toEqual({
      kind: 'business',
      name: 'Boulangerie',
      address: { ...address, countryCode: 'FR' },
      email: 'compta@boulangerie.example',
      siren: '732829320',
      vatNumber: 'FR44732829320',
    });
    const errors = fieldErrors(() => parseCustomerInput({ kind: 'business', name: 'Boulangerie', address, email: 'compta@boulangerie.example', siren: '732829321', colour: 'bleu' }));
    expect(errors.siren).toMatch(/clé de contrôle/);
    expect(errors.colour).toMatch(/inconnu/);
  });

  it('reads the version of an update with its fields', () => {
    expect(parseCustomerUpdate({ version: 2, kind: 'individual', name: 'Awa Diallo', address, email: 'awa@example.fr' }).expectedVersion).toBe(2);
    expect(Object.keys(fieldErrors(() => parseCustomerUpdate({ version: 0, kind: 'individual', name: 'Awa Diallo', address, email: 'awa@example.fr' })))).toEqual(['version']);
  });

  it('refuses a version no record reaches (the next one would not be stored: the SDK refuses unsafe integers)', () => {
    const body = { kind: 'individual', name: 'Awa Diallo', address, email: 'awa@example.fr' };
    expect(parseCustomerUpdate({ ...body, version: 999_999_999 }).expectedVersion).toBe(999_999_999);
    for (const version of [Number.MAX_SAFE_INTEGER, 2 ** 40, 1_000_000_000]) {
      expect(fieldErrors(() => parseCustomerUpdate({ ...body, version }))).toEqual({ version: 'Version invalide : rechargez la page.' });
      expect(fieldErrors(() => parseDeclarationCorrection({ customerId: 'c1', serviceDate: '2027-03-14', lines: [{ priceLineId: 'L1', quantityHundredths: 150 }], version }))).toEqual({ version: 'Version invalide : rechargez la page.' });
    }
  });
});
