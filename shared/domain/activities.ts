import * as z from 'zod/mini';
import {
  DEFAULT_CONTRIBUTION_RATES,
  DEFAULT_COOPERATIVE,
  ENV,
  type ContributionBounds,
  type ContributionRates,
  type CooperativeSettings,
} from '../../infra/config.js';
import type { FieldError } from './errors.js';
import { AGE_OF_MAJORITY, type Programme } from './programmes.js';
import { formatEuros } from './money.js';
import { ageOn, isIsoDate } from './time.js';
import { choice, optionalText, text } from './validation.js';

/**
 * Activities (stage 3 of the path): after onboarding, each young person launches an economic activity that the
 * cooperative carries. Everything here is pure: statuses and their transitions, the programmes' rules, the service
 * catalogue's seed, price lists and their versions, contribution bounds, the launch checks and the request bodies.
 * Money in integer cents, rates in integer basis points (1000 = 10 %), dates as Paris calendar dates.
 */

export type { ContributionBounds, ContributionRates, CooperativeSettings };

// --- Statuses ---

export const ACTIVITY_STATUSES = ['draft', 'awaiting-approval', 'active', 'paused', 'closed'] as const;
export type ActivityStatus = (typeof ACTIVITY_STATUSES)[number];

export const ACTIVITY_STATUS_LABELS: Record<ActivityStatus, string> = {
  draft: 'Brouillon',
  'awaiting-approval': 'En attente de validation',
  active: 'Active',
  paused: 'En pause',
  closed: 'Fermée',
};

/**
 * Every allowed move, and only those: submitted (draft → awaiting-approval), sent back (→ draft), approved
 * (→ active), paused and resumed, closed (from active or paused; a closed activity stays closed).
 */
export const ACTIVITY_TRANSITIONS: Record<ActivityStatus, readonly ActivityStatus[]> = {
  draft: ['awaiting-approval'],
  'awaiting-approval': ['draft', 'active'],
  active: ['paused', 'closed'],
  paused: ['active', 'closed'],
  closed: [],
};

export function canMoveActivity(from: ActivityStatus, to: ActivityStatus): boolean {
  return ACTIVITY_TRANSITIONS[from].includes(to);
}

/** The moves staff make by hand on a launched activity (the others belong to the launch workflow). */
export const MANUAL_STATUS_TARGETS = ['paused', 'active', 'closed'] as const;
export type ManualStatusTarget = (typeof MANUAL_STATUS_TARGETS)[number];

// --- Shapes and programmes ---

export const ACTIVITY_SHAPES = ['personal', 'collective'] as const;
export type ActivityShape = (typeof ACTIVITY_SHAPES)[number];

export const ACTIVITY_SHAPE_LABELS: Record<ActivityShape, string> = { personal: 'Activité personnelle', collective: 'Activité collective' };

export interface ActivityProgrammeRules {
  /** Exactly one personal activity per young person (its id derives from the referral's). */
  personalActivity: boolean;
  /** `cohort`: one collective activity per cohort, created with it; `shared`: collective activities that members join. */
  collective: 'none' | 'cohort' | 'shared';
  /** Every service of its activities must be open to minors (the CJS is for 16-18-year-olds). */
  servicesOpenToMinorsOnly: boolean;
  /** How long a collective activity lasts (months from its start to its end date), when bounded. */
  collectiveMonths?: { min: number; max: number };
}

export const ACTIVITY_RULES_BY_PROGRAMME: Record<Programme, ActivityProgrammeRules> = {
  accompagnement: { personalActivity: true, collective: 'none', servicesOpenToMinorsOnly: false },
  cjs: { personalActivity: false, collective: 'cohort', servicesOpenToMinorsOnly: true },
  'jeunes-majeurs': { personalActivity: true, collective: 'shared', servicesOpenToMinorsOnly: false, collectiveMonths: { min: 6, max: 12 } },
};

/** The personal activity of an accepted referral: its id derives from the referral's, so there is one, created idempotently. */
export const personalActivityId = (referralId: string) => `pa-${referralId}`;

export const TARGET_CUSTOMERS = ['particuliers', 'entreprises'] as const;
export type TargetCustomer = (typeof TARGET_CUSTOMERS)[number];
export const TARGET_CUSTOMER_LABELS: Record<TargetCustomer, string> = { particuliers: 'Particuliers', entreprises: 'Entreprises' };

export const MEMBER_ROLES = ['holder', 'member'] as const;
export type MemberRole = (typeof MEMBER_ROLES)[number];

