import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { useMessagingAndDocuments } from '../support/messaging.js';
import { launchReadyReferral } from '../support/activities.js';
import { adultSubmission, launchFile, staffCamille } from '../support/fixtures.js';
import { business, individual, issueOneInvoice } from '../support/invoicing.js';
import { countItemsOfType } from '../support/dynamodb.js';
import { pdfText } from '../support/pdf-text.js';
import { activityMemberPuts, createActivity, memberOf } from '../../shared/data/activities.js';
import { cancelInvoice } from '../../shared/data/invoicing/credit-notes.js';
import { getInvoice } from '../../shared/data/invoicing/invoices.js';
import { activitiesWithPaymentsIn, recordPayment } from '../../shared/data/invoicing/payments.js';
import { recordRefund } from '../../shared/data/invoicing/refunds.js';
import { getStatement, issueManyMonthlyStatements, issueMonthlyStatements, listStatementsOfActivity, listStatementsOfPerson, statementCause, statementPdf, type StatementRecord } from '../../shared/data/invoicing/statements.js';
import { keys } from '../../shared/keys.js';
import { resolveLink } from '../../shared/data/personal-links.js';
import type { ReferralRecord } from '../../shared/data/referrals.js';
import { memberStatement, statementKeyFigures, statementPdfKey } from '../../shared/domain/invoicing/statement.js';
import { formatEuros } from '../../shared/domain/money.js';
import { DOCUMENTS_BUCKET } from '../support/documents-s3.js';
import { putObject, readObject } from '../../shared/storage/objects.js';

/** DynamoDB Local, the local SES and the local S3 (the documents bucket as the stack declares it), by the real clients. */
const local = useMessagingAndDocuments();

