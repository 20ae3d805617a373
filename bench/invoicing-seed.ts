/**
 * A month of invoicing data for the bench, built from records through the data layer's own item builders, so that the
 * items written by BatchWrite are the ones the app's writes leave (test/bench/invoicing-seed.test.ts compares them
 * with records made through shared/data). Activity `i` is a personal activity `pa-bench-<i>` launched (active, in the
 * sharded index) with a price list, its holder as member, one customer (every third one a business with a valid SIREN
 * and VAT number, the others individuals) and `declarations` declarations of that customer in the month, each line
 * from the price list in force. The holder's referral is there too (accepted, as a launched activity's is): the
 * statements at the end of the run e-mail the young person, as a real month's do. Deterministic: the same `i` gives
 * the same items.
 *
 * Collective activities are an option (`BenchShape`, the kill hunt's world; the bench's own world is personal only, its
 * items unchanged): activity `i` is then `ca-bench-<i>`, a CJS cohort's (minors with a guardian) or a Jeunes Majeurs
 * one, with 2 or more members who joined one minute apart (no holder), each with their referral and their address
 * filed for new links; its declarations are made by its members in turn, for its one or two customers in turn.
 */
import { activityItem, activityMemberPuts, memberOf, newDraftActivity, priceItem } from '../shared/data/activities.js';
import { customerItem } from '../shared/data/invoicing/customers.js';
import { declarationItem, monthChangesItem, type StoredDeclaration } from '../shared/data/invoicing/declarations.js';
import { addMonths, personalActivityId, type ActivityMember, type ActivityRecord, type PriceListVersion } from '../shared/domain/activities.js';
import { checkEligibility } from '../shared/domain/eligibility.js';
import { keys } from '../shared/keys.js';
import { linkContactPut } from '../shared/data/personal-links.js';
import { referenceOf, type ReferralRecord } from '../shared/data/referrals.js';
import { frenchVatNumber, luhnValid } from '../shared/domain/invoicing/customers.js';
import { addToMonth } from '../shared/domain/invoicing/run.js';
import type { CustomerFields, CustomerRecord } from '../shared/domain/invoicing/records.js';

const pad = (i: number) => String(i).padStart(6, '0');
const FIRST_NAMES = ['Léa', 'Yanis', 'Inès', 'Mehdi', 'Chloé', 'Théo', 'Awa', 'Lucas', 'Sarah', 'Nolan'];
const LAST_NAMES = ['Martin', 'Haddad', 'Lefebvre', 'Diallo', 'Dupont', 'Nowak', 'Benali', 'Leroy', 'Kaczmarek', 'Moreau'];
const TOWNS = [
  { postalCode: '62300', city: 'Lens' },
  { postalCode: '62800', city: 'Liévin' },
  { postalCode: '62400', city: 'Béthune' },
  { postalCode: '59500', city: 'Douai' },
];
const BY = { id: 'bench', name: 'Mesure de performance' };

/** What activity `i` is made of beyond the bench's default (a personal activity, one customer). */
export interface BenchShape {
  /** A collective activity of that programme with that many members (2 or more), instead of a personal one. */
  collective?: { programme: 'cjs' | 'jeunes-majeurs'; members: number };
  /** Its customers (1 or 2; the second of the other kind, business or individual): the declarations go to each in turn. Default 1. */
  customers?: number;
}

/** The ISO date `days` days after `date` (YYYY-MM-DD). */
const addDays = (date: string, days: number) => new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

/** A SIREN built from `i`: 8 digits and the Luhn key that makes it valid. */
export function benchSiren(i: number): string {
  const body = String(10_000_000 + (i % 90_000_000)).slice(-8);
  for (let key = 0; key <= 9; key++) if (luhnValid(`${body}${key}`)) return `${body}${key}`;
  throw new Error('no Luhn key');
}