export const COMMITTEE_ROLES = ['marketing', 'finance', 'ressources-humaines', 'production', 'communication'] as const;
export type CommitteeRole = (typeof COMMITTEE_ROLES)[number];
export const COMMITTEE_ROLE_LABELS: Record<CommitteeRole, string> = {
  marketing: 'Comité marketing',
  finance: 'Comité finances',
  'ressources-humaines': 'Comité ressources humaines',
  production: 'Comité production',
  communication: 'Comité communication',
};

// --- Service catalogue ---

/** VAT rates in France, in basis points: normal, intermediate, reduced, special. `null` on a line: no VAT (franchise). */
export const VAT_RATES_BPS = [2000, 1000, 550, 210] as const;

export interface ServiceKind {
  code: string;
  label: string;
  /** The rate a new price line of this kind starts with; null: no VAT under the franchise. */
  defaultVatRateBps: number | null;
  insuranceNotes: string;
  openToMinors: boolean;
  /** Why the kind is closed to 16-17-year-olds (the rule of the Code du travail), when it is. */
  minorsClosedReason?: string;
  /** Staff retire a kind instead of deleting it: activities that used it keep their label. */
  active: boolean;
}

const MINORS_RULE = 'travaux interdits aux jeunes de moins de 18 ans (Code du travail, art. D4153-15 et suivants)';

/** The catalogue the cooperative starts with; staff edit it (an edited kind is stored, the others read from here). */
export const DEFAULT_SERVICE_KINDS: readonly ServiceKind[] = [
  {
    code: 'jardinage',
    label: 'Jardinage et entretien des espaces verts',
    defaultVatRateBps: 2000,
    insuranceNotes: 'Responsabilité civile de la coopérative. Outils à main et tondeuse électrique uniquement.',
    openToMinors: true,
    active: true,
  },
  {
    code: 'petits-travaux',
    label: 'Petits travaux (peinture, petit bricolage)',
    defaultVatRateBps: 2000,
    insuranceNotes: 'Responsabilité civile de la coopérative. Outils à main, sans travail en hauteur au-delà d’un escabeau.',
    openToMinors: true,
    active: true,
  },
  {
    code: 'demenagement',
    label: 'Aide au déménagement',
    defaultVatRateBps: 2000,
    insuranceNotes: 'Responsabilité civile de la coopérative ; les biens transportés restent assurés par le client.',
    openToMinors: false,
    minorsClosedReason: `Port de charges lourdes : ${MINORS_RULE} ; au-delà de 20 % de leur poids (art. R4541-9).`,
    active: true,
  },
  {
    code: 'mediation-transport',
    label: 'Médiation dans les transports',
    defaultVatRateBps: 2000,
    insuranceNotes: 'Responsabilité civile de la coopérative ; intervention en binôme, sur le réseau du donneur d’ordre.',
    openToMinors: true,
    active: true,
  },
  {
    code: 'soutien-scolaire',
    label: 'Soutien scolaire',
    defaultVatRateBps: 2000,
    insuranceNotes: 'Responsabilité civile de la coopérative. Cours au domicile de la famille ou dans un lieu public.',
    openToMinors: true,
    active: true,
  },
  {
    code: 'graphisme',
    label: 'Graphisme et supports de communication',
    defaultVatRateBps: 2000,
    insuranceNotes: 'Responsabilité civile de la coopérative ; le client fournit des images dont il détient les droits.',
    openToMinors: true,
    active: true,
  },
  {
    code: 'lavage-vehicules',
    label: 'Lavage de véhicules',
    defaultVatRateBps: 2000,
    insuranceNotes: 'Responsabilité civile de la coopérative. Lavage à la main, sans déplacer le véhicule.',
    openToMinors: true,
    active: true,
  },
  {
    code: 'aide-evenements',
    label: 'Aide aux événements (accueil, service, installation)',
    defaultVatRateBps: 2000,
    insuranceNotes: 'Responsabilité civile de la coopérative ; l’organisateur assure son événement.',
    openToMinors: true,
    active: true,
  },
  {
    code: 'elagage',
    label: 'Élagage et taille en hauteur',
    defaultVatRateBps: 2000,
    insuranceNotes: 'Responsabilité civile de la coopérative, avec équipements de protection et formation préalable.',
    openToMinors: false,
    minorsClosedReason: `Travail en hauteur et machines dangereuses (tronçonneuse, taille-haie thermique) : ${MINORS_RULE}.`,
    active: true,
  },
  {
    code: 'transport-personnes',
    label: 'Transport de personnes',
    defaultVatRateBps: 1000,
    insuranceNotes: 'Véhicule assuré pour le transport de personnes ; permis de conduire de plus de 3 ans exigé.',
    openToMinors: false,
    minorsClosedReason: `Conduite de véhicules dans le cadre du travail : ${MINORS_RULE}.`,
    active: true,
  },
];

