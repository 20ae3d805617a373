import { checkIban } from '../shared/domain/iban.js';
import { addressOneLine, frenchVatNumber, isValidSiren, type PostalAddress } from '../shared/domain/invoicing/customers.js';
import type { Programme } from '../shared/domain/programmes.js';

/**
 * Stage configuration: every setting that differs between dev, prod, the local cloud and the
 * end-to-end tests, chosen at synth time without editing code.
 *
 * This module imports nothing from aws-cdk-lib on purpose: functions and the local cloud may
 * import its types and the environment variable names without pulling the CDK into a bundle.
 */

export const STAGES = ['dev', 'prod', 'local', 'test'] as const;
export type StageName = (typeof STAGES)[number];

/** Log levels understood by Lambda's advanced logging controls and Powertools. */
export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/** Deadlines of the referral workflow, in seconds from the moment the referral is received. */
export interface ReferralTimings {
  /** First reminder to the staff when no decision was taken. */
  remindAfterSeconds: number;
  /** Escalation when still no decision. */
  escalateAfterSeconds: number;
  /** The referral expires when still no decision. */
  expireAfterSeconds: number;
  /** A waitlisted referral is brought back to the staff this long after each review. */
  waitlistReviewAfterSeconds: number;
}

/** The deadlines of one onboarding wait, in seconds from the moment it opens. */
export interface WaitTimings {
  /** First reminder (to whoever must act). */
  remindAfterSeconds: number;
  /** Second reminder, or escalation to the team; the wait then goes on, reminded again each period. */
  escalateAfterSeconds: number;
}

/** Deadlines of the onboarding workflow (workflows/onboarding.ts), one set per waiting step. */
export interface OnboardingTimings {
  informationSession: WaitTimings;
  diagnosis: WaitTimings;
  /** Missing documents are reminded twice (3 and 7 days), then the file goes to the team's review (14 days). */
  documents: WaitTimings & { expireAfterSeconds: number };
  guardianConsent: WaitTimings;
  contractAcceptance: WaitTimings;
  contractCountersign: WaitTimings;
  review: WaitTimings;
}

/** How the outbox tries a message again (shared/notifications/retry-policy.ts reads them from the function's environment). */
export interface OutboxRetry {
  /** Attempts before a message is given up as failed. */
  maxAttempts: number;
  /** Delay after the first failed attempt, doubled after each following one. */
  retryBaseSeconds: number;
  /** How long a sender holds a message it claimed: more than the longest timeout of a function that sends. */
  leaseSeconds: number;
}

/** A number of requests allowed in a fixed window. */
export interface RateWindow {
  max: number;
  windowSeconds: number;
}

/** Personal links of the young people and guardians (shared/data/personal-links.ts reads them from PERSONAL_LINKS). */
export interface PersonalLinkSettings {
  /** How long a link opens the page after it was sent. */
  validForSeconds: number;
  /** "Recevoir un nouveau lien": requests per address, and for everyone together. */
  resendPerContact: RateWindow;
  resendOverall: RateWindow;
  /**
   * Every answer of the re-send route takes at least this long, whether the address is known (a lookup, a write
   * and a provider call) or not: the time of the answer says nothing either.
   */
  resendAnswerMs: number;
}

export const DEFAULT_PERSONAL_LINKS: PersonalLinkSettings = {
  validForSeconds: 14 * 24 * 60 * 60,
  resendPerContact: { max: 3, windowSeconds: 3600 },
  resendOverall: { max: 200, windowSeconds: 3600 },
  resendAnswerMs: 1500,
};

/** The cooperative's share of an activity's revenue excluding VAT, in basis points (1000 = 10 %), per programme. */
export interface ContributionBounds {
  defaultBps: number;
  minBps: number;
  maxBps: number;
}
export type ContributionRates = Record<Programme, ContributionBounds>;

export const DEFAULT_CONTRIBUTION_RATES: ContributionRates = {
  accompagnement: { defaultBps: 1000, minBps: 500, maxBps: 1500 },
  cjs: { defaultBps: 0, minBps: 0, maxBps: 1000 },
  'jeunes-majeurs': { defaultBps: 800, minBps: 500, maxBps: 1500 },
};

/**
 * The cooperative that carries the activities: it invoices their customers, so flyers and invoices show its identity.
 * `franchise`: no VAT charged (franchise en base, article 293 B du CGI); `vat`: VAT at each line's rate.
 */
