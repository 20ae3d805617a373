import { describe, expect, it } from 'vitest';
import { renderContractPdf, sha256Hex } from '../../shared/contracts/pdf.js';
import type { ContractData } from '../../shared/domain/contracts.js';
import { pdfText } from '../support/pdf-text.js';

const base = {
  referralId: '0b5c2f4e-1111-4222-8333-944455556666',
  reference: 'ORI-0B5C2F4E',
  version: 1,
  generatedAt: '2026-06-12T08:30:00.000Z',
} as const;

const CONTRACTS: Record<string, ContractData> = {
  accompagnement: {
    ...base,
    programme: 'accompagnement',
    youngPerson: { firstName: 'Inès', lastName: 'Lefèvre', birthDate: '2002-11-23', address: '4 rue des Corons', postalCode: '62300', town: 'Lens' },
    startDate: '2026-06-12',
    endDate: '2027-06-11',
  },
  cjs: {
    ...base,
    programme: 'cjs',
    youngPerson: { firstName: 'Noah', lastName: 'Dubois', birthDate: '2010-03-14', postalCode: '62160', town: 'Bully-les-Mines' },
    guardian: { firstName: 'Sabrina', lastName: 'Dubois', relationship: 'mère' },
    consent: { at: '2026-06-10T17:05:00.000Z', signerName: 'Sabrina Dubois', relationship: 'mère', imageRights: false },
    startDate: '2026-07-01',
    endDate: '2026-08-31',
  },
  'jeunes-majeurs': {
    ...base,
    programme: 'jeunes-majeurs',
    youngPerson: { firstName: 'Yanis', lastName: 'Mercier', birthDate: '2007-01-30', postalCode: '62160', town: 'Grenay' },
    startDate: '2026-06-15',
    endDate: '2027-06-14',
  },
};

const PROGRAMME_TITLES: Record<string, { title: RegExp; programme: RegExp }> = {
  accompagnement: { title: /Contrat d'appui au projet d'entreprise \(CAPE\)/, programme: /Accompagnement individuel/ },
  cjs: { title: /Convention d'adhésion à la Coopérative Jeunesse de Services/, programme: /Coopérative Jeunesse de Services \(16-18 ans, été\)/ },
  'jeunes-majeurs': { title: /Convention d'adhésion à la Coopérative Jeunes Majeurs/, programme: /Coopérative Jeunes Majeurs \(18-29 ans\)/ },
};

describe('contract PDF, for each programme', () => {
  for (const [programme, data] of Object.entries(CONTRACTS)) {
    it(`${programme}: the text names the parties, the programme, the dates, and the final one the acceptance record and the countersignature`, async () => {
      const draft = await renderContractPdf(data);
      const text = await pdfText(draft.bytes);
      expect(text).toMatch(PROGRAMME_TITLES[programme].title);
      expect(text).toMatch(PROGRAMME_TITLES[programme].programme);
      expect(text).toContain('CoopConnexion');
      expect(text).toContain(`${data.youngPerson.firstName} ${data.youngPerson.lastName}`);
      expect(text).toContain(data.youngPerson.town);
      expect(text).toContain('ORI-0B5C2F4E');
      const [sy, sm, sd] = data.startDate.split('-');
      const [ey, em, ed] = data.endDate.split('-');
      expect(text).toContain(`Date de début : ${sd}/${sm}/${sy}`);
      expect(text).toContain(`date de fin : ${ed}/${em}/${ey}`);
      if (data.guardian) {
        expect(text).toContain('Sabrina Dubois, mère, représentant légal de Noah');
        // The consent time in Paris: 17:05 UTC is 19:05 in June.
        expect(text).toContain('a donné son autorisation le 10/06/2026 à 19:05');
        expect(text).toContain("Droit à l'image : refusé");
      } else {
        expect(text).not.toContain('représentant légal de');
      }
      expect(text).not.toContain('Empreinte SHA-256');

      const signatures = {
        acceptance: { at: '2026-06-13T19:42:00.000Z', sha256: draft.sha256 },
        countersignature: { at: '2026-06-15T07:10:00.000Z', staffName: 'Camille Martin' },
      };
      const final = await renderContractPdf(data, signatures);
      const finalText = await pdfText(final.bytes);
      expect(finalText).toContain(`${data.youngPerson.firstName} ${data.youngPerson.lastName}`);
      expect(finalText).toContain(`Date de début : ${sd}/${sm}/${sy}`);
      expect(finalText).toContain(`Accepté en ligne par ${data.youngPerson.firstName} ${data.youngPerson.lastName} le 13/06/2026 à 21:42 (heure de Paris)`);
      // The hash may wrap: compare without spaces.
      expect(finalText.replace(/ /g, '')).toContain(`EmpreinteSHA-256ducontrataccepté:${draft.sha256}`);
      expect(finalText).toContain('Contresigné pour la coopérative par Camille Martin le 15/06/2026 à 09:10 (heure de Paris)');
    });
  }
});

describe('contract PDF bytes', () => {
  it('are the same for the same data (fixed creation date and file ID): the SHA-256 is stable', async () => {
    const [a, b] = [await renderContractPdf(CONTRACTS.cjs), await renderContractPdf(CONTRACTS.cjs)];
    expect(a.sha256).toBe(b.sha256);
    expect(Buffer.compare(a.bytes, b.bytes)).toBe(0);
    expect(a.sha256).toBe(sha256Hex(a.bytes));
    expect(a.bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  });

  it('change with any stored datum', async () => {
    const reference = await renderContractPdf(CONTRACTS.cjs);
    const variants: ContractData[] = [
      { ...CONTRACTS.cjs, endDate: '2026-08-30' },
      { ...CONTRACTS.cjs, version: 2 },
      { ...CONTRACTS.cjs, generatedAt: '2026-06-12T08:30:01.000Z' },
      { ...CONTRACTS.cjs, youngPerson: { ...CONTRACTS.cjs.youngPerson, lastName: 'Dubois-Martin' } },
    ];
    for (const variant of variants) expect((await renderContractPdf(variant)).sha256).not.toBe(reference.sha256);
  });
});
