import { createHash, randomUUID } from 'node:crypto';
import { parisDateTime } from '../../shared/domain/sessions.js';
import type { ReferralSubmission } from '../../shared/domain/referral.js';
import { eventually } from './eventually.js';

/*
 * Drives an onboarding through the HTTP API as the people of the path do it: the referrer submits, staff accept,
 * the young person follows the welcome e-mail's personal link, chooses a session, sends the documents (a PUT to
 * the presigned URL of S3), accepts the contract by its SHA-256; staff record the attendance, the interview, the
 * reviews and the countersignature; the guardian consents through their link.
 * Without vitest (plain errors), so that a script outside the test runner can drive a path too.
 */

export interface ApiAnswer {
  status: number;
  body: any;
  text: string;
}
/** One HTTP call to the app's API, as one person (a staff or referrer account, or anonymous with `headers`). */
export type ApiCall = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<ApiAnswer>;

export interface Mail {
  to: string[];
  subject: string;
  text?: string;
}

export interface OnboardingWorld {
  referrer: ApiCall;
  staff: ApiCall;
  anonymous: ApiCall;
  /** Every e-mail the local SES accepted. */
  emails(): Promise<Mail[]>;
  /** Moves a session's start into the past: attendance is recorded only once the session began. */
  startSession(sessionId: string): Promise<void>;
  /** Given each personal-link token read from a mail (tests record it for the end-of-run log check). */
  onToken?(token: string): void;
  /** How long a step may take to show (default 60 s: a loaded machine runs cold functions slowly). */
  timeoutMs?: number;
}

export interface PendingUpload {
  docType: string;
  uploadId: string;
  url: string;
  headers: Record<string, string>;
  bytes: Buffer;
}

/** A small valid PDF, distinct per label. */
export const samplePdf = (label: string) => Buffer.from(`%PDF-1.4\n% ${label}\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n`);

/** The answer, or an error naming the call when its status is not the expected one. */
export async function expectStatus(answer: Promise<ApiAnswer>, status: number, what: string): Promise<ApiAnswer> {
  const got = await answer;
  if (got.status !== status) throw new Error(`${what}: HTTP ${got.status} instead of ${status}: ${got.text.slice(0, 300)}`);
  return got;
}

