import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { apiClient, eventually, startTestCloud, useCloudTable } from '../support/cloud.js';
import { launchReadyReferral } from '../support/activities.js';
import { business, individual, line, seedActiveActivity } from '../support/invoicing.js';
import { monthRunAt, validateMonthBatch } from '../support/invoicing-run.js';
import { allActiveActivities, changeStatus } from '../../shared/data/activities.js';
import { createCustomer } from '../../shared/data/invoicing/customers.js';
import { createDeclaration } from '../../shared/data/invoicing/declarations.js';
import { getStatement } from '../../shared/data/invoicing/statements.js';
import { checkNumberContinuity } from '../../shared/data/invoicing/numbering.js';
import { addToMonth } from '../../shared/domain/invoicing/run.js';
import type { CustomerFields } from '../../shared/domain/invoicing/records.js';
import { formatEuros } from '../../shared/domain/money.js';
import { parisDate } from '../../shared/domain/time.js';
import { pdfText } from '../support/pdf-text.js';
import type { ParcoursLocalCloud as LocalCloud } from '../../infra/local-app/profile.js';

/*
 * The monthly run on ONE local cloud of the `test` stage, through the deployed state machine
 * (workflows/monthly-invoicing.ts: its Distributed Maps on the local engine), the staff's invoicing routes and the
 * generic decision route: staff start last month, the batch waits for its validation in the inbox, one invoice is held
 * with a reason (its member is told), the others are numbered in one continuous sequence and e-mailed to their
 * customers with their PDF, the member's statement is e-mailed with a link and its PDF made when first opened, and the
 * month cannot be run twice. An activity closed during the month is invoiced for
 * what was declared before, has its statement, and leaves the run's index (decision 32).
 */

let cloud: LocalCloud;
let staff: ReturnType<typeof apiClient>;

beforeAll(async () => {
  cloud = await startTestCloud({ stage: 'test', inMemory: true });
  useCloudTable(cloud);
  staff = apiClient(cloud, 'camille.martin');
}, 180_000);

afterAll(async () => {
  await cloud?.stop();
});

const MONTH = addToMonth(parisDate().slice(0, 7), -1);
const mailsTo = async (address: string) => (await cloud.ses.listEmails()).filter((m) => m.to.includes(address));

async function customer(activityId: string, fields: CustomerFields) {
  return (await createCustomer({ activityId, customerId: `c-${randomUUID().slice(0, 8)}`, fields: { ...fields, email: `client.${randomUUID()}@example.org` } })).customer;
}
const declare = (activityId: string, customerId: string, day: string) =>
  createDeclaration({ activityId, declarationId: `d-${randomUUID()}`, fields: { customerId, serviceDate: `${MONTH}-${day}`, lines: [line()] }, declaredBy: { referralId: 'r-e2e', name: 'Inès' } });