/** The holder of activity `i`, as their referral describes them (the member item takes its name and birth date). */
const holderOf = (i: number) => ({
  referralId: `bench-${pad(i)}`,
  personId: `p-bench-${pad(i)}`,
  youngPerson: { firstName: FIRST_NAMES[i % 10]!, lastName: LAST_NAMES[Math.floor(i / 10) % 10]!, birthDate: `${2000 + (i % 6)}-0${1 + (i % 9)}-1${i % 10}` },
});

/**
 * Member `k` of collective activity `i`, as their referral describes them: a Jeunes Majeurs adult, or a CJS minor
 * (17 in `month`) whose referral names a guardian.
 */
const collectiveMemberOf = (i: number, k: number, programme: 'cjs' | 'jeunes-majeurs', month: string) => ({
  referralId: `bench-${pad(i)}-${k}`,
  personId: `p-bench-${pad(i)}-${k}`,
  youngPerson: {
    firstName: FIRST_NAMES[(i + 3 * k) % 10]!,
    lastName: LAST_NAMES[(Math.floor(i / 10) + 7 * k) % 10]!,
    birthDate: programme === 'cjs' ? `${Number(month.slice(0, 4)) - 17}-0${1 + ((i + k) % 9)}-0${1 + (k % 9)}` : `${1998 + ((i + k) % 6)}-0${1 + ((i + k) % 9)}-1${k % 10}`,
  },
});

const PRESCRIBER = { id: 'prescriber-bench', name: 'Conseillère Mission locale', email: 'conseillere.bench@example.org', organisationId: 'ml-lens-bench', organisationName: 'Mission locale de Lens' };

/**
 * The holder's referral, as `submitReferral` writes it, then accepted (its workflow started: no awaited-workflow
 * entry). The statements read the young person's first name and e-mail address and the reference from it.
 */
export function benchReferral(i: number, submittedAt: string, member?: { k: number; programme: 'cjs' | 'jeunes-majeurs'; month: string }): ReferralRecord {
  const holder = member ? collectiveMemberOf(i, member.k, member.programme, member.month) : holderOf(i);
  const programme = member?.programme ?? 'accompagnement';
  const suffix = member ? `-${member.k}` : '';
  const youngPerson = {
    ...holder.youngPerson,
    email: `jeune.${pad(i)}${suffix}@example.org`,
    phone: member ? `+3362${pad(i).slice(1)}${member.k}${member.k}` : `+3361${pad(i)}00`.slice(0, 12),
    postalCode: TOWNS[i % TOWNS.length]!.postalCode,
    town: TOWNS[i % TOWNS.length]!.city,
    qpv: i % 2 === 0,
    situation: programme === 'cjs' ? ('etudiant' as const) : ('demandeur-emploi' as const),
  };
  const guardian =
    programme === 'cjs'
      ? { firstName: FIRST_NAMES[(i + 5) % 10]!, lastName: holder.youngPerson.lastName, email: `tuteur.${pad(i)}${suffix}@example.org`, phone: `+3363${pad(i).slice(1)}${member!.k}${member!.k}`, relationship: 'Mère' }
      : undefined;
  const eligibility = checkEligibility({ programme, birthDate: youngPerson.birthDate, postalCode: youngPerson.postalCode, qpv: youngPerson.qpv, situation: youngPerson.situation, hasGuardian: guardian !== undefined, referredOn: submittedAt.slice(0, 10) });
  return {
    referralId: holder.referralId,
    reference: referenceOf(holder.referralId),
    personId: holder.personId,
    organisationId: PRESCRIBER.organisationId,
    organisationName: PRESCRIBER.organisationName,
    prescriber: { id: PRESCRIBER.id, name: PRESCRIBER.name, email: PRESCRIBER.email },
    programme,
    programmeStartDate: eligibility.programmeStartDate,
    youngPerson,
    ...(guardian ? { guardian } : {}),
    projectIdea: 'Entretien de jardins et petits travaux',
    consent: { dataProcessing: true, recordedAt: submittedAt, recordedBy: PRESCRIBER.id },
    status: 'accepted',
    eligibility,
    duplicate: { linked: false, matchedBy: [], previousReferrals: 0, possibleDuplicateOf: [] },
    createdAt: submittedAt,
    updatedAt: submittedAt,
    decisions: [],
    payloadHash: `bench-${pad(i)}${suffix}`,
  };
}