export interface CooperativeSettings {
  name: string;
  /** Legal form as invoices print it (C. com. R123-237), e.g. "SCIC SAS à capital variable". */
  legalForm: string;
  /** The trade register and its town, printed before the SIREN: "RCS Arras". */
  rcs: string;
  /** The address line by line, for invoices and their Factur-X. */
  postalAddress: PostalAddress;
  /** The same address on one line (flyers, pages); derived from `postalAddress` when an override gives only that. */
  address: string;
  /** 9 digits with a valid Luhn key. */
  siren: string;
  vatMode: 'franchise' | 'vat';
  /** Intra-community VAT number (`FR` + key + SIREN): required when `vatMode` is `vat`. */
  vatNumber?: string;
  /** Days from the issue date to the due date of an invoice (0 to 60, C. com. L441-10). */
  paymentTermsDays: number;
  /** Where customers pay by transfer, printed on invoices and in their Factur-X. */
  bank: { iban: string; bic: string };
  email: string;
  phone: string;
  /** The cooperative's liability policy, which covers each activity once it is launched. */
  insurance: { insurer: string; policyNumber: string };
}

/**
 * Sample identity for the development stages; a deployment sets the real one (PARCOURS_COOPERATIVE or `-c cooperative=`).
 * The SIREN, the VAT number and the IBAN are made up but pass their checks.
 */
export const DEFAULT_COOPERATIVE: CooperativeSettings = {
  name: 'CoopConnexion',
  legalForm: 'SCIC SAS à capital variable',
  rcs: 'RCS Arras',
  postalAddress: { line1: '1 place de la Coopération', postalCode: '62300', city: 'Lens', countryCode: 'FR' },
  address: '1 place de la Coopération, 62300 Lens',
  siren: '912345675',
  vatMode: 'franchise',
  vatNumber: frenchVatNumber('912345675'),
  paymentTermsDays: 30,
  bank: { iban: 'FR7642559100000801234567812', bic: 'CCOPFRPPXXX' },
  email: 'contact@coopconnexion.fr',
  phone: '03 21 00 00 00',
  insurance: { insurer: 'Assureur de la coopérative', policyNumber: 'RC-PRO-COOP-0001' },
};

/**
 * How the monthly run numbers its invoices (shared/invoicing/run-steps.ts `numberMonth`, through `issueNumbers`): chunks
 * of at most `chunkInvoices` invoices (one block each, numbered in one transaction: decision 37), `chunksPerStep` of
 * them per invocation of the numbering step, which the workflow calls again while invoices are left.
 */
export interface InvoicingNumbering {
  /** Invoices per chunk, 1 to 97: a chunk's transaction holds its invoices, the counter, the block and the reservation (100 items). */
  chunkInvoices: number;
  /** Chunks per invocation of the step: each one ends well within a Lambda's time. */
  chunksPerStep: number;
}

/** The largest chunk (MAX_BLOCK_IDS of shared/data/invoicing/numbering.ts): DynamoDB's 100 items a transaction, less 3. */
export const MAX_NUMBERING_CHUNK = 97;

/** Production's numbering: 5,044 invoices a step at most (about the 5,000 of decision 28), in chunks of 97. */
export const DEFAULT_INVOICING_NUMBERING: InvoicingNumbering = { chunkInvoices: MAX_NUMBERING_CHUNK, chunksPerStep: 52 };

/** Production's outbox retries: 30 s doubling over 8 attempts, about an hour in all. */
export const DEFAULT_OUTBOX_RETRY: OutboxRetry = { maxAttempts: 8, retryBaseSeconds: 30, leaseSeconds: 120 };

/**
 * The queue that hands the providers' delivery events to DeliveryEvents (decision 33): up to `batchSize` reports an
 * invocation, gathered for up to `batchingWindowSeconds`; a report handed back (a failure, an id unknown yet) comes
 * again after `visibilityTimeoutSeconds`, which must be at least DeliveryEvents' timeout.
 */
export interface DeliveryReportsQueue {
  /** 1 to 10,000; above 10, Lambda needs a batching window of a second at least. */
  batchSize: number;
  batchingWindowSeconds: number;
  visibilityTimeoutSeconds: number;
}

