/** What the young person's page and the staff's show alike of an activity: its facts, prices and members. */
import { el, facts, formatPlainDate, plural, type Child } from './dom.js';
import { dataTable } from './paging.js';
import type { ActivityView, CohortSummary } from './views.js';

type PriceVersion = ActivityView['prices']['versions'][number];

export const MEMBER_ROLE_LABELS: Record<string, string> = { holder: 'Titulaire', member: 'Membre' };

export function activityStatusBadge(activity: Pick<ActivityView, 'status' | 'statusLabel'>): HTMLElement {
  return el('span', { class: `badge badge-activity badge-activity-${activity.status}`, 'data-status': activity.status }, activity.statusLabel);
}

function insuranceText(insurance: ActivityView['insurance']): string {
  return insurance.included
    ? `Couverte par ${insurance.policy}${insurance.includedAt ? ` depuis le ${formatPlainDate(insurance.includedAt.slice(0, 10))}` : ''}`
    : `${insurance.policy} : elle couvre l'activité dès son lancement`;
}

/** The launch file's facts, as read by its members and by staff. */
export function activityFacts(activity: ActivityView): HTMLDListElement {
  return facts([
    ['Enseigne', activity.tradeName],
    ['Statut', activityStatusBadge(activity)],
    ['Programme', activity.programmeLabel],
    ['Forme', activity.shapeLabel],
    ['Services', el('ul', {}, activity.serviceKinds.map((kind) => el('li', {}, kind.label)))],
    ['Description', el('span', { class: 'pre-line' }, activity.description)],
    ['Clients', activity.targetCustomers.map((c) => c.label).join(', ')],
    ['Objectif mensuel', `${activity.monthlyGoalLabel} HT`],
    ['Début', formatPlainDate(activity.startDate)],
    ['Fin', activity.endDate ? formatPlainDate(activity.endDate) : ''],
    ['Contribution à la coopérative', activity.contributionRateLabel],
    ['Assurance', insuranceText(activity.insurance)],
  ]);
}

/** One version of the price list: a row per line, its price excluding VAT per unit. */
export function priceTable(version: PriceVersion, caption: string): HTMLTableElement {
  return dataTable('price-table', caption, ['Prestation', 'Service', 'Prix HT', 'TVA'], version.lines.map((line) => ({
    attributes: { 'data-line-id': line.lineId },
    cells: [line.label, line.serviceKindLabel, `${line.unitPriceLabel} / ${line.unitLabel}`, line.vatLabel],
  })));
}

export function pricesInForceNode(activity: ActivityView): HTMLElement {
  const inForce = activity.prices.inForce;
  if (!inForce || inForce.lines.length === 0) return el('p', {}, 'Aucun prix pour le moment.');
  return priceTable(inForce, `Prix en vigueur (grille n° ${inForce.version}, depuis le ${formatPlainDate(inForce.effectiveFrom)})`);
}

/** Members with their role and committee role; `self` marks the reader's own line. */
export function membersTable(members: ReadonlyArray<{ name: string; role: string; committeeRoleLabel?: string; you?: boolean }>, nameCell: (member: number) => Child = (i) => members[i].name): HTMLTableElement {
  return dataTable('members-table', 'Membres', ['Membre', 'Rôle', 'Comité'], members.map((member, i) => ({
    cells: [el('span', {}, nameCell(i), member.you ? ' (vous)' : ''), MEMBER_ROLE_LABELS[member.role] ?? member.role, member.committeeRoleLabel ?? '—'],
  })));
}

/** A cohort's seats: "12 / 15 (3 places libres)". */
export const seatsText = (cohort: Pick<CohortSummary, 'seatsTaken' | 'capacity' | 'seatsLeft'>) =>
  `${cohort.seatsTaken} / ${cohort.capacity} (${cohort.seatsLeft ? plural(cohort.seatsLeft, 'place libre', 'places libres') : 'complète'})`;
