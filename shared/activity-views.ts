import {
  ACTIVITY_SHAPE_LABELS,
  ACTIVITY_STATUS_LABELS,
  COMMITTEE_ROLE_LABELS,
  TARGET_CUSTOMER_LABELS,
  choosableServiceKinds,
  formatBps,
  inInvoicingIndex,
  priceListInForce,
  priceUnitLabel,
  type ActivityRecord,
  type PriceLine,
  type PriceListVersion,
  type ServiceKind,
} from './domain/activities.js';
import { PROGRAMME_RULES } from './domain/programmes.js';
import { monthLabel, ofMonth } from './domain/invoicing/statement.js';
import { formatEuros } from './domain/money.js';
import { parisDate } from './domain/time.js';
import type { ActivityWithParts } from './data/activities.js';
import type { FlyerInput } from './activities/flyer.js';
import type { CooperativeSettings } from '../infra/config.js';

/*
 * What the API answers about activities and the service catalogue, for staff and for the young people who are
 * members (personal link). A member sees the other members' names and roles, never their ids, birth dates or contacts.
 */

/** Who reads an activity: staff, or one of its members (by their referral). */
export type ActivityAudience = { kind: 'staff' } | { kind: 'member'; referralId: string };

const kindLabel = (catalogue: readonly ServiceKind[], code: string) => catalogue.find((k) => k.code === code)?.label ?? code;

function priceLineView(line: PriceLine, catalogue: readonly ServiceKind[]) {
  return {
    ...line,
    unitLabel: priceUnitLabel(line.unit),
    serviceKindLabel: kindLabel(catalogue, line.serviceKind),
    unitPriceLabel: formatEuros(line.unitPriceCents),
    vatLabel: line.vatRateBps === null ? 'Sans TVA' : `TVA ${formatBps(line.vatRateBps)}`,
  };
}

function priceVersionView(version: PriceListVersion, catalogue: readonly ServiceKind[], inForce: PriceListVersion | undefined, audience: ActivityAudience) {
  return {
    version: version.version,
    effectiveFrom: version.effectiveFrom,
    inForce: version === inForce,
    createdAt: version.createdAt,
    ...(audience.kind === 'staff' ? { createdBy: version.createdBy.name } : {}),
    lines: version.lines.map((line) => priceLineView(line, catalogue)),
  };
}

/** What happened to the activity, from what its partition records, oldest first. */
function activityHistory({ activity, members, prices }: ActivityWithParts, audience: ActivityAudience) {
  const events: Array<{ at: string; label: string; by?: string }> = [{ at: activity.createdAt, label: 'Dossier de lancement créé' }];
  for (const member of members) {
    if (member.role !== 'holder') events.push({ at: member.joinedAt, label: `${member.name} rejoint l'activité` });
  }
  for (const version of prices) {
    events.push({ at: version.createdAt, label: `Grille de prix n° ${version.version}, en vigueur le ${version.effectiveFrom}`, ...(audience.kind === 'staff' ? { by: version.createdBy.name } : {}) });
  }
  if (activity.sentBack) events.push({ at: activity.sentBack.at, label: `Dossier renvoyé pour modification : ${activity.sentBack.comment}`, by: activity.sentBack.by.name });
  if (activity.insurance.includedAt) events.push({ at: activity.insurance.includedAt, label: "Activité lancée, assurée par la coopérative" });
  return events.sort((a, b) => a.at.localeCompare(b.at));
}

/**
 * An activity page: members, prices in force and every version, goal, status, history. `canEdit` says whether this
 * reader may change the launch file now (a draft; for a member, only their own personal activity).
 */
export function activityView(found: ActivityWithParts, catalogue: readonly ServiceKind[], audience: ActivityAudience, now: Date = new Date()) {
  const { activity, members, prices } = found;
  const today = parisDate(now);
  // Before its start an activity shows the prices it will start with.
  const inForce = priceListInForce(prices, today) ?? prices.at(-1);
  const staff = audience.kind === 'staff';
  const own = !staff && members.some((m) => m.referralId === audience.referralId && m.role === 'holder');
  return {
    ...activityIdentity(activity),
    description: activity.description,
    serviceKinds: activity.serviceKinds.map((code) => ({ code, label: kindLabel(catalogue, code) })),
    targetCustomers: activity.targetCustomers.map((code) => ({ code, label: TARGET_CUSTOMER_LABELS[code] })),
    monthlyGoalCents: activity.monthlyGoalCents,
    monthlyGoalLabel: formatEuros(activity.monthlyGoalCents),
    startDate: activity.startDate,
    ...(activity.endDate ? { endDate: activity.endDate } : {}),
    contributionRateBps: activity.contributionRateBps,
    contributionRateLabel: formatBps(activity.contributionRateBps),
    insurance: activity.insurance,
    status: activity.status,
    statusLabel: ACTIVITY_STATUS_LABELS[activity.status],
    ...(activity.cohortId ? { cohortId: activity.cohortId } : {}),
    submission: activity.submission,
    ...(activity.sentBack ? { sentBack: { comment: activity.sentBack.comment, at: activity.sentBack.at, by: activity.sentBack.by.name } } : {}),
    ...(staff && activity.statusReason ? { statusReason: activity.statusReason } : {}),
    ...(staff ? lastInvoicing(activity) : {}),
    createdAt: activity.createdAt,
    updatedAt: activity.updatedAt,
    version: activity.version,
    canEdit: activity.status === 'draft' && (staff || (own && activity.shape === 'personal')),
    members: members.map((m) =>
      staff
        ? { referralId: m.referralId, personId: m.personId, name: m.name, role: m.role, ...committee(m.committeeRole), minorAtStart: m.minorAtStart, joinedAt: m.joinedAt }
        : { name: m.name, role: m.role, ...committee(m.committeeRole), ...(m.referralId === audience.referralId ? { you: true } : {}) },
    ),
    prices: {
      inForce: inForce ? priceVersionView(inForce, catalogue, inForce, audience) : undefined,
      versions: prices.map((version) => priceVersionView(version, catalogue, inForce, audience)),
    },
    history: activityHistory(found, audience),
  };
}
export type ActivityView = ReturnType<typeof activityView>;

