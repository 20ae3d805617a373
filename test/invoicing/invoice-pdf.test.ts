import { describe, expect, it } from 'vitest';
import { DEFAULT_COOPERATIVE, type CooperativeSettings } from '../../infra/config.js';
import { FRANCHISE_MENTION } from '../../shared/domain/invoicing/amounts.js';
import type { CustomerDetails } from '../../shared/domain/invoicing/customers.js';
import { formatEuros } from '../../shared/domain/money.js';
import { buildInvoiceDocument, creditNoteOf, documentFileName, documentOfRecord, type InvoiceDocument, type InvoiceLineInput } from '../../shared/invoicing/document.js';
import type { InvoiceRecord } from '../../shared/domain/invoicing/records.js';
import { checkEn16931 } from '../../shared/invoicing/en16931.js';
import { FACTUR_X_FILE_NAME, FRANCHISE_EXEMPTION_CODE } from '../../shared/invoicing/factur-x.js';
import { createHash } from 'node:crypto';
import { MARGIN, renderInvoicePdf } from '../../shared/invoicing/invoice-pdf.js';
import { formatQuantity } from '../../shared/domain/invoicing/amounts.js';
import { PAGE_WIDTH, PdfPages } from '../../shared/invoicing/pdf-writer.js';
import { at, childrenNamed, parseXml, textAt } from '../../shared/invoicing/xml.js';
import { expectPdfAStructure, pdfStreams } from '../support/pdf-objects.js';
import { pdfAttachments, pdfPages, pdfPageTexts, pdfText } from '../support/pdf-text.js';

const cooperative = (vatMode: CooperativeSettings['vatMode']): CooperativeSettings => ({ ...DEFAULT_COOPERATIVE, vatMode });
const activity = { name: 'Jardins de Lens', tradeName: 'Les Mains Vertes' };
const address = { line1: '3 rue Émile Basly', postalCode: '62300', city: 'Lens', countryCode: 'FR' };
const individual: CustomerDetails = { kind: 'individual', name: 'Awa Diallo', email: 'awa.diallo@example.fr', address };
const business: CustomerDetails = { kind: 'business', name: 'Boulangerie Lensoise', email: 'compta@boulangerie-lensoise.fr', address: { ...address, line1: '8 place Jean Jaurès' }, siren: '842000002', vatNumber: 'FR29842000002' };
const lines: InvoiceLineInput[] = [
  { description: 'Tonte de pelouse', serviceDate: '2027-07-03', quantityHundredths: 150, unit: 'heure', unitPriceCents: 1999, vatRateBps: 2000 },
  { description: 'Peinture du portail', serviceDate: '2027-07-10', quantityHundredths: 100, unit: 'forfait', unitPriceCents: 18505, vatRateBps: 1000 },
  { description: 'Taille de haies', serviceDate: '2027-07-24', quantityHundredths: 225, unit: 'heure', unitPriceCents: 2000, vatRateBps: 2000 },
];

const invoiceFor = (customer: CustomerDetails, vatMode: CooperativeSettings['vatMode']) =>
  buildInvoiceDocument({ number: '2027-000123', issueDate: '2027-08-01', cooperative: cooperative(vatMode), activity, customer, lines });

/** The Factur-X attachment read back out of the PDF bytes, as a reader (pdf.js) finds it. */
async function facturXOf(pdf: Uint8Array): Promise<string> {
  const attachments = await pdfAttachments(pdf);
  expect(Object.keys(attachments)).toEqual([FACTUR_X_FILE_NAME]);
  return new TextDecoder().decode(attachments[FACTUR_X_FILE_NAME]);
}

