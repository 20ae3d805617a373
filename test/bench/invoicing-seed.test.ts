import { beforeAll, describe, expect, it } from 'vitest';
import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { useFreshAppTable } from '../support/dynamodb.js';
import { adultSubmission, launchFile, minorSubmission } from '../support/fixtures.js';
import { inDays, launchReadyReferral } from '../support/activities.js';
import { addMonths } from '../../shared/domain/activities.js';
import { business, individual } from '../support/invoicing.js';
import { benchInvoicingItems } from '../../bench/invoicing-seed.js';
import { activate, activityItem, activityMemberPuts, addMember, createActivity, getActivity, priceItem, submitForLaunch } from '../../shared/data/activities.js';
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

  it('writes a collective activity, its members and their declarations as the data layer writes them (the option)', async () => {
    // A Jeunes Majeurs collective activity of two members (no holder), made through the data layer, with two customers
    // and a declaration by its second member; a CJS minor's referral, which names a guardian.
    const staffActor = { kind: 'staff' as const, id: 'staff-test', name: 'Camille Martin' };
    const startDate = inDays(10);
    const created = await createActivity({ shape: 'collective', programme: 'jeunes-majeurs', file: launchFile(startDate, { endDate: addMonths(startDate, 6) }), actor: staffActor });
    const activityId = created.activity.activity.activityId;
    const members = [];
    for (let k = 0; k < 2; k++) {
      const referral = await launchReadyReferral(doc, table, adultSubmission({}, 'jeunes-majeurs'));
      await addMember({ activityId, referralId: referral.referralId, actor: staffActor });
      members.push({ referral });
    }
    expect(await submitForLaunch({ activityId, actor: staffActor })).toMatchObject({ submitted: true });
    await activate({ activityId });
    const parts = (await getActivity(activityId))!;
    const month = inDays(12).slice(0, 7);
    for (const [customerId, fields] of [['c-real-1', individual()], ['c-real-2', business()]] as const) await createCustomer({ activityId, customerId, fields });
    const priceLine = parts.prices[0]!.lines[0]!;
    const second = parts.members[1]!;
    await createDeclaration({
      activityId,
      declarationId: 'd-real-1',
      fields: { customerId: 'c-real-2', serviceDate: inDays(12), lines: [{ description: priceLine.label, quantityHundredths: 150, unit: priceLine.unit, unitPriceCents: priceLine.unitPriceCents, vatRateBps: priceLine.vatRateBps, priceLineId: priceLine.lineId }] },
      declaredBy: { referralId: second.referralId, name: second.name },
    });
    const minor = await launchReadyReferral(doc, table, { ...minorSubmission(), programme: 'cjs' });
    const stored = [
      ...(await partition(keys.activity(activityId).pk)),
      ...(await partition(keys.personActivityLink(second.personId, activityId).pk)).filter((i) => i.type === 'person-activity' && i.activityId === activityId),
      ...(await partition(keys.monthDeclarationsPartition(month))).filter((i) => i.activityId === activityId),
    ];
    const real = (type: string, where: (item: Item) => boolean = () => true) => stored.find((i) => i.type === type && where(i))!;

    for (const programme of ['jeunes-majeurs', 'cjs'] as const) {
      const seeded = benchInvoicingItems(table, 7, month, 5, { collective: { programme, members: 3 }, customers: 2 });
      const seededOf = (type: string, where: (item: Item) => boolean = () => true) => seeded.find((i) => i.type === type && where(i))!;
      // The activity, its three members (each linked, with their referral and address filed), two customers, five
      // declarations and the month's count.
      expect(seeded.map((i) => i.type).sort()).toEqual(
        ['activity', 'activity-prices', 'invoicing-month', ...Array(3).fill(['activity-member', 'person-activity', 'referral', 'link-contact']).flat(), 'invoicing-customer', 'invoicing-customer', ...Array(5).fill('declaration')].sort(),
      );
      const seededActivity = seededOf('activity');
      expect(seededActivity).toMatchObject({ activityId: 'ca-bench-000007', shape: 'collective', programme, status: 'active', ...(programme === 'cjs' ? { cohortId: 'bench-000007' } : {}) });
      expect(seededActivity.holderReferralId).toBeUndefined();
      // Every member a member (no holder), joined one after the other; the declarations made by each in turn, for
      // each customer in turn.
      const seededMembers = seeded.filter((i) => i.type === 'activity-member');
      expect(seededMembers.map((m) => m.role)).toEqual(['member', 'member', 'member']);
      expect(seededMembers.map((m) => String(m.joinedAt))).toEqual(seededMembers.map((m) => String(m.joinedAt)).sort());
      const declarations = seeded.filter((i) => i.type === 'declaration');
      expect(declarations.map((d) => (d.declaredBy as { referralId: string }).referralId)).toEqual([0, 1, 2, 0, 1].map((k) => `bench-000007-${k}`));
      expect(declarations.map((d) => d.customerId)).toEqual(['c-bench-000007', 'c-bench-000007-2', 'c-bench-000007', 'c-bench-000007-2', 'c-bench-000007']);
      const customers = seeded.filter((i) => i.type === 'invoicing-customer');
      expect(customers.map((c) => c.kind).sort()).toEqual(['business', 'individual']);
      const business = customers.find((c) => c.kind === 'business')!;
      expect(isValidSiren(String(business.siren)) && isValidFrenchVatNumber(String(business.vatNumber))).toBe(true);

      // The same keys and attributes of the same types as the data layer's (the activity's own fields aside: a
      // cohort's names its cohort, a Jeunes Majeurs one its end date).
      const realIds = [activityId, ...members.map((m) => m.referral.referralId), ...members.map((m) => m.referral.personId), 'c-real-1', 'c-real-2', 'd-real-1'];
      const seededIds = [String(seededActivity.activityId), ...seededMembers.map((m) => String(m.referralId)), ...seededMembers.map((m) => String(m.personId)), ...customers.map((c) => String(c.customerId)), ...declarations.map((d) => String(d.declarationId))];
      for (const [type, where] of [
        ['activity-prices'],
        ['activity-member'],
        ['person-activity'],
        ['invoicing-customer', (i: Item) => i.kind === 'business'],
        ['invoicing-customer', (i: Item) => i.kind === 'individual'],
        ['declaration'],
        ['invoicing-month'],
      ] as Array<[string, ((i: Item) => boolean)?]>) {
        const expected = real(type, where);
        const actual = type === 'declaration' ? declarations : [seededOf(type, where)];
        for (const item of actual) {
          expect(shape(item), type).toEqual(shape(expected));
          expect(keyPattern(item, seededIds), type).toEqual(keyPattern(expected, realIds));
        }
      }
      const { cohortId: _cohortId, ...seededShape } = shape(seededActivity) as Record<string, unknown>;
      expect(seededShape).toEqual(shape(real('activity')));
      expect(keyPattern(seededActivity, seededIds)).toEqual(keyPattern(real('activity'), realIds));
      // Each member's referral: a Jeunes Majeurs adult's as submitReferral wrote it once accepted, a CJS minor's with
      // their guardian.
      const realReferral = (await partition(keys.referral((programme === 'cjs' ? minor : members[0]!.referral).referralId).pk)).find((i) => i.type === 'referral')!;
      for (const referral of seeded.filter((i) => i.type === 'referral')) {
        expect(shape(referral)).toEqual(shape(realReferral));
        expect(referral.programme).toBe(programme);
        expect((referral.eligibility as { eligible: boolean }).eligible).toBe(true);
      }
    }
    // The default world is untouched by the option: one customer, a personal activity.
    expect(benchInvoicingItems(table, 7, month, 3)).toEqual(benchInvoicingItems(table, 7, month, 3, { customers: 1 }));
  });
});
