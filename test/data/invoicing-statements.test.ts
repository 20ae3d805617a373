import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { useMessagingAndDocuments } from '../support/messaging.js';
import { launchReadyReferral } from '../support/activities.js';
import { adultSubmission, launchFile, staffCamille } from '../support/fixtures.js';
import { business, individual, issueOneInvoice } from '../support/invoicing.js';
import { countItemsOfType } from '../support/dynamodb.js';
import { pdfText } from '../support/pdf-text.js';
import { activityMemberPuts, createActivity, memberOf } from '../../shared/data/activities.js';
import { cancelInvoice } from '../../shared/data/invoicing/credit-notes.js';
import { recordPayment } from '../../shared/data/invoicing/payments.js';
import { getStatement, issueMonthlyStatements, listStatementsOfActivity, listStatementsOfPerson } from '../../shared/data/invoicing/statements.js';
import type { ReferralRecord } from '../../shared/data/referrals.js';
import { readObject } from '../../shared/storage/objects.js';

/** DynamoDB Local, the local SES and the local S3 (the documents bucket as the stack declares it), by the real clients. */
const local = useMessagingAndDocuments();

const staff = { id: 'staff-camille', name: 'Camille' };
const NOW = new Date('2031-04-01T08:00:00Z');
const mailsTo = async (to: string) => (await local().ses.listEmails()).filter((mail) => mail.to.includes(to));
const pay = (invoiceId: string, amountCents: number, date: string) => recordPayment({ invoiceId, paymentId: `p-${randomUUID()}`, amountCents, date, means: 'virement', by: staff });
const pdfOf = async (key: string) => pdfText((await readObject(key))!);

/** A launched-like personal activity of a young person (10 % contribution, the programme's default). */
async function personalActivity(): Promise<{ activityId: string; referral: ReferralRecord }> {
  const referral = await launchReadyReferral(local().doc, local().table, adultSubmission());
  const { activity } = await createActivity({ shape: 'personal', referralId: referral.referralId, file: launchFile('2031-01-01'), actor: staffCamille });
  return { activityId: activity.activity.activityId, referral };
}