describe('the monthly run on the local cloud', () => {
  it('drafts every active activity, waits for one validation, holds one invoice, numbers and e-mails the others once', async () => {
    const doc = cloud.documentClient;
    const referral = await launchReadyReferral(doc, cloud.tableName);
    const gardens = await seedActiveActivity(doc, cloud.tableName, { members: [{ personId: referral.personId, referralId: referral.referralId, name: 'Inès' }] });
    const sewing = await seedActiveActivity(doc, cloud.tableName, { name: 'Couture Leroy' });
    await seedActiveActivity(doc, cloud.tableName, { name: 'Sans déclaration' });
    const closed = await seedActiveActivity(doc, cloud.tableName, { name: 'Vélos fermés' });
    const [jeanne, dupont, lucie, paul] = [await customer(gardens, individual()), await customer(gardens, business()), await customer(sewing, individual('Lucie Leroy')), await customer(closed, individual('Paul Durand'))];
    await declare(gardens, jeanne.customerId, '04');
    await declare(gardens, jeanne.customerId, '18');
    await declare(gardens, dupont.customerId, '10');
    await declare(sewing, lucie.customerId, '21');
    // Closed on the 20th, after a service on the 12th: it stays in the run's index for this month only.
    await declare(closed, paul.customerId, '12');
    await changeStatus({ activityId: closed, to: 'closed', reason: 'Fin du parcours.', actor: { kind: 'staff', id: 'staff-e2e', name: 'Camille Martin' }, now: new Date(`${MONTH}-20T09:00:00Z`) });

    // Staff start last month; the workflow drafts it and waits for the batch's validation.
    const started = await staff('POST', '/api/staff/invoicing/runs', { month: MONTH });
    expect(started.status).toBe(201);
    const waiting = await eventually(monthRunAt(staff, MONTH, 'awaiting-validation'), 120_000, 'the batch waiting for its validation');
    expect(waiting.run.counts).toMatchObject({ activities: 4, invoices: 4 });
    expect(waiting.items.map((i: { status: string }) => i.status)).toEqual(['draft', 'draft', 'draft', 'draft']);
    // Drafted, the closed activity has left the index: the next month's run will not list it.
    expect((await allActiveActivities()).map((a) => a.activityId)).not.toContain(closed);

    // A second start of the same month is refused, whatever the run's state.
    const again = await staff('POST', '/api/staff/invoicing/runs', { month: MONTH });
    expect(again.status).toBe(409);
    expect(again.body.message).toEqual(expect.any(String));

    // From the inbox: one invoice held with a reason, the rest validated.
    const heldInvoice = waiting.items.find((i: { customer: { name: string }; grossCents: number }) => i.customer.name === jeanne.name);
    const reason = "L'adresse du client est incomplète : ajoutez le numéro de rue.";
    const { inbox, inboxItem, decided } = await validateMonthBatch(staff, waiting.run.approvalId, [{ invoiceId: heldInvoice.invoiceId, reason }]);
    expect(inbox.status).toBe(200);
    expect(inboxItem).toBeDefined();
    expect(decided?.status, JSON.stringify(decided?.body)).toBe(200);

    const done = await eventually(monthRunAt(staff, MONTH, 'done'), 180_000, 'the run done');
    // Every listed activity's month has its statements (one activity with no declaration, and the closed one, too).
    expect(done.run.counts).toMatchObject({ issued: 3, held: 1, statements: 4 });
    const issued = done.items.filter((i: { status: string }) => i.status === 'issued');
    const year = parisDate().slice(0, 4);
    expect(issued.map((i: { number: string }) => i.number).sort()).toEqual([`${year}-000001`, `${year}-000002`, `${year}-000003`]);
    expect(issued.filter((i: { customer: { name: string } }) => i.customer.name === paul.name)).toHaveLength(1);
    expect(done.items.find((i: { invoiceId: string }) => i.invoiceId === heldInvoice.invoiceId).status).toBe('held');
    expect(await checkNumberContinuity(year, { invoices: true })).toMatchObject({ problems: [] });

    // Each customer of an issued invoice gets one e-mail with its PDF, and the invoice's history says it went.
    for (const invoice of issued) {
      const detail = await staff('GET', `/api/staff/invoices/${invoice.invoiceId}`);
      const address = [dupont, lucie, paul].find((c) => c.name === invoice.customer.name)!.email;
      const mails = await eventually(async () => {
        const found = await mailsTo(address);
        return found.length > 0 ? found : undefined;
      }, 60_000, `the e-mail of ${invoice.number}`);
      expect(mails).toHaveLength(1);
      expect(mails[0]!.attachments?.map((a) => a.fileName)).toEqual([`facture-${invoice.number}.pdf`]);
      await eventually(async () => (await staff('GET', `/api/staff/invoices/${invoice.invoiceId}`)).body.history.some((e: { event: string }) => e.event === 'sent'), 60_000, 'sent on the history');
      expect(detail.status).toBe(200);
      const pdf = await staff('GET', `/api/staff/invoices/${invoice.invoiceId}/pdf`);
      expect(pdf.status).toBe(200);
      expect(pdf.headers.get('content-type')).toContain('application/pdf');
    }
    // The held invoice's member is told why; its customer hears nothing.
    const toMember = async (subject: string) => (await mailsTo(referral.youngPerson.email)).filter((m) => m.subject.includes(subject));
    const told = await eventually(async () => {
      const found = await toMember('');
      return found.some((m) => m.text?.includes(reason)) ? found.filter((m) => m.text?.includes(reason)) : undefined;
    }, 60_000, 'the member told of the held invoice');
    expect(told).toHaveLength(1);
    expect(await mailsTo(jeanne.email)).toHaveLength(0);

    // The member's statement of the month: issued once, e-mailed with its key figures and the member's personal link to
    // it, without the PDF; the held invoice is not in its revenue.
    const statement = await getStatement(gardens, MONTH);
    const dupontInvoice = issued.find((i: { customer: { name: string } }) => i.customer.name === dupont.name);
    expect(statement?.statement.revenueExclVatCents).toBe(dupontInvoice.netCents);
    expect(statement?.members.map((m) => m.referralId)).toEqual([referral.referralId]);
    const statementMails = await eventually(async () => {
      const found = await toMember('Votre relevé');
      return found.length > 0 ? found : undefined;
    }, 60_000, "the member's statement e-mail");
    expect(statementMails).toHaveLength(1);
    const mail = statementMails[0]!;
    expect(mail.attachments ?? []).toEqual([]);
    const { revenueExclVatCents, vatCents, paymentsReceivedCents, contribution } = statement!.statement;
    const leftCents = statement!.members[0]!.leftCents;
    expect(mail.text).toContain(`- facturé à vos clients (avoirs déduits) : ${formatEuros(revenueExclVatCents)} HT, ${formatEuros(revenueExclVatCents + vatCents)} TTC`);
    expect(mail.text).toContain(`- paiements reçus : ${formatEuros(paymentsReceivedCents)}\n- contribution de la coopérative : ${formatEuros(contribution.contributionCents)}\n- ce qui vous reste : ${formatEuros(leftCents)}`);
    const link = /\/ma-facturation\?activite=([^&\s]+)&mois=(\d{4}-\d{2})#([A-Za-z0-9_.-]+)/.exec(mail.text ?? '');
    expect(link?.slice(1, 3)).toEqual([gardens, MONTH]);
    // Opened with that link through the member's route: rendered when first opened (the function stores it in S3),
    // the same bytes the second time; another activity's statement is refused as one that does not exist.
    const open = async (activityId: string) => {
      const response = await fetch(new URL(`/api/me/activities/${activityId}/months/${MONTH}/statement/pdf`, cloud.urls.app), { headers: { 'x-parcours-link': link![3]! } });
      return { status: response.status, type: response.headers.get('content-type'), bytes: Buffer.from(await response.arrayBuffer()) };
    };
    const first = await open(gardens);
    expect(first).toMatchObject({ status: 200, type: expect.stringContaining('application/pdf') });
    const second = await open(gardens);
    expect(second.status).toBe(200);
    expect(second.bytes.equals(first.bytes)).toBe(true);
    const text = await pdfText(first.bytes);
    for (const cents of [revenueExclVatCents, contribution.contributionCents, leftCents]) expect(text).toContain(formatEuros(cents).replace(/\s+/g, ' '));
    expect((await open(sewing)).status).toBe(404);
    expect(await getStatement(sewing, MONTH)).toBeDefined();
    expect(await getStatement(closed, MONTH)).toBeDefined();

    // The local console's page of the month's execution shows its two Distributed Maps (drafting, then delivery),
    // each succeeded with every batch and item counted, as DescribeMapRun tells them.
    const machine = cloud.app.stateMachines.find((m) => m.logicalId.startsWith('MonthlyInvoicingStateMachine'))!;
    const runArn = `arn:aws:states:eu-west-3:000000000000:execution:${machine.name}:invoicing-${MONTH}`;
    const consolePage = await (await fetch(new URL(`/_local/executions/${encodeURIComponent(runArn)}`, cloud.urls.console))).text();
    const mapRows = [...consolePage.matchAll(/<tr data-map-run="([^"]+)">(.*?)<\/tr>/g)];
    expect(mapRows).toHaveLength(2);
    for (const [, mapRunArn, row] of mapRows) {
      expect(row).toContain('Réussie');
      const cells = [...row!.matchAll(/(\d+) réussi\(s\) sur (\d+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
      expect(cells, mapRunArn).toHaveLength(2);
      for (const [succeeded, total] of cells) expect(succeeded, mapRunArn).toBe(total);
      expect((await cloud.engine.describeMapRun({ mapRunArn: mapRunArn!.replace(/&#39;/g, "'") })).status).toBe('SUCCEEDED');
    }
  }, 420_000);
});
