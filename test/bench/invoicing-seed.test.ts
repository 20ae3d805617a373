import { beforeAll, describe, expect, it } from 'vitest';
import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { useFreshAppTable } from '../support/dynamodb.js';
import { launchFile } from '../support/fixtures.js';
import { inDays, launchReadyReferral } from '../support/activities.js';
import { business, individual } from '../support/invoicing.js';
import { benchInvoicingItems } from '../../bench/invoicing-seed.js';
import { activate, activityItem, activityMemberPuts, createActivity, getActivity, priceItem, submitForLaunch } from '../../shared/data/activities.js';
import { createCustomer, customerItem } from '../../shared/data/invoicing/customers.js';
import { createDeclaration, declarationItem, monthChangesItem, type StoredDeclaration } from '../../shared/data/invoicing/declarations.js';
import { recordOf } from '../../shared/data/invoicing/items.js';
import { isValidFrenchVatNumber, isValidSiren } from '../../shared/domain/invoicing/customers.js';
import type { CustomerRecord } from '../../shared/domain/invoicing/records.js';
import { keys } from '../../shared/keys.js';
import { outboxPuts } from '../../shared/data/outbox.js';
import type { ReferralRecord } from '../../shared/data/referrals.js';

/**
 * The bench seeds its invoicing month with BatchWrite (bench/invoicing-seed.ts): its items must be the ones the app's
 * own writes leave. An activity is launched, and given a customer and a declaration, through shared/data; the item
 * builders the seeder uses give back exactly the stored items from their records, and the seeded items have the
 * same keys, index entries and attributes, of the same types, as those.
 */

let doc: DynamoDBDocumentClient;
let table: string;

beforeAll(async () => {
  ({ doc, tableName: table } = await useFreshAppTable());
});

type Item = Record<string, unknown>;

const partition = async (pk: string): Promise<Item[]> => (await doc.send(new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk }, ConsistentRead: true }))).Items!;