/** The catalogue as the app reads it: the seed, with the kinds staff stored (edited or added) in its place. */
export function mergeCatalogue(stored: readonly ServiceKind[]): ServiceKind[] {
  const byCode = new Map(DEFAULT_SERVICE_KINDS.map((kind) => [kind.code, kind]));
  for (const kind of stored) byCode.set(kind.code, kind);
  return [...byCode.values()].sort((a, b) => a.label.localeCompare(b.label, 'fr'));
}

/** The kinds a young person may choose: active ones, and for a minor only those open to minors. */
export function choosableServiceKinds(catalogue: readonly ServiceKind[], minor: boolean): ServiceKind[] {
  return catalogue.filter((kind) => kind.active && (!minor || kind.openToMinors));
}

// --- Price lists ---

export const PRICE_UNITS = ['heure', 'forfait', 'unite', 'm2', 'km', 'jour'] as const;
export type PriceUnit = (typeof PRICE_UNITS)[number];
export const PRICE_UNIT_LABELS: Record<PriceUnit, string> = { heure: 'heure', forfait: 'forfait', unite: 'unité', m2: 'm²', km: 'km', jour: 'jour' };

/** A stored unit's label ("m2" -> "m²"); a unit no longer listed reads as stored. */
export const priceUnitLabel = (unit: string): string => PRICE_UNIT_LABELS[unit as PriceUnit] ?? unit;

/** Highest unit price of a line: 100 000,00 €. */
export const MAX_UNIT_PRICE_CENTS = 100_000_00;
export const MAX_PRICE_LINES = 50;

export interface PriceLine {
  lineId: string;
  label: string;
  unit: PriceUnit;
  /** Excluding VAT. */
  unitPriceCents: number;
  serviceKind: string;
  vatRateBps: number | null;
}

export interface PriceListVersion {
  version: number;
  effectiveFrom: string;
  lines: PriceLine[];
  createdAt: string;
  createdBy: { id: string; name: string };
}

/** Orders versions as they take effect: by date, then by version among the same date. */
const byEffect = (a: Pick<PriceListVersion, 'effectiveFrom' | 'version'>, b: Pick<PriceListVersion, 'effectiveFrom' | 'version'>) =>
  a.effectiveFrom < b.effectiveFrom ? -1 : a.effectiveFrom > b.effectiveFrom ? 1 : a.version - b.version;

/**
 * The prices in force on the day of a service: the version with the latest `effectiveFrom` on or before that day,
 * the highest `version` among versions of the same day; none before the first version.
 * @example priceListInForce([{ version: 1, effectiveFrom: '2026-07-01', ... }], '2026-06-30') // undefined
 */
export function priceListInForce<T extends Pick<PriceListVersion, 'effectiveFrom' | 'version'>>(versions: readonly T[], serviceDate: string): T | undefined {
  let best: T | undefined;
  for (const candidate of versions) {
    if (candidate.effectiveFrom > serviceDate) continue;
    if (!best || byEffect(best, candidate) < 0) best = candidate;
  }
  return best;
}

/** The latest version of a price list (the one a draft is edited in). */
export function latestPriceList<T extends Pick<PriceListVersion, 'effectiveFrom' | 'version'>>(versions: readonly T[]): T | undefined {
  return [...versions].sort(byEffect).at(-1);
}

/**
 * Why a new version of an active activity's prices may not take effect then, or undefined: invoices already made
 * keep their prices, so a version starts today (Paris) at the earliest.
 */
export function newPriceVersionRefusal(effectiveFrom: string, today: string): string | undefined {
  return effectiveFrom < today ? "Une nouvelle grille de prix prend effet aujourd'hui au plus tôt : les factures déjà faites gardent leurs prix." : undefined;
}

/** Lines as typed: those without an id get the next free `L<n>`. */
export function withLineIds(lines: readonly (Omit<PriceLine, 'lineId'> & { lineId?: string })[]): PriceLine[] {
  const taken = new Set(lines.flatMap((line) => (line.lineId ? [line.lineId] : [])));
  let next = 1;
  return lines.map((line) => {
    if (line.lineId) return { ...line, lineId: line.lineId };
    while (taken.has(`L${next}`)) next++;
    taken.add(`L${next}`);
    return { ...line, lineId: `L${next}` };
  });
}