describe('the monthly statement of a personal activity', () => {
  it("shows the month's invoices and credit notes, the payments received, the contribution and what is left, in the PDF and the e-mail", async () => {
    const { activityId, referral } = await personalActivity();
    const month = '2031-03';
    // Two invoices of March issued on 1 April, one of them cancelled by a credit note of March... issued the same day.
    // Numbers follow the issue dates: the older invoice first.
    const older = await issueOneInvoice(local().doc, local().table, { activityId, grossCents: 8_000, month: '2031-02', issueDate: '2031-02-28', dueDate: '2031-03-30' });
    const a = await issueOneInvoice(local().doc, local().table, { activityId, grossCents: 40_000, month, issueDate: '2031-03-31', dueDate: '2031-04-30', customer: business() });
    const b = await issueOneInvoice(local().doc, local().table, { activityId, grossCents: 12_345, month, issueDate: '2031-03-31', dueDate: '2031-04-30', customer: individual('Mme Durand') });
    await cancelInvoice({ invoiceId: b.invoiceId, issueDate: '2031-03-31', reason: 'Prestation annulée', by: staff });
    // A payment in March of an older invoice counts; one in April does not.
    await pay(older.invoiceId, 8_000, '2031-03-15');
    await pay(a.invoiceId, 10_000, '2031-04-02');

    const { statement, created, sent } = await issueMonthlyStatements({ activityId, month, now: NOW });
    expect(created).toBe(true);
    expect(sent).toBe(1);
    // 400 € + 123,45 € - 123,45 € (credit note) = 400 € of revenue, 10 % contribution, 360 € left.
    expect(statement.statement).toMatchObject({ revenueExclVatCents: 40_000, invoicedNetCents: 52_345, creditedNetCents: 12_345, paymentsReceivedCents: 8_000, leftCents: 36_000, contribution: { rateBps: 1000, contributionCents: 4_000 } });
    expect(statement.statement.documents.map((d) => d.kind).sort()).toEqual(['credit-note', 'invoice', 'invoice']);
    const [copy] = statement.members;
    expect(copy).toMatchObject({ personId: referral.personId, referralId: referral.referralId, leftCents: 36_000 });
    expect(copy!.pdfKey).toMatch(new RegExp(`^statements/${month}/${activityId}/${referral.referralId}-[0-9a-f]{16}\\.pdf$`));

    const text = await pdfOf(copy!.pdfKey);
    for (const expected of ['RELEVÉ MENSUEL', 'Mois : mars 2031', 'Jardins Léa', 'Boulangerie Dupont SARL', 'Mme Durand', 'Avoir', '400,00', '-123,45', '80,00', 'Contribution de la coopérative (10 %', '40,00', 'Ce qui vous reste', '360,00']) {
      expect(text).toContain(expected);
    }
    expect(text).not.toContain('100,00');

    const [mail, ...others] = await mailsTo(referral.youngPerson.email);
    expect(others).toEqual([]);
    expect(mail!.subject).toBe('Votre relevé de mars 2031 : Les jardins de Léa');
    expect(mail!.text).toContain('- ce qui vous reste : 360,00\u00a0€');
    expect(mail!.attachments.map((f) => [f.fileName, f.contentType])).toEqual([['releve-2031-03.pdf', 'application/pdf']]);
    expect(mail!.attachments[0]!.content.equals(Buffer.from((await readObject(copy!.pdfKey))!))).toBe(true);

    // Readable later: by the activity and month, in the activity's list, in the person's space.
    expect(await getStatement(activityId, month)).toEqual(statement);
    expect((await listStatementsOfActivity(activityId)).map((s) => s.month)).toEqual([month]);
    expect(await listStatementsOfPerson(referral.personId)).toEqual([
      expect.objectContaining({ activityId, month, activityName: 'Les jardins de Léa', leftCents: 36_000, contributionCents: 4_000, paymentsReceivedCents: 8_000, pdfKey: copy!.pdfKey }),
    ]);
  });

  it('is idempotent: a retry or a concurrent call writes and sends nothing twice', async () => {
    const { activityId, referral } = await personalActivity();
    await issueOneInvoice(local().doc, local().table, { activityId, grossCents: 20_000, month: '2031-05', issueDate: '2031-05-31', dueDate: '2031-06-30' });
    const statementsBefore = await countItemsOfType(local().doc, local().table, 'statement');
    const results = await Promise.all([1, 2, 3].map(() => issueMonthlyStatements({ activityId, month: '2031-05', now: NOW })));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const again = await issueMonthlyStatements({ activityId, month: '2031-05', now: new Date('2031-06-02T08:00:00Z') });
    expect(again).toMatchObject({ created: false, sent: 0 });
    // Every call answers the one statement written, whose PDF is the one it points at.
    const written = results.find((r) => r.created)!.statement;
    for (const r of [...results, again]) expect(r.statement).toEqual(written);
    expect(await countItemsOfType(local().doc, local().table, 'statement')).toBe(statementsBefore + 1);
    expect(await listStatementsOfPerson(referral.personId)).toHaveLength(1);
    expect(await mailsTo(referral.youngPerson.email)).toHaveLength(1);
    expect(await pdfOf(written.members[0]!.pdfKey)).toContain('180,00');
  });
});