/** Production's: batches of 100 over 5 s; a report handed back comes again after 3 minutes (6 times the function's timeout, as AWS advises). */
export const DEFAULT_DELIVERY_REPORTS: DeliveryReportsQueue = { batchSize: 100, batchingWindowSeconds: 5, visibilityTimeoutSeconds: 180 };

/** DeliveryEvents' timeout: the delivery queue's visibility timeout may not be shorter. */
export const DELIVERY_EVENTS_TIMEOUT_SECONDS = 30;

/** The longest timeout of a function that sends messages (the dispatcher's): a sender's lease must outlast it. */
export const LONGEST_SENDER_TIMEOUT_SECONDS = 60;

export interface StageConfig {
  stage: StageName;
  region: string;
  /** Target account; undefined leaves the stack account-agnostic (offline synth). */
  account?: string;
  /** What happens to stateful resources (table, key, user pool, logs) when the stack goes. */
  removalPolicy: 'retain' | 'destroy';
  deletionProtection: boolean;
  /** One of CloudWatch Logs' allowed retention periods, in days. */
  logRetentionDays: number;
  logLevel: LogLevel;
  referral: ReferralTimings;
  onboarding: OnboardingTimings;
  /** The staff's approval of a launch file (workflows/activity-launch.ts), and of a month's invoices (workflows/monthly-invoicing.ts). */
  launch: WaitTimings;
  /** The first month the monthly invoicing runs for (YYYY-MM): its schedule never catches up a month before it. */
  invoicingFirstMonth?: string;
  /** Chunks of the run's numbering loop. */
  invoicingNumbering: InvoicingNumbering;
  contributionRates: ContributionRates;
  cooperative: CooperativeSettings;
  /** The reconciler (functions/reconciler/): how often it runs, and how long a hand-over may be in flight before it steps in. */
  reconcile: { everyMinutes: number; graceSeconds: number };
  outbox: OutboxRetry;
  /** The queue in front of DeliveryEvents. */
  deliveryReports: DeliveryReportsQueue;
  personalLinks: PersonalLinkSettings;
  /** From header of every email, on the verified domain `emailDomain`. */
  emailFrom: string;
  /** SES domain identity (DKIM). One identity per account and region: stages sharing an account need distinct domains. */
  emailDomain: string;
  /** Team mailbox that receives the decision requests, reminders and escalations. */
  staffEmail: string;
  /** Alphanumeric SMS sender id shown on the phone (3 to 11 characters). */
  smsSenderId: string;
  /** Cognito hosted domain prefix: `https://<prefix>.auth.<region>.amazoncognito.com`. */
  authDomainPrefix: string;
  /** Extra origins serving the pages (custom domains); the API's own URL is always allowed. */
  appUrls: string[];
  /** Origin allowed as Cognito callback in non-production stages, for pages served from this machine. */
  localAppUrl: string;
  /** Recipient of the alarm notifications; none means the topic has no subscription. */
  alarmEmail?: string;
}

/** Settings that an operator sets per deployment (CDK context or environment), never in code. */
export interface StageOverrides {
  account?: string;
  appUrls?: string[];
  alarmEmail?: string;
  staffEmail?: string;
  emailDomain?: string;
  emailFrom?: string;
  authDomainPrefix?: string;
  /** The cooperative's real identity, replacing fields of the sample one. */
  cooperative?: Partial<CooperativeSettings>;
}