const staff = { id: 'staff-camille', name: 'Camille' };
const NOW = new Date('2031-04-01T08:00:00Z');
const mailsTo = async (to: string) => (await local().ses.listEmails()).filter((mail) => mail.to.includes(to));
const pay = (invoiceId: string, amountCents: number, date: string) => recordPayment({ invoiceId, paymentId: `p-${randomUUID()}`, amountCents, date, means: 'virement', by: staff });
/** A member's statement PDF as their space serves it (rendered and stored when first opened), as text. */
const pdfOf = async (record: StatementRecord, member = 0) => pdfText((await statementPdf(record, record.members[member]!))!.bytes);
/** The keys the documents bucket holds under a prefix (a test client: the functions may not list it). */
async function keysUnder(prefix: string): Promise<string[]> {
  const s3 = new S3Client({ forcePathStyle: true, endpoint: process.env.AWS_ENDPOINT_URL_S3, region: 'eu-west-3', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: DOCUMENTS_BUCKET, Prefix: prefix }));
  return (listed.Contents ?? []).map((o) => o.Key!);
}
/** The personal link's token a statement e-mail carries, and the page it opens. */
function linkIn(text: string | undefined): { page: string; token: string } {
  const found = /(\/ma-facturation\?[^\s#]+)#([A-Za-z0-9_.-]+)/.exec(text ?? '');
  expect(found, 'a personal link to the statement').not.toBeNull();
  return { page: found![1]!, token: found![2]! };
}

/** A launched-like personal activity of a young person (10 % contribution, the programme's default). */
async function personalActivity(): Promise<{ activityId: string; referral: ReferralRecord }> {
  const referral = await launchReadyReferral(local().doc, local().table, adultSubmission());
  const { activity } = await createActivity({ shape: 'personal', referralId: referral.referralId, file: launchFile('2031-01-01'), actor: staffCamille });
  return { activityId: activity.activity.activityId, referral };
}

describe('the monthly statement of a personal activity', () => {
  it("shows the month's invoices and credit notes, the payments received, the contribution and what is left: the key figures and a link by e-mail, the whole in the PDF", async () => {
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
    // The record holds what its PDF shows, the cooperative's name as it was included; no PDF is made at issue.
    expect(copy).toEqual({ personId: referral.personId, referralId: referral.referralId, name: expect.any(String), leftCents: 36_000 });
    expect(statement.cooperativeName).toBe('CoopConnexion');
    expect(await keysUnder(`statements/${month}/${activityId}/`)).toEqual([]);

    const [mail, ...others] = await mailsTo(referral.youngPerson.email);
    expect(others).toEqual([]);
    expect(mail!.subject).toBe('Votre relevé de mars 2031 : Les jardins de Léa');
    expect(mail!.text).toContain('est disponible dans votre espace');
    expect(mail!.text).toContain('- ce qui vous reste : 360,00\u00a0€');
    expect(mail!.attachments).toEqual([]);

    // The PDF, rendered when first opened, holds the whole statement.
    const text = await pdfOf(statement);
    for (const expected of ['RELEVÉ MENSUEL', 'Mois : mars 2031', 'Jardins Léa', 'CoopConnexion', 'Édité le 01/04/2031', 'Boulangerie Dupont SARL', 'Mme Durand', 'Avoir', '400,00', '-123,45', '80,00', 'Contribution de la coopérative (10 %', '40,00', 'Ce qui vous reste', '360,00']) {
      expect(text).toContain(expected);
    }
    expect(text).not.toContain('100,00');

    // Readable later: by the activity and month, in the activity's list, in the person's space.
    expect(await getStatement(activityId, month)).toEqual(statement);
    expect((await listStatementsOfActivity(activityId)).map((s) => s.month)).toEqual([month]);
    const [listed] = await listStatementsOfPerson(referral.personId);
    expect(listed).toMatchObject({ activityId, month, activityName: 'Les jardins de Léa', leftCents: 36_000, contributionCents: 4_000, paymentsReceivedCents: 8_000 });
    expect(listed!.pdfKey).toBeUndefined();
  });

  it("e-mails the record's figures and the member's personal link to the month's statement in their space", async () => {
    const { activityId, referral } = await personalActivity();
    const month = '2033-07';
    const invoice = await issueOneInvoice(local().doc, local().table, { activityId, grossCents: 23_456, month, issueDate: '2033-07-31', dueDate: '2033-08-30' });
    await pay(invoice.invoiceId, 10_001, '2033-07-31');
    const { statement } = await issueMonthlyStatements({ activityId, month, now: new Date('2033-08-01T08:00:00Z') });

    // The record's figures, as stored: the e-mail gives exactly these.
    const { revenueExclVatCents, vatCents, paymentsReceivedCents, contribution } = statement.statement;
    expect([revenueExclVatCents, paymentsReceivedCents]).toEqual([23_456, 10_001]);
    const [mail] = await mailsTo(referral.youngPerson.email);
    expect(mail!.text).toContain(
      [
        `- facturé à vos clients (avoirs déduits) : ${formatEuros(revenueExclVatCents)} HT, ${formatEuros(revenueExclVatCents + vatCents)} TTC`,
        `- paiements reçus : ${formatEuros(paymentsReceivedCents)}`,
        `- contribution de la coopérative : ${formatEuros(contribution.contributionCents)}`,
        `- ce qui vous reste : ${formatEuros(statement.members[0]!.leftCents)}`,
      ].join('\n'),
    );
    expect(statementKeyFigures(memberStatement(statement, statement.members[0]!))).toEqual({
      invoicedExclVatCents: revenueExclVatCents,
      invoicedInclVatCents: revenueExclVatCents + vatCents,
      receivedCents: paymentsReceivedCents,
      refundedCents: 0,
      contributionCents: contribution.contributionCents,
      leftCents: statement.members[0]!.leftCents,
    });
    // The link opens "Ma facturation" on this activity and month, for this young person, for the stage's 14 days
    // (its own year of numbers: issue dates go forward within a year).
    const { page, token } = linkIn(mail!.text);
    expect(page).toBe(`/ma-facturation?activite=${activityId}&mois=${month}`);
    expect(mail!.text).toContain('Il est valable 14 jours');
    const opened = await resolveLink(token, 'young-person');
    expect(opened).toMatchObject({ personId: referral.personId, referralId: referral.referralId });
    await expect(resolveLink(token, 'young-person', new Date('2033-08-14T08:00:00Z'))).resolves.toBeDefined();
    await expect(resolveLink(token, 'young-person', new Date('2033-08-15T08:00:01Z'))).rejects.toMatchObject({ reason: 'expired' });
    // The outbox keeps the placeholder, never the link; the message goes with no file.
    const { Item: message } = await local().doc.send(new GetCommand({ TableName: local().table, Key: keys.notification(referral.personId, `${statementCause(activityId, month)}#young#email`) }));
    expect(message).toMatchObject({ status: 'sent', personalLink: 'young-person', linkPage: `/ma-facturation?activite=${activityId}&mois=${month}` });
    expect(message!.body).toContain('{{lien-personnel}}');
    expect(JSON.stringify(message)).not.toContain(token);
    expect(JSON.stringify(message)).not.toContain(token.slice(0, 43));
    expect(message!.attachments).toBeUndefined();
  });

  it('renders a PDF on its first opening only: stored then, served from S3 after, one object for concurrent first openings', async () => {
    const { activityId, referral } = await personalActivity();
    const month = '2033-08';
    await issueOneInvoice(local().doc, local().table, { activityId, grossCents: 15_000, month, issueDate: '2033-08-31', dueDate: '2033-09-30' });
    const { statement } = await issueMonthlyStatements({ activityId, month, now: new Date('2033-09-01T08:00:00Z') });
    const [copy] = statement.members;
    const key = statementPdfKey(month, activityId, referral.referralId);
    expect(await readObject(key)).toBeUndefined();

    const first = (await statementPdf(statement, copy!))!;
    expect(first.rendered).toBe(true);
    expect(Buffer.from((await readObject(key))!).equals(Buffer.from(first.bytes))).toBe(true);
    const text = await pdfText(first.bytes);
    for (const expected of ['Mois : août 2033', '150,00', '15,00', '135,00']) expect(text).toContain(expected);
    // The second opening serves what S3 holds, whatever it holds: nothing is rendered again.
    const second = (await statementPdf(statement, copy!))!;
    expect(second.rendered).toBe(false);
    expect(Buffer.from(second.bytes).equals(Buffer.from(first.bytes))).toBe(true);
    await putObject(key, Buffer.from('%PDF-1.7 stored'), 'application/pdf');
    expect(Buffer.from((await statementPdf(statement, copy!))!.bytes).toString()).toBe('%PDF-1.7 stored');

    // Another month, opened three times at once before any PDF is stored: the same bytes for all, one object.
    const { statement: next } = await issueMonthlyStatements({ activityId, month: '2033-09', now: new Date('2033-10-01T08:00:00Z') });
    const together = await Promise.all([1, 2, 3].map(() => statementPdf(next, next.members[0]!)));
    expect(await keysUnder(`statements/2033-09/${activityId}/`)).toEqual([statementPdfKey('2033-09', activityId, referral.referralId)]);
    const stored = Buffer.from((await readObject(statementPdfKey('2033-09', activityId, referral.referralId)))!);
    for (const answer of together) expect(Buffer.from(answer!.bytes).equals(stored)).toBe(true);
    // The record stays as issued.
    expect(await getStatement(activityId, month)).toEqual(statement);
  });

  it('is issued for a month with payments but no invoice: the payments received, no revenue, and what is left', async () => {
    const { activityId, referral } = await personalActivity();
    // Its own year of numbers (issue dates go forward within a year). A January invoice paid in part in January, then the rest in February; February has no invoice.
    const january = await issueOneInvoice(local().doc, local().table, { activityId, grossCents: 30_000, month: '2032-01', issueDate: '2032-01-31', dueDate: '2032-03-02' });
    const number = (await getInvoice(january.invoiceId))!.number!;
    await pay(january.invoiceId, 10_000, '2032-01-31');
    await pay(january.invoiceId, 12_500, '2032-02-10');
    await pay(january.invoiceId, 2_500, '2032-03-01');
    // The run finds it among the activities paid in February, though it has no February invoice.
    expect(await activitiesWithPaymentsIn('2032-02')).toContain(activityId);
    expect(await activitiesWithPaymentsIn('2032-04')).not.toContain(activityId);

    const { statement, created } = await issueMonthlyStatements({ activityId, month: '2032-02', now: new Date('2032-03-01T07:00:00Z') });
    expect(created).toBe(true);
    // Only February's payment: not January's nor March's.
    expect(statement.statement).toMatchObject({ documents: [], revenueExclVatCents: 0, paymentsReceivedCents: 12_500, leftCents: 0, contribution: { contributionCents: 0 } });
    expect(statement.statement.payments).toEqual([{ invoiceNumber: number, date: '2032-02-10', amountCents: 12_500, meansLabel: 'virement' }]);
    const text = await pdfOf(statement);
    for (const expected of ['Mois : février 2032', 'Aucune facture ce mois-ci.', '10/02/2032', number, '125,00', 'Ce qui vous reste']) expect(text).toContain(expected);
    const [mail] = await mailsTo(referral.youngPerson.email);
    expect(mail!.subject).toBe('Votre relevé de février 2032 : Les jardins de Léa');
    expect(await listStatementsOfPerson(referral.personId)).toEqual([expect.objectContaining({ month: '2032-02', paymentsReceivedCents: 12_500, revenueExclVatCents: 0, leftCents: 0 })]);
  });

  it('shows the refunds given back to customers beside the payments, the money received net of them, and leaves the revenue, contribution and what is left to the credit note', async () => {
    const { activityId, referral } = await personalActivity();
    // Its own year of numbers. Two February invoices (300 € and 200 €); the first paid in full, cancelled by a credit
    // note on the 15th, 100 € given back on the 20th and the other 200 € on 3 March; the second paid 50 €.
    const cancelled = await issueOneInvoice(local().doc, local().table, { activityId, grossCents: 30_000, month: '2034-02', issueDate: '2034-02-10', dueDate: '2034-03-12' });
    const kept = await issueOneInvoice(local().doc, local().table, { activityId, grossCents: 20_000, month: '2034-02', issueDate: '2034-02-10', dueDate: '2034-03-12' });
    await pay(cancelled.invoiceId, 30_000, '2034-02-12');
    await pay(kept.invoiceId, 5_000, '2034-02-25');
    const { creditNote } = await cancelInvoice({ invoiceId: cancelled.invoiceId, issueDate: '2034-02-15', reason: 'Erreur de client', by: staff });
    const giveBack = (amountCents: number, date: string) => recordRefund({ invoiceId: cancelled.invoiceId, refundId: `r-${randomUUID()}`, amountCents, date, means: 'cheque', by: staff });
    await giveBack(10_000, '2034-02-20');
    await giveBack(20_000, '2034-03-03');
    const number = (await getInvoice(cancelled.invoiceId))!.number!;

    const { statement: february } = await issueMonthlyStatements({ activityId, month: '2034-02', now: new Date('2034-03-01T07:00:00Z') });
    // Invoiced 500 €, credited 300 €: the revenue is 200 €, its contribution 20 €, 180 € left, as without any refund
    // (the credit note took the cancelled invoice off); the money: 350 € received, 100 € given back, 250 € net.
    expect(february.statement).toMatchObject({ invoicedNetCents: 50_000, creditedNetCents: 30_000, revenueExclVatCents: 20_000, paymentsReceivedCents: 35_000, refundedCents: 10_000, leftCents: 18_000, contribution: { contributionCents: 2_000 } });
    expect(february.statement.refunds).toEqual([{ creditNoteNumber: creditNote.number, invoiceNumber: number, date: '2034-02-20', amountCents: 10_000, meansLabel: 'chèque' }]);
    const [mail] = await mailsTo(referral.youngPerson.email);
    expect(mail!.text).toContain('- paiements reçus : 350,00\u00a0€\n- remboursé à vos clients : 100,00\u00a0€\n- contribution de la coopérative : 20,00\u00a0€\n- ce qui vous reste : 180,00\u00a0€');
    const text = await pdfOf(february);
    for (const expected of ['Remboursés à vos clients ce mois-ci', creditNote.number!, '20/02/2034', '100,00', 'Encaissé net ce mois-ci', '250,00', '180,00']) expect(text).toContain(expected);

    // March: no invoice, no payment, the rest given back: its statement is issued all the same, and says only that.
    expect(await activitiesWithPaymentsIn('2034-03')).toContain(activityId);
    const { statement: march } = await issueMonthlyStatements({ activityId, month: '2034-03', now: new Date('2034-04-01T07:00:00Z') });
    expect(march.statement).toMatchObject({ documents: [], payments: [], revenueExclVatCents: 0, paymentsReceivedCents: 0, refundedCents: 20_000, leftCents: 0 });
    expect(statementKeyFigures(memberStatement(march, march.members[0]!))).toMatchObject({ receivedCents: 0, refundedCents: 20_000, leftCents: 0 });
  });

  it('is idempotent: a retry or a concurrent call writes and sends nothing twice', async () => {
    const { activityId, referral } = await personalActivity();
    await issueOneInvoice(local().doc, local().table, { activityId, grossCents: 20_000, month: '2031-05', issueDate: '2031-05-31', dueDate: '2031-06-30' });
    const statementsBefore = await countItemsOfType(local().doc, local().table, 'statement');
    const results = await Promise.all([1, 2, 3].map(() => issueMonthlyStatements({ activityId, month: '2031-05', now: NOW })));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const again = await issueMonthlyStatements({ activityId, month: '2031-05', now: new Date('2031-06-02T08:00:00Z') });
    expect(again).toMatchObject({ created: false, sent: 0 });
    // Every call answers the one statement written.
    const written = results.find((r) => r.created)!.statement;
    for (const r of [...results, again]) expect(r.statement).toEqual(written);
    expect(await countItemsOfType(local().doc, local().table, 'statement')).toBe(statementsBefore + 1);
    expect(await listStatementsOfPerson(referral.personId)).toHaveLength(1);
    expect(await mailsTo(referral.youngPerson.email)).toHaveLength(1);
    expect(await pdfOf(written)).toContain('180,00');
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
      const text = await pdfOf(statement, i);
      expect(text).toContain("Résultat de l'entreprise collective");
      expect(text).toContain('Partage du résultat entre les 3 membres');
      expect(text).toContain(`${referral.youngPerson.firstName} ${referral.youngPerson.lastName} (vous)`);
      for (const other of referrals.filter((r) => r !== referral)) expect(text).not.toContain(`${other.youngPerson.firstName} ${other.youngPerson.lastName} (vous)`);
      expect(text).toContain(euros(expectedShares[i]!));
      const [mail, ...others] = await mailsTo(referral.youngPerson.email);
      expect(others).toEqual([]);
      expect(mail!.text).toContain(`- votre part du résultat (partage égal, indicatif) : ${euros(expectedShares[i]!)}\u00a0€`);
      expect(linkIn(mail!.text).page).toBe(`/ma-facturation?activite=${activityId}&mois=2031-06`);
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
    }
    // In one batch of the run: both statements file the member's address for new links, one item that one transaction
    // may not touch twice.
    const issued = await issueManyMonthlyStatements({ month: '2031-09', activities: [{ activityId: personalId }, { activityId: activity.activity.activityId }], now: NOW });
    expect(issued.map((r) => [r.created, r.sent])).toEqual([[true, 1], [true, 1]]);
    expect((await mailsTo(referral.youngPerson.email)).map((mail) => mail.subject).sort()).toEqual(['Votre relevé de septembre 2031 : Collectif des Deux', 'Votre relevé de septembre 2031 : Les jardins de Léa']);
    expect(await listStatementsOfPerson(referral.personId)).toHaveLength(2);
  });
});
