import { PDFDocument } from '../contracts/pdfkit.js';
import type { CooperativeSettings } from '../../infra/config.js';
import { formatBps } from '../domain/activities.js';
import { FRANCHISE_MENTION } from '../domain/invoicing/amounts.js';
import { formatEuros } from '../domain/money.js';
import { formatFrenchDate } from '../domain/time.js';

/** The cooperative as its flyers name it: customers order from it and it invoices them. */
export type FlyerCooperative = Pick<CooperativeSettings, 'name' | 'address' | 'siren' | 'vatMode' | 'email' | 'phone'>;

export interface FlyerPriceLine {
  label: string;
  /** The unit as a person reads it ("heure", "forfait", "m²"). */
  unitLabel: string;
  unitPriceCents: number;
  /** Null: no VAT on this line. Ignored under the franchise. */
  vatRateBps: number | null;
}

/** Everything a flyer shows, already chosen: the prices in force on `pricesOn`. */
export interface FlyerInput {
  name: string;
  tradeName: string;
  description: string;
  /** Labels of the activity's kinds of service. */
  services: string[];
  /** Labels of its target customers ("Particuliers", "Entreprises"). */
  targetCustomers: string[];
  prices: FlyerPriceLine[];
  /** The Paris day whose prices are shown (YYYY-MM-DD); also the PDF's creation date, so the same input gives the same bytes. */
  pricesOn: string;
  cooperative: FlyerCooperative;
}

export { FRANCHISE_MENTION };

/**
 * A line's price as the customer reads it: "12,00 € HT / heure" (with the line's VAT rate) when the cooperative
 * charges VAT, "12,00 € / heure" under the franchise (whose mention the flyer prints once).
 */
export function priceText(line: FlyerPriceLine, vatMode: FlyerCooperative['vatMode']): string {
  const amount = formatEuros(line.unitPriceCents);
  if (vatMode === 'franchise') return `${amount} / ${line.unitLabel}`;
  const vat = line.vatRateBps === null ? 'sans TVA' : `TVA ${formatBps(line.vatRateBps)}`;
  return `${amount} HT / ${line.unitLabel} (${vat})`;
}

const MARGIN = 48;
const ACCENT = '#1f5c4a';
/** Font scales tried in turn until everything fits on one page (a long description, many price lines). */
const SCALES = [1, 0.9, 0.8, 0.7, 0.6];

/** The one-page flyer ("plaquette commerciale") of an activity, in French, as PDF bytes. */
export async function renderFlyerPdf(input: FlyerInput): Promise<Buffer> {
  for (const scale of SCALES) {
    const rendered = await render(input, scale);
    if (rendered.pages === 1) return rendered.bytes;
  }
  throw new Error('flyer does not fit on one page');
}

async function render(input: FlyerInput, scale: number): Promise<{ bytes: Buffer; pages: number }> {
  const doc = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    bufferPages: true,
    info: { Title: `${input.tradeName} - plaquette`, Author: input.cooperative.name, Subject: input.name, CreationDate: new Date(`${input.pricesOn}T00:00:00.000Z`) },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Uint8Array) => chunks.push(Buffer.from(chunk)));
  const ended = new Promise<void>((resolve) => doc.on('end', () => resolve()));
  const size = (points: number) => points * scale;
  const width = doc.page.width - 2 * MARGIN;
  const heading = (title: string) => {
    doc.moveDown(0.8).font('Helvetica-Bold').fontSize(size(13)).fillColor(ACCENT).text(title).fillColor('#000000').moveDown(0.2);
  };

  doc.font('Helvetica-Bold').fontSize(size(26)).fillColor(ACCENT).text(input.tradeName, { align: 'center' });
  doc.moveDown(0.2).font('Helvetica').fontSize(size(13)).fillColor('#333333').text(input.name, { align: 'center' });
  doc.fontSize(size(9)).text(`Une activité portée par la coopérative ${input.cooperative.name}`, { align: 'center' }).fillColor('#000000');

  doc.moveDown(1).font('Helvetica').fontSize(size(11)).text(input.description, { align: 'justify' });

  heading('Nos services');
  doc.font('Helvetica').fontSize(size(11));
  for (const service of input.services) doc.text(`•  ${service}`, { indent: 8 });

  heading('Nos tarifs');
  doc.font('Helvetica').fontSize(size(11));
  const priceWidth = width * 0.45;
  for (const line of input.prices) {
    const top = doc.y;
    doc.text(line.label, MARGIN, top, { width: width - priceWidth - 12 });
    const afterLabel = doc.y;
    doc.font('Helvetica-Bold').text(priceText(line, input.cooperative.vatMode), MARGIN + width - priceWidth, top, { width: priceWidth, align: 'right' }).font('Helvetica');
    doc.x = MARGIN;
    doc.y = Math.max(afterLabel, doc.y) + size(3);
  }
  doc.fontSize(size(9)).fillColor('#444444');
  doc.text(`Tarifs en vigueur au ${formatFrenchDate(input.pricesOn)}.${input.cooperative.vatMode === 'franchise' ? ` ${FRANCHISE_MENTION}.` : ''}`, MARGIN, doc.y, { width });
  doc.fillColor('#000000');

  if (input.targetCustomers.length > 0) {
    heading('Pour qui');
    doc.font('Helvetica').fontSize(size(11)).text(input.targetCustomers.join(', '));
  }

  heading('Comment commander');
  const { cooperative } = input;
  doc.font('Helvetica').fontSize(size(11));
  doc.text(`Commandes et factures : ${cooperative.name}. La coopérative prend votre commande, vous adresse la facture et encaisse votre paiement.`);
  doc.moveDown(0.3).text(`E-mail : ${cooperative.email}`);
  doc.text(`Téléphone : ${cooperative.phone}`);
  doc.text(`Adresse : ${cooperative.address}`);
  doc.text(`SIREN : ${cooperative.siren}`);

  const pages = doc.bufferedPageRange().count;
  doc.end();
  await ended;
  return { bytes: Buffer.concat(chunks), pages };
}