/** Environment variable names shared by the stack (which sets them) and the functions (which read them). */
export const ENV = {
  tableName: 'TABLE_NAME',
  stage: 'STAGE',
  serviceName: 'POWERTOOLS_SERVICE_NAME',
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
  logLevel: 'POWERTOOLS_LOG_LEVEL',
  referralStateMachineArn: 'REFERRAL_STATE_MACHINE_ARN',
  onboardingStateMachineArn: 'ONBOARDING_STATE_MACHINE_ARN',
  activityLaunchStateMachineArn: 'ACTIVITY_LAUNCH_STATE_MACHINE_ARN',
  invoicingStateMachineArn: 'INVOICING_STATE_MACHINE_ARN',
  emailFrom: 'EMAIL_FROM',
  sesConfigurationSet: 'SES_CONFIGURATION_SET',
  smsSenderId: 'SMS_SENDER_ID',
  smsConfigurationSet: 'SMS_CONFIGURATION_SET',
  staffEmail: 'STAFF_EMAIL',
  appBaseUrl: 'APP_BASE_URL',
  authBaseUrl: 'AUTH_BASE_URL',
  userPoolClientId: 'USER_POOL_CLIENT_ID',
  outboxMaxAttempts: 'OUTBOX_MAX_ATTEMPTS',
  outboxRetryBaseSeconds: 'OUTBOX_RETRY_BASE_SECONDS',
  outboxLeaseSeconds: 'OUTBOX_LEASE_SECONDS',
  // Storage (issue 9): the documents bucket and the key its objects are encrypted with.
  documentsBucket: 'DOCUMENTS_BUCKET',
  /** The origin the young person's browser PUTs documents to (the pages' CSP allows it for fetch). */
  documentsUploadOrigin: 'DOCUMENTS_UPLOAD_ORIGIN',
  documentsKeyArn: 'DOCUMENTS_KEY_ARN',
  /** PersonalLinkSettings as JSON. */
  personalLinks: 'PERSONAL_LINKS',
  // Activities (issue 10), read by shared/domain/activities.ts.
  /** ContributionRates as JSON. */
  contributionRates: 'CONTRIBUTION_RATES',
  /** CooperativeSettings as JSON. */
  cooperative: 'COOPERATIVE',
  // Invoicing (issue 11), read by shared/invoicing/run-steps.ts.
  /** InvoicingNumbering as JSON, on the run's step function. */
  invoicingNumbering: 'INVOICING_NUMBERING',
} as const;
export type EnvName = (typeof ENV)[keyof typeof ENV];

export const METRICS_NAMESPACE = 'CoopConnexionParcours';

const DAY = 24 * 60 * 60;

const BASE = {
  region: 'eu-west-3',
  emailFrom: 'CoopConnexion <ne-pas-repondre@coopconnexion.fr>',
  emailDomain: 'coopconnexion.fr',
  staffEmail: 'accompagnement@coopconnexion.fr',
  smsSenderId: 'CoopConnex',
  localAppUrl: 'http://localhost:3000',
  referral: {
    remindAfterSeconds: 3 * DAY,
    escalateAfterSeconds: 10 * DAY,
    expireAfterSeconds: 30 * DAY,
    waitlistReviewAfterSeconds: 30 * DAY,
  },
  onboarding: {
    informationSession: { remindAfterSeconds: 7 * DAY, escalateAfterSeconds: 21 * DAY },
    diagnosis: { remindAfterSeconds: 3 * DAY, escalateAfterSeconds: 10 * DAY },
    documents: { remindAfterSeconds: 3 * DAY, escalateAfterSeconds: 7 * DAY, expireAfterSeconds: 14 * DAY },
    guardianConsent: { remindAfterSeconds: 3 * DAY, escalateAfterSeconds: 10 * DAY },
    contractAcceptance: { remindAfterSeconds: 3 * DAY, escalateAfterSeconds: 10 * DAY },
    contractCountersign: { remindAfterSeconds: 2 * DAY, escalateAfterSeconds: 5 * DAY },
    review: { remindAfterSeconds: 2 * DAY, escalateAfterSeconds: 5 * DAY },
  },
  launch: { remindAfterSeconds: 2 * DAY, escalateAfterSeconds: 5 * DAY },
  reconcile: { everyMinutes: 5, graceSeconds: 120 },
  outbox: DEFAULT_OUTBOX_RETRY,
  deliveryReports: DEFAULT_DELIVERY_REPORTS,
  personalLinks: DEFAULT_PERSONAL_LINKS,
  contributionRates: DEFAULT_CONTRIBUTION_RATES,
  cooperative: DEFAULT_COOPERATIVE,
  invoicingNumbering: DEFAULT_INVOICING_NUMBERING,
} satisfies Partial<StageConfig>;

type StageDefaults = Pick<StageConfig, 'removalPolicy' | 'deletionProtection' | 'logRetentionDays' | 'logLevel'> & {
  referral?: ReferralTimings;
  onboarding?: OnboardingTimings;
  launch?: WaitTimings;
  reconcile?: StageConfig['reconcile'];
  outbox?: OutboxRetry;
  deliveryReports?: DeliveryReportsQueue;
  personalLinks?: PersonalLinkSettings;
  invoicingNumbering?: InvoicingNumbering;
};

/**
 * On one machine: a status within a second or two of its event, as a person watching the console or a test expects; a
 * report handed back comes again after the function's timeout, the shortest Lambda allows.
 */