/** What an item is made of, without its values: each attribute's type, arrays by their first element. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.length ? [shape(value[0])] : [];
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, shape(v)]));
  return value === null ? 'null' : typeof value;
}

/** The key attributes of an item with the ids replaced by `<id>` (longest first: an id may hold another), so that two activities' keys compare. */
const keyPattern = (item: Item, ids: string[]) =>
  Object.fromEntries(
    ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'gsi3pk', 'gsi3sk', 'type']
      .filter((k) => item[k] !== undefined)
      .map((k) => [k, [...ids].sort((a, b) => b.length - a.length).reduce((text, id) => text.split(id).join('<id>'), String(item[k])).replace(/\d{4}-\d{2}(-\d{2})?(T[\d:.]+Z)?/g, '<date>').replace(/#\d{2}$/, '#<shard>')]),
  );

describe('the bench seeding of an invoicing month', () => {
  it('writes the items the data layer writes', async () => {
    const referral = await launchReadyReferral(doc, table);
    const young = { kind: 'young-person' as const, id: referral.personId, name: referral.youngPerson.firstName };
    const { activity } = (await createActivity({ shape: 'personal', referralId: referral.referralId, file: launchFile(inDays(10)), actor: young })).activity;
    await submitForLaunch({ activityId: activity.activityId, actor: young });
    await activate({ activityId: activity.activityId });
    const parts = (await getActivity(activity.activityId))!;
    const month = inDays(12).slice(0, 7);
    const customers: CustomerRecord[] = [];
    for (const [customerId, fields] of [['c-real-1', individual()], ['c-real-2', business()]] as const) customers.push((await createCustomer({ activityId: activity.activityId, customerId, fields })).customer);
    const priceLine = parts.prices[0]!.lines[0]!;
    await createDeclaration({
      activityId: activity.activityId,
      declarationId: 'd-real-1',
      fields: { customerId: 'c-real-1', serviceDate: inDays(12), lines: [{ description: priceLine.label, quantityHundredths: 150, unit: priceLine.unit, unitPriceCents: priceLine.unitPriceCents, vatRateBps: priceLine.vatRateBps, priceLineId: priceLine.lineId }] },
      declaredBy: { referralId: referral.referralId, name: parts.members[0]!.name },
    });

    // The stored items, by type (the person's link sits in the person's partition, the declarations in the month's).
    const stored = [
      ...(await partition(keys.activity(activity.activityId).pk)),
      ...(await partition(keys.personActivityLink(referral.personId, activity.activityId).pk)).filter((i) => i.type === 'person-activity'),
      ...(await partition(keys.monthDeclarationsPartition(month))).filter((i) => i.activityId === activity.activityId),
    ];
    const real = (type: string, where: (item: Item) => boolean = () => true) => stored.find((i) => i.type === type && where(i))!;
    expect(stored.map((i) => i.type).sort()).toEqual(['activity', 'activity-member', 'activity-prices', 'declaration', 'invoicing-customer', 'invoicing-customer', 'invoicing-month', 'person-activity']);

    // The builders give the stored items back from their records.
    expect(activityItem(parts.activity)).toEqual(real('activity'));
    expect(priceItem(activity.activityId, parts.prices[0]!)).toEqual(real('activity-prices'));
    expect(activityMemberPuts(table, parts.activity, parts.members[0]!).map((put) => put.Put!.Item)).toEqual([real('activity-member'), real('person-activity')]);
    for (const customer of customers) expect(customerItem(customer)).toEqual(real('invoicing-customer', (i) => i.customerId === customer.customerId));
    expect(declarationItem(recordOf<StoredDeclaration>(real('declaration')))).toEqual(real('declaration'));
    expect(monthChangesItem(activity.activityId, month, 1)).toEqual(real('invoicing-month'));

    // The seeded items: the same keys and index entries, the same attributes of the same types.
    const seeded = [0, 1, 2].flatMap((i) => benchInvoicingItems(table, i, month, 3));
    // Activity 2's items: in its partitions, its declarations in the month's partition, or (the address filed for new
    // links) naming its referral in their sort key.
    const seededOne = seeded.filter((i) => String(i.pk).includes('bench-000002') || (i.type === 'declaration' && i.activityId === 'pa-bench-000002') || String(i.sk).startsWith('bench-000002#'));
    const seededOf = (type: string, where: (item: Item) => boolean = () => true) => seededOne.find((i) => i.type === type && where(i))!;
    expect(seededOne.map((i) => i.type).sort()).toEqual(['activity', 'activity-member', 'activity-prices', 'declaration', 'declaration', 'declaration', 'invoicing-customer', 'invoicing-month', 'link-contact', 'person-activity', 'referral']);
    const realIds = [activity.activityId, referral.referralId, referral.personId, 'c-real-1', 'c-real-2', 'd-real-1'];
    const seededCustomer = seededOf('invoicing-customer');
    const seededIds = [String(seededOf('activity').activityId), String(seededOf('activity-member').referralId), String(seededOf('activity-member').personId), String(seededCustomer.customerId), ...seededOne.filter((i) => i.type === 'declaration').map((i) => String(i.declarationId))];
    for (const [type, where] of [
      ['activity'],
      ['activity-prices'],
      ['activity-member'],
      ['person-activity'],
      ['invoicing-customer', (i: Item) => i.kind === 'business'],
      ['declaration'],
      ['invoicing-month'],
    ] as Array<[string, ((i: Item) => boolean)?]>) {
      const expected = real(type, where);
      const actual = type === 'declaration' ? seededOne.filter((i) => i.type === 'declaration') : [seededOf(type, where)];
      for (const item of actual) {
        expect(shape(item), type).toEqual(shape(expected));
        expect(keyPattern(item, seededIds), type).toEqual(keyPattern(expected, realIds));
      }
    }
    // The holder's referral (the statements e-mail the young person): the item submitReferral wrote, once accepted.
    const realReferral = (await partition(keys.referral(referral.referralId).pk)).find((i) => i.type === 'referral')!;
    const seededReferral = seededOf('referral');
    expect(shape(seededReferral)).toEqual(shape(realReferral));
    expect(keyPattern(seededReferral, [...seededIds, String(seededReferral.organisationId)])).toEqual(keyPattern(realReferral, [...realIds, String(realReferral.organisationId)]));
    expect(seededReferral.referralId).toBe(seededOf('activity-member').referralId);
    // The holder's address filed for new links: the item a message carrying their personal link files with it.
    const filed = seededOf('link-contact');
    const linkMessage = { kind: 'activity-launched', role: 'young', channel: 'email', to: (seededReferral as unknown as ReferralRecord).youngPerson.email!, subject: 'Activité lancée', body: 'Votre espace : {{lien-personnel}}', personalLink: 'young-person' } as const;
    const written = outboxPuts(table, String(seededReferral.personId), 'launch-check', [linkMessage], String(filed.updatedAt), { referralId: String(seededReferral.referralId) });
    expect(filed).toEqual(written.find((put) => put.Put.Item.type === 'link-contact')!.Put.Item);
    // Activity 2's customer is a business; activity 0's an individual, shaped as the app's.
    expect(isValidSiren(String(seededCustomer.siren)) && isValidFrenchVatNumber(String(seededCustomer.vatNumber))).toBe(true);
    const individualSeeded = seeded.find((i) => i.type === 'invoicing-customer' && i.kind === 'individual')!;
    expect(shape(individualSeeded)).toEqual(shape(real('invoicing-customer', (i) => i.kind === 'individual')));
    expect(seeded.filter((i) => i.type === 'declaration').every((d) => String(d.serviceDate).startsWith(month))).toBe(true);
  });
});