// --- Contribution ---

/** The contribution rates of the stage (CONTRIBUTION_RATES, set by the stack), or production's. */
export function contributionRatesFromEnv(env: NodeJS.ProcessEnv = process.env): ContributionRates {
  const raw = env[ENV.contributionRates];
  if (!raw) return DEFAULT_CONTRIBUTION_RATES;
  return { ...DEFAULT_CONTRIBUTION_RATES, ...(JSON.parse(raw) as Partial<ContributionRates>) };
}

/** The cooperative's identity (COOPERATIVE, set by the stack), or the sample one. */
export function cooperativeFromEnv(env: NodeJS.ProcessEnv = process.env): CooperativeSettings {
  const raw = env[ENV.cooperative];
  if (!raw) return DEFAULT_COOPERATIVE;
  return { ...DEFAULT_COOPERATIVE, ...(JSON.parse(raw) as Partial<CooperativeSettings>) };
}

/** "10 %", "5,5 %": a rate in basis points as people read it. */
export function formatBps(bps: number): string {
  // Integer basis points have at most two decimals as a percentage; no Intl (it showed in the invoices' CPU profile).
  return `${String(Math.round(bps) / 100).replace('.', ',')} %`;
}

/** Why a contribution rate is refused for a programme, or undefined when it is within the programme's bounds. */
export function contributionProblem(programme: Programme, rateBps: number, rates: ContributionRates): string | undefined {
  const { minBps, maxBps } = rates[programme];
  if (!Number.isInteger(rateBps) || rateBps < minBps || rateBps > maxBps) {
    return `Le taux de contribution doit être compris entre ${formatBps(minBps)} et ${formatBps(maxBps)} pour ce programme.`;
  }
  return undefined;
}

// --- Records ---

export interface ActivityInsurance {
  /** The cooperative's policy (configuration), named on the activity. */
  policy: string;
  /** Whether the activity is covered: from its launch on. */
  included: boolean;
  includedAt?: string;
}

/** An activity as stored (without its keys); `version` grows with every update, each conditional on the one read. */
export interface ActivityRecord {
  activityId: string;
  shape: ActivityShape;
  programme: Programme;
  name: string;
  tradeName: string;
  serviceKinds: string[];
  description: string;
  targetCustomers: TargetCustomer[];
  monthlyGoalCents: number;
  startDate: string;
  endDate?: string;
  contributionRateBps: number;
  insurance: ActivityInsurance;
  status: ActivityStatus;
  cohortId?: string;
  holderPersonId?: string;
  holderReferralId?: string;
  /** How many times the launch file was submitted (0 before the first): names the launch workflow's execution. */
  submission: number;
  sentBack?: { comment: string; by: { id: string; name: string }; at: string };
  /** Why staff last paused, resumed or closed it. */
  statusReason?: string;
  /**
   * While paused or closed and still in the invoicing's index: the last month whose services the monthly run must
   * still draft (the Paris month it left `active`). The run of that month takes the activity off the index and
   * removes it (decision 32).
   */
  invoiceThrough?: string;
  /** Its pauses, as Paris dates (`until` once resumed): a service may not date from within one. */
  pauses?: ActivityPause[];
  createdAt: string;
  updatedAt: string;
  version: number;
}

export interface ActivityPause {
  from: string;
  until?: string;
}

/**
 * Whether the activity sits in the invoicing's index (the sharded `ACTIVITIES#ACTIVE#<shard>` entries the monthly run
 * lists): while active, and once paused or closed until the run of its last month (`invoiceThrough`) has drafted it.
 */
export function inInvoicingIndex(activity: Pick<ActivityRecord, 'status' | 'invoiceThrough'>): boolean {
  return activity.status === 'active' || ((activity.status === 'paused' || activity.status === 'closed') && activity.invoiceThrough !== undefined);
}

/**
 * The pause a service date falls in, or undefined. The first day of a pause and the day of the resumption stay open
 * (the service may have come before the pause or after the resumption that day); the days between are not.
 */
export function pauseCovering(pauses: readonly ActivityPause[] | undefined, serviceDate: string): ActivityPause | undefined {
  return pauses?.find((pause) => pause.from < serviceDate && (pause.until === undefined || serviceDate < pause.until));
}

