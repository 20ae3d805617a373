import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomInt, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { apiClient, eventually, startTestCloud } from '../support/cloud.js';
import { adultSubmission } from '../support/fixtures.js';
import type { ParcoursLocalCloud as LocalCloud } from '../../infra/local-app/profile.js';

let cloud: LocalCloud;
let sarah: ReturnType<typeof apiClient>;
let thomas: ReturnType<typeof apiClient>;
let camille: ReturnType<typeof apiClient>;

beforeAll(async () => {
  cloud = await startTestCloud({ inMemory: true });
  sarah = apiClient(cloud, 'sarah.benali');
  thomas = apiClient(cloud, 'thomas.leroy');
  camille = apiClient(cloud, 'camille.martin');
});
afterAll(async () => cloud?.stop());

const mobile = () => `+337${String(randomInt(100_000_000)).padStart(8, '0')}`;
const emailsTo = async (address: string) => (await cloud.ses.listEmails()).filter((m) => m.to.includes(address));
const smsTo = (phone: string) => cloud.sms.list().filter((m) => m.destination === phone);
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function submit(client: ReturnType<typeof apiClient>, submission: ReturnType<typeof adultSubmission>) {
  const submitted = await client('POST', '/api/referrals', submission, { 'idempotency-key': randomUUID() });
  expect(submitted.status).toBe(201);
  return submitted.body.referralId as string;
}

async function decide(referralId: string, decision: Record<string, unknown>) {
  const item = await eventually(async () => (await camille('GET', '/api/staff/inbox')).body.items.find((i: { referralId: string }) => i.referralId === referralId), 60_000, 'inbox item');
  expect((await camille('POST', `/api/approvals/${item.approvalId}/decision`, decision)).status).toBe(200);
}

describe('the guardian of a minor', () => {
  it('is e-mailed the decision once, with the reason the young person may read', async () => {
    const guardianEmail = `nadia.${randomUUID()}@example.org`;
    const minor = {
      ...adultSubmission({ birthDate: `${new Date().getFullYear() - 16}-03-02`, phone: mobile() }, 'cjs'),
      guardian: { firstName: 'Nadia', lastName: 'Lefèvre', email: guardianEmail, phone: mobile(), relationship: 'mère' },
    };
    const referralId = await submit(sarah, minor);
    await decide(referralId, { outcome: 'refused', reasonCode: 'territory', messageToYoungPerson: 'Bon courage pour la suite' });

    const subject = `Orientation de ${minor.youngPerson.firstName} vers CoopConnexion : refusée`;
    await eventually(async () => (await emailsTo(guardianEmail)).some((m) => m.subject === subject), 60_000, 'decision e-mail to the guardian');
    await pause(1_500);
    const mails = await emailsTo(guardianEmail);
    expect(mails.map((m) => m.subject).sort()).toEqual([`Orientation de ${minor.youngPerson.firstName} vers CoopConnexion`, subject].sort());
    const decision = mails.find((m) => m.subject === subject)!;
    expect(decision.text).toContain('Bonjour Nadia Lefèvre');
    expect(decision.text).toContain('Motif : Domicile hors du territoire de la coopérative');
    expect(decision.text).not.toContain('Bon courage pour la suite');
    expect(readFileSync(cloud.functionLogFile, 'utf8')).not.toContain(guardianEmail);
  }, 120_000);
});

describe("messages go to the referral's contacts", () => {
  it("sends the fallback after a bounce to the phone given in the referral, never to a sibling's sharing the e-mail", async () => {
    const familyEmail = `famille.${randomUUID()}@bounce.test`;
    const [leaPhone, hugoPhone] = [mobile(), mobile()];
    const lea = adultSubmission({ firstName: 'Léa', email: familyEmail, phone: leaPhone });
    const hugo = adultSubmission({ firstName: 'Hugo', email: familyEmail, phone: hugoPhone, birthDate: '2003-09-30' });
    const leaReferral = await submit(sarah, lea);
    await eventually(async () => smsTo(leaPhone).length === 2, 60_000, "Léa's acknowledgement and fallback SMS");
    const hugoReferral = await submit(thomas, hugo);
    const fallback = await eventually(async () => smsTo(hugoPhone).find((m) => m.body.includes("n'a pas pu vous etre remis")), 60_000, "Hugo's fallback SMS");
    expect(fallback.body).toContain('Votre orientation vers CoopConnexion');
    await pause(1_500);
    expect(smsTo(hugoPhone)).toHaveLength(2);
    expect(smsTo(leaPhone)).toHaveLength(2);

    // Two people, one "doublon possible" for staff; the prescriber of the second was told nothing of the first.
    const [a, b] = await Promise.all([camille('GET', `/api/referrals/${leaReferral}`), camille('GET', `/api/referrals/${hugoReferral}`)]);
    expect(a.body.personId).not.toBe(b.body.personId);
    const flags = (await camille('GET', '/api/staff/duplicates')).body.items.filter((i: { newPerson: { personId: string } }) => i.newPerson.personId === b.body.personId);
    expect(flags).toEqual([expect.objectContaining({ matchedByLabels: ['même e-mail'], knownPerson: expect.objectContaining({ personId: a.body.personId }) })]);
    const seenByThomas = await thomas('GET', `/api/referrals/${hugoReferral}`);
    expect(seenByThomas.text).not.toMatch(/personId|duplicate|Léa|Mission locale/);

    // Confirming them the same person gathers both histories under the known one.
    expect((await camille('POST', `/api/staff/duplicates/${flags[0].duplicateId}/decision`, { decision: 'same-person' })).body).toMatchObject({ status: 'same-person', alreadyDecided: false });
    const timeline = await camille('GET', `/api/people/${b.body.personId}/timeline`);
    expect(timeline.body.person.personId).toBe(a.body.personId);
    expect(timeline.body.referrals.map((r: { referralId: string }) => r.referralId).sort()).toEqual([leaReferral, hugoReferral].sort());
  }, 120_000);
});
