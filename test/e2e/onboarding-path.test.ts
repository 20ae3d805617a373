import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCloud } from '../support/cloud.js';
import { minorSubmission } from '../support/fixtures.js';
import { recordPersonalValues } from '../support/personal-data.js';
import { driveOnboardingPath } from '../../bench/onboarding-path.js';
import type { ParcoursLocalCloud as LocalCloud } from '../../infra/local-app/profile.js';

/*
 * One whole onboarding on the local cloud (`test` stage timings), through the deployed workflows and the real HTTP
 * APIs: a minor CJS referral accepted, the welcome e-mail's link, a session chosen and attended, the diagnosis, the
 * documents sent from the young person's space (one rejected then accepted), the guardian's consent, the contract
 * accepted by its SHA-256 and countersigned, and the person launch-ready with every message sent once.
 * The path is driven by bench/onboarding-path.ts (also timed by `npm run bench`); this file asserts on its answers.
 */

let cloud: LocalCloud;

beforeAll(async () => {
  cloud = await startTestCloud({ stage: 'test', inMemory: true });
}, 180_000);
afterAll(async () => cloud?.stop());

describe('a whole onboarding on the local cloud', () => {
  it('takes a minor CJS from acceptance to launch-ready through the HTTP APIs, each message sent once', async () => {
    const submission = { ...minorSubmission(), programme: 'cjs' as const, programmeStartDate: '2027-07-01' };
    const path = await driveOnboardingPath(cloud, { submission, onLinkToken: (token) => recordPersonalValues([['link token', token]]) });
    const { answers } = path;

    expect(path.steps.map((s) => s.step)).toEqual(['referral accepted', 'welcome', 'session chosen', 'attendance', 'diagnosis', 'documents', 'consent', 'contract accepted', 'countersigned', 'launch-ready']);
    // The welcome e-mail's personal link opens the young person's space.
    expect(answers.me?.body).toMatchObject({ onboarding: { status: 'active' }, next: { step: 'information-session' } });
    // Information session: chosen among those of the programme, attended.
    expect(answers.sessions?.body.booking.status).toBe('to-choose');
    const sessionId = answers.booking?.body.session.sessionId as string;
    expect(answers.sessions?.body.sessions.map((s: { sessionId: string }) => s.sessionId)).toContain(sessionId);
    expect(answers.booking).toMatchObject({ status: 200, body: { status: 'booked', session: { sessionId } } });
    expect(answers.attendance?.body).toMatchObject({ settled: 'attended' });
    expect(answers.diagnosis?.status).toBe(200);

    // Documents: a minor's checklist has the guardian's identity; the identity document is rejected, sent again, accepted.
    expect(answers.checklist?.body.documents.map((d: { docType: string }) => d.docType)).toEqual(['identity', 'proof-of-situation', 'bank-details', 'guardian-identity']);
    expect(answers.bankDetails?.status).toBe(200);
    expect(answers.uploads.map((u) => u.docType)).toEqual(['identity', 'proof-of-situation', 'bank-details', 'guardian-identity', 'identity']);
    for (const upload of answers.uploads) {
      expect(upload.put, `PUT ${upload.docType}`).toBe(200);
      expect(upload.complete.body.status, upload.docType).toBe('submitted');
    }
    expect(answers.reviews.map((r) => `${r.docType} ${r.outcome} ${r.answer.status}`)).toEqual([
      'identity rejected 200',
      'identity accepted 200',
      'proof-of-situation accepted 200',
      'bank-details accepted 200',
      'guardian-identity accepted 200',
    ]);

    // The guardian consents through their own link.
    expect(answers.guardianPage?.status).toBe(200);
    expect(answers.consent).toMatchObject({ status: 200, body: { outcome: 'consented' } });

    // The young person accepts the exact PDF by its SHA-256; another hash is refused.
    expect(answers.contract?.downloadedSha256).toBe(answers.contract?.view.sha256);
    expect(answers.wrongAcceptance?.status).toBe(409);
    expect(answers.acceptance).toMatchObject({ status: 200, body: { status: 'accepted' } });
    expect(answers.countersign?.status).toBe(200);

    // Launch-ready, the execution over, every message once.
    expect(answers.execution).toBe('SUCCEEDED');
    expect(answers.timeline?.body.person).toMatchObject({ pathStatus: 'launch-ready' });
    expect(answers.contractAfter?.body.status).toBe('countersigned');
    const notifications: Array<{ kind: string; status: string }> = answers.timeline?.body.notifications;
    const sentTwice = (list: string[]) => list.filter((value, i) => list.indexOf(value) !== i);
    expect(sentTwice(path.messages!.emails), 'e-mails sent twice').toEqual([]);
    expect(sentTwice(path.messages!.sms), 'SMS sent twice').toEqual([]);
    expect(notifications.filter((n) => ['pending', 'failed'].includes(n.status) && !n.kind.includes('reminder')), 'messages not sent').toEqual([]);
    console.log(`onboarding path: ${path.totalMs.toFixed(0)} ms (waiting ${path.waitMs.toFixed(0)} ms), ${path.messages!.emails.length} e-mails, ${path.messages!.sms.length} SMS`);
  }, 150_000);
});