/** The referral's item: its key and listing entries (the prescriber's organisation, every referral). */
export const benchReferralItem = (referral: ReferralRecord): Record<string, unknown> => ({
  ...keys.referral(referral.referralId),
  ...keys.organisationEntry(referral.organisationId, referral.createdAt, referral.referralId),
  ...keys.allReferralsEntry(referral.createdAt, referral.referralId),
  type: 'referral',
  ...referral,
});

/**
 * Active activity `i` as its launch leaves it: created as a draft with its price list on `launchedAt`'s day, submitted
 * once and activated (version 3, the insurance included from the launch), its holder as member.
 */
export function benchActivity(i: number, launchedAt: string): { activity: ActivityRecord; prices: PriceListVersion; holder: ActivityMember } {
  const holder = holderOf(i);
  const startDate = launchedAt.slice(0, 10);
  const { activity, prices } = newDraftActivity({
    activityId: personalActivityId(holder.referralId),
    shape: 'personal',
    programme: i % 3 === 0 ? 'jeunes-majeurs' : 'accompagnement',
    now: launchedAt,
    holder,
    by: BY,
    file: {
      name: `Activité ${i}`,
      tradeName: `Enseigne ${i}`,
      serviceKinds: ['jardinage', 'petits-travaux'],
      description: 'Entretien de jardins, petits travaux de peinture et de bricolage chez les particuliers du bassin minier. '.repeat(3),
      targetCustomers: ['particuliers', 'entreprises'],
      monthlyGoalCents: 120_000,
      startDate,
      priceLines: [
        { label: 'Tonte de pelouse', unit: 'heure', unitPriceCents: 1500 + (i % 7) * 50, serviceKind: 'jardinage', vatRateBps: null },
        { label: 'Taille de haies', unit: 'heure', unitPriceCents: 1800, serviceKind: 'jardinage', vatRateBps: null },
        { label: 'Petits travaux de peinture', unit: 'forfait', unitPriceCents: 4500 + (i % 5) * 250, serviceKind: 'petits-travaux', vatRateBps: null },
      ],
    },
  });
  const active: ActivityRecord = { ...activity, status: 'active', submission: 1, insurance: { ...activity.insurance, included: true, includedAt: launchedAt }, updatedAt: launchedAt, version: 3 };
  return { activity: active, prices, holder: memberOf(active, holder, 'holder', launchedAt) };
}

/**
 * Collective activity `i` as its launch leaves it: a CJS cohort's (created with the cohort `bench-<i>`, the services
 * open to minors) or a Jeunes Majeurs one created by staff (`ca-bench-<i>`, 6 months long), active (version 3, insured
 * from the launch), its `members` members having joined one minute apart from `launchedAt`, none of them holder.
 */
export function benchCollectiveActivity(i: number, launchedAt: string, month: string, collective: NonNullable<BenchShape['collective']>): { activity: ActivityRecord; prices: PriceListVersion; members: ActivityMember[]; referrals: ReturnType<typeof collectiveMemberOf>[] } {
  const { programme } = collective;
  const startDate = launchedAt.slice(0, 10);
  const cjs = programme === 'cjs';
  const { activity, prices } = newDraftActivity({
    activityId: `ca-bench-${pad(i)}`,
    shape: 'collective',
    programme,
    ...(cjs ? { cohortId: `bench-${pad(i)}` } : {}),
    now: launchedAt,
    by: BY,
    file: {
      name: cjs ? `Cohorte ${i}` : `Collectif ${i}`,
      tradeName: cjs ? `Cohorte ${i}` : `Collectif ${i}`,
      serviceKinds: cjs ? ['jardinage'] : ['jardinage', 'petits-travaux'],
      description: `Entreprise collective de jeunes du bassin minier : entretien de jardins et petits services. `.repeat(2),
      targetCustomers: ['particuliers', 'entreprises'],
      monthlyGoalCents: cjs ? 0 : 240_000,
      startDate,
      endDate: addMonths(startDate, 6),
      priceLines: [
        { label: 'Tonte de pelouse', unit: 'heure', unitPriceCents: 1200 + (i % 7) * 50, serviceKind: 'jardinage', vatRateBps: null },
        { label: 'Désherbage', unit: 'heure', unitPriceCents: 1400, serviceKind: 'jardinage', vatRateBps: null },
        { label: 'Ramassage de feuilles', unit: 'forfait', unitPriceCents: 3500 + (i % 5) * 250, serviceKind: 'jardinage', vatRateBps: null },
      ],
    },
  });
  const active: ActivityRecord = { ...activity, status: 'active', submission: 1, insurance: { ...activity.insurance, included: true, includedAt: launchedAt }, updatedAt: launchedAt, version: 3 };
  const referrals = Array.from({ length: collective.members }, (_, k) => collectiveMemberOf(i, k, programme, month));
  const joined = (k: number) => new Date(Date.parse(launchedAt) - (collective.members - k) * 60_000).toISOString();
  return { activity: active, prices, referrals, members: referrals.map((referral, k) => memberOf(active, referral, 'member', joined(k))) };
}