/** Every mention the law asks of any invoice, as the PDF's text must show it. */
function expectMandatoryMentions(text: string, doc: InvoiceDocument) {
  // The seller: the cooperative, its address, SIREN and the activity's trade name.
  for (const mention of ['CoopConnexion', 'SCIC SAS à capital variable', '1 place de la Coopération', '62300 Lens', 'SIREN 912 345 675 - RCS Arras', 'Enseigne : Les Mains Vertes', 'Jardins de Lens']) {
    expect(text).toContain(mention);
  }
  // The customer, the number, the dates.
  expect(text).toContain(doc.buyer.name);
  expect(text).toContain(doc.buyer.address.line1);
  expect(text).toContain('N° 2027-000123');
  expect(text).toContain("Date d'émission : 01/08/2027");
  expect(text).toContain('Prestations du 03/07/2027 au 24/07/2027');
  for (const date of ['03/07/2027', '10/07/2027', '24/07/2027']) expect(text).toContain(date);
  // The lines: description, quantity, unit, unit price and amount.
  expect(text).toMatch(/Tonte de pelouse 1,5 heure 19,99\s€ (20 % )?29,99\s€/);
  expect(text).toMatch(/Peinture du portail 1 forfait 185,05\s€/);
  expect(text).toMatch(/Taille de haies 2,25 heure 20,00\s€/);
  // Due date and payment terms, and how to pay.
  expect(text).toContain("Date d'échéance : 31/08/2027");
  expect(text).toContain('Paiement à 30 jours, au plus tard le 31/08/2027.');
  expect(text).toContain('IBAN FR76 4255 9100 0008 0123 4567 812 - BIC CCOPFRPPXXX');
}

const norm = (s: string) => s.replace(/\s+/g, ' ');

