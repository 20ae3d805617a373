import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCloud } from '../support/cloud.js';
import { countSentMessages, deliveredMessages, duplicatesIn, faultRunFigures, runFaultPaths, type FaultRunReport } from '../../bench/fault-paths.js';
import { adultSubmission } from '../support/fixtures.js';
import type { ParcoursLocalCloud as LocalCloud } from '../../infra/local-app/profile.js';

// 10 % of the functions' calls to DynamoDB, SES, SMS and Step Functions fail, with AWS's errors: throttling,
// 5xx, timeouts, and a 5xx after the write happened. The `test` stage's deadlines are seconds long.
// Each service draws its faults from its own sequence of the seed (infra/local/faults.ts): with this seed, every kind
// of fault a service has comes within its first 32 calls, and the run makes more than twice that many of each (SMS,
// the fewest, ~75). The first test checks that each kind did reach each service.
const FAULTS = { dynamodb: 0.1, ses: 0.1, sms: 0.1, stepfunctions: 0.1, seed: 20262340, timeoutMs: 300 };
// The bench runs 200 paths (`npm run bench`); the suite keeps its time down with fewer, the same mix.
const PATHS = 40;
const ONBOARDING_SUBJECTS = ['Votre accueil à CoopConnexion commence', "Choisissez votre réunion d'information"];

let cloud: LocalCloud;
let report: FaultRunReport;

beforeAll(async () => {
  cloud = await startTestCloud({ stage: 'test', inMemory: true, faults: FAULTS });
  report = await runFaultPaths(cloud, { paths: PATHS, concurrency: 12, settleTimeoutMs: 300_000, submission: adultSubmission });
  // The bench's figures (where the time went, the faults injected): the test asserts below, never on a time.
  for (const line of await faultRunFigures(cloud, report, { concurrency: 12, share: '10 %' })) console.log(line);
}, 420_000);
afterAll(async () => cloud?.stop());

describe(`${PATHS} referral paths at 10 % faults`, () => {
  it('injected every kind of fault into every service', () => {
    const stats = cloud.faults.stats();
    for (const service of ['dynamodb', 'ses', 'sms', 'stepfunctions'] as const) {
      // A 5xx after the write exists for DynamoDB and Step Functions only.
      const kinds = service === 'ses' || service === 'sms' ? (['throttle', 'error', 'timeout'] as const) : (['throttle', 'error', 'timeout', 'after'] as const);
      for (const kind of kinds) expect(stats[service][kind], `${service} ${kind}`).toBeGreaterThan(0);
    }
  });

  it('never answered a person with a 5xx once their request was retried, and ended no execution FAILED', () => {
    expect(report.answers.givenUp ?? 0).toBe(0);
    expect(report.executionsByStatus).toMatchObject({ RUNNING: 0, FAILED: 0, TIMED_OUT: 0, ABORTED: 0 });
    expect(report.executionsByStatus.SUCCEEDED).toBe(PATHS);
  });

  it('ends every path decided or expired, with no approval left open and no referral without its workflow', async () => {
    const statuses = [...report.finalStatus.values()];
    expect(statuses.every((s) => ['accepted', 'refused', 'expired'].includes(s))).toBe(true);
    expect(statuses.filter((s) => s === 'expired').length).toBeGreaterThanOrEqual(PATHS / 5);
    const inbox = await cloud.documentClient.send(
      new (await import('@aws-sdk/lib-dynamodb')).QueryCommand({ TableName: cloud.tableName, IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :pk', ExpressionAttributeValues: { ':pk': 'INBOX#APPROVAL' } }),
    );
    expect(inbox.Items ?? []).toEqual([]);
    const awaited = await cloud.documentClient.send(
      new (await import('@aws-sdk/lib-dynamodb')).QueryCommand({ TableName: cloud.tableName, IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :pk', ExpressionAttributeValues: { ':pk': 'WORKFLOW#AWAITED' } }),
    );
    expect(awaited.Items ?? []).toEqual([]);
  });

  it('decided at random among every outcome, while the deadlines expired the paths left alone', () => {
    expect(report.decisions).toMatchObject({ accepted: expect.any(Number), refused: expect.any(Number), waitlisted: expect.any(Number) });
    expect(report.paths.filter((p) => p.intended === 'expire').every((p) => report.finalStatus.get(p.referralId) === 'expired')).toBe(true);
  });

  it('sent every decision and every expiry exactly once per recipient and channel', async () => {
    expect(duplicatesIn(report)).toEqual([]);
    // Each message a provider accepted reached the local SES or SMS once: messages sent per cause, exactly 1.
    expect(deliveredMessages(report)).toBe(await countSentMessages(cloud));
    for (const path of report.paths) {
      const status = report.finalStatus.get(path.referralId);
      // An acceptance also starts the onboarding: its welcome and session invitation (each carrying the personal
      // link) are counted apart, once at most per path (their exactly-once is checked by duplicatesIn above).
      const onboardingMail = (m: { subject: string }) => ONBOARDING_SUBJECTS.includes(m.subject);
      const onboardingSms = (m: { body: string }) => m.body.includes('/mon-parcours#');
      const allToYoung = report.mails.filter((m) => m.to.includes(path.email));
      const allSmsToYoung = report.sms.filter((m) => m.destination === path.phone);
      const toYoung = allToYoung.filter((m) => !onboardingMail(m));
      const smsToYoung = allSmsToYoung.filter((m) => !onboardingSms(m));
      if (status !== 'accepted') {
        expect(allToYoung.filter(onboardingMail), path.reference).toEqual([]);
        expect(allSmsToYoung.filter(onboardingSms), path.reference).toEqual([]);
      } else {
        for (const subject of ONBOARDING_SUBJECTS) expect(allToYoung.filter((m) => m.subject === subject).length, path.reference).toBeLessThanOrEqual(1);
        expect(allSmsToYoung.filter(onboardingSms).length, path.reference).toBeLessThanOrEqual(ONBOARDING_SUBJECTS.length);
      }
      const aboutIt = report.mails.filter((m) => m.text?.includes(path.reference));
      if (status === 'expired') {
        expect(aboutIt.filter((m) => m.subject.startsWith('Orientation expirée')), path.reference).toHaveLength(1);
        // The acknowledgement only.
        expect(toYoung, path.reference).toHaveLength(1);
        expect(smsToYoung, path.reference).toHaveLength(1);
      } else {
        const decisions = aboutIt.filter((m) => m.subject.startsWith("Décision sur l'orientation"));
        // One decision to the prescriber, or two when the referral went through the waiting list.
        expect([1, 2], path.reference).toContain(decisions.length);
        expect(toYoung.length, path.reference).toBe(1 + decisions.length);
        expect(smsToYoung.length, path.reference).toBe(1 + decisions.length);
      }
    }
  });
});