/** A paused or closed activity whose last month the monthly run has not drafted yet: staff are told it will be (decision 32). */
function lastInvoicing(activity: ActivityRecord): { lastInvoicingLabel?: string } {
  if (activity.status === 'active' || !inInvoicingIndex(activity)) return {};
  const until = activity.status === 'closed' ? 'sa fermeture' : 'sa mise en pause';
  return { lastInvoicingLabel: `Ses dernières prestations, déclarées jusqu'à ${until}, seront facturées au prochain passage de la facturation mensuelle (mois ${ofMonth(monthLabel(activity.invoiceThrough!))}).` };
}

const committee = (role: ActivityWithParts['members'][number]['committeeRole']) => (role ? { committeeRole: role, committeeRoleLabel: COMMITTEE_ROLE_LABELS[role] } : {});

/** What names an activity, first in its page and in its list item. */
const activityIdentity = (activity: ActivityRecord) => ({
  activityId: activity.activityId,
  shape: activity.shape,
  shapeLabel: ACTIVITY_SHAPE_LABELS[activity.shape],
  programme: activity.programme,
  programmeLabel: PROGRAMME_RULES[activity.programme].label,
  name: activity.name,
  tradeName: activity.tradeName,
});

/** One activity in the staff's list by status. */
export function activityListItem(activity: ActivityRecord) {
  return {
    ...activityIdentity(activity),
    status: activity.status,
    statusLabel: ACTIVITY_STATUS_LABELS[activity.status],
    startDate: activity.startDate,
    monthlyGoalCents: activity.monthlyGoalCents,
    createdAt: activity.createdAt,
    updatedAt: activity.updatedAt,
  };
}

/** A kind of service as staff and young people read it. */
export function serviceKindView(kind: ServiceKind) {
  return {
    ...kind,
    defaultVatLabel: kind.defaultVatRateBps === null ? 'Sans TVA (franchise)' : `TVA ${formatBps(kind.defaultVatRateBps)}`,
    minorsLabel: kind.openToMinors ? 'Ouvert aux mineurs' : 'Réservé aux majeurs',
  };
}

/**
 * GET /api/me/activities: the young person's activities, each as its members read it, and the kinds of service
 * they may choose for their own launch file (only those open to minors for a minor).
 */
export function myActivitiesView(input: { activities: ActivityWithParts[]; catalogue: readonly ServiceKind[]; referralId: string; minor: boolean; mayHavePersonalActivity: boolean; now?: Date }) {
  const audience: ActivityAudience = { kind: 'member', referralId: input.referralId };
  return {
    activities: input.activities.map((found) => activityView(found, input.catalogue, audience, input.now)),
    // A CJS young person launches the cohort's collective activity, not one of their own.
    mayCreatePersonalActivity: input.mayHavePersonalActivity && !input.activities.some((a) => a.activity.shape === 'personal'),
    serviceKinds: choosableServiceKinds(input.catalogue, input.minor).map(serviceKindView),
  };
}

/** The flyer's content from an activity: its prices in force today (or those it will start with), the cooperative's identity. */
export function flyerInput(found: ActivityWithParts, catalogue: readonly ServiceKind[], cooperative: CooperativeSettings, now: Date = new Date()): FlyerInput {
  const { activity, prices } = found;
  const today = parisDate(now);
  const inForce = priceListInForce(prices, today) ?? prices.at(-1);
  return {
    name: activity.name,
    tradeName: activity.tradeName,
    description: activity.description,
    services: activity.serviceKinds.map((code) => kindLabel(catalogue, code)),
    targetCustomers: activity.targetCustomers.map((code) => TARGET_CUSTOMER_LABELS[code]),
    prices: (inForce?.lines ?? []).map((line) => ({ label: line.label, unitLabel: priceUnitLabel(line.unit), unitPriceCents: line.unitPriceCents, vatRateBps: line.vatRateBps })),
    pricesOn: inForce && inForce.effectiveFrom > today ? inForce.effectiveFrom : today,
    cooperative,
  };
}