describe('the invoice PDF', () => {
  it('for a business with VAT: every mandatory mention, VAT per rate, the late penalties and the 40 € indemnity', async () => {
    const doc = invoiceFor(business, 'vat');
    const { pdf } = await renderInvoicePdf(doc);
    const text = await pdfText(pdf);
    expectMandatoryMentions(text, doc);
    expect(text).toContain('N° TVA intracommunautaire : FR65912345675');
    expect(text).toContain('SIREN 842 000 002');
    expect(text).toContain('N° TVA intracommunautaire : FR29842000002');
    expect(text).toMatch(/Tonte de pelouse 1,5 heure 19,99\s€ 20 % 29,99\s€/);
    expect(text).toMatch(/Peinture du portail 1 forfait 185,05\s€ 10 % 185,05\s€/);
    // 29,99 + 45,00 = 74,99 at 20 % -> 15,00 (14,998); 185,05 at 10 % -> 18,51 (18,505).
    expect(doc.totals.perRate).toEqual([
      { category: 'S', vatRateBps: 2000, baseCents: 7499, vatCents: 1500 },
      { category: 'S', vatRateBps: 1000, baseCents: 18505, vatCents: 1851 },
    ]);
    for (const line of ['Total HT soumis à TVA 20 % 74,99 €', 'Montant TVA 20 % 15,00 €', 'Total HT soumis à TVA 10 % 185,05 €', 'Montant TVA 10 % 18,51 €', 'Total HT 260,04 €', 'Total TVA 33,51 €', 'Total TTC 293,55 €', 'Net à payer 293,55 €']) {
      expect(text).toContain(norm(line));
    }
    expect(text).toContain('trois fois le taux d’intérêt légal');
    expect(text).toContain('indemnité forfaitaire pour frais de recouvrement de 40 €');
    expect(text).toContain('D441-5');
    expect(text).toContain('Pas d’escompte pour paiement anticipé.');
    expect(text).not.toContain('293 B');
  });

  it('for a private customer under the franchise: no VAT anywhere, the article 293 B mention, no business penalties', async () => {
    const doc = invoiceFor(individual, 'franchise');
    const { pdf } = await renderInvoicePdf(doc);
    const text = await pdfText(pdf);
    expectMandatoryMentions(text, doc);
    expect(text).toContain(FRANCHISE_MENTION);
    expect(text).toContain('Franchise en base de TVA');
    expect(text).toContain(norm('Total 260,04 €'));
    expect(text).toContain(norm('Net à payer 260,04 €'));
    for (const absent of ['HT', 'TTC', '%', 'Montant TVA', 'FR65912345675', '40 €', 'pénalités', 'SIREN 842']) expect(text).not.toContain(absent);
    expect(doc.lines.every((line) => line.vatRateBps === null)).toBe(true);
  });

  it('for a business under the franchise and a private customer with VAT', async () => {
    const franchised = await pdfText((await renderInvoicePdf(invoiceFor(business, 'franchise'))).pdf);
    expectMandatoryMentions(franchised, invoiceFor(business, 'franchise'));
    expect(franchised).toContain(FRANCHISE_MENTION);
    expect(franchised).toContain('SIREN 842 000 002');
    expect(franchised).toContain('indemnité forfaitaire pour frais de recouvrement de 40');
    expect(franchised).not.toContain('TTC');

    const taxed = await pdfText((await renderInvoicePdf(invoiceFor(individual, 'vat'))).pdf);
    expectMandatoryMentions(taxed, invoiceFor(individual, 'vat'));
    expect(taxed).toContain(norm('Total TTC 293,55 €'));
    expect(taxed).not.toContain('40 €');
    expect(taxed).not.toContain('293 B');
  });

  it('carries its Factur-X XML, whose totals are the PDF’s and which keeps the EN 16931 rules', async () => {
    for (const [customer, vatMode] of [[business, 'vat'], [individual, 'franchise']] as const) {
      const doc = invoiceFor(customer, vatMode);
      const { pdf, xml } = await renderInvoicePdf(doc);
      const embedded = await facturXOf(pdf);
      expect(embedded).toBe(xml);
      expect(checkEn16931(embedded)).toEqual([]);

      const root = parseXml(embedded);
      const summation = at(root, 'rsm:SupplyChainTradeTransaction', 'ram:ApplicableHeaderTradeSettlement', 'ram:SpecifiedTradeSettlementHeaderMonetarySummation');
      const euros = (value: string | undefined) => formatEuros(Math.round(Number(value) * 100));
      const text = await pdfText(pdf);
      expect(text).toContain(norm(`Net à payer ${euros(textAt(summation, 'ram:GrandTotalAmount'))}`));
      expect(textAt(summation, 'ram:DuePayableAmount')).toBe(textAt(summation, 'ram:GrandTotalAmount'));
      expect(textAt(summation, 'ram:GrandTotalAmount')).toBe((doc.totals.grossCents / 100).toFixed(2));
      expect(textAt(summation, 'ram:TaxTotalAmount')).toBe((doc.totals.vatCents / 100).toFixed(2));
      const lineAmounts = childrenNamed(at(root, 'rsm:SupplyChainTradeTransaction'), 'ram:IncludedSupplyChainTradeLineItem').map((line) =>
        euros(textAt(line, 'ram:SpecifiedLineTradeSettlement', 'ram:SpecifiedTradeSettlementLineMonetarySummation', 'ram:LineTotalAmount')),
      );
      for (const amount of lineAmounts) expect(text).toContain(norm(amount));

      expect(textAt(root, 'rsm:ExchangedDocumentContext', 'ram:GuidelineSpecifiedDocumentContextParameter', 'ram:ID')).toBe('urn:cen.eu:en16931:2017');
      expect(textAt(root, 'rsm:ExchangedDocument', 'ram:TypeCode')).toBe('380');
      const seller = at(root, 'rsm:SupplyChainTradeTransaction', 'ram:ApplicableHeaderTradeAgreement', 'ram:SellerTradeParty');
      expect(at(seller, 'ram:SpecifiedLegalOrganization', 'ram:ID')).toMatchObject({ text: '912345675', attributes: { schemeID: '0002' } });
      expect(textAt(seller, 'ram:SpecifiedLegalOrganization', 'ram:TradingBusinessName')).toBe('Les Mains Vertes');
      const buyerLegal = at(root, 'rsm:SupplyChainTradeTransaction', 'ram:ApplicableHeaderTradeAgreement', 'ram:BuyerTradeParty', 'ram:SpecifiedLegalOrganization', 'ram:ID');
      const settlement = at(root, 'rsm:SupplyChainTradeTransaction', 'ram:ApplicableHeaderTradeSettlement');
      const taxes = childrenNamed(settlement, 'ram:ApplicableTradeTax');
      if (vatMode === 'vat') {
        expect(buyerLegal).toMatchObject({ text: '842000002', attributes: { schemeID: '0002' } });
        expect(taxes.map((t) => [textAt(t, 'ram:CategoryCode'), textAt(t, 'ram:RateApplicablePercent'), textAt(t, 'ram:BasisAmount'), textAt(t, 'ram:CalculatedAmount')])).toEqual([
          ['S', '20', '74.99', '15.00'],
          ['S', '10', '185.05', '18.51'],
        ]);
      } else {
        expect(buyerLegal).toBeUndefined();
        expect(taxes.map((t) => [textAt(t, 'ram:CategoryCode'), textAt(t, 'ram:ExemptionReasonCode'), textAt(t, 'ram:ExemptionReason'), textAt(t, 'ram:CalculatedAmount')])).toEqual([
          ['E', FRANCHISE_EXEMPTION_CODE, FRANCHISE_MENTION, '0.00'],
        ]);
      }
      expect(textAt(settlement, 'ram:SpecifiedTradePaymentTerms', 'ram:DueDateDateTime', 'udt:DateTimeString')).toBe('20270831');
    }
  });

  it('is a PDF/A-3b: embedded fonts only, the sRGB output intent, the Factur-X associated file and XMP', async () => {
    const { pdf } = await renderInvoicePdf(invoiceFor(business, 'vat'));
    const raw = pdf.toString('latin1');
    expect(raw.startsWith('%PDF-1.7')).toBe(true);
    expect(raw).toContain('/FontFile2');
    expect(raw).toMatch(/\/BaseFont \/[A-Z]{6}\+DejaVuSans-Bold/);
    expect(raw).not.toMatch(/\/Subtype \/Type1/);
    expect(raw).toContain('/S /GTS_PDFA1');
    expect(raw).toContain('/DestOutputProfile');
    expect(raw).toContain('<pdfaid:part>3</pdfaid:part>');
    expect(raw).toContain('<pdfaid:conformance>B</pdfaid:conformance>');
    expect(raw).toContain('/AFRelationship /Alternative');
    expect(raw).toContain('/Subtype /text#2Fxml');
    expect(raw).toMatch(/\/AF \[\d+ 0 R\]/);
    expect(raw).toContain('<fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>');
    expect(raw).toContain('<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>');
    expect(raw).toContain('<pdfaSchema:namespaceURI>urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#</pdfaSchema:namespaceURI>');
  });

  it('gives the same bytes for the same invoice, and runs onto more pages with many lines', async () => {
    const doc = invoiceFor(business, 'vat');
    expect(Buffer.compare((await renderInvoicePdf(doc)).pdf, (await renderInvoicePdf(doc)).pdf)).toBe(0);
    const many = buildInvoiceDocument({
      number: '2027-000124',
      issueDate: '2027-08-01',
      cooperative: cooperative('vat'),
      activity,
      customer: business,
      lines: Array.from({ length: 70 }, (_, i) => ({ ...lines[0], description: `Intervention numéro ${i + 1}`, serviceDate: `2027-07-${String((i % 28) + 1).padStart(2, '0')}` })),
    });
    const { pdf, xml } = await renderInvoicePdf(many);
    expect(await pdfPages(pdf)).toBeGreaterThan(1);
    // Each page the lines run onto starts its part of the table under the columns' titles again.
    const pages = await pdfPageTexts(pdf);
    const withLines = pages.filter((page) => page.includes('Intervention numéro'));
    expect(withLines.length).toBeGreaterThan(1);
    for (const text of withLines) expect(text.indexOf('Désignation')).toBeGreaterThanOrEqual(0);
    for (const text of withLines) expect(text.indexOf('Désignation')).toBeLessThan(text.indexOf('Intervention numéro'));
    const text = await pdfText(pdf);
    expect(text).toContain('Intervention numéro 70');
    expect(text).toContain('indemnité forfaitaire');
    expect(checkEn16931(xml)).toEqual([]);
    expect(formatQuantity(125)).toBe('1,25');
    expect(formatQuantity(10)).toBe('0,1');
  });
});