export function onboardingDriver(world: OnboardingWorld) {
  const timeoutMs = world.timeoutMs ?? 60_000;
  const { staff, anonymous } = world;
  const withLink = (token: string): ApiCall => (method, path, body, headers = {}) => anonymous(method, path, body, { ...headers, 'x-parcours-link': token });

  const driver = {
    /** Submitted by the referrer: the referralId. */
    async submit(submission: ReferralSubmission): Promise<string> {
      const submitted = await expectStatus(world.referrer('POST', '/api/referrals', submission, { 'idempotency-key': randomUUID() }), 201, 'referral submitted');
      return submitted.body.referralId as string;
    },

    /** The inbox entries of these referrals' decisions, once all are there (one listing per try). */
    async inboxItems(referralIds: string[]): Promise<Array<{ approvalId: string; personId: string; referralId: string }>> {
      return eventually(
        async () => {
          const items = (await staff('GET', '/api/staff/inbox?limit=100')).body.items as Array<{ approvalId: string; personId: string; referralId: string }>;
          const found = referralIds.map((id) => items.find((i) => i.referralId === id));
          return found.every(Boolean) ? (found as Array<{ approvalId: string; personId: string; referralId: string }>) : undefined;
        },
        timeoutMs,
        'the referrals in the inbox',
      );
    },

    /** Staff accept a referral from its inbox entry: the onboarding starts. */
    async acceptReferral(item: { approvalId: string }): Promise<void> {
      await expectStatus(staff('POST', `/api/approvals/${item.approvalId}/decision`, { outcome: 'accepted' }), 200, 'referral accepted');
    },

    /** Submitted by the referrer and accepted by staff from the inbox: the onboarding starts. */
    async accept(submission: ReferralSubmission): Promise<{ referralId: string; personId: string }> {
      const [item] = await driver.inboxItems([await driver.submit(submission)]);
      await driver.acceptReferral(item!);
      return { referralId: item!.referralId, personId: item!.personId };
    },

    /** The token of the personal link in the first e-mail to `address` that carries one for `page`. */
    async link(address: string, page: 'mon-parcours' | 'tuteur'): Promise<string> {
      const pattern = new RegExp(`/${page}#([A-Za-z0-9_-]{43})`);
      const mail = await eventually(async () => (await world.emails()).find((m) => m.to.includes(address) && pattern.test(m.text ?? '')), timeoutMs, `an e-mail with the /${page} link`);
      const token = pattern.exec(mail.text ?? '')![1]!;
      world.onToken?.(token);
      return token;
    },

    /** The API as the holder of a personal link (young person or guardian). */
    withLink,

    /**
     * Staff create one session in two days, each young person books it, it begins, staff record them present.
     * @example await drive.attendSession(['cjs'], [{ referralId, young: me }])
     */
    async attendSession(programmes: string[], people: Array<{ referralId: string; young: ApiCall }>): Promise<string> {
      const inTwoDays = parisDateTime(new Date(Date.now() + 2 * 86_400_000).toISOString());
      const created = await expectStatus(
        staff('POST', '/api/staff/sessions', { date: inTwoDays.date, time: '14:00', place: 'Maison des associations, Lens', capacity: 8, programmes }),
        201,
        'session created',
      );
      const sessionId = created.body.sessionId as string;
      for (const { young } of people) await expectStatus(young('PUT', '/api/me/session', { sessionId }), 200, 'session booked');
      await world.startSession(sessionId);
      for (const { referralId } of people) {
        const attended = await expectStatus(staff('POST', `/api/staff/sessions/${sessionId}/attendance`, { referralId, attendance: 'present' }), 200, 'attendance');
        if (attended.body.settled !== 'attended') throw new Error(`attendance settled ${attended.body.settled}`);
      }
      return sessionId;
    },

    async recordDiagnosis(referralId: string): Promise<void> {
      await expectStatus(
        staff('PUT', `/api/staff/onboarding/${referralId}/diagnosis`, { action: 'record', goals: 'Créer sa coopérative d’été.', skills: 'Jardinage, contact.', needs: 'Transport.' }),
        200,
        'diagnosis recorded',
      );
    },

    async saveBankDetails(young: ApiCall, holder: string): Promise<void> {
      await expectStatus(young('PUT', '/api/me/bank-details', { iban: 'FR76 3000 6000 0112 3456 7890 189', holder }), 200, 'bank details');
    },

    /** The young person's phone declares a file and gets the presigned PUT (not sent yet). */
    async startUpload(young: ApiCall, docType: string): Promise<PendingUpload> {
      const bytes = samplePdf(`${docType} ${randomUUID()}`);
      const started = await expectStatus(young('POST', `/api/me/documents/${docType}/uploads`, { contentType: 'application/pdf', size: bytes.length, fileName: `${docType}.pdf` }), 201, `upload of ${docType}`);
      return { docType, uploadId: started.body.uploadId, url: started.body.url, headers: started.body.headers, bytes };
    },

    /** The file PUT to S3, then the upload completed (the file checked and submitted for review). */
    async finishUpload(young: ApiCall, upload: PendingUpload): Promise<void> {
      const put = await fetch(upload.url, { method: 'PUT', headers: upload.headers, body: new Uint8Array(upload.bytes) });
      if (put.status !== 200) throw new Error(`PUT of ${upload.docType}: HTTP ${put.status}`);
      const completed = await expectStatus(young('POST', `/api/me/uploads/${upload.uploadId}/complete`), 200, `upload of ${upload.docType} completed`);
      if (completed.body.status !== 'submitted') throw new Error(`upload of ${upload.docType}: ${completed.body.status}`);
    },

    async sendDocument(young: ApiCall, docType: string): Promise<void> {
      await driver.finishUpload(young, await driver.startUpload(young, docType));
    },

    async review(referralId: string, docType: string, decision: { outcome: 'accepted' } | { outcome: 'rejected'; reasonCode: string }): Promise<void> {
      await expectStatus(staff('POST', `/api/staff/documents/${referralId}/${docType}/review`, decision), 200, `review of ${docType}`);
    },

    /** The guardian reads the consent text and consents, by its SHA-256. */
    async consent(guardian: ApiCall, submission: ReferralSubmission): Promise<void> {
      const page = await expectStatus(guardian('GET', '/api/guardian'), 200, 'guardian page');
      const consent = await expectStatus(
        guardian('POST', '/api/guardian/consent', {
          outcome: 'consented',
          textSha256: page.body.textSha256,
          signerName: `${submission.guardian!.firstName} ${submission.guardian!.lastName}`,
          relationship: 'Mère',
          imageRights: true,
        }),
        200,
        'guardian consent',
      );
      if (consent.body.outcome !== 'consented') throw new Error(`consent recorded as ${consent.body.outcome}`);
    },

    /** Once prepared, the contract's PDF is downloaded, its SHA-256 checked against the API's, and accepted. */
    async acceptContract(young: ApiCall): Promise<{ sha256: string; downloadUrl: string }> {
      const contract = await eventually(
        async () => {
          const view = await young('GET', '/api/me/contract');
          return view.body?.status !== 'not-ready' && view.body?.sha256 ? (view.body as { sha256: string; downloadUrl: string }) : undefined;
        },
        timeoutMs,
        'the contract prepared',
      );
      const pdf = Buffer.from(await (await fetch(contract.downloadUrl)).arrayBuffer());
      if (createHash('sha256').update(pdf).digest('hex') !== contract.sha256) throw new Error('the downloaded contract is not the one the API names');
      const accepted = await expectStatus(young('POST', '/api/me/contract/acceptance', { sha256: contract.sha256 }), 200, 'contract accepted');
      if (accepted.body.status !== 'accepted') throw new Error(`contract ${accepted.body.status}`);
      return contract;
    },

    /** The countersignature's entry in the staff inbox, once the contract waits for it. */
    async countersignItem(referralId: string): Promise<{ approvalId: string }> {
      return eventually(
        async () =>
          (await staff('GET', '/api/staff/inbox?kind=contract-countersign&limit=100')).body.items.find((i: { referralId?: string; subjectId?: string }) => (i.referralId ?? i.subjectId) === referralId),
        timeoutMs,
        'the countersignature in the inbox',
      );
    },

    /** Staff countersign from their inbox, through the generic decision route. */
    async countersign(referralId: string): Promise<void> {
      const item = await driver.countersignItem(referralId);
      await expectStatus(staff('POST', `/api/approvals/${item.approvalId}/decision`, { outcome: 'countersigned' }), 200, 'countersigned');
    },
  };
  return driver;
}