describe('the monthly statement of a collective activity', () => {
  it("shows each member the collective's result and the even split, their share marked, and sends each their own", async () => {
    const { activity } = await createActivity({ shape: 'collective', programme: 'jeunes-majeurs', file: launchFile('2031-01-01', { name: 'Collectif du Louvre', tradeName: 'Louvre Services' }), actor: staffCamille });
    const activityId = activity.activity.activityId;
    const referrals = [];
    for (const firstName of ['Aïcha', 'Bruno', 'Chloé']) referrals.push(await launchReadyReferral(local().doc, local().table, adultSubmission({ firstName }, 'jeunes-majeurs')));
    for (const [i, referral] of referrals.entries()) {
      const member = memberOf(activity.activity, referral, 'member', `2031-01-0${i + 1}T10:00:00.000Z`);
      await local().doc.send(new TransactWriteCommand({ TransactItems: activityMemberPuts(local().table, activity.activity, member) }));
    }
    await issueOneInvoice(local().doc, local().table, { activityId, grossCents: 100_001, month: '2031-06', issueDate: '2031-06-30', dueDate: '2031-07-30' });

    const { statement } = await issueMonthlyStatements({ activityId, month: '2031-06', now: NOW });
    const rate = activity.activity.contributionRateBps;
    const contribution = Math.floor((2 * 100_001 * rate + 10_000) / 20_000);
    const result = 100_001 - contribution;
    const base = Math.floor(result / 3);
    const expectedShares = [0, 1, 2].map((i) => base + (i < result - 3 * base ? 1 : 0));
    expect(statement.statement.contribution).toMatchObject({ contributionCents: contribution, resultCents: result, shares: referrals.map((r, i) => ({ memberId: r.referralId, cents: expectedShares[i] })) });
    expect(statement.members.map((m) => m.leftCents)).toEqual(expectedShares);
    expect(expectedShares.reduce((a, b) => a + b, 0)).toBe(result);

    const euros = (cents: number) => `${Math.floor(cents / 100)},${String(cents % 100).padStart(2, '0')}`;
    for (const [i, referral] of referrals.entries()) {
      const copy = statement.members[i]!;
      const text = await pdfOf(copy.pdfKey);
      expect(text).toContain("Résultat de l'entreprise collective");
      expect(text).toContain('Partage du résultat entre les 3 membres');
      expect(text).toContain(`${referral.youngPerson.firstName} ${referral.youngPerson.lastName} (vous)`);
      for (const other of referrals.filter((r) => r !== referral)) expect(text).not.toContain(`${other.youngPerson.firstName} ${other.youngPerson.lastName} (vous)`);
      expect(text).toContain(euros(expectedShares[i]!));
      const [mail, ...others] = await mailsTo(referral.youngPerson.email);
      expect(others).toEqual([]);
      expect(mail!.text).toContain(`- ce qui vous reste : ${euros(expectedShares[i]!)}\u00a0€`);
      expect((await listStatementsOfPerson(referral.personId)).map((s) => s.leftCents)).toEqual([expectedShares[i]]);
    }
  });
});

describe('the monthly statements of a member of two activities', () => {
  it('sends each activity its own e-mail the same day: a second statement is not a repeat of the first', async () => {
    const { activityId: personalId, referral } = await personalActivity();
    const { activity } = await createActivity({ shape: 'collective', programme: 'jeunes-majeurs', file: launchFile('2031-01-01', { name: 'Collectif des Deux', tradeName: 'Deux Services' }), actor: staffCamille });
    const member = memberOf(activity.activity, referral, 'member', '2031-01-02T10:00:00.000Z');
    await local().doc.send(new TransactWriteCommand({ TransactItems: activityMemberPuts(local().table, activity.activity, member) }));
    for (const activityId of [personalId, activity.activity.activityId]) {
      await issueOneInvoice(local().doc, local().table, { activityId, grossCents: 5_000, month: '2031-09', issueDate: '2031-09-30', dueDate: '2031-10-30' });
      expect((await issueMonthlyStatements({ activityId, month: '2031-09', now: NOW })).sent).toBe(1);
    }
    expect((await mailsTo(referral.youngPerson.email)).map((mail) => mail.subject).sort()).toEqual(['Votre relevé de septembre 2031 : Collectif des Deux', 'Votre relevé de septembre 2031 : Les jardins de Léa']);
    expect(await listStatementsOfPerson(referral.personId)).toHaveLength(2);
  });
});
