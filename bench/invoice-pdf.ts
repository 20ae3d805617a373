/**
 * Invoice documents (issue 11): Factur-X invoices rendered one after the other in this process, on one core: the
 * PDF/A-3b with its embedded fonts and the CII XML it carries, then the EN 16931 check of that XML. Invoices vary
 * (private or business customer, with or without VAT, 1 to 8 lines). Prints the CPU of the process's first 100
 * invoices (what a fresh Lambda environment pays: the fonts parsed, their shared subsets encoded, the code still cold),
 * then invoices per second of wall time and per CPU second (the machine is shared: the CPU figure is the steadier
 * one), latency p50/p99 and the mean PDF size; then the members' monthly statements (same fonts, no XML).
 */
import { DEFAULT_COOPERATIVE } from '../infra/config.js';
import { PDFDocument } from '../shared/contracts/pdfkit.js';
import type { CustomerDetails } from '../shared/domain/invoicing/customers.js';
import { monthlyStatement } from '../shared/domain/invoicing/statement.js';
import { buildInvoiceDocument, type InvoiceDocument } from '../shared/invoicing/document.js';
import { checkEn16931 } from '../shared/invoicing/en16931.js';
import { renderInvoicePdf } from '../shared/invoicing/invoice-pdf.js';
import { renderStatementPdf, type StatementPdfInput } from '../shared/invoicing/statement-pdf.js';

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.max(0, Math.ceil((p / 100) * xs.length) - 1))];

const address = { line1: '3 rue Émile Basly', postalCode: '62300', city: 'Lens', countryCode: 'FR' };
const customers: CustomerDetails[] = [
  { kind: 'individual', name: 'Awa Diallo', email: 'awa.diallo@example.fr', address },
  { kind: 'business', name: 'Boulangerie Lensoise', email: 'compta@example.fr', address, siren: '842000002', vatNumber: 'FR29842000002' },
];

function invoice(i: number): InvoiceDocument {
  const vatMode = i % 2 === 0 ? 'franchise' : 'vat';
  return buildInvoiceDocument({
    number: `2027-${String(i + 1).padStart(6, '0')}`,
    issueDate: '2027-08-01',
    cooperative: { ...DEFAULT_COOPERATIVE, vatMode },
    activity: { name: `Activité ${i}`, tradeName: `Enseigne ${i % 50}` },
    customer: customers[Math.floor(i / 2) % 2],
    lines: Array.from({ length: 1 + (i % 8) }, (_, n) => ({
      description: `Prestation ${n + 1} du mois`,
      serviceDate: `2027-07-${String((n % 28) + 1).padStart(2, '0')}`,
      quantityHundredths: 100 + 25 * n,
      unit: n % 2 === 0 ? ('heure' as const) : ('forfait' as const),
      unitPriceCents: 1500 + 137 * n + i,
      vatRateBps: n % 3 === 0 ? 1000 : 2000,
    })),
  });
}

const names = ['Awa Diallo', 'Léa Martin', 'Chloé Lefèvre', 'Inès Benali', 'Zoé Bœuf'];

/** A member's statement: 1 to 12 invoices and credit notes, 0 to 5 payments, one activity in four collective. */
function statement(i: number): StatementPdfInput {
  const collective = i % 4 === 0;
  const numberOf = (n: number) => `2027-${String(i * 20 + n + 1).padStart(6, '0')}`;
  return {
    statement: monthlyStatement({
      month: '2027-07',
      activity: { activityId: `activity-${i}`, name: `Activité ${i}`, tradeName: `Enseigne ${i % 50}`, shape: collective ? 'collective' : 'personal' },
      documents: Array.from({ length: 1 + (i % 12) }, (_, n) => ({
        invoiceId: `invoice-${n}`,
        number: numberOf(n),
        kind: n === 5 ? ('credit-note' as const) : ('invoice' as const),
        issueDate: '2027-07-31',
        customerName: names[(i + n) % names.length],
        netCents: 5000 + 131 * n + i,
        vatCents: 1000,
        grossCents: 6000 + 131 * n + i,
      })),
      payments: Array.from({ length: i % 6 }, (_, n) => ({ invoiceNumber: numberOf(n), date: `2027-07-${String(n + 3).padStart(2, '0')}`, amountCents: 4000 + 17 * n, meansLabel: n % 2 ? 'virement' : 'chèque' })),
      rateBps: 1000,
      ...(collective ? { collectiveMemberIds: ['m1', 'm2', 'm3'], memberId: 'm2' } : {}),
    }),
    member: { memberId: 'm2', name: names[i % names.length] },
    memberNames: { m1: 'Awa Diallo', m2: names[i % names.length], m3: 'Zoé Bœuf' },
    cooperativeName: 'CoopConnexion',
    issuedOn: '2027-08-01',
  };
}