describe('a stored invoice whose line has a unit no longer listed', () => {
  // Issued when "semaine" was a unit of the price lists (a record keeps its line's unit as it was drafted): the PDF
  // reads it as stored, as the pages do (priceUnitLabel), and its Factur-X still gives a unit code (EN 16931 BR-23).
  const record: InvoiceRecord = {
    invoiceId: 'inv-semaine',
    kind: 'invoice',
    activityId: 'act-jardins',
    month: '2027-07',
    customer: { ...individual, activityId: 'act-jardins', customerId: 'c-awa' },
    lines: [
      { declarationId: 'd-1', serviceDate: '2027-07-05', description: 'Arrosage du potager', quantityHundredths: 200, unit: 'semaine', unitPriceCents: 3000, vatRateBps: null, netCents: 6000 },
      { declarationId: 'd-1', serviceDate: '2027-07-12', description: 'Plantation de massifs', quantityHundredths: 1250, unit: 'm2', unitPriceCents: 400, vatRateBps: null, netCents: 5000 },
    ],
    totals: { netCents: 11_000, vatCents: 0, grossCents: 11_000, perRate: [{ vatRateBps: null, baseCents: 11_000, vatCents: 0 }] },
    declarationIds: ['d-1'],
    status: 'issued',
    number: '2027-000124',
    issueDate: '2027-08-01',
    dueDate: '2027-08-31',
    paidCents: 0,
    history: [],
    createdAt: '2027-08-01T04:00:00Z',
    updatedAt: '2027-08-01T04:00:00Z',
  };

  it('reads the unit as stored on the PDF, beside the listed ones read by their label, and keeps EN 16931', async () => {
    const doc = documentOfRecord(record, cooperative('franchise'), activity);
    const { pdf, xml } = await renderInvoicePdf(doc);
    const text = await pdfText(pdf);
    expect(text).toMatch(/Arrosage du potager 2 semaine 30,00\s€ 60,00\s€/);
    expect(text).toMatch(/Plantation de massifs 12,5 m² 4,00\s€ 50,00\s€/);
    expect(text).not.toContain('undefined');
    expect(checkEn16931(await facturXOf(pdf))).toEqual([]);
    const quantities = childrenNamed(at(parseXml(xml), 'rsm:SupplyChainTradeTransaction'), 'ram:IncludedSupplyChainTradeLineItem').map((line) => at(line, 'ram:SpecifiedLineTradeDelivery', 'ram:BilledQuantity')?.attributes.unitCode);
    // "One" (C62) for a unit the list no longer names, the unit's own code for the others.
    expect(quantities).toEqual(['C62', 'MTK']);
  });
});