/** The name an activity trades under with its customers (its "enseigne"): its trade name, its name when it has none. */
export const tradeNameOf = (activity: Pick<ActivityRecord, 'name' | 'tradeName'>): string => activity.tradeName || activity.name;

export interface ActivityMember {
  activityId: string;
  personId: string;
  referralId: string;
  /** Display name. */
  name: string;
  /** Kept to tell a minor at the activity's start (launch checks); never shown to other members. */
  birthDate: string;
  role: MemberRole;
  committeeRole?: CommitteeRole;
  minorAtStart: boolean;
  joinedAt: string;
}

/** On the person's partition: what their space lists. */
export interface PersonActivityLink {
  activityId: string;
  personId: string;
  shape: ActivityShape;
  name: string;
  role: MemberRole;
}

export interface CohortRecord {
  cohortId: string;
  name: string;
  year: number;
  startDate: string;
  endDate: string;
  towns: string[];
  capacity: number;
  /** Changed only by the transactions that place or remove a member, never above `capacity`. */
  seatsTaken: number;
  activityId: string;
  createdAt: string;
}

export interface CohortMember {
  cohortId: string;
  referralId: string;
  personId: string;
  name: string;
  committeeRole?: CommitteeRole;
  placedAt: string;
}

export const COHORT_CAPACITY = { default: 15, max: 20 } as const;

// --- Dates ---

/**
 * The same day `months` later, or the month's last day when it has fewer days.
 * @example addMonths('2026-08-31', 6) // '2027-02-28'
 */
export function addMonths(date: string, months: number): string {
  const [y, m, d] = date.split('-').map(Number);
  const index = m - 1 + months;
  const year = y + Math.floor(index / 12);
  const month = ((index % 12) + 12) % 12;
  const last = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return `${year}-${String(month + 1).padStart(2, '0')}-${String(Math.min(d, last)).padStart(2, '0')}`;
}

/** A member is a minor for an activity when under 18 on its start date, or today if it started already. */
export function isMinorFor(birthDate: string, startDate: string, today: string): boolean {
  return ageOn(birthDate, startDate > today ? startDate : today) < AGE_OF_MAJORITY;
}

// --- Launch checks ---

/** A launch problem: the same shape as a field error of InvalidInputError, so pages show it beside the field. */
export type Problem = FieldError;

/** What the launch checks need to know of a member. */
export interface LaunchMember {
  referralId: string;
  name: string;
  birthDate: string;
  /** Their contract is countersigned: their onboarding is `ready`. */
  contractCountersigned: boolean;
}

export type LaunchActivity = Pick<
  ActivityRecord,
  'shape' | 'programme' | 'serviceKinds' | 'monthlyGoalCents' | 'startDate' | 'endDate' | 'contributionRateBps'
>;

/**
 * Every reason the activity cannot be launched yet, field by field (empty: it may be). Checked when the file is
 * submitted and again when staff approve it, since members, catalogue or dates may have changed meanwhile.
 */
