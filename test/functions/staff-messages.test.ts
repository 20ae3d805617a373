import { afterEach, describe, expect, it, vi } from 'vitest';
import { randomUUID } from 'node:crypto';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { useMessagingAndDocuments } from '../support/messaging.js';
import { deliverSesEvent, listStaffMessages } from '../support/staff-messages.js';
import { adultSubmission, prescriberLens } from '../support/fixtures.js';
import { business, issueOneInvoice } from '../support/invoicing.js';
import { db } from '../../shared/data/client.js';
import { updateCustomer } from '../../shared/data/invoicing/customers.js';
import { submitReferral } from '../../shared/data/referrals.js';
import { outboxPuts } from '../../shared/data/outbox.js';
import { invoiceMailCause } from '../../shared/domain/invoicing/run.js';
import { invoiceOutboxOwner } from '../../shared/domain/invoicing/records.js';
import { keys } from '../../shared/keys.js';
import { sendInvoices } from '../../shared/invoicing/run-steps.js';
import { sendPendingNotifications } from '../../shared/notifications/sender.js';

/*
 * GET /api/staff/messages names whom each message was for. An invoice's e-mail goes to a customer of an activity and
 * is filed under the invoice (not a person): the row names the customer and the activity's trade name, with the ids
 * of where staff correct the customer's e-mail, instead of "Personne inconnue". Sent by the run's own step to the
 * local SES, bounced by the SES event the delivery function reads, listed by the handler on DynamoDB Local.
 */

const local = useMessagingAndDocuments();
afterEach(() => vi.restoreAllMocks());

/** An activity whose trade name (its "enseigne", what customers know it by) is not its name. */
async function activity(tradeName: string): Promise<string> {
  const activityId = `pa-${randomUUID()}`;
  const { doc, table } = local();
  await doc.send(
    new PutCommand({
      TableName: table,
      Item: { ...keys.activity(activityId), type: 'activity', activityId, status: 'active', shape: 'personal', name: `Activité ${activityId.slice(3, 9)}`, tradeName, contributionRateBps: 1000 },
    }),
  );
  return activityId;
}

/** An issued invoice to a business customer, its e-mail sent by the run's step, as it stands in the outbox. */
async function invoiceMailed(tradeName: string, customerName: string) {
  const activityId = await activity(tradeName);
  const email = `compta.${randomUUID()}@example.org`;
  const { invoiceId, customer } = await issueOneInvoice(local().doc, local().table, { grossCents: 4_500, dueDate: '2031-03-31', issueDate: '2031-03-01', month: '2031-02', activityId, customer: { ...business(), name: customerName, email } });
  expect(await sendInvoices([invoiceId])).toEqual({ invoices: 1, sent: 1 });
  const owner = invoiceOutboxOwner(invoiceId);
  const notificationId = `${invoiceMailCause(invoiceId)}#customer#email`;
  const number = String((await local().doc.send(new GetCommand({ TableName: local().table, Key: keys.invoice(invoiceId) }))).Item!.number);
  return { activityId, invoiceId, customer, number, owner, notificationId };
}