describe('the invoice writer (decision 48)', () => {
  it('wraps a long description inside its column, cuts a word wider than the column, and every word reads back', async () => {
    const long = `Entretien complet du jardin partagé de la résidence Jean-Baptiste-Lebas : tonte, taille des haies, désherbage manuel des massifs et évacuation des déchets verts en déchetterie ${'Anticonstitutionnellement'.repeat(3)} fin.`;
    const doc = buildInvoiceDocument({ number: '2027-000125', issueDate: '2027-08-01', cooperative: cooperative('vat'), activity, customer: business, lines: [{ ...lines[0], description: long }, lines[1]] });
    const { pdf } = await renderInvoicePdf(doc);
    const text = await pdfText(pdf);
    for (const word of long.split(/[\s-]+/)) if (word.length < 20) expect(text).toContain(word);
    // The word cut over three lines reads back whole once the line breaks are taken out.
    expect(text.replace(/\s/g, '')).toContain(`${'Anticonstitutionnellement'.repeat(3)}fin.`);
    expect(text).toMatch(/Peinture du portail 1 forfait 185,05\s€ 10 % 185,05\s€/);

    // The description's column (VAT columns: 595.28 - 2 × 42 wide, less the others and their gaps).
    const column = PAGE_WIDTH - 2 * MARGIN - (58 + 36 + 44 + 68 + 40 + 72) - 6 * 6;
    const page = new PdfPages(MARGIN).setFont('Body', 9);
    const wrapped = page.wrap(long, column);
    expect(wrapped.length).toBeGreaterThan(4);
    expect(wrapped.join('')).toBe(long);
    for (const line of wrapped) expect(page.widthOf(line.trimEnd())).toBeLessThanOrEqual(column);
    // Cut at spaces and after hyphens, and the long word where the column ends.
    expect(wrapped.some((line) => line.endsWith('Jean-') || line.endsWith('Jean-Baptiste-'))).toBe(true);
    expect(wrapped.slice(0, -1).filter((line) => /\p{L}$/u.test(line)).length).toBeGreaterThanOrEqual(2);

    // Those lines are set at the description column's left edge (42 + 58 + 6), one under the other.
    const content = pdfStreams(pdf).map((stream) => stream.data.toString('latin1')).find((data) => data.startsWith('BT'))!;
    const tops = [...content.matchAll(/1 0 0 1 106 ([\d.]+) Tm/g)].map((match) => Number(match[1]));
    expect(tops.length).toBe(1 + wrapped.length + 1);
    for (let i = 1; i < tops.length; i++) expect(tops[i]).toBeLessThan(tops[i - 1]);
  });

  it('sets a name with combining accents and glyphs outside the shared subset, and reads it back', async () => {
    const decomposed: CustomerDetails = { ...individual, name: 'Nguye\u0302\u0303n Thi\u0323 Zoe\u0301 Łukasz' };
    const { pdf } = await renderInvoicePdf(invoiceFor(decomposed, 'vat'));
    const text = (await pdfText(pdf)).normalize('NFC');
    expect(text).toContain('Nguyễn Thị Zoé Łukasz');
  });

  it('writes the structures of a PDF/A-3b: cross-reference table, file identifier, info matching the XMP, the associated file', async () => {
    const doc = invoiceFor(business, 'vat');
    const { pdf, xml } = await renderInvoicePdf(doc);
    const { catalog, objectOf } = expectPdfAStructure(pdf, { title: 'Facture 2027-000123', date: '2027-08-01' });
    const metadata = pdfStreams(pdf).find((stream) => stream.dictionary.includes('/Type /Metadata'))!;
    expect(metadata.data.toString('utf8')).toContain('<fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>');

    // The associated file: the catalog's /AF, the file's specification and its stream.
    const filespecId = Number(/\/AF \[(\d+) 0 R\]/.exec(catalog)![1]);
    const filespec = objectOf(filespecId);
    expect(filespec).toContain('/Type /Filespec');
    expect(filespec).toContain('/F (factur-x.xml)');
    expect(filespec).toContain('/UF (factur-x.xml)');
    expect(filespec).toContain('/AFRelationship /Alternative');
    expect(objectOf(Number(/\/Names (\d+) 0 R/.exec(catalog)![1]))).toContain(`/Names [(factur-x.xml) ${filespecId} 0 R]`);
    const embedded = pdfStreams(pdf).find((stream) => stream.id === Number(/\/EF <<\n\/F (\d+) 0 R/.exec(filespec)![1]))!;
    const bytes = Buffer.from(xml, 'utf8');
    expect(embedded.data.equals(bytes)).toBe(true);
    expect(embedded.dictionary).toContain('/Subtype /text#2Fxml');
    expect(embedded.dictionary).toContain('/CreationDate (D:20270801000000Z)\n/ModDate (D:20270801000000Z)');
    expect(embedded.dictionary).toContain(`/CheckSum <${createHash('md5').update(bytes).digest('hex')}>`);
    expect(embedded.dictionary).toContain(`/Size ${bytes.length}`);
  });
});

