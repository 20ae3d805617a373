import { createHash, randomUUID } from 'node:crypto';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { parisDateTime } from '../shared/domain/sessions.js';
import { defaultProgrammeStart } from '../shared/domain/programmes.js';
import { keys } from '../shared/keys.js';
import type { ReferralSubmission } from '../shared/domain/referral.js';
import type { ParcoursLocalCloud } from '../infra/local-app/profile.js';
import { benchSubmission } from './fault-paths.js';

/**
 * One whole onboarding driven through the HTTP APIs the way people do it, on a local cloud of the `test` stage:
 * a referral accepted, the welcome e-mail's personal link, a session chosen and attended, the diagnosis, the
 * documents of the young person's checklist (the identity document rejected once, sent again, accepted), a minor's
 * guardian consenting through their own link, the contract accepted by its SHA-256 and countersigned, the person
 * launch-ready. It times each step and the share of it spent waiting for the asynchronous side (the engine's
 * ticks, the functions it runs, the outbox) to show, and returns every answer the end-to-end test asserts on
 * (test/e2e/onboarding-path.test.ts); `npm run bench` prints the times (section 8).
 * It throws when an answer leaves it no way to go on (an unexpected status), saying which step.
 */

export const ONBOARDING_PATH_STEPS = [
  'referral accepted',
  'welcome',
  'session chosen',
  'attendance',
  'diagnosis',
  'documents',
  'consent',
  'contract accepted',
  'countersigned',
  'launch-ready',
] as const;
export type OnboardingPathStep = (typeof ONBOARDING_PATH_STEPS)[number];

/**
 * What the driver needs of a local cloud. The in-process cloud (`startParcoursCloud`, `startTestCloud`) is given as
 * it is; a cloud running in another process is given through these few calls.
 */
export interface OnboardingPathCloud {
  /** The origin of the pages and the API. */
  appUrl: string;
  /** An ID token of a demo user (by username). */
  idToken(username: string): string | Promise<string>;
  emails(): Promise<Array<{ to: string[]; subject: string; text?: string }>>;
  sms(): Promise<Array<{ destination: string; body: string }>>;
  /** Sets a session's start (staff record attendance once the session has started). */
  setSessionStart(sessionId: string, startsAt: string): Promise<void>;
  /** Waits until the onboarding execution of the referral is no longer running; its status. */
  onboardingEnded(referralId: string, timeoutMs: number): Promise<string>;
}

export interface OnboardingPathOptions {
  /** A valid submission; with a guardian, the path has the guardian's consent. */
  submission: ReferralSubmission;
  /** Stops once this step is done (a path left half-way, for a restart test). */
  stopAfter?: OnboardingPathStep;
  /** The report of a run that stopped half-way: this run goes on from the step after its last one (same submission). */
  resume?: OnboardingPathReport;
  /** Called with each personal link token the driver reads from a message (the tests record it for the log scan). */
  onLinkToken?: (token: string) => void;
  /** Longest wait for one asynchronous outcome (a message, an inbox item, the contract, the execution's end); 60 s by default (a loaded machine). */
  waitTimeoutMs?: number;
}

