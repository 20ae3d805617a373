import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  MAX_DOCUMENT_BYTES,
  SEPA_IBAN_LENGTHS,
  bankDetailsSchema,
  checkIban,
  documentHelp,
  documentReviewSchema,
  downloadFileName,
  frenchRibKey,
  ibanMod97,
  maskIban,
  requiredDocuments,
  uploadRequestSchema,
} from '../../shared/domain/documents.js';

const ADULT_LIST = ['identity', 'proof-of-situation', 'bank-details'];

describe('the checklist depends on the programme and the age on the first day', () => {
  it('asks an adult of the individual accompaniment and of the Jeunes Majeurs for three documents', () => {
    expect(requiredDocuments('accompagnement', '2000-05-10', '2026-11-26')).toEqual(ADULT_LIST);
    expect(requiredDocuments('jeunes-majeurs', '2007-01-15', '2026-11-26')).toEqual(ADULT_LIST);
  });

  it("adds the guardian's identity document for a CJS member of 16 or 17 at the start", () => {
    expect(requiredDocuments('cjs', '2010-03-01', '2026-07-01')).toEqual([...ADULT_LIST, 'guardian-identity']);
    expect(requiredDocuments('cjs', '2009-03-01', '2026-07-01')).toEqual([...ADULT_LIST, 'guardian-identity']);
  });

  it('counts a CJS member who turns 18 on the first day as an adult, and one who turns 18 the next day as a minor', () => {
    expect(requiredDocuments('cjs', '2008-07-01', '2026-07-01')).toEqual(ADULT_LIST);
    expect(requiredDocuments('cjs', '2008-07-02', '2026-07-01')).toEqual([...ADULT_LIST, 'guardian-identity']);
  });

  it('goes by the age at the start, not at the referral: 17 when referred in March, 18 on 1 July', () => {
    expect(requiredDocuments('cjs', '2008-05-20', '2026-07-01')).toEqual(ADULT_LIST);
  });

  it('tells a CJS member that their proof of situation is a school certificate', () => {
    expect(documentHelp('proof-of-situation', 'cjs')).toContain('scolarité');
    expect(documentHelp('proof-of-situation', 'accompagnement')).toContain('France Travail');
  });
});

/** A valid French IBAN built from its parts: RIB key, then the IBAN's check digits. */
function frenchIban(bank: string, branch: string, account: string): string {
  const bban = `${bank}${branch}${account}${frenchRibKey(bank, branch, account)}`;
  return withCheckDigits('FR', bban);
}

function withCheckDigits(country: string, bban: string): string {
  const check = 98 - ibanMod97(`${country}00${bban}`);
  return `${country}${String(check).padStart(2, '0')}${bban}`;
}

const digits = (n: number) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }).map((d) => d.join(''));
const alnum = (n: number) => fc.array(fc.constantFrom(...'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ'), { minLength: n, maxLength: n }).map((c) => c.join(''));
const validFrench = fc.tuple(digits(5), digits(5), alnum(11)).map(([bank, branch, account]) => frenchIban(bank, branch, account));
const validGerman = digits(18).map((bban) => withCheckDigits('DE', bban));