/** The yardstick: a one-page pdfkit document in a standard font (no embedding, no PDF/A, no XML), timed in the same run. */
async function plainPage(i: number): Promise<Buffer> {
  const pdf = new PDFDocument({ size: 'A4' });
  const chunks: Buffer[] = [];
  pdf.on('data', (chunk: Uint8Array) => chunks.push(Buffer.from(chunk)));
  const ended = new Promise<void>((resolve) => pdf.on('end', () => resolve()));
  pdf.font('Helvetica').fontSize(10);
  for (let line = 0; line < 30; line++) pdf.text(`Ligne ${line} d'une facture simple, montant ${i + line * 37},00 EUR`);
  pdf.end();
  await ended;
  return Buffer.concat(chunks);
}

async function cpuRate(count: number, run: (i: number) => Promise<unknown>): Promise<number> {
  const before = process.cpuUsage();
  for (let i = 0; i < count; i++) await run(i);
  const used = process.cpuUsage(before);
  return count / ((used.user + used.system) / 1e6);
}

const cpuMs = (used: NodeJS.CpuUsage) => (used.user + used.system) / 1000;

export async function invoicePdfFigures(options: { invoices: number }): Promise<string[]> {
  // The first ones of the process (the bench renders no PDF before this section), which also warm it up.
  const FIRST = 100;
  const firstBefore = process.cpuUsage();
  for (let i = 0; i < FIRST; i++) await renderInvoicePdf(invoice(options.invoices + i));
  const firstMs = cpuMs(process.cpuUsage(firstBefore)) / FIRST;
  const latencies: number[] = [];
  let bytes = 0;
  let broken = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < options.invoices; i++) {
    const t0 = performance.now();
    const { pdf, xml } = await renderInvoicePdf(invoice(i));
    broken += checkEn16931(xml).length;
    latencies.push(performance.now() - t0);
    bytes += pdf.length;
  }
  const wallSeconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const plainRate = await cpuRate(Math.min(options.invoices, 200), plainPage);

  let statementBytes = 0;
  const statementBefore = process.cpuUsage();
  for (let i = 0; i < options.invoices; i++) statementBytes += (await renderStatementPdf(statement(i))).length;
  const statementMs = cpuMs(process.cpuUsage(statementBefore)) / options.invoices;
  return [
    `11. Invoice PDFs with Factur-X (one core, ${options.invoices} invoices, 1-8 lines, EN 16931 check included):`,
    `    the process's first ${FIRST}: ${firstMs.toFixed(1)} ms of CPU per invoice (fonts parsed, shared subsets encoded, code cold)`,
    `    then ${(options.invoices / wallSeconds).toFixed(0)} invoices/s wall, ${(options.invoices / cpuSeconds).toFixed(0)} invoices/s of CPU (${((cpuSeconds * 1000) / options.invoices).toFixed(2)} ms per invoice); latency p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms`,
    `    yardstick: a plain one-page pdfkit document in Helvetica, ${plainRate.toFixed(0)}/s of CPU in this run (ratio ${(plainRate / (options.invoices / cpuSeconds)).toFixed(1)})`,
    `    mean PDF ${(bytes / options.invoices / 1024).toFixed(1)} KiB; broken EN 16931 rules: ${broken}`,
    `    monthly statements (1-12 documents, 0-5 payments): ${(1000 / statementMs).toFixed(0)}/s of CPU (${statementMs.toFixed(2)} ms each), mean PDF ${(statementBytes / options.invoices / 1024).toFixed(1)} KiB`,
  ];
}