describe('GET /api/staff/messages names whom each message was for', () => {
  it('a bounced invoice e-mail by its customer and the activity, with the ids of where to correct the address', async () => {
    const mailed = await invoiceMailed('Les Jardins de Léa', 'Boulangerie Martin');
    await deliverSesEvent(local(), mailed.owner, mailed.notificationId, 'Email Bounced', { expectStatus: 'sent' });

    const row = (await listStaffMessages()).failed.find((m) => m.notificationId === mailed.notificationId);
    expect(row).toMatchObject({
      personId: mailed.invoiceId,
      personName: 'Client : Boulangerie Martin — activité « Les Jardins de Léa »',
      owner: {
        kind: 'customer',
        customerName: 'Boulangerie Martin',
        activityName: 'Les Jardins de Léa',
        activityId: mailed.activityId,
        customerId: mailed.customer.customerId,
        invoiceId: mailed.invoiceId,
        invoiceLabel: `Facture ${mailed.number}`,
      },
      kind: 'invoice-issued',
      role: 'customer',
      roleLabel: 'Client',
      status: 'bounced',
    });

    // Renamed since (a typo fixed with the address): staff find the customer by the name the activity's page shows.
    await updateCustomer({ activityId: mailed.activityId, customerId: mailed.customer.customerId, expectedVersion: mailed.customer.version, fields: { ...business(), name: 'Boulangerie Martin et Fils', email: `compta.${randomUUID()}@example.org` } });
    const renamed = (await listStaffMessages()).failed.find((m) => m.notificationId === mailed.notificationId);
    expect(renamed).toMatchObject({ personName: 'Client : Boulangerie Martin et Fils — activité « Les Jardins de Léa »', owner: { customerName: 'Boulangerie Martin et Fils' } });
  });

  it("a customer's complaint on the opt-outs, a young person's bounce by their name, and only an owner no record holds as unknown", async () => {
    const complained = await invoiceMailed('Couture Leroy', 'Mme Lucie Leroy');
    await deliverSesEvent(local(), complained.owner, complained.notificationId, 'Email Complaint Received', { expectStatus: 'sent' });

    const { referral } = await submitReferral({ prescriber: prescriberLens, submission: adultSubmission(), idempotencyKey: randomUUID() });
    const cause = `referral-received#${referral.referralId}`;
    await sendPendingNotifications(referral.personId, cause);
    await deliverSesEvent(local(), referral.personId, `${cause}#young#email`, 'Email Bounced', { expectStatus: 'sent' });

    // A message whose owner is nowhere (a record purged since): sent and bounced like the others.
    const [nobody, nobodysCause] = [randomUUID(), `test#${randomUUID()}`];
    for (const put of outboxPuts(local().table, nobody, nobodysCause, [{ kind: 'referral-received', role: 'young', channel: 'email', to: `x.${randomUUID()}@example.org`, subject: 'Objet', body: 'Texte' }], new Date().toISOString())) {
      await local().doc.send(new PutCommand(put.Put));
    }
    await sendPendingNotifications(nobody, nobodysCause);
    await deliverSesEvent(local(), nobody, `${nobodysCause}#young#email`, 'Email Bounced', { expectStatus: 'sent' });

    const answer = await listStaffMessages();
    expect(answer.optOuts.find((o) => o.personId === complained.invoiceId)).toMatchObject({
      reason: 'complaint',
      personName: 'Client : Mme Lucie Leroy — activité « Couture Leroy »',
      owner: { kind: 'customer', activityId: complained.activityId, customerId: complained.customer.customerId, invoiceLabel: `Facture ${complained.number}` },
    });
    const young = `${referral.youngPerson.firstName} ${referral.youngPerson.lastName}`;
    expect(answer.failed.find((m) => m.personId === referral.personId)).toMatchObject({ personName: young, owner: { kind: 'person' }, role: 'young' });
    expect(answer.toFix.find((i) => i.personId === referral.personId)).toMatchObject({ personName: young, owner: { kind: 'person' } });
    expect(answer.failed.find((m) => m.personId === nobody)).toMatchObject({ personName: 'Personne inconnue', owner: { kind: 'unknown' } });
    expect(answer.failed.filter((m) => m.personName === 'Personne inconnue').map((m) => m.personId)).toEqual([nobody]);
  });

  it('reads the owners in batch: as many reads for many customers as for one', async () => {
    for (const n of [1, 2, 3]) {
      const mailed = await invoiceMailed(`Atelier ${n}`, `Client ${n}`);
      await deliverSesEvent(local(), mailed.owner, mailed.notificationId, 'Email Bounced', { expectStatus: 'sent' });
    }
    const send = vi.spyOn(db(), 'send');
    const answer = await listStaffMessages();
    expect(answer.failed.filter((m) => m.role === 'customer').length).toBeGreaterThanOrEqual(3);
    expect(answer.failed.some((m) => m.personName === 'Personne inconnue' && m.role === 'customer')).toBe(false);
    const commands = send.mock.calls.map(([command]) => command.constructor.name);
    // The three lists, then the people and invoices, then the customers and activities: never a read per row.
    expect(commands.filter((name) => name !== 'BatchGetCommand').sort()).toEqual(['QueryCommand', 'QueryCommand', 'QueryCommand']);
    expect(commands.filter((name) => name === 'BatchGetCommand').length).toBeLessThanOrEqual(4);
  });
});