/** The customer of activity `i`: every third one a business (SIREN, VAT number), the others individuals. Its second customer (`n` = 1): the other kind. */
export function benchCustomer(activityId: string, i: number, createdAt: string, n = 0): CustomerRecord {
  const town = TOWNS[(i + n) % TOWNS.length]!;
  const address = { line1: `${1 + ((i + 17 * n) % 120)} rue Émile Zola`, postalCode: town.postalCode, city: town.city, countryCode: 'FR' };
  const suffix = n === 0 ? '' : `-${n + 1}`;
  const siren = benchSiren(i + 100_000 * n);
  const fields: CustomerFields =
    (i % 3 === 2) !== (n === 1)
      ? { kind: 'business', name: `Boulangerie ${LAST_NAMES[(i + 3 * n) % 10]} SARL`, address, email: `compta.${pad(i)}${suffix}@example.org`, siren, vatNumber: frenchVatNumber(siren) }
      : { kind: 'individual', name: `${FIRST_NAMES[(i + 3 + n) % 10]} ${LAST_NAMES[(i + 7 + 3 * n) % 10]}`, address, email: `client.${pad(i)}${suffix}@example.org` };
  return { activityId, customerId: `c-bench-${pad(i)}${suffix}`, ...fields, version: 1, createdAt, updatedAt: createdAt };
}

/**
 * `count` declarations in `month` (days 3, 12, 21, ...), each line from the price list, declared by the holder: for
 * `customers` given in turn, declared by `members` in turn (a collective activity's: any member declares, and is
 * recorded).
 */
export function benchDeclarations(activity: ActivityRecord, prices: PriceListVersion, customer: CustomerRecord | readonly CustomerRecord[], holder: ActivityMember | readonly ActivityMember[], month: string, count: number): StoredDeclaration[] {
  const customers = Array.isArray(customer) ? customer : [customer as CustomerRecord];
  const members = Array.isArray(holder) ? holder : [holder as ActivityMember];
  return Array.from({ length: count }, (_, n) => {
    const declaring = members[n % members.length]!;
    const serviceDate = `${month}-${String(3 + ((9 * n) % 26)).padStart(2, '0')}`;
    const createdAt = `${serviceDate}T17:30:00.000Z`;
    const priceLine = prices.lines[n % prices.lines.length]!;
    return {
      activityId: activity.activityId,
      declarationId: `d-bench-${activity.activityId.slice(3)}-${n}`,
      month,
      customerId: customers[n % customers.length]!.customerId,
      serviceDate,
      lines: [
        {
          description: priceLine.label,
          quantityHundredths: priceLine.unit === 'forfait' ? 100 : 150 + 50 * (n % 4),
          unit: priceLine.unit,
          unitPriceCents: priceLine.unitPriceCents,
          vatRateBps: priceLine.vatRateBps,
          priceLineId: priceLine.lineId,
        },
      ],
      declaredBy: { referralId: declaring.referralId, name: declaring.name },
      version: 1,
      createdAt,
      updatedAt: createdAt,
    };
  });
}