export function launchProblems(input: {
  activity: LaunchActivity;
  members: readonly LaunchMember[];
  prices: readonly Pick<PriceListVersion, 'effectiveFrom' | 'version' | 'lines'>[];
  catalogue: readonly ServiceKind[];
  rates: ContributionRates;
  today: string;
}): Problem[] {
  const { activity, members, catalogue, today } = input;
  const problems: Problem[] = [];
  const rules = ACTIVITY_RULES_BY_PROGRAMME[activity.programme];
  const kinds = new Map(catalogue.map((kind) => [kind.code, kind]));

  const prices = latestPriceList(input.prices);
  if (!prices || prices.lines.length === 0) problems.push({ field: 'priceLines', message: 'Ajoutez au moins une ligne à la grille de prix.' });

  const contribution = contributionProblem(activity.programme, activity.contributionRateBps, input.rates);
  if (contribution) problems.push({ field: 'contributionRateBps', message: contribution });

  if (activity.serviceKinds.length === 0) problems.push({ field: 'serviceKinds', message: 'Choisissez au moins un service.' });
  for (const code of activity.serviceKinds) {
    const kind = kinds.get(code);
    if (!kind) problems.push({ field: 'serviceKinds', message: `Service inconnu : « ${code} ».` });
    else if (!kind.active) problems.push({ field: 'serviceKinds', message: `Le service « ${kind.label} » n'est plus proposé.` });
    else if (rules.servicesOpenToMinorsOnly && !kind.openToMinors) {
      problems.push({ field: 'serviceKinds', message: `Le service « ${kind.label} » est fermé aux mineurs : la CJS ne propose que des services ouverts aux mineurs.` });
    }
  }
  (prices?.lines ?? []).forEach((line, i) => {
    if (!activity.serviceKinds.includes(line.serviceKind)) {
      problems.push({ field: `priceLines.${i}.serviceKind`, message: `La ligne « ${line.label} » porte sur un service que l'activité ne propose pas.` });
    }
  });

  if (members.length === 0) problems.push({ field: 'members', message: "L'activité n'a aucun membre." });
  for (const member of members) {
    if (!member.contractCountersigned) problems.push({ field: 'members', message: `${member.name} n'a pas de contrat contresigné.` });
    if (!isMinorFor(member.birthDate, activity.startDate, today)) continue;
    for (const code of activity.serviceKinds) {
      const kind = kinds.get(code);
      if (kind && !kind.openToMinors) {
        problems.push({ field: 'serviceKinds', message: `${member.name} est mineur(e) : le service « ${kind.label} » lui est fermé (${kind.minorsClosedReason ?? 'réservé aux majeurs'}).` });
      }
    }
  }

  if (!Number.isInteger(activity.monthlyGoalCents) || activity.monthlyGoalCents < 0) {
    problems.push({ field: 'monthlyGoalCents', message: "L'objectif mensuel doit être un montant positif en centimes entiers." });
  }
  if (activity.startDate < today) problems.push({ field: 'startDate', message: 'La date de début ne peut pas être dans le passé : choisissez une date à venir.' });
  if (activity.endDate !== undefined && activity.endDate <= activity.startDate) {
    problems.push({ field: 'endDate', message: 'La date de fin doit suivre la date de début.' });
  }
  if (activity.shape === 'collective' && rules.collectiveMonths) {
    const { min, max } = rules.collectiveMonths;
    if (activity.endDate === undefined || activity.endDate < addMonths(activity.startDate, min) || activity.endDate > addMonths(activity.startDate, max)) {
      problems.push({ field: 'endDate', message: `Une activité collective Jeunes Majeurs dure de ${min} à ${max} mois : choisissez une date de fin entre le ${addMonths(activity.startDate, min)} et le ${addMonths(activity.startDate, max)}.` });
    }
  }
  return problems;
}

// --- Request bodies ---

/** A Paris calendar date field (YYYY-MM-DD), its message naming the field. */
export const isoDate = (label: string) => text({ max: 10 }).check(z.refine((value) => isIsoDate(value), `${label} invalide (format attendu : AAAA-MM-JJ).`));

/** A whole number of cents: refuses fractions, negative amounts and anything that is not a number. */
export const cents = (options: { min: number; max: number; label: string }) =>
  z
    .number({ error: (issue) => (issue.input === undefined ? 'Ce champ est obligatoire.' : `${options.label} : un montant en centimes est attendu.`) })
    .check(
      z.refine((n) => Number.isInteger(n), `${options.label} : un nombre entier de centimes est attendu (pas de fraction).`),
      z.refine((n) => n >= options.min, options.min > 0 ? `${options.label} : le montant doit être positif.` : `${options.label} : le montant ne peut pas être négatif.`),
      z.refine((n) => n <= options.max, `${options.label} : ${formatEuros(options.max)} au maximum.`),
    );

const serviceKindCode = () => text({ max: 40 }).check(z.regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'Code de service invalide (minuscules, chiffres et tirets).'));

export const vatRate = () =>
  z.nullable(
    z
      .number({ error: (issue) => (issue.input === undefined ? 'Ce champ est obligatoire.' : 'Taux de TVA invalide.') })
      .check(z.refine((n) => (VAT_RATES_BPS as readonly number[]).includes(n), 'Taux de TVA invalide : 20 %, 10 %, 5,5 %, 2,1 % ou sans TVA.')),
  );

export const priceLineSchema = z.strictObject(
  {
    lineId: z.optional(text({ max: 20 }).check(z.regex(/^[A-Za-z0-9-]+$/, 'Identifiant de ligne invalide.'))),
    label: text({ max: 120 }),
    unit: choice(PRICE_UNITS, 'Unité inconnue (heure, forfait, unité, m², km ou jour).'),
    unitPriceCents: cents({ min: 1, max: MAX_UNIT_PRICE_CENTS, label: 'Prix unitaire' }),
    serviceKind: serviceKindCode(),
    vatRateBps: vatRate(),
  },
  'Une ligne de prix doit être un objet.',
);

