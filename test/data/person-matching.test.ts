import { beforeAll, describe, expect, it } from 'vitest';
import { randomInt, randomUUID } from 'node:crypto';
import { GetCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { useFreshAppTable, countItemsOfType } from '../support/dynamodb.js';
import { adultSubmission, prescriberLens, prescriberLievin, staffCamille } from '../support/fixtures.js';
import { submitReferral } from '../../shared/data/referrals.js';
import { decidePossibleDuplicate, getPossibleDuplicate, listOpenPossibleDuplicates } from '../../shared/data/possible-duplicates.js';
import { walkPages } from '../support/paging.js';
import { personReferralStatusUpdate, type PersonRecord } from '../../shared/data/people.js';
import { decide, openApproval } from '../../shared/data/approvals.js';
import { referralDecisions } from '../../shared/data/referral-decisions.js';
import type { Decision } from '../../shared/domain/referral.js';
import type { Staff } from '../../shared/domain/actor.js';

/** Opens the referral's decision as its workflow would. */
async function openReferralApproval(input: { referralId: string; taskToken: string; phase: 'initial' }) {
  const opened = await openApproval(referralDecisions, { subjectId: input.referralId, taskToken: input.taskToken, phase: input.phase, appBaseUrl: '' });
  if (opened.state !== 'waiting') throw new Error('expected an open approval');
  return opened;
}
const decideReferral = (input: { approvalId: string; decision: Decision; staff: Staff }) => decide(referralDecisions, { approvalId: input.approvalId, decision: input.decision, actor: input.staff });
import { getTimeline } from '../../shared/data/timeline.js';
import { possibleDuplicateId } from '../../shared/domain/person-matching.js';
import { keys } from '../../shared/keys.js';

let doc: DynamoDBDocumentClient;
let table: string;

beforeAll(async () => {
  ({ doc, tableName: table } = await useFreshAppTable({ STAFF_EMAIL: 'equipe@coopconnexion.local' }));
});

const countByType = (type: string) => countItemsOfType(doc, table, type);

const mobile = () => `+337${String(randomInt(100_000_000)).padStart(8, '0')}`;
const submit = (submission: ReturnType<typeof adultSubmission>, prescriber = prescriberLens) => submitReferral({ prescriber, submission, idempotencyKey: randomUUID() });
const person = async (personId: string) => (await doc.send(new GetCommand({ TableName: table, Key: keys.person(personId), ConsistentRead: true }))).Item as PersonRecord;
const openFlags = async () => (await walkPages((cursor) => listOpenPossibleDuplicates({ limit: 100, cursor }))).items;
const flagsOf = async (personId: string) => (await openFlags()).filter((f) => f.personId === personId || f.candidatePersonId === personId);

describe('a strong match links the referral to the person', () => {
  it.each([
    ['the same name, birth date and e-mail (another mobile)', (s: ReturnType<typeof adultSubmission>) => ({ phone: mobile(), email: s.youngPerson.email.toUpperCase() }), 'IDENTITY-EMAIL'],
    ['the same name, birth date and mobile (another e-mail)', (s: ReturnType<typeof adultSubmission>) => ({ phone: s.youngPerson.phone, email: `autre.${randomUUID()}@example.org` }), 'IDENTITY-PHONE'],
  ])('on %s', async (_label, contacts, matchedBy) => {
    const first = adultSubmission({ phone: mobile() });
    const a = await submit(first);
    const yp = first.youngPerson;
    const again = adultSubmission({ firstName: yp.firstName.toUpperCase(), lastName: ` ${yp.lastName} `, birthDate: yp.birthDate, ...contacts(first) });
    const b = await submit(again, prescriberLievin);
    expect(b.referral.personId).toBe(a.referral.personId);
    expect(b.referral.duplicate).toEqual({ linked: true, matchedBy: [matchedBy], previousReferrals: 1, possibleDuplicateOf: [] });
    expect(await flagsOf(a.referral.personId)).toEqual([]);
    expect(await person(a.referral.personId)).toMatchObject({ referralCount: 2, referralStatuses: { [a.referral.referralId]: 'pending', [b.referral.referralId]: 'pending' } });
  });

  it('files the person under the new contact too: a third referral with only that one links', async () => {
    const first = adultSubmission({ phone: mobile() });
    const a = await submit(first);
    const newPhone = mobile();
    await submit(adultSubmission({ ...first.youngPerson, phone: newPhone }));
    const third = await submit(adultSubmission({ ...first.youngPerson, email: `x.${randomUUID()}@example.org`, phone: newPhone }));
    expect(third.referral.personId).toBe(a.referral.personId);
  });
});

describe('a weak match creates the person, with one "doublon possible"', () => {
  it("keeps two children of a family sharing an e-mail apart: two people, one flag", async () => {
    const email = `famille.${randomUUID()}@example.org`;
    const lea = await submit(adultSubmission({ firstName: 'Léa', email, phone: mobile() }));
    const hugo = await submit(adultSubmission({ firstName: 'Hugo', email, phone: mobile(), birthDate: '2003-09-30' }));
    expect(hugo.referral.personId).not.toBe(lea.referral.personId);
    expect(hugo.referral.duplicate).toEqual({ linked: false, matchedBy: [], previousReferrals: 0, possibleDuplicateOf: [lea.referral.personId] });
    expect(await flagsOf(hugo.referral.personId)).toEqual([
      expect.objectContaining({ personId: hugo.referral.personId, candidatePersonId: lea.referral.personId, referralId: hugo.referral.referralId, matchedBy: ['EMAIL'], status: 'open' }),
    ]);
    // Hugo referred again is Hugo: a strong match, no new flag.
    const again = await submit(adultSubmission({ firstName: 'Hugo', email, phone: hugo.referral.youngPerson.phone, birthDate: '2003-09-30', lastName: hugo.referral.youngPerson.lastName }));
    expect(again.referral.personId).toBe(hugo.referral.personId);
    expect(await flagsOf(hugo.referral.personId)).toHaveLength(1);
  });

  it('keeps namesakes born the same day with other contacts apart: two people, one flag', async () => {
    const lastName = `Martin-${randomUUID().slice(0, 6)}`;
    const a = await submit(adultSubmission({ firstName: 'Inès', lastName, phone: mobile() }));
    const b = await submit(adultSubmission({ firstName: 'Ines', lastName: lastName.toUpperCase(), phone: mobile() }));
    expect(b.referral.personId).not.toBe(a.referral.personId);
    expect(await flagsOf(b.referral.personId)).toEqual([expect.objectContaining({ candidatePersonId: a.referral.personId, matchedBy: ['IDENTITY'] })]);
  });

  it('raises one flag per person the referral may be', async () => {
    const a = await submit(adultSubmission({ phone: mobile() }));
    const b = await submit(adultSubmission({ phone: mobile() }));
    const c = await submit(adultSubmission({ email: a.referral.youngPerson.email, phone: b.referral.youngPerson.phone }));
    expect((await flagsOf(c.referral.personId)).map((f) => f.candidatePersonId).sort()).toEqual([a.referral.personId, b.referral.personId].sort());
  });
});

describe('under concurrency', () => {
  it('creates exactly one person for each of 100 new people submitted twice at the same moment', async () => {
    const [peopleBefore, flagsBefore] = [await countByType('person'), await countByType('possible-duplicate')];
    const people = Array.from({ length: 100 }, () => adultSubmission({ phone: mobile() }));
    const results = await Promise.all(people.flatMap((p) => [submit({ ...p, projectIdea: `${p.projectIdea} (1)` }), submit({ ...p, projectIdea: `${p.projectIdea} (2)` }, prescriberLievin)]));
    for (let i = 0; i < 100; i++) expect(results[2 * i].referral.personId).toBe(results[2 * i + 1].referral.personId);
    expect(new Set(results.map((r) => r.referral.personId)).size).toBe(100);
    expect(await countByType('person')).toBe(peopleBefore + 100);
    expect(await countByType('possible-duplicate')).toBe(flagsBefore);
  }, 120_000);
});

describe('staff settle a "doublon possible"', () => {
  async function familyPair() {
    const email = `famille.${randomUUID()}@example.org`;
    const known = await submit(adultSubmission({ email, phone: mobile() }));
    const fresh = await submit(adultSubmission({ email, phone: mobile() }), prescriberLievin);
    return { known: known.referral, fresh: fresh.referral, duplicateId: possibleDuplicateId(known.referral.personId, fresh.referral.personId) };
  }

  it('confirmed: one person, one history, later referrals of either record link to it', async () => {
    const { known, fresh, duplicateId } = await familyPair();
    const { approval } = await openReferralApproval({ referralId: known.referralId, taskToken: 't', phase: 'initial' });
    await decideReferral({ approvalId: approval.approvalId, decision: { outcome: 'accepted' }, staff: staffCamille });

    expect(await decidePossibleDuplicate({ duplicateId, decision: 'same-person', staff: staffCamille })).toMatchObject({ alreadyDecided: false, duplicate: { status: 'same-person' } });
    expect(await person(fresh.personId)).toMatchObject({ sameAsPersonId: known.personId });
    for (const id of [known.personId, fresh.personId]) {
      const timeline = await getTimeline(id);
      expect(timeline.person.personId).toBe(known.personId);
      expect(timeline.joinedPersonIds).toEqual([fresh.personId]);
      expect(timeline.referrals.map((r) => r.referralId).sort()).toEqual([known.referralId, fresh.referralId].sort());
      // Accepted on one referral, pending on the other: accepted.
      expect(timeline.pathStatus).toBe('onboarding-to-start');
      expect(timeline.events.filter((e) => e.type === 'duplicate-same-person')).toHaveLength(2);
    }
    expect((await openFlags()).some((f) => f.duplicateId === duplicateId)).toBe(false);

    // The same answer again changes nothing; the other answer is refused.
    expect(await decidePossibleDuplicate({ duplicateId, decision: 'same-person', staff: staffCamille })).toMatchObject({ alreadyDecided: true });
    await expect(decidePossibleDuplicate({ duplicateId, decision: 'different-people', staff: staffCamille })).rejects.toMatchObject({ statusCode: 409 });

    // A strong match on the record that was joined leads to the person it was joined to.
    const later = await submit(adultSubmission({ ...fresh.youngPerson, email: `x.${randomUUID()}@example.org` }));
    expect(later.referral.personId).toBe(known.personId);
  });

  it('kept apart: the flag closes for good and each record keeps its own history', async () => {
    const { known, fresh, duplicateId } = await familyPair();
    expect(await decidePossibleDuplicate({ duplicateId, decision: 'different-people', staff: staffCamille })).toMatchObject({ alreadyDecided: false });
    expect(await decidePossibleDuplicate({ duplicateId, decision: 'different-people', staff: staffCamille })).toMatchObject({ alreadyDecided: true });
    await expect(decidePossibleDuplicate({ duplicateId, decision: 'same-person', staff: staffCamille })).rejects.toMatchObject({ statusCode: 409 });
    expect(await person(fresh.personId)).not.toHaveProperty('sameAsPersonId');
    expect((await getTimeline(fresh.personId)).referrals.map((r) => r.referralId)).toEqual([fresh.referralId]);
    expect((await getTimeline(known.personId)).events.map((e) => e.type)).toContain('duplicate-different-people');
    // The fresh person referred again is a strong match on itself: the pair is not asked about again.
    await submit(adultSubmission({ ...fresh.youngPerson }));
    expect((await flagsOf(fresh.personId)).filter((f) => f.status === 'open')).toEqual([]);
  });

  it('lets one of racing answers win; retries of it are no-ops, the other answer a 409', async () => {
    const { fresh, duplicateId } = await familyPair();
    const results = await Promise.allSettled([
      ...Array.from({ length: 3 }, () => decidePossibleDuplicate({ duplicateId, decision: 'same-person', staff: staffCamille })),
      ...Array.from({ length: 3 }, () => decidePossibleDuplicate({ duplicateId, decision: 'different-people', staff: staffCamille })),
    ]);
    const flag = await getPossibleDuplicate(duplicateId);
    const winner = flag!.status;
    const fulfilled = results.flatMap((r, i) => (r.status === 'fulfilled' ? [{ i, ...r.value }] : []));
    expect(fulfilled.filter((r) => !r.alreadyDecided)).toHaveLength(1);
    for (const r of fulfilled) expect(r.duplicate.status).toBe(winner);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ statusCode: 409 });
    expect(Boolean((await person(fresh.personId)).sameAsPersonId)).toBe(winner === 'same-person');
  });

  it('answers 404 for a pair that was never flagged', async () => {
    await expect(decidePossibleDuplicate({ duplicateId: possibleDuplicateId(randomUUID(), randomUUID()), decision: 'same-person', staff: staffCamille })).rejects.toMatchObject({ statusCode: 404 });
  });
});