/** One HTTP answer: its status and JSON body. */
export interface Answer {
  status: number;
  // The bodies of a dozen routes: the test asserts on their shapes.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

export interface StepTiming {
  step: OnboardingPathStep;
  ms: number;
  /** Time spent polling for an asynchronous outcome that had not shown yet. */
  waitMs: number;
}

export interface OnboardingPathReport {
  referralId: string;
  personId: string;
  /** The young person's personal link, once read from the welcome e-mail (what a resumed run goes on with). */
  linkToken?: string;
  minor: boolean;
  /** The steps done, in order (a path without guardian has no `consent`). */
  steps: StepTiming[];
  totalMs: number;
  waitMs: number;
  /** What each step answered, for the test's assertions (absent: the step was not reached). */
  answers: {
    me?: Answer;
    sessions?: Answer;
    booking?: Answer;
    attendance?: Answer;
    diagnosis?: Answer;
    /** The young person's checklist before any upload. */
    checklist?: Answer;
    bankDetails?: Answer;
    uploads: Array<{ docType: string; put: number; complete: Answer }>;
    reviews: Array<{ docType: string; outcome: string; answer: Answer }>;
    guardianPage?: Answer;
    consent?: Answer;
    /** The contract as the young person's space shows it once prepared, and the SHA-256 of the PDF downloaded from it. */
    contract?: { view: Record<string, string>; downloadedSha256: string };
    wrongAcceptance?: Answer;
    acceptance?: Answer;
    countersign?: Answer;
    execution?: string;
    timeline?: Answer;
    contractAfter?: Answer;
  };
  /** Messages the young person and the guardian received, once the path is launch-ready (links replaced in SMS). */
  messages?: { emails: string[]; sms: string[] };
}

/** The driver's view of the in-process local cloud. */
export function inProcessCloud(cloud: ParcoursLocalCloud): OnboardingPathCloud {
  const machine = cloud.app.stateMachines.find((m) => m.logicalId.startsWith('OnboardingStateMachine'))!;
  return {
    appUrl: cloud.urls.app,
    idToken: (username) => cloud.issuer.mintIdToken(username),
    emails: () => cloud.ses.listEmails(),
    sms: async () => cloud.sms.list(),
    setSessionStart: async (sessionId, startsAt) => {
      await cloud.documentClient.send(
        new UpdateCommand({ TableName: cloud.tableName, Key: keys.session(sessionId), UpdateExpression: 'SET startsAt = :at', ExpressionAttributeValues: { ':at': startsAt } }),
      );
    },
    onboardingEnded: (referralId, timeoutMs) =>
      cloud.engine.waitForStatus(`${machine.arn.replace(':stateMachine:', ':execution:')}:onboarding-${referralId}`, { timeoutMs, until: (s) => s !== 'RUNNING' }),
  };
}

const PDF = (label: string) => Buffer.from(`%PDF-1.4\n% ${label}\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n`);
const LAUNCH_READY_SUBJECT = 'Votre accueil est terminé : place au lancement de votre activité';

export async function driveOnboardingPath(target: ParcoursLocalCloud | OnboardingPathCloud, options: OnboardingPathOptions): Promise<OnboardingPathReport> {
  const cloud = 'appUrl' in target ? target : inProcessCloud(target);
  const timeoutMs = options.waitTimeoutMs ?? 60_000;
  const { submission } = options;
  const young = submission.youngPerson;
  const guardianContact = submission.guardian;
  const tokens = { sarah: await cloud.idToken('sarah.benali'), camille: await cloud.idToken('camille.martin') };
  const request = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> => {
    const response = await fetch(new URL(path, cloud.appUrl), {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };
  const staff = (who: keyof typeof tokens) => (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    request(method, path, body, { authorization: `Bearer ${tokens[who]}`, ...headers });
  const sarah = staff('sarah');
  const camille = staff('camille');
  /** The answer, if its status is the expected one; otherwise the path cannot go on. */
  const must = (answer: Answer, status: number, what: string) => {
    if (answer.status !== status) throw new Error(`onboarding path: ${what} answered ${answer.status} (expected ${status}): ${JSON.stringify(answer.body)?.slice(0, 300)}`);
    return answer;
  };

  let stepWaitMs = 0;
  /** Polls `probe` until it gives a value; the time before the probe that gave it counts as waiting. */
  const waitFor = async <T>(probe: () => Promise<T | undefined | false>, what: string): Promise<T> => {
    const started = performance.now();
    for (;;) {
      const probeStarted = performance.now();
      const value = await probe();
      if (value !== undefined && value !== false) {
        stepWaitMs += probeStarted - started;
        return value as T;
      }
      if (probeStarted - started > timeoutMs) throw new Error(`onboarding path: timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 150));
    }
  };
  const mailsTo = async (address: string) => (await cloud.emails()).filter((m) => m.to.includes(address));
  const linkIn = async (address: string, page: 'mon-parcours' | 'tuteur', what: string) => {
    const mail = await waitFor(async () => (await mailsTo(address)).find((m) => m.text?.includes(`/${page}#`)), what);
    const token = new RegExp(`/${page}#([A-Za-z0-9_-]{43})`).exec(mail.text ?? '')![1]!;
    options.onLinkToken?.(token);
    return token;
  };

  const answers: OnboardingPathReport['answers'] = { uploads: [], reviews: [] };
  let referralId = options.resume?.referralId ?? '';
  let personId = options.resume?.personId ?? '';
  let sessionId = '';
  let linkToken = options.resume?.linkToken;
  const withLink = (token: string) => (method: string, path: string, body?: unknown) => request(method, path, body, { 'x-parcours-link': token });
  let me: (method: string, path: string, body?: unknown) => Promise<Answer> = linkToken ? withLink(linkToken) : () => Promise.reject(new Error('no personal link yet'));
  let messages: OnboardingPathReport['messages'];

  const plan: Array<[OnboardingPathStep, () => Promise<void>]> = [
    ['referral accepted', async () => {
      const submitted = must(await sarah('POST', '/api/referrals', submission, { 'idempotency-key': randomUUID() }), 201, 'the submission');
      referralId = submitted.body.referralId as string;
      const item = await waitFor(async () => (await camille('GET', '/api/staff/inbox?limit=100')).body.items.find((i: { referralId: string }) => i.referralId === referralId), 'the referral in the inbox');
      personId = item.personId as string;
      must(await camille('POST', `/api/approvals/${item.approvalId}/decision`, { outcome: 'accepted' }), 200, 'the acceptance');
    }],
    // The welcome e-mail's personal link opens the young person's space.
    ['welcome', async () => {
      linkToken = await linkIn(young.email, 'mon-parcours', 'the welcome e-mail with the personal link');
      me = withLink(linkToken);
      answers.me = await me('GET', '/api/me');
    }],
    // Staff create a session of the programme; the young person chooses it.
    ['session chosen', async () => {
      const inTwoDays = parisDateTime(new Date(Date.now() + 2 * 86_400_000).toISOString());
      const created = must(await camille('POST', '/api/staff/sessions', { date: inTwoDays.date, time: '14:00', place: 'Maison des associations, Lens', capacity: 8, programmes: [submission.programme] }, { 'idempotency-key': randomUUID() }), 201, 'the session');
      sessionId = created.body.sessionId as string;
      answers.sessions = await me('GET', '/api/me/sessions');
      answers.booking = must(await me('PUT', '/api/me/session', { sessionId }), 200, 'the session chosen');
    }],
    // The hour comes; staff record them present.
    ['attendance', async () => {
      await cloud.setSessionStart(sessionId, new Date(Date.now() - 60_000).toISOString());
      answers.attendance = must(await camille('POST', `/api/staff/sessions/${sessionId}/attendance`, { referralId, attendance: 'present' }), 200, 'the attendance');
    }],
    // Staff record the interview (once its wait is open, it settles it).
    ['diagnosis', async () => {
      answers.diagnosis = must(
        await camille('PUT', `/api/staff/onboarding/${referralId}/diagnosis`, { action: 'record', goals: 'Créer sa coopérative d’été.', skills: 'Jardinage, contact.', needs: 'Transport.' }),
        200,
        'the diagnosis',
      );
    }],
    // Every document of the checklist sent from the phone; the identity document rejected, sent again, then all accepted.
    ['documents', async () => {
      answers.checklist = must(await me('GET', '/api/me/documents'), 200, 'the checklist');
      const docTypes = (answers.checklist.body.documents as Array<{ docType: string }>).map((d) => d.docType);
      const upload = async (docType: string) => {
        const bytes = PDF(`${docType} ${randomUUID()}`);
        const started = must(await me('POST', `/api/me/documents/${docType}/uploads`, { contentType: 'application/pdf', size: bytes.length, fileName: `${docType}.pdf` }), 201, `the upload of ${docType}`);
        const put = await fetch(started.body.url, { method: 'PUT', headers: started.body.headers, body: bytes });
        await put.arrayBuffer();
        const complete = must(await me('POST', `/api/me/uploads/${started.body.uploadId}/complete`, {}), 200, `the completed upload of ${docType}`);
        answers.uploads.push({ docType, put: put.status, complete });
      };
      const review = async (docType: string, body: { outcome: string; reasonCode?: string }) => {
        const answer = must(await camille('POST', `/api/staff/documents/${referralId}/${docType}/review`, body), 200, `the review of ${docType}`);
        answers.reviews.push({ docType, outcome: body.outcome, answer });
      };
      if (docTypes.includes('bank-details')) answers.bankDetails = must(await me('PUT', '/api/me/bank-details', { iban: 'FR76 3000 6000 0112 3456 7890 189', holder: `${young.firstName} ${young.lastName}` }), 200, 'the bank details');
      for (const docType of docTypes) await upload(docType);
      await review('identity', { outcome: 'rejected', reasonCode: 'illegible' });
      await waitFor(async () => (await mailsTo(young.email)).some((m) => m.text?.includes('/mon-parcours#') && /refus|illisible/i.test(`${m.subject} ${m.text}`)), 'the rejection e-mail');
      await upload('identity');
      for (const docType of docTypes) await review(docType, { outcome: 'accepted' });
    }],
    // The guardian consents through their own link.
    ['consent', async () => {
      const guardianToken = await linkIn(guardianContact!.email, 'tuteur', "the guardian's consent e-mail");
      const guardian = withLink(guardianToken);
      answers.guardianPage = must(await guardian('GET', '/api/guardian'), 200, "the guardian's page");
      answers.consent = must(
        await guardian('POST', '/api/guardian/consent', { outcome: 'consented', textSha256: answers.guardianPage.body.textSha256, signerName: `${guardianContact!.firstName} ${guardianContact!.lastName}`, relationship: 'Mère', imageRights: true }),
        200,
        'the consent',
      );
    }],
    // The contract is prepared; the young person accepts the exact PDF by its SHA-256 (another hash is refused).
    ['contract accepted', async () => {
      const view = await waitFor(async () => {
        const answer = await me('GET', '/api/me/contract');
        return answer.body.status !== 'not-ready' && answer.body.sha256 ? (answer.body as Record<string, string>) : undefined;
      }, 'the contract prepared');
      const pdf = Buffer.from(await (await fetch(view.downloadUrl)).arrayBuffer());
      answers.contract = { view, downloadedSha256: createHash('sha256').update(pdf).digest('hex') };
      answers.wrongAcceptance = await me('POST', '/api/me/contract/acceptance', { sha256: 'f'.repeat(64) });
      answers.acceptance = must(await me('POST', '/api/me/contract/acceptance', { sha256: view.sha256 }), 200, 'the acceptance of the contract');
    }],
    // Staff countersign from their inbox, through the generic decision route.
    ['countersigned', async () => {
      const countersign = await waitFor(
        async () => (await camille('GET', '/api/staff/inbox?kind=contract-countersign&limit=100')).body.items.find((i: { referralId?: string; subjectId?: string }) => (i.referralId ?? i.subjectId) === referralId),
        'the countersignature in the inbox',
      );
      answers.countersign = must(await camille('POST', `/api/approvals/${countersign.approvalId}/decision`, { outcome: 'countersigned' }), 200, 'the countersignature');
    }],
    // The execution over, the person launch-ready, the last message sent.
    ['launch-ready', async () => {
      const waitStarted = performance.now();
      answers.execution = await cloud.onboardingEnded(referralId, timeoutMs);
      stepWaitMs += performance.now() - waitStarted;
      answers.timeline = await camille('GET', `/api/people/${personId}/timeline`);
      answers.contractAfter = await me('GET', '/api/me/contract');
      await waitFor(async () => (await mailsTo(young.email)).some((m) => m.subject === LAUNCH_READY_SUBJECT), 'the launch-ready e-mail');
      const contacts = [young, ...(guardianContact ? [guardianContact] : [])];
      const emails: string[] = [];
      for (const contact of contacts) emails.push(...(await mailsTo(contact.email)).map((m) => `${m.to.join()} ${m.subject}`));
      const phones = contacts.map((c) => c.phone);
      const sms = (await cloud.sms()).filter((m) => phones.includes(m.destination)).map((m) => `${m.destination} ${m.body.replace(/https?:\S+/g, '<lien>')}`);
      messages = { emails, sms };
    }],
  ];

  const started = performance.now();
  const steps: StepTiming[] = [];
  const doneBefore = new Set(options.resume?.steps.map((s) => s.step));
  for (const [step, run] of plan) {
    if ((step === 'consent' && !guardianContact) || doneBefore.has(step)) continue;
    const stepStarted = performance.now();
    stepWaitMs = 0;
    await run();
    steps.push({ step, ms: performance.now() - stepStarted, waitMs: stepWaitMs });
    if (step === options.stopAfter) break;
  }
  return {
    referralId,
    personId,
    linkToken,
    minor: Boolean(guardianContact),
    steps,
    totalMs: performance.now() - started,
    waitMs: steps.reduce((sum, s) => sum + s.waitMs, 0),
    answers,
    messages,
  };
}

/** The bench's submissions: an adult of the individual accompaniment or of the jeunes-majeurs, or a CJS minor with their guardian. */
export function onboardingBenchSubmission(kind: 'accompagnement' | 'jeunes-majeurs' | 'cjs'): ReferralSubmission {
  const adult = { ...benchSubmission(), programme: kind };
  if (kind !== 'cjs') return adult;
  const n = randomUUID().slice(0, 6);
  return {
    ...adult,
    programmeStartDate: defaultProgrammeStart('cjs'),
    youngPerson: { ...adult.youngPerson, birthDate: `${new Date().getUTCFullYear() - 16}-03-15`, situation: 'etudiant' },
    guardian: { firstName: 'Nadia', lastName: `Bench-${n}`, email: `tuteur.${randomUUID()}@example.org`, phone: `+337${adult.youngPerson.phone.slice(-8)}`, relationship: 'Mère' },
  };
}

const LABELS = { accompagnement: 'individual accompaniment, adult', 'jeunes-majeurs': 'jeunes-majeurs, adult', cjs: 'CJS minor with guardian' } as const;

/**
 * The lines `npm run bench` prints (figures, not assertions): a first CJS path while the functions' environments
 * start (cold), then one path of each programme on warm environments, one after the other.
 */
export async function onboardingPathFigures(cloud: ParcoursLocalCloud): Promise<string[]> {
  const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const lines = ['\nonboarding paths on a local cloud of the `test` stage, through the HTTP APIs, one at a time (wait: polling for an asynchronous outcome not shown yet)'];
  const runs = [['cjs', 'cold'], ['accompagnement', 'warm'], ['jeunes-majeurs', 'warm'], ['cjs', 'warm']] as const;
  for (const [kind, environments] of runs) {
    const report = await driveOnboardingPath(cloud, { submission: onboardingBenchSubmission(kind) });
    const ready = report.answers.execution === 'SUCCEEDED' && report.answers.timeline?.body.person?.pathStatus === 'launch-ready';
    lines.push(
      `  ${LABELS[kind]}, functions ${environments}: ${seconds(report.totalMs)} (wait ${seconds(report.waitMs)}, ${((100 * report.waitMs) / report.totalMs).toFixed(0)} %), ` +
        `${ready ? 'launch-ready' : `NOT launch-ready (execution ${report.answers.execution})`}, ${report.messages?.emails.length ?? 0} e-mails, ${report.messages?.sms.length ?? 0} SMS`,
    );
    lines.push(`    ${report.steps.map((s) => `${s.step} ${seconds(s.ms)} (wait ${seconds(s.waitMs)})`).join(', ')}`);
  }
  return lines;
}