const priceLines = (min: number) =>
  z
    .array(priceLineSchema, 'La grille de prix doit être une liste de lignes.')
    .check(
      z.minLength(min, 'Ajoutez au moins une ligne à la grille de prix.'),
      z.maxLength(MAX_PRICE_LINES, `${MAX_PRICE_LINES} lignes au maximum.`),
      z.refine((lines) => new Set(lines.flatMap((l) => (l.lineId ? [l.lineId] : []))).size === lines.filter((l) => l.lineId).length, 'Deux lignes portent le même identifiant.'),
    );

const launchFileFields = {
  name: text({ max: 100 }),
  tradeName: text({ max: 100 }),
  serviceKinds: z
    .array(serviceKindCode(), 'Les services doivent être une liste.')
    .check(
      z.minLength(1, 'Choisissez au moins un service.'),
      z.maxLength(10, '10 services au maximum.'),
      z.refine((codes) => new Set(codes).size === codes.length, 'Un service est choisi deux fois.'),
    ),
  description: text({ min: 10, max: 2000 }),
  targetCustomers: z
    .array(choice(TARGET_CUSTOMERS, 'Clientèle inconnue (particuliers ou entreprises).'), 'La clientèle doit être une liste.')
    .check(
      z.minLength(1, 'Choisissez au moins une clientèle.'),
      z.refine((values) => new Set(values).size === values.length, 'Une clientèle est choisie deux fois.'),
    ),
  monthlyGoalCents: cents({ min: 0, max: 100_000_000, label: 'Objectif mensuel' }),
  startDate: isoDate('Date de début'),
  endDate: z.optional(isoDate('Date de fin')),
  priceLines: priceLines(0),
};

const datesInOrder = z.superRefine((value: { startDate?: string; endDate?: string }, ctx) => {
  if (value.startDate && value.endDate && isIsoDate(value.startDate) && isIsoDate(value.endDate) && value.endDate <= value.startDate) {
    ctx.issues.push({ code: 'custom', input: value.endDate, path: ['endDate'], message: 'La date de fin doit suivre la date de début.' });
  }
});

const contributionRateBps = () =>
  z.optional(
    z
      .number({ error: () => 'Taux de contribution invalide : un nombre entier de points de base (1000 = 10 %).' })
      .check(z.refine((n) => Number.isInteger(n) && n >= 0 && n <= 10_000, 'Taux de contribution invalide : un nombre entier de points de base entre 0 et 10000.')),
  );

/** The young person's launch file (`PUT /api/me/activity`): a draft may be incomplete, submitting checks the rest. */
export const launchFileSchema = z.strictObject(launchFileFields, 'Le contenu doit être un objet JSON.').check(datesInOrder);
export type LaunchFile = z.infer<typeof launchFileSchema>;

/** Staff edit the launch file with the young person (`PUT /api/staff/activities/{id}`), and may set the contribution rate. */
export const staffLaunchFileSchema = z.strictObject({ ...launchFileFields, contributionRateBps: contributionRateBps() }, 'Le contenu doit être un objet JSON.').check(datesInOrder);
export type StaffLaunchFile = z.infer<typeof staffLaunchFileSchema>;

const referralId = () => text({ max: 64 }).check(z.regex(/^[A-Za-z0-9-]+$/, 'Identifiant de parcours invalide.'));

/**
 * Staff create an activity (`POST /api/staff/activities`): the personal one of a launch-ready referral, or a
 * collective Jeunes Majeurs one (the CJS's collective activity comes with its cohort).
 */
export const createActivitySchema = z
  .discriminatedUnion(
    'shape',
    [
      z.strictObject({ shape: z.literal('personal'), referralId: referralId(), ...launchFileFields, contributionRateBps: contributionRateBps() }),
      z.strictObject({ shape: z.literal('collective'), programme: z.literal('jeunes-majeurs', 'Seul le programme Jeunes Majeurs crée ici une activité collective (la CJS la crée avec sa cohorte).'), ...launchFileFields, contributionRateBps: contributionRateBps() }),
    ],
    { error: (issue) => (issue.code === 'invalid_union' ? 'Forme inconnue : « personal » ou « collective ».' : 'Le contenu doit être un objet JSON.') },
  )
  .check(datesInOrder);
export type CreateActivity = z.infer<typeof createActivitySchema>;

/** A new version of an active activity's prices (`POST /api/staff/activities/{id}/prices`). */
export const priceVersionSchema = z.strictObject({ effectiveFrom: isoDate("Date d'effet"), lines: priceLines(1) }, 'Le contenu doit être un objet JSON.');
export type PriceVersionInput = z.infer<typeof priceVersionSchema>;