const ONE_MACHINE_DELIVERY_REPORTS: DeliveryReportsQueue = { batchSize: 100, batchingWindowSeconds: 1, visibilityTimeoutSeconds: DELIVERY_EVENTS_TIMEOUT_SECONDS };

const PER_STAGE: Record<StageName, StageDefaults> = {
  prod: { removalPolicy: 'retain', deletionProtection: true, logRetentionDays: 180, logLevel: 'INFO' },
  dev: { removalPolicy: 'destroy', deletionProtection: false, logRetentionDays: 30, logLevel: 'DEBUG' },
  // On one machine, a decision lost by a killed process is handed over again by the first reconciler run past its
  // 10 s grace: the runs are on the minute, so within about 70 s of the decision.
  local: {
    removalPolicy: 'destroy',
    deletionProtection: false,
    logRetentionDays: 7,
    logLevel: 'DEBUG',
    reconcile: { everyMinutes: 1, graceSeconds: 10 },
    // A month of a few dozen invoices is numbered in several steps on one machine: the loop, and its resumption after
    // a kill (test/e2e/crash-recovery.test.ts), are exercised without thousands of invoices. The bench's run at scale
    // is on the `test` stage, with production's chunks.
    invoicingNumbering: { chunkInvoices: 3, chunksPerStep: 1 },
    deliveryReports: ONE_MACHINE_DELIVERY_REPORTS,
  },
  // Seconds instead of days, so an end-to-end test sees the reminder, the escalation and the expiry.
  test: {
    removalPolicy: 'destroy',
    deletionProtection: false,
    logRetentionDays: 7,
    logLevel: 'DEBUG',
    referral: { remindAfterSeconds: 4, escalateAfterSeconds: 8, expireAfterSeconds: 12, waitlistReviewAfterSeconds: 60 },
    // Long enough for a test to drive a step through the API, short enough to see the documents go to review.
    onboarding: {
      informationSession: { remindAfterSeconds: 10, escalateAfterSeconds: 20 },
      diagnosis: { remindAfterSeconds: 10, escalateAfterSeconds: 20 },
      documents: { remindAfterSeconds: 5, escalateAfterSeconds: 10, expireAfterSeconds: 20 },
      guardianConsent: { remindAfterSeconds: 10, escalateAfterSeconds: 20 },
      contractAcceptance: { remindAfterSeconds: 10, escalateAfterSeconds: 20 },
      contractCountersign: { remindAfterSeconds: 10, escalateAfterSeconds: 20 },
      review: { remindAfterSeconds: 10, escalateAfterSeconds: 20 },
    },
    launch: { remindAfterSeconds: 10, escalateAfterSeconds: 20 },
    // EventBridge Scheduler's shortest rate; tests fire the schedule themselves and only need a short grace.
    reconcile: { everyMinutes: 1, graceSeconds: 2 },
    // Retries a second apart, doubling, so a test sees a message retried and given up within a minute or two.
    outbox: { ...DEFAULT_OUTBOX_RETRY, retryBaseSeconds: 1 },
    // The end-to-end tests ask for many links from one machine; the per-address limit stays the production one.
    personalLinks: { ...DEFAULT_PERSONAL_LINKS, resendOverall: { max: 1000, windowSeconds: 3600 } },
    deliveryReports: ONE_MACHINE_DELIVERY_REPORTS,
  },
};

/** CloudWatch Logs accepts only these retention periods. */
const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

export class InvalidStageConfigError extends Error {
  override readonly name = 'InvalidStageConfigError';
}

export function isStageName(value: unknown): value is StageName {
  return typeof value === 'string' && (STAGES as readonly string[]).includes(value);
}

/**
 * The stage to synthesize: CDK context `stage` (`cdk synth -c stage=prod`), else `PARCOURS_STAGE`, else `dev`.
 * @example resolveStageName(app.node.tryGetContext('stage')) // 'prod'
 */
export function resolveStageName(contextStage: unknown, env: NodeJS.ProcessEnv = process.env): StageName {
  const stage = contextStage ?? env.PARCOURS_STAGE ?? 'dev';
  if (!isStageName(stage)) throw new InvalidStageConfigError(`unknown stage "${String(stage)}": expected one of ${STAGES.join(', ')}`);
  return stage;
}

