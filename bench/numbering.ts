/**
 * Gapless invoice numbering (`BENCH_ONLY=numbering npm run bench`, or `npx tsx bench/numbering.ts`): `invoices`
 * drafts written with BatchWrite straight into a fresh app table of a DynamoDB Local on disk, then one validation
 * numbers them all in chunks (one transaction each: shared/data/invoicing/numbering.ts), then the continuity check
 * reads the year's blocks and every invoice back. Last, 20 concurrent validations of 25 invoices contend for the counter.
 */
import { pathToFileURL } from 'node:url';
import { invoiceItem } from '../shared/data/invoicing/invoices.js';
import { MAX_BLOCK_IDS, checkNumberContinuity, issueNumbers } from '../shared/data/invoicing/numbering.js';
import { invoiceIdFor, type InvoiceRecord } from '../shared/domain/invoicing/records.js';
import { batchWriteAll, withBenchTable } from './local-table.js';

const TABLE = 'parcours-bench-numbering';

/** A one-line draft as the monthly run leaves it (about 1.5 KB). */
function draft(activity: number, customer: number): InvoiceRecord {
  const activityId = `pa-bench-${String(activity).padStart(6, '0')}`;
  const customerId = `c-${String(customer).padStart(4, '0')}`;
  return {
    invoiceId: invoiceIdFor(activityId, '2030-01', customerId),
    kind: 'invoice',
    activityId,
    month: '2030-01',
    customer: { activityId, customerId, kind: 'individual', name: 'Client de mesure', address: { line1: '1 rue de la Mesure', postalCode: '62300', city: 'Lens', countryCode: 'FR' }, email: 'client@example.org' },
    lines: [{ declarationId: `d-${activity}-${customer}`, serviceDate: '2030-01-15', description: 'Tonte de pelouse', quantityHundredths: 200, unit: 'heure', unitPriceCents: 1500, vatRateBps: null, netCents: 3000 }],
    totals: { netCents: 3000, vatCents: 0, grossCents: 3000, perRate: [{ vatRateBps: null, baseCents: 3000, vatCents: 0 }] },
    declarationIds: [`d-${activity}-${customer}`],
    status: 'draft',
    paidCents: 0,
    history: [{ at: '2030-02-01T05:00:00.000Z', event: 'drafted' }],
    createdAt: '2030-02-01T05:00:00.000Z',
    updatedAt: '2030-02-01T05:00:00.000Z',
  };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** Lines of figures: numbers issued per second in blocks, the continuity check's time, the contended validations. */
export async function numberingFigures(options: { invoices: number }): Promise<string[]> {
  const lines = [`\ninvoice numbering: ${options.invoices.toLocaleString('en')} drafts numbered in blocks of ${MAX_BLOCK_IDS} (DynamoDB Local on disk)`];
  await withBenchTable(TABLE, async (doc) => {
    const invoices = Array.from({ length: options.invoices }, (_, i) => draft(Math.floor(i / 2), i % 2));
    const contended = Array.from({ length: 500 }, (_, i) => draft(900_000 + Math.floor(i / 25), i % 25));
    await batchWriteAll(doc, TABLE, [...invoices, ...contended].map(invoiceItem));

    let started = performance.now();
    const outcome = await issueNumbers({ batchKey: 'bench-2030-01', invoiceIds: invoices.map((i) => i.invoiceId), issueDate: '2030-02-01', dueDate: '2030-03-03' });
    const issueMs = performance.now() - started;
    lines.push(`  one validation: ${seconds(issueMs)} for ${outcome.blocks.length} blocks, ${(options.invoices / (issueMs / 1000)).toFixed(0)} numbers/s (one transaction a chunk)`);

    started = performance.now();
    const blocksOnly = await checkNumberContinuity('2030');
    const blocksMs = performance.now() - started;
    started = performance.now();
    const full = await checkNumberContinuity('2030', { invoices: true });
    const fullMs = performance.now() - started;
    const verdict = (r: typeof full) => (r.problems.length ? `${r.problems.length} problems: ${r.problems.slice(0, 3).join('; ')}` : `1..${r.numbers} contiguous and unique`);
    lines.push(`  continuity check: blocks and counter ${seconds(blocksMs)} (${verdict(blocksOnly)}); with every invoice read back ${seconds(fullMs)} (${verdict(full)})`);

    started = performance.now();
    await Promise.all(
      Array.from({ length: 20 }, (_, v) => issueNumbers({ batchKey: `bench-contended-${v}`, invoiceIds: contended.slice(v * 25, v * 25 + 25).map((i) => i.invoiceId), issueDate: '2030-02-01', dueDate: '2030-03-03' })),
    );
    const contendedMs = performance.now() - started;
    const after = await checkNumberContinuity('2030', { invoices: true });
    lines.push(`  20 concurrent validations of 25 invoices: ${seconds(contendedMs)}, then ${verdict(after)}`);
  });
  return lines;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  for (const line of await numberingFigures({ invoices: Number(process.env.BENCH_INVOICES ?? 10_000) })) console.log(line);
}
