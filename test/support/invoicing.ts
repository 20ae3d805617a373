import { randomUUID } from 'node:crypto';
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CustomerFields, CustomerRecord, DeclarationLine, InvoiceDraft, InvoiceLine, VatGroup } from '../../shared/domain/invoicing/records.js';
import { keys } from '../../shared/keys.js';
import { createCustomer } from '../../shared/data/invoicing/customers.js';
import { draftMonthInvoices } from '../../shared/data/invoicing/invoices.js';
import { issueNumbers } from '../../shared/data/invoicing/numbering.js';

/** An activity item as the invoicing needs it to exist (customers are created only for an existing activity). */
export async function seedActivity(doc: DynamoDBDocumentClient, table: string, activityId = `pa-${randomUUID()}`): Promise<string> {
  await doc.send(
    new PutCommand({
      TableName: table,
      Item: { ...keys.activity(activityId), type: 'activity', activityId, status: 'active', shape: 'personal', name: 'Activité de test', tradeName: 'Jardins de Test', contributionRateBps: 1000 },
    }),
  );
  return activityId;
}

export const individual = (name = 'Jeanne Martin'): CustomerFields => ({
  kind: 'individual',
  name,
  address: { line1: '3 rue des Écoles', postalCode: '62300', city: 'Lens', countryCode: 'FR' },
  email: 'jeanne.martin@example.org',
});

export const business = (): CustomerFields => ({
  kind: 'business',
  name: 'Boulangerie Dupont SARL',
  address: { line1: '12 place de la République', postalCode: '62300', city: 'Lens', countryCode: 'FR' },
  email: 'compta@boulangerie-dupont.example',
  siren: '732829320',
  vatNumber: 'FR44732829320',
});

/** Declaration lines the rules refuse, and the fields they name: lines.0.unitPriceCents (negative), lines.1.unitPriceCents (fractional), lines.2.vatRateBps (unknown rate). */
export const BAD_LINES = [
  { description: 'a', unit: 'heure', quantityHundredths: 100, unitPriceCents: -1500 },
  { description: 'b', unit: 'heure', quantityHundredths: 100, unitPriceCents: 1500.5 },
  { description: 'c', unit: 'heure', quantityHundredths: 100, unitPriceCents: 1500, vatRateBps: 1960 },
];

export const line = (extra: Partial<DeclarationLine> = {}): DeclarationLine => ({ description: 'Tonte de pelouse', quantityHundredths: 200, unit: 'heure', unitPriceCents: 1500, vatRateBps: null, ...extra });

const halfUp = (numerator: number, denominator: number) => Math.floor((2 * numerator + denominator) / (2 * denominator));

/** A draft for a customer from lines, its totals computed the way shared/domain/invoicing/amounts.ts does. */
export function draftFor(customer: Pick<CustomerRecord, 'activityId' | 'customerId'> & CustomerFields, lines: DeclarationLine[] = [line()], declarationId = `d-${randomUUID()}`): InvoiceDraft {
  const invoiced: InvoiceLine[] = lines.map((l) => ({ ...l, declarationId, serviceDate: '2031-01-15', netCents: halfUp(l.quantityHundredths * l.unitPriceCents, 100) }));
  const groups = new Map<number | null, VatGroup>();
  for (const l of invoiced) {
    const group = groups.get(l.vatRateBps) ?? { vatRateBps: l.vatRateBps, baseCents: 0, vatCents: 0 };
    group.baseCents += l.netCents;
    groups.set(l.vatRateBps, group);
  }
  const perRate = [...groups.values()].map((g) => ({ ...g, vatCents: g.vatRateBps === null ? 0 : halfUp(g.baseCents * g.vatRateBps, 10_000) }));
  const netCents = perRate.reduce((s, g) => s + g.baseCents, 0);
  const vatCents = perRate.reduce((s, g) => s + g.vatCents, 0);
  const { activityId, customerId, kind, name, address, email, siren, vatNumber } = customer;
  return {
    customer: { activityId, customerId, kind, name, address, email, ...(siren ? { siren } : {}), ...(vatNumber ? { vatNumber } : {}) },
    lines: invoiced,
    totals: { netCents, vatCents, grossCents: netCents + vatCents, perRate },
    declarationIds: [declarationId],
  };
}

/**
 * An active activity as the launch leaves it, as far as the monthly run reads it: the item in the active index (with
 * the version and dates staff's status changes read), and its members (each a referral's young person) in its partition.
 */
export async function seedActiveActivity(
  doc: DynamoDBDocumentClient,
  table: string,
  options: { activityId?: string; name?: string; members?: Array<{ personId: string; referralId: string; name: string }> } = {},
): Promise<string> {
  const activityId = options.activityId ?? `pa-${randomUUID()}`;
  const name = options.name ?? 'Jardins de Lens';
  await doc.send(
    new PutCommand({
      TableName: table,
      Item: {
        ...keys.activity(activityId),
        ...keys.activeActivityEntry(activityId, '2030-01-01'),
        type: 'activity',
        activityId,
        status: 'active',
        name,
        tradeName: name,
        shape: 'personal',
        programme: 'accompagnement',
        startDate: '2030-01-01',
        contributionRateBps: 1000,
        createdAt: '2029-12-01T08:00:00.000Z',
        updatedAt: '2029-12-01T08:00:00.000Z',
        version: 1,
      },
    }),
  );
  for (const m of options.members ?? []) {
    await doc.send(
      new PutCommand({
        TableName: table,
        Item: { ...keys.activityMember(activityId, m.referralId), type: 'activity-member', activityId, personId: m.personId, referralId: m.referralId, name: m.name, birthDate: '2001-04-12', role: 'holder', minorAtStart: false, joinedAt: '2030-01-01T08:00:00.000Z' },
      }),
    );
  }
  return activityId;
}

/**
 * One issued invoice of `grossCents` (one line, no VAT) for a new customer of `activityId` (a new activity when not
 * given), drafted for `month` and numbered on `issueDate`, due on `dueDate`.
 */
export async function issueOneInvoice(
  doc: DynamoDBDocumentClient,
  table: string,
  options: { grossCents: number; dueDate: string; issueDate?: string; month?: string; activityId?: string; customer?: CustomerFields },
): Promise<{ invoiceId: string; activityId: string; customer: CustomerRecord }> {
  const activityId = options.activityId ?? (await seedActivity(doc, table));
  const { customer } = await createCustomer({ activityId, customerId: `c-${randomUUID()}`, fields: options.customer ?? individual() });
  const month = options.month ?? '2029-01';
  const { invoices } = await draftMonthInvoices({ activityId, month, drafts: [draftFor(customer, [line({ quantityHundredths: 100, unitPriceCents: options.grossCents })])] });
  const invoiceId = invoices[0]!.invoiceId;
  await issueNumbers({ batchKey: `one-${invoiceId}`, invoiceIds: [invoiceId], issueDate: options.issueDate ?? '2029-02-01', dueDate: options.dueDate });
  return { invoiceId, activityId, customer };
}