describe("each referral's status is recorded on the person", () => {
  it('by one map entry per referral, so concurrent writes about two referrals both stay', async () => {
    const first = adultSubmission({ phone: mobile() });
    const a = await submit(first);
    const b = await submit(adultSubmission({ ...first.youngPerson }));
    const now = new Date().toISOString();
    await Promise.all([
      doc.send(new TransactWriteCommand({ TransactItems: [personReferralStatusUpdate(table, a.referral.personId, a.referral.referralId, 'accepted', now)] })),
      doc.send(new TransactWriteCommand({ TransactItems: [personReferralStatusUpdate(table, a.referral.personId, b.referral.referralId, 'refused', now)] })),
    ]);
    expect((await person(a.referral.personId)).referralStatuses).toEqual({ [a.referral.referralId]: 'accepted', [b.referral.referralId]: 'refused' });
  });

  it('keeps an accepted young person accepted when referred again and refused', async () => {
    const first = adultSubmission({ phone: mobile() });
    const a = await submit(first);
    const { approval } = await openReferralApproval({ referralId: a.referral.referralId, taskToken: 't1', phase: 'initial' });
    await decideReferral({ approvalId: approval.approvalId, decision: { outcome: 'accepted' }, staff: staffCamille });
    const b = await submit(adultSubmission({ ...first.youngPerson }), prescriberLievin);
    expect(b.referral.personId).toBe(a.referral.personId);
    const second = await openReferralApproval({ referralId: b.referral.referralId, taskToken: 't2', phase: 'initial' });
    await decideReferral({ approvalId: second.approval.approvalId, decision: { outcome: 'refused', reasonCode: 'duplicate' }, staff: staffCamille });
    expect((await getTimeline(a.referral.personId)).pathStatus).toBe('onboarding-to-start');
  });
});