describe('an IBAN is checked with its mod-97 key', () => {
  it('accepts published examples, with or without spaces, in any case', () => {
    expect(checkIban('FR76 3000 6000 0112 3456 7890 189')).toEqual({ valid: true, iban: 'FR7630006000011234567890189', country: 'FR' });
    expect(checkIban('fr7630006000011234567890189')).toMatchObject({ valid: true, iban: 'FR7630006000011234567890189' });
    expect(checkIban('DE89 3704 0044 0532 0130 00')).toMatchObject({ valid: true, country: 'DE' });
    expect(checkIban('BE68 5390 0754 7034')).toMatchObject({ valid: true, country: 'BE' });
  });

  it('refuses a wrong key, a wrong length, a country outside SEPA and stray characters, each with its own French message', () => {
    expect(checkIban('FR76 3000 6000 0112 3456 7890 188')).toEqual({ valid: false, message: expect.stringContaining('clé de contrôle') });
    expect(checkIban('FR76 3000 6000 0112 3456 7890 18')).toEqual({ valid: false, message: expect.stringContaining('27 caractères ; celui-ci en compte 26') });
    expect(checkIban('US64 SVBK US6S 3300 9673 8637')).toEqual({ valid: false, message: expect.stringContaining('zone SEPA') });
    expect(checkIban('FR76 3000 6000 0112 3456 7890 1_9')).toEqual({ valid: false, message: expect.stringContaining('lettres et des chiffres') });
    expect(checkIban('   ')).toEqual({ valid: false, message: expect.stringContaining('Saisissez') });
    expect(checkIban('3000600001')).toEqual({ valid: false, message: expect.stringContaining('deux lettres du pays') });
  });

  it('refuses a French IBAN whose mod-97 key holds but whose RIB key does not', () => {
    const bban = '3000600001123456789' + '0' + '1' + '00'; // RIB key 00 is wrong for this account
    const iban = withCheckDigits('FR', bban);
    expect(ibanMod97(iban)).toBe(1);
    expect(checkIban(iban)).toEqual({ valid: false, message: expect.stringContaining('clé RIB') });
  });

  it('accepts every IBAN built with its keys (French and German), whatever the spacing', () => {
    fc.assert(
      fc.property(fc.oneof(validFrench, validGerman), fc.integer({ min: 1, max: 6 }), (iban, group) => {
        const spaced = iban.replace(new RegExp(`(.{${group}})`, 'g'), '$1 ');
        expect(checkIban(spaced)).toEqual({ valid: true, iban, country: iban.slice(0, 2) });
      }),
    );
  });

  it('refuses every IBAN with one digit mistyped or two different neighbouring digits swapped', () => {
    fc.assert(
      fc.property(fc.oneof(validFrench, validGerman), fc.nat(), fc.integer({ min: 1, max: 9 }), (iban, at, shift) => {
        const positions = [...iban].flatMap((c, i) => (i >= 2 && /\d/.test(c) ? [i] : []));
        const i = positions[at % positions.length]!;
        const typo = iban.slice(0, i) + String((Number(iban[i]) + shift) % 10) + iban.slice(i + 1);
        expect(checkIban(typo).valid).toBe(false);
      }),
    );
    fc.assert(
      fc.property(fc.oneof(validFrench, validGerman), fc.nat(), (iban, at) => {
        const pairs = [...iban].flatMap((c, i) => (i >= 2 && /\d/.test(c) && /\d/.test(iban[i + 1] ?? '') && c !== iban[i + 1] ? [i] : []));
        fc.pre(pairs.length > 0);
        const i = pairs[at % pairs.length]!;
        const swapped = iban.slice(0, i) + iban[i + 1] + iban[i] + iban.slice(i + 2);
        expect(checkIban(swapped).valid).toBe(false);
      }),
    );
  });

  it('knows the length of every SEPA country it accepts (French IBANs: see above, their RIB key is checked too)', () => {
    for (const [country, length] of Object.entries(SEPA_IBAN_LENGTHS).filter(([c]) => c !== 'FR')) {
      expect(checkIban(withCheckDigits(country, '1'.repeat(length - 4))).valid, country).toBe(true);
      expect(checkIban(withCheckDigits(country, '1'.repeat(length - 5))).valid, country).toBe(false);
    }
  });

  it('shows staff only the country, the check digits and the last four characters', () => {
    expect(maskIban('FR7630006000011234567890189')).toBe('FR76 •••• •••• •••• •••• •••0 189');
    expect(maskIban('FR7630006000011234567890189')).not.toContain('3000');
  });

  it('normalises the IBAN of the bank details and names the field of a bad one', () => {
    expect(bankDetailsSchema.parse({ iban: 'fr76 3000 6000 0112 3456 7890 189', holder: ' Léa Martin ' })).toEqual({ iban: 'FR7630006000011234567890189', holder: 'Léa Martin' });
    const bad = bankDetailsSchema.safeParse({ iban: 'FR76 3000 6000 0112 3456 7890 188', holder: 'L' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => i.path.join('.')).sort()).toEqual(['holder', 'iban']);
  });
});

describe('an upload is declared before it is sent', () => {
  it('accepts a PDF, JPEG or PNG of at most 10 MB', () => {
    for (const contentType of ['application/pdf', 'image/jpeg', 'image/png']) {
      expect(uploadRequestSchema.safeParse({ contentType, size: MAX_DOCUMENT_BYTES, fileName: 'cni.pdf' }).success).toBe(true);
    }
  });

  it('refuses another type, more than 10 MB, an empty file, in French', () => {
    const exe = uploadRequestSchema.safeParse({ contentType: 'application/x-msdownload', size: 1000, fileName: 'cni.pdf' });
    expect(exe.error?.issues[0]?.message).toContain('PDF, une photo JPEG ou une image PNG');
    const big = uploadRequestSchema.safeParse({ contentType: 'application/pdf', size: MAX_DOCUMENT_BYTES + 1, fileName: 'cni.pdf' });
    expect(big.error?.issues[0]?.message).toContain('10 Mo');
    expect(uploadRequestSchema.safeParse({ contentType: 'image/png', size: 0, fileName: 'a.png' }).error?.issues[0]?.message).toContain('vide');
  });

  it('names a downloaded file after the document, never after the name the phone gave it', () => {
    expect(downloadFileName('identity', 'application/pdf', '2026-06-03')).toBe('piece-d-identite-2026-06-03.pdf');
    expect(downloadFileName('guardian-identity', 'image/jpeg', '2026-06-03')).toBe('piece-d-identite-du-representant-legal-2026-06-03.jpg');
  });
});

describe('a review names its reason when it rejects', () => {
  it('accepts an acceptance alone, and a rejection with a reason and an optional message', () => {
    expect(documentReviewSchema.safeParse({ outcome: 'accepted' }).success).toBe(true);
    expect(documentReviewSchema.safeParse({ outcome: 'rejected', reasonCode: 'illegible' }).success).toBe(true);
    expect(documentReviewSchema.safeParse({ outcome: 'rejected', reasonCode: 'expired', message: 'Carte expirée en 2024.' }).success).toBe(true);
  });

  it('refuses a rejection without reason, a reason on an acceptance, and "other" without a message', () => {
    const fieldsOf = (input: unknown) => documentReviewSchema.safeParse(input).error?.issues.map((i) => i.path.join('.'));
    expect(fieldsOf({ outcome: 'rejected' })).toEqual(['reasonCode']);
    expect(fieldsOf({ outcome: 'accepted', reasonCode: 'illegible' })).toEqual(['reasonCode']);
    expect(fieldsOf({ outcome: 'rejected', reasonCode: 'other' })).toEqual(['message']);
  });
});