describe('the credit note', () => {
  it('says "Avoir", names the cancelled invoice, and its Factur-X is a 381 referring to it', async () => {
    const invoice = invoiceFor(business, 'vat');
    const note = creditNoteOf(invoice, '2027-000200', '2027-08-20');
    expect(documentFileName(note)).toBe('avoir-2027-000200.pdf');
    const { pdf, xml } = await renderInvoicePdf(note);
    const text = await pdfText(pdf);
    expect(text).toContain('AVOIR');
    expect(text).toContain('N° 2027-000200');
    expect(text).toContain('Avoir annulant la facture n° 2027-000123 du 01/08/2027.');
    expect(text).toContain(norm("Montant de l'avoir 293,55 €"));
    expect(text).not.toContain("Date d'échéance");
    const embedded = await facturXOf(pdf);
    expect(embedded).toBe(xml);
    expect(checkEn16931(embedded)).toEqual([]);
    const root = parseXml(embedded);
    expect(textAt(root, 'rsm:ExchangedDocument', 'ram:TypeCode')).toBe('381');
    const reference = at(root, 'rsm:SupplyChainTradeTransaction', 'ram:ApplicableHeaderTradeSettlement', 'ram:InvoiceReferencedDocument');
    expect(textAt(reference, 'ram:IssuerAssignedID')).toBe('2027-000123');
    expect(textAt(reference, 'ram:FormattedIssueDateTime', 'qdt:DateTimeString')).toBe('20270801');
  });
});