export const memberSchema = z.strictObject(
  { referralId: referralId(), committeeRole: z.optional(choice(COMMITTEE_ROLES, 'Rôle de comité inconnu.')) },
  'Le contenu doit être un objet JSON.',
);
export type MemberInput = z.infer<typeof memberSchema>;

export const statusChangeSchema = z.strictObject(
  { status: choice(MANUAL_STATUS_TARGETS, 'Statut inconnu (en pause, active ou fermée).'), reason: text({ min: 3, max: 500 }) },
  'Le contenu doit être un objet JSON.',
);
export type StatusChange = z.infer<typeof statusChangeSchema>;

/** A kind of service as staff create or edit it (`PUT /api/staff/service-kinds/{code}`: the code is the path's). */
export const serviceKindSchema = z
  .strictObject(
    {
      label: text({ max: 100 }),
      defaultVatRateBps: vatRate(),
      insuranceNotes: text({ max: 1000 }),
      openToMinors: z.boolean({ error: (issue) => (issue.input === undefined ? 'Ce champ est obligatoire.' : 'Répondez par oui ou par non.') }),
      minorsClosedReason: optionalText(500),
      active: z.optional(z.boolean('Répondez par oui ou par non.')),
    },
    'Le contenu doit être un objet JSON.',
  )
  .check(
    z.superRefine((value, ctx) => {
      if (value.openToMinors === false && !value.minorsClosedReason) {
        ctx.issues.push({ code: 'custom', input: undefined, path: ['minorsClosedReason'], message: 'Dites pourquoi ce service est fermé aux mineurs.' });
      }
    }),
  );
export type ServiceKindInput = z.infer<typeof serviceKindSchema>;
export const serviceKindCodeSchema = serviceKindCode();

const cohortCapacity = () =>
  z
    .number({ error: () => 'Capacité invalide : un nombre entier de places.' })
    .check(z.refine((n) => Number.isInteger(n) && n >= 1 && n <= COHORT_CAPACITY.max, `Capacité invalide : de 1 à ${COHORT_CAPACITY.max} places.`));

/** A CJS cohort (`POST /api/staff/cohorts`): summer dates of one year, its towns, at most 20 seats. */
export const cohortCreateSchema = z
  .strictObject(
    {
      name: text({ max: 100 }),
      startDate: isoDate('Date de début'),
      endDate: isoDate('Date de fin'),
      towns: z
        .array(text({ max: 100 }), 'Les communes doivent être une liste.')
        .check(z.minLength(1, 'Indiquez au moins une commune.'), z.maxLength(20, '20 communes au maximum.')),
      capacity: z.optional(cohortCapacity()),
    },
    'Le contenu doit être un objet JSON.',
  )
  .check(
    datesInOrder,
    z.superRefine((value, ctx) => {
      const summer = (date: string) => isIsoDate(date) && date.slice(5, 7) >= '06' && date.slice(5, 7) <= '09';
      if (!value.startDate || !value.endDate || !isIsoDate(value.startDate) || !isIsoDate(value.endDate)) return;
      if (!summer(value.startDate) || !summer(value.endDate) || value.startDate.slice(0, 4) !== value.endDate.slice(0, 4)) {
        ctx.issues.push({ code: 'custom', input: value.endDate, path: ['endDate'], message: "Une CJS se tient l'été : dates de juin à septembre d'une même année." });
      }
    }),
  );
export type CohortCreate = z.infer<typeof cohortCreateSchema>;

/** A cohort's new capacity (`PUT /api/staff/cohorts/{cohortId}`): never below the seats taken, which storage checks. */
export const cohortCapacitySchema = z.strictObject({ capacity: cohortCapacity() }, 'Le contenu doit être un objet JSON.');

export const cohortMemberSchema = z.strictObject({ referralId: referralId() }, 'Le contenu doit être un objet JSON.');
export type CohortMemberInput = z.infer<typeof cohortMemberSchema>;

/** A committee role in the cohort's collective activity (`PUT /api/staff/cohorts/{id}/members/{referralId}`); null removes it. */
export const committeeRoleSchema = z.strictObject(
  { committeeRole: z.nullable(choice(COMMITTEE_ROLES, 'Rôle de comité inconnu (marketing, finance, ressources-humaines, production, communication).')) },
  'Le contenu doit être un objet JSON.',
);
export type CommitteeRoleInput = z.infer<typeof committeeRoleSchema>;
