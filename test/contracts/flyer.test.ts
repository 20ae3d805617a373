import { describe, expect, it } from 'vitest';
import { FRANCHISE_MENTION, priceText, renderFlyerPdf, type FlyerInput } from '../../shared/activities/flyer.js';
import { formatEuros } from '../../shared/domain/money.js';
import { pdfPages, pdfText } from '../support/pdf-text.js';

const cooperative: FlyerInput['cooperative'] = {
  name: 'CoopConnexion',
  address: '12 rue de la Fosse 9, 62300 Lens',
  siren: '912 345 678',
  vatMode: 'vat',
  email: 'commandes@coopconnexion.fr',
  phone: '03 21 00 00 00',
};

const flyer: FlyerInput = {
  name: 'Jardins de Lens',
  tradeName: 'Les Mains Vertes',
  description: 'Entretien de jardins et petits travaux de peinture, dans le bassin minier, par une jeune entrepreneuse accompagnée par la coopérative.',
  services: ['Jardinage', 'Petits travaux'],
  targetCustomers: ['Particuliers', 'Entreprises'],
  prices: [
    { label: 'Tonte et taille de haies', unitLabel: 'heure', unitPriceCents: 1200, vatRateBps: 2000 },
    { label: "Peinture d'une pièce", unitLabel: 'forfait', unitPriceCents: 185050, vatRateBps: 1000 },
    { label: 'Cours de jardinage', unitLabel: 'heure', unitPriceCents: 2500, vatRateBps: null },
  ],
  pricesOn: '2026-07-01',
  cooperative,
};

describe('the flyer PDF', () => {
  it('names the activity, its services, its prices and how to order through the cooperative, on one page', async () => {
    const bytes = await renderFlyerPdf(flyer);
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(await pdfPages(bytes)).toBe(1);
    const text = await pdfText(bytes);
    expect(text).toContain('Les Mains Vertes');
    expect(text).toContain('Jardins de Lens');
    expect(text).toContain('Entretien de jardins et petits travaux de peinture');
    expect(text).toContain('Jardinage');
    expect(text).toContain('Petits travaux');
    expect(text).toContain('Tonte et taille de haies');
    expect(text).toContain('12,00 € HT / heure (TVA 20 %)');
    expect(text).toContain('1 850,50 € HT / forfait (TVA 10 %)');
    expect(text).toContain('25,00 € HT / heure (sans TVA)');
    expect(text).toContain('Tarifs en vigueur au 01/07/2026');
    expect(text).toContain('Particuliers, Entreprises');
    expect(text).toContain('Commandes et factures : CoopConnexion');
    expect(text).toContain('commandes@coopconnexion.fr');
    expect(text).toContain('03 21 00 00 00');
    expect(text).toContain('12 rue de la Fosse 9, 62300 Lens');
    expect(text).toContain('SIREN : 912 345 678');
    expect(text).not.toContain('293 B');
  });

  it('under the franchise, shows net prices and the mention of article 293 B once', async () => {
    const text = await pdfText(await renderFlyerPdf({ ...flyer, cooperative: { ...cooperative, vatMode: 'franchise' } }));
    expect(text).toContain('12,00 € / heure');
    expect(text).toContain('1 850,50 € / forfait');
    expect(text).not.toContain('HT');
    expect(text.split(FRANCHISE_MENTION).length).toBe(2);
  });

  it('stays on one page with a long description and many price lines', async () => {
    const long: FlyerInput = {
      ...flyer,
      description: 'Une description détaillée de l’activité. '.repeat(50),
      prices: Array.from({ length: 30 }, (_, i) => ({ label: `Prestation numéro ${i + 1} avec un libellé assez long`, unitLabel: 'heure', unitPriceCents: 1000 + i, vatRateBps: 2000 })),
    };
    const bytes = await renderFlyerPdf(long);
    expect(await pdfPages(bytes)).toBe(1);
    const text = await pdfText(bytes);
    expect(text).toContain('Prestation numéro 30');
    expect(text).toContain('10,29 € HT / heure');
    expect(text).toContain('Commandes et factures : CoopConnexion');
  });

  it('gives the same bytes for the same input', async () => {
    expect(Buffer.compare(await renderFlyerPdf(flyer), await renderFlyerPdf(flyer))).toBe(0);
  });
});

describe('prices as people read them', () => {
  it('formats cents with a comma, no-break spaces and the unit', () => {
    expect(formatEuros(0)).toBe('0,00\u00a0€');
    expect(formatEuros(5)).toBe('0,05\u00a0€');
    expect(formatEuros(123456789)).toBe('1\u00a0234\u00a0567,89\u00a0€');
    expect(priceText({ label: 'x', unitLabel: 'm²', unitPriceCents: 950, vatRateBps: 550 }, 'vat')).toBe('9,50\u00a0€ HT / m² (TVA 5,5 %)');
    expect(priceText({ label: 'x', unitLabel: 'jour', unitPriceCents: 15000, vatRateBps: 2000 }, 'franchise')).toBe('150,00\u00a0€ / jour');
  });
});