/** The environment variable of each per-deployment setting. */
const OVERRIDE_ENV = {
  appUrls: 'PARCOURS_APP_URLS',
  alarmEmail: 'PARCOURS_ALARM_EMAIL',
  staffEmail: 'PARCOURS_STAFF_EMAIL',
  emailDomain: 'PARCOURS_EMAIL_DOMAIN',
  emailFrom: 'PARCOURS_EMAIL_FROM',
  authDomainPrefix: 'PARCOURS_AUTH_DOMAIN_PREFIX',
  /** JSON: `{"siren":"123456789","address":"..."}`. */
  cooperative: 'PARCOURS_COOPERATIVE',
} as const satisfies Record<Exclude<keyof StageOverrides, 'account'>, string>;

/** Every environment variable this module reads: a cached synthesis is reused only while they are unchanged (infra/synth.ts). */
export const CONFIG_ENV_VARS: readonly string[] = ['PARCOURS_STAGE', 'CDK_DEFAULT_ACCOUNT', ...Object.values(OVERRIDE_ENV)];

/**
 * Reads the per-deployment settings: CDK context first (`-c appUrls=https://a,https://b`),
 * then the environment (`PARCOURS_APP_URLS`, `PARCOURS_ALARM_EMAIL`, ...).
 * @example stageOverrides((key) => app.node.tryGetContext(key))
 */
export function stageOverrides(context: (key: string) => unknown, env: NodeJS.ProcessEnv = process.env): StageOverrides {
  const read = (key: string, envName: string): string | undefined => {
    const value = context(key) ?? env[envName];
    if (value === undefined || value === null || value === '') return undefined;
    return Array.isArray(value) ? value.join(',') : String(value);
  };
  const appUrls = read('appUrls', OVERRIDE_ENV.appUrls);
  const cooperative = read('cooperative', OVERRIDE_ENV.cooperative);
  return {
    appUrls: appUrls === undefined ? undefined : appUrls.split(',').map((url) => url.trim()).filter(Boolean),
    alarmEmail: read('alarmEmail', OVERRIDE_ENV.alarmEmail),
    staffEmail: read('staffEmail', OVERRIDE_ENV.staffEmail),
    emailDomain: read('emailDomain', OVERRIDE_ENV.emailDomain),
    emailFrom: read('emailFrom', OVERRIDE_ENV.emailFrom),
    authDomainPrefix: read('authDomainPrefix', OVERRIDE_ENV.authDomainPrefix),
    cooperative: cooperative === undefined ? undefined : parseCooperative(cooperative),
  };
}

function parseCooperative(json: string): Partial<CooperativeSettings> {
  try {
    const value = JSON.parse(json) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
    return value as Partial<CooperativeSettings>;
  } catch (error) {
    throw new InvalidStageConfigError(`cooperative must be a JSON object (${(error as Error).message})`);
  }
}

/**
 * The configuration of one stage, with the operator's overrides applied and checked.
 * @example loadStageConfig('prod').removalPolicy // 'retain'
 */
export function loadStageConfig(stage: string, overrides: StageOverrides = {}): StageConfig {
  if (!isStageName(stage)) throw new InvalidStageConfigError(`unknown stage "${stage}": expected one of ${STAGES.join(', ')}`);
  const { cooperative, ...rest } = overrides;
  const defined = Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== undefined)) as Omit<StageOverrides, 'cooperative'>;
  const config: StageConfig = {
    ...BASE,
    stage,
    authDomainPrefix: `coopconnexion-parcours-${stage}`,
    appUrls: [],
    account: process.env.CDK_DEFAULT_ACCOUNT || undefined,
    ...PER_STAGE[stage],
    ...defined,
    cooperative: mergeCooperative(BASE.cooperative, cooperative),
  };
  validate(config);
  return config;
}

/** The sample identity with the operator's fields over it; a postal address given alone also gives the one-line address. */
export function mergeCooperative(base: CooperativeSettings, override: Partial<CooperativeSettings> = {}): CooperativeSettings {
  const merged = { ...base, ...override };
  if (override.postalAddress && override.address === undefined) merged.address = addressOneLine(override.postalAddress);
  // The sample's VAT number belongs to the sample's SIREN: another SIREN needs its own.
  if (override.siren !== undefined && override.vatNumber === undefined) delete merged.vatNumber;
  return merged;
}

const BIC = /^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$/;

