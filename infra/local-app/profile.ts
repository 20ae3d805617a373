import { availableParallelism } from 'node:os';
import { smsSegments } from '../../shared/domain/messages/sms-text.js';
import { ENV } from '../config.js';
import { synthApp } from '../synth.js';
import { startLocalCloud, type LocalCloud, type LocalCloudOptions } from '../local/cloud.js';
import { parcoursClientError } from './client-errors.js';
import { DEMO_USERS } from './demo-users.js';

/** The pages of CoopConnexion Parcours a person opens first; the start-up banner and the local console list them. */
export const PARCOURS_PAGES = {
  home: { label: 'Accueil', path: '/' },
  prescriberForm: { label: 'Formulaire prescripteur', path: '/prescripteur/orienter' },
  prescriberReferrals: { label: 'Orientations du prescripteur', path: '/prescripteur/orientations' },
  staffConsole: { label: 'Console équipe', path: '/equipe' },
  staffMessages: { label: 'Messages et contacts', path: '/equipe/messages' },
} as const;

export type ParcoursPage = keyof typeof PARCOURS_PAGES;

/**
 * Execution environments of the monthly run's step function: one per core, 2 to 4. Its batches (the invoices' PDFs,
 * the SDK's requests) keep a core busy each. On AWS each environment has its own share of a CPU; here they share the
 * machine's, and environments beyond its cores only add isolates to load, JIT and collect (decision 44). The map's
 * MaxConcurrency is the same (4): its other batches wait for an environment.
 */
export const RUN_STEP_ENVIRONMENTS = Math.min(4, Math.max(2, availableParallelism()));

/**
 * What the generic local cloud (`infra/local/`) needs to know of this app: its demo accounts, its pages, how its
 * SMS are counted, where SMS replies go, which function variables point at Cognito's hosted UI, and what the gateway
 * answers a request it could not read.
 */
export const PARCOURS_LOCAL_PROFILE = {
  // The app's synthesis, reused while nothing it reads changed (infra/synth.ts).
  synth: (request) => synthApp(request),
  users: DEMO_USERS,
  pages: PARCOURS_PAGES,
  smsSegments: (body: string) => {
    const counted = smsSegments(body);
    return { segments: counted.segments, encoding: counted.encoding === 'GSM-7' ? 'GSM' : 'UCS2' };
  },
  // The sender id is registered for France (+33): another country's number is refused, as on AWS.
  smsCallingCodes: ['33'],
  // The pages log in against the local issuer instead of the Cognito hosted domain.
  functionEnvironment: (fn, local) => ({
    ...(fn.environment[ENV.authBaseUrl] !== undefined ? { [ENV.authBaseUrl]: local.issuerUrl } : {}),
    ...(fn.environment[ENV.userPoolClientId] !== undefined ? { [ENV.userPoolClientId]: local.clientId } : {}),
  }),
  functionConcurrency: (fn) => (/^InvoicingRunStep[0-9A-F]{8}$/.test(fn.logicalId) ? RUN_STEP_ENVIRONMENTS : undefined),
  // A request the gateway could not read (headers too large, a malformed request line): answered in French.
  clientError: parcoursClientError,
  // The two-way SMS topic is exported as this output (End User Messaging sends replies there on AWS).
  smsInboundTopicArn: (app) => app.outputs.SmsInboundTopicArn,
} satisfies Partial<LocalCloudOptions>;

export type ParcoursLocalCloud = LocalCloud & { pages: Record<ParcoursPage, string> };

/** The local cloud running this app's template, with the app's profile. */
export async function startParcoursCloud(options: LocalCloudOptions = {}): Promise<ParcoursLocalCloud> {
  return (await startLocalCloud({ ...PARCOURS_LOCAL_PROFILE, ...options })) as ParcoursLocalCloud;
}