describe('the EN 16931 checker', () => {
  const valid = async (customer: CustomerDetails, vatMode: CooperativeSettings['vatMode']) => (await renderInvoicePdf(invoiceFor(customer, vatMode))).xml;
  const rules = (xml: string) => checkEn16931(xml).map((broken) => broken.rule);

  it('finds wrong totals, a VAT not computed on its base, a third decimal and missing fields', async () => {
    const xml = await valid(business, 'vat');
    expect(rules(xml.replace('<ram:LineTotalAmount>29.99</ram:LineTotalAmount>', '<ram:LineTotalAmount>30.00</ram:LineTotalAmount>'))).toEqual(expect.arrayContaining(['BR-CO-10', 'BR-S-08']));
    expect(rules(xml.replace('<ram:CalculatedAmount>18.51</ram:CalculatedAmount>', '<ram:CalculatedAmount>18.50</ram:CalculatedAmount>'))).toEqual(expect.arrayContaining(['BR-CO-17', 'BR-CO-14']));
    expect(rules(xml.replace('<ram:GrandTotalAmount>293.55</ram:GrandTotalAmount>', '<ram:GrandTotalAmount>293.555</ram:GrandTotalAmount>'))).toEqual(expect.arrayContaining(['BR-DEC-14', 'BR-14']));
    expect(rules(xml.replace(/<ram:Name>Boulangerie Lensoise<\/ram:Name>/, ''))).toContain('BR-07');
    expect(rules(xml.replace(/<ram:ID schemeID="VA">FR65912345675<\/ram:ID>/, '<ram:ID schemeID="FC">912345675</ram:ID>'))).toContain('BR-S-02');
    expect(rules(xml.replace(/<ram:IncludedSupplyChainTradeLineItem>[\s\S]*<\/ram:IncludedSupplyChainTradeLineItem>/, ''))).toContain('BR-16');
    expect(rules('<not-closed>')).toEqual(['XML']);
  });

  it('needs the exemption reason under the franchise and no VAT', async () => {
    const xml = await valid(individual, 'franchise');
    const withoutReason = xml.replace(/<ram:ExemptionReason>[^<]*<\/ram:ExemptionReason>/, '').replace(/<ram:ExemptionReasonCode>[^<]*<\/ram:ExemptionReasonCode>/, '');
    expect(rules(withoutReason)).toEqual(['BR-E-10']);
    expect(rules(xml.replace('<ram:CalculatedAmount>0.00</ram:CalculatedAmount>', '<ram:CalculatedAmount>1.00</ram:CalculatedAmount>'))).toEqual(expect.arrayContaining(['BR-E-09', 'BR-CO-14']));
  });
});