function cooperativeProblems(coop: CooperativeSettings): string[] {
  const problems: string[] = [];
  if (!/^\d{9}$/.test(coop.siren)) problems.push(`cooperative siren "${coop.siren}" must be 9 digits`);
  else if (!isValidSiren(coop.siren)) problems.push(`cooperative siren "${coop.siren}" fails its Luhn key`);
  if (coop.vatMode !== 'franchise' && coop.vatMode !== 'vat') problems.push(`cooperative vatMode "${String(coop.vatMode)}" must be franchise or vat`);
  if (coop.vatMode === 'vat' && coop.vatNumber !== frenchVatNumber(coop.siren)) {
    problems.push(`cooperative vatNumber must be the SIREN's (${frenchVatNumber(coop.siren)}) when vatMode is vat`);
  }
  const required = [coop.name, coop.legalForm, coop.rcs, coop.address, coop.phone, coop.insurance?.insurer, coop.insurance?.policyNumber];
  if (!required.every((v) => typeof v === 'string' && v.trim() !== '')) {
    problems.push('cooperative name, legalForm, rcs, address, phone and insurance (insurer, policyNumber) are required');
  }
  const postal = coop.postalAddress;
  if (!postal || ![postal.line1, postal.city].every((v) => typeof v === 'string' && v.trim() !== '') || !/^\d{5}$/.test(postal.postalCode) || postal.countryCode !== 'FR') {
    problems.push('cooperative postalAddress needs line1, a 5-digit postalCode, city and countryCode FR');
  }
  if (!Number.isInteger(coop.paymentTermsDays) || coop.paymentTermsDays < 0 || coop.paymentTermsDays > 60) problems.push('cooperative paymentTermsDays must be whole days from 0 to 60');
  const iban = checkIban(coop.bank?.iban ?? '');
  if (!iban.valid) problems.push(`cooperative bank iban is invalid (${iban.message})`);
  if (!BIC.test(coop.bank?.bic ?? '')) problems.push(`cooperative bank bic "${coop.bank?.bic}" must be 8 or 11 letters and digits`);
  return problems;
}

