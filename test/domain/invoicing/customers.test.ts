import { describe, expect, it } from 'vitest';
import { addressOneLine, frenchVatNumber, isValidFrenchVatNumber, isValidSiren, isValidSiret, luhnValid, validateCustomer } from '../../../shared/domain/invoicing/customers.js';

const address = { line1: '3 rue Émile Basly', postalCode: '62300', city: 'Lens' };

describe('company identifiers', () => {
  it('checks SIREN and SIRET with their Luhn key', () => {
    expect(luhnValid('79927398713')).toBe(true);
    expect(isValidSiren('732 829 320')).toBe(true);
    expect(isValidSiren('732829321')).toBe(false);
    expect(isValidSiren('73282932')).toBe(false);
    expect(isValidSiret('732 829 320 00074')).toBe(true);
    expect(isValidSiret('73282932000075')).toBe(false);
    // La Poste's establishments: the sum of the digits is a multiple of 5.
    expect(isValidSiret('35600000049837')).toBe(true);
  });

  it('derives and checks the French VAT number from the SIREN', () => {
    expect(frenchVatNumber('404833048')).toBe('FR83404833048');
    expect(isValidFrenchVatNumber('FR 83 404 833 048')).toBe(true);
    expect(isValidFrenchVatNumber('FR84404833048')).toBe(false);
    expect(isValidFrenchVatNumber('FR83404833049')).toBe(false);
  });
});

describe('the customer validator', () => {
  it('accepts an individual and cleans what was typed', () => {
    const check = validateCustomer({ kind: 'individual', name: '  Awa Diallo ', email: 'awa@example.fr', address: { ...address, postalCode: '62 300', line2: '' } });
    expect(check).toEqual({ ok: true, customer: { kind: 'individual', name: 'Awa Diallo', email: 'awa@example.fr', address: { ...address, countryCode: 'FR' } } });
    if (check.ok) expect(addressOneLine(check.customer.address)).toBe('3 rue Émile Basly, 62300 Lens');
  });

  it('accepts a business with its SIREN, SIRET and VAT number', () => {
    const check = validateCustomer({ kind: 'business', name: 'Boulangerie Lensoise', email: 'compta@boulangerie.fr', address, siren: '842 000 002', vatNumber: 'fr29 842000002' });
    expect(check).toMatchObject({ ok: true, customer: { siren: '842000002', vatNumber: 'FR29842000002' } });
    expect(validateCustomer({ kind: 'business', name: 'B', email: 'b@b.fr', address, siren: '732829320', siret: '73282932000074', vatNumber: 'BE0123456789' })).toMatchObject({ ok: true, customer: { siret: '73282932000074', vatNumber: 'BE0123456789' } });
  });

  it('answers field by field in French', () => {
    const fields = (input: unknown) => {
      const check = validateCustomer(input);
      return check.ok ? {} : Object.fromEntries(check.errors.map((e) => [e.field, e.message]));
    };
    expect(fields({})).toMatchObject({ kind: expect.stringContaining('particulier ou entreprise'), name: expect.any(String), email: expect.any(String), 'address.line1': expect.any(String), 'address.postalCode': expect.any(String), 'address.city': expect.any(String) });
    expect(fields({ kind: 'business', name: 'B', email: 'b@b.fr', address })).toEqual({ siren: expect.stringContaining('SIREN') });
    expect(fields({ kind: 'business', name: 'B', email: 'b@b.fr', address, siren: '842000003' })).toEqual({ siren: expect.stringContaining('clé de contrôle') });
    expect(fields({ kind: 'business', name: 'B', email: 'b@b.fr', address, siren: '842000002', vatNumber: 'FR53842000010' })).toEqual({ vatNumber: "Ce numéro de TVA n'est pas celui du SIREN indiqué." });
    expect(fields({ kind: 'business', name: 'B', email: 'b@b.fr', address, siren: '842000002', vatNumber: 'FR30842000002' })).toEqual({ vatNumber: expect.stringContaining("n'est pas valide") });
    expect(fields({ kind: 'business', name: 'B', email: 'b@b.fr', address, siren: '842000002', siret: '73282932000074' })).toEqual({ siret: expect.stringContaining('ne correspondent pas') });
    expect(fields({ kind: 'individual', name: 'A', email: 'pas-un-email', address: { ...address, postalCode: '6230' }, siren: '842000002' })).toEqual({
      email: expect.stringContaining("n'est pas valide"),
      'address.postalCode': 'Un code postal français compte 5 chiffres.',
      siren: expect.stringContaining('particulier'),
    });
    expect(fields({ kind: 'individual', name: 'A', email: 'a@a.be', address: { line1: 'Rue Haute 1', postalCode: '1000', city: 'Bruxelles', countryCode: 'be' } })).toEqual({});
  });
});