/**
 * The holder's e-mail address filed for new links (`linkContactPut`), as the launch's e-mail, which carried their
 * personal link, left it: every launched holder's address is filed before their first statement.
 */
export const benchLinkContactItem = (table: string, referral: ReferralRecord, at: string): Record<string, unknown> =>
  linkContactPut(table, { personId: referral.personId, referralId: referral.referralId, audience: 'young-person', contact: { channel: 'email', address: referral.youngPerson.email! }, now: at }).Put.Item;

/**
 * Every item of activity `i` for a run of `month`: the activity (launched three months before) with its price list,
 * its holder's member item and link, its customer, the holder's referral and their address filed for new links, and
 * `declarations` declarations of the month, with the month's item that counts them (as `createDeclaration` leaves it).
 */
export function benchInvoicingItems(table: string, i: number, month: string, declarations: number, shape: BenchShape = {}): Record<string, unknown>[] {
  const launchedAt = `${addToMonth(month, -3)}-0${1 + (i % 9)}T09:00:00.000Z`;
  const customerCount = shape.customers ?? 1;
  if (customerCount < 1 || customerCount > 2) throw new Error('a bench activity has 1 or 2 customers');
  if (shape.collective) return benchCollectiveItems(table, i, month, declarations, launchedAt, shape.collective, customerCount);
  const { activity, prices, holder } = benchActivity(i, launchedAt);
  const customers = Array.from({ length: customerCount }, (_, n) => benchCustomer(activity.activityId, i, `${addDays(launchedAt.slice(0, 10), 5 + n)}T10:00:00.000Z`, n));
  const referral = benchReferral(i, `${addToMonth(month, -5)}-1${i % 10}T08:30:00.000Z`);
  return [
    activityItem(activity),
    priceItem(activity.activityId, prices),
    ...activityMemberPuts(table, activity, holder).map((put) => put.Put!.Item as Record<string, unknown>),
    ...customers.map(customerItem),
    benchReferralItem(referral),
    benchLinkContactItem(table, referral, launchedAt),
    ...benchDeclarations(activity, prices, customers, holder, month, declarations).map(declarationItem),
    ...(declarations > 0 ? [monthChangesItem(activity.activityId, month, declarations)] : []),
  ];
}

/**
 * `benchInvoicingItems` for a collective activity: the activity and its price list, each member's item and person link,
 * referral and address filed, its customers, and its declarations (members and customers in turn) with the month's
 * item that counts them.
 */
function benchCollectiveItems(table: string, i: number, month: string, declarations: number, launchedAt: string, collective: NonNullable<BenchShape['collective']>, customerCount: number): Record<string, unknown>[] {
  if (collective.members < 2) throw new Error('a collective bench activity has 2 members or more');
  const { activity, prices, members, referrals } = benchCollectiveActivity(i, launchedAt, month, collective);
  const customers = Array.from({ length: customerCount }, (_, n) => benchCustomer(activity.activityId, i, `${addDays(launchedAt.slice(0, 10), 5 + n)}T10:00:00.000Z`, n));
  const memberReferrals = referrals.map((_, k) => benchReferral(i, `${addToMonth(month, -5)}-1${(i + k) % 10}T08:30:00.000Z`, { k, programme: collective.programme, month }));
  return [
    activityItem(activity),
    priceItem(activity.activityId, prices),
    ...members.flatMap((member) => activityMemberPuts(table, activity, member).map((put) => put.Put!.Item as Record<string, unknown>)),
    ...customers.map(customerItem),
    ...memberReferrals.map(benchReferralItem),
    ...memberReferrals.map((referral) => benchLinkContactItem(table, referral, launchedAt)),
    ...benchDeclarations(activity, prices, customers, members, month, declarations).map(declarationItem),
    ...(declarations > 0 ? [monthChangesItem(activity.activityId, month, declarations)] : []),
  ];
}