function validate(config: StageConfig): void {
  const problems: string[] = [];
  const { remindAfterSeconds, escalateAfterSeconds, expireAfterSeconds, waitlistReviewAfterSeconds } = config.referral;
  const timings = [remindAfterSeconds, escalateAfterSeconds, expireAfterSeconds, waitlistReviewAfterSeconds];
  if (!timings.every((s) => Number.isInteger(s) && s > 0)) problems.push('referral timings must be positive whole seconds');
  if (!(remindAfterSeconds < escalateAfterSeconds && escalateAfterSeconds < expireAfterSeconds)) {
    problems.push('referral timings must be ordered: remind < escalate < expire');
  }
  for (const [name, wait] of Object.entries(config.onboarding) as Array<[string, WaitTimings & { expireAfterSeconds?: number }]>) {
    const seconds = [wait.remindAfterSeconds, wait.escalateAfterSeconds, ...(wait.expireAfterSeconds === undefined ? [] : [wait.expireAfterSeconds])];
    if (!seconds.every((n) => Number.isInteger(n) && n > 0)) problems.push(`onboarding ${name} timings must be positive whole seconds`);
    if (!seconds.every((n, i) => i === 0 || seconds[i - 1] < n)) problems.push(`onboarding ${name} timings must be ordered: remind < escalate${wait.expireAfterSeconds === undefined ? '' : ' < expire'}`);
  }
  const launchSeconds = [config.launch.remindAfterSeconds, config.launch.escalateAfterSeconds];
  if (!launchSeconds.every((n) => Number.isInteger(n) && n > 0)) problems.push('launch timings must be positive whole seconds');
  if (!(config.launch.remindAfterSeconds < config.launch.escalateAfterSeconds)) problems.push('launch timings must be ordered: remind < escalate');
  for (const [programme, rate] of Object.entries(config.contributionRates)) {
    const { minBps, defaultBps, maxBps } = rate;
    if (![minBps, defaultBps, maxBps].every((n) => Number.isInteger(n) && n >= 0 && n <= 10_000)) problems.push(`contribution rates of ${programme} must be whole basis points from 0 to 10000`);
    else if (!(minBps <= defaultBps && defaultBps <= maxBps)) problems.push(`contribution rates of ${programme} must be ordered: min <= default <= max`);
  }
  const coop = config.cooperative;
  problems.push(...cooperativeProblems(coop));
  const { maxAttempts, retryBaseSeconds, leaseSeconds } = config.outbox;
  if (![maxAttempts, retryBaseSeconds, leaseSeconds].every((n) => Number.isInteger(n) && n > 0)) problems.push('outbox retry settings must be positive whole numbers');
  if (leaseSeconds <= LONGEST_SENDER_TIMEOUT_SECONDS) problems.push(`outbox leaseSeconds must be more than ${LONGEST_SENDER_TIMEOUT_SECONDS} (the longest timeout of a function that sends)`);
  const reports = config.deliveryReports;
  if (!Number.isInteger(reports.batchSize) || reports.batchSize < 1 || reports.batchSize > 10_000) problems.push('deliveryReports batchSize must be 1 to 10000');
  if (!Number.isInteger(reports.batchingWindowSeconds) || reports.batchingWindowSeconds < 0 || reports.batchingWindowSeconds > 300) problems.push('deliveryReports batchingWindowSeconds must be 0 to 300');
  else if (reports.batchSize > 10 && reports.batchingWindowSeconds < 1) problems.push('deliveryReports batchingWindowSeconds must be 1 or more for batches of more than 10');
  if (!Number.isInteger(reports.visibilityTimeoutSeconds) || reports.visibilityTimeoutSeconds < DELIVERY_EVENTS_TIMEOUT_SECONDS || reports.visibilityTimeoutSeconds > 43_200) {
    problems.push(`deliveryReports visibilityTimeoutSeconds must be ${DELIVERY_EVENTS_TIMEOUT_SECONDS} (DeliveryEvents' timeout) to 43200`);
  }
  const links = config.personalLinks;
  const linkNumbers = [links.validForSeconds, links.resendAnswerMs, links.resendPerContact.max, links.resendPerContact.windowSeconds, links.resendOverall.max, links.resendOverall.windowSeconds];
  if (!linkNumbers.every((n) => Number.isInteger(n) && n > 0)) problems.push('personal link settings must be positive whole numbers');
  if (!/^[A-Za-z0-9]{3,11}$/.test(config.smsSenderId) || !/[A-Za-z]/.test(config.smsSenderId)) {
    problems.push(`smsSenderId "${config.smsSenderId}" must be 3 to 11 letters or digits, with at least one letter`);
  }
  if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(config.authDomainPrefix) || /aws|amazon|cognito/.test(config.authDomainPrefix)) {
    problems.push(`authDomainPrefix "${config.authDomainPrefix}" must be lowercase letters, digits and hyphens, without aws, amazon or cognito`);
  }
  for (const url of config.appUrls) {
    if (!/^https:\/\/[^/\s]+$/.test(url)) problems.push(`app URL "${url}" must be an https origin without a path or trailing slash`);
  }
  const email = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;
  for (const [name, value] of [['staffEmail', config.staffEmail], ['alarmEmail', config.alarmEmail], ['cooperative email', coop.email]] as const) {
    if (value !== undefined && !email.test(value)) problems.push(`${name} "${value}" is not an email address`);
  }
  const fromAddress = /<([^>]+)>\s*$/.exec(config.emailFrom)?.[1] ?? config.emailFrom;
  if (!email.test(fromAddress) || !fromAddress.toLowerCase().endsWith(`@${config.emailDomain.toLowerCase()}`)) {
    problems.push(`emailFrom "${config.emailFrom}" must be an address on emailDomain "${config.emailDomain}"`);
  }
  const { chunkInvoices, chunksPerStep } = config.invoicingNumbering;
  if (!Number.isInteger(chunkInvoices) || chunkInvoices < 1 || chunkInvoices > MAX_NUMBERING_CHUNK) problems.push(`invoicingNumbering chunkInvoices must be a whole number from 1 to ${MAX_NUMBERING_CHUNK}`);
  if (!Number.isInteger(chunksPerStep) || chunksPerStep < 1) problems.push('invoicingNumbering chunksPerStep must be a positive whole number');
  if (!LOG_RETENTION_DAYS.includes(config.logRetentionDays)) problems.push(`logRetentionDays ${config.logRetentionDays} is not a CloudWatch Logs retention period`);
  if (problems.length > 0) throw new InvalidStageConfigError(`invalid configuration for stage ${config.stage}: ${problems.join('; ')}`);
}
