import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { apiClient, eventually, startTestCloud, useCloudTable } from '../support/cloud.js';
import { individual, line, seedActiveActivity } from '../support/invoicing.js';
import { monthInvoices, monthRunAt, validateMonthBatch, type StaffCall } from '../support/invoicing-run.js';
import { createCustomer } from '../../shared/data/invoicing/customers.js';
import { createDeclaration } from '../../shared/data/invoicing/declarations.js';
import { checkNumberContinuity } from '../../shared/data/invoicing/numbering.js';
import { addToMonth } from '../../shared/domain/invoicing/run.js';
import { parisDate } from '../../shared/domain/time.js';
import type { ParcoursLocalCloud as LocalCloud } from '../../infra/local-app/profile.js';

/*
 * A month's run while 10 % of the functions' calls to DynamoDB, S3, SES and Step Functions fail with AWS's errors
 * (throttling, 5xx, timeouts, and a 5xx after the write for DynamoDB and Step Functions): the steps' retries and the
 * idempotent writes must still give one continuous sequence, every invoice issued once and e-mailed with its PDF,
 * and every activity's statement. Staff retry a request answered with a 5xx, as a person would.
 */

const FAULTS = { dynamodb: 0.1, s3: 0.1, ses: 0.1, stepfunctions: 0.1, seed: 20261203, timeoutMs: 300 };
const ACTIVITIES = 16;
const MONTH = addToMonth(parisDate().slice(0, 7), -1);

let cloud: LocalCloud;
let staff: StaffCall;

beforeAll(async () => {
  cloud = await startTestCloud({ stage: 'test', inMemory: true, faults: FAULTS });
  useCloudTable(cloud);
  const call = apiClient(cloud, 'camille.martin');
  // A person answered with a 5xx tries again (the same request: the routes used here are idempotent).
  staff = async (method, path, body) => {
    for (let attempt = 1; ; attempt++) {
      const answer = await call(method, path, body);
      if (answer.status < 500 || attempt === 5) return answer;
    }
  };
}, 180_000);

afterAll(async () => {
  await cloud?.stop();
});

describe('a month run at 10 % faults', () => {
  it('numbers every invoice once in one sequence, e-mails each with its PDF and issues every statement', async () => {
    const customers = new Map<string, string>();
    for (let i = 0; i < ACTIVITIES; i++) {
      const activityId = await seedActiveActivity(cloud.documentClient, cloud.tableName, { name: `Activité ${i}` });
      const email = `client.${randomUUID()}@example.org`;
      const customer = (await createCustomer({ activityId, customerId: `c-${i}`, fields: { ...individual(`Client ${i}`), email } })).customer;
      customers.set(customer.name, email);
      for (const day of ['05', '19']) {
        await createDeclaration({ activityId, declarationId: `d-${i}-${day}`, fields: { customerId: customer.customerId, serviceDate: `${MONTH}-${day}`, lines: [line()] }, declaredBy: { referralId: 'r-faults', name: 'Inès' } });
      }
    }

    const started = await staff('POST', '/api/staff/invoicing/runs', { month: MONTH });
    // A start retried after a 5xx that had started it: the month is running either way.
    expect([201, 409]).toContain(started.status);
    const waiting = await eventually(monthRunAt(staff, MONTH, 'awaiting-validation'), 180_000, 'the batch waiting for its validation');
    expect(waiting.run.counts).toMatchObject({ activities: ACTIVITIES, invoices: ACTIVITIES });
    const { decided } = await validateMonthBatch(staff, waiting.run.approvalId);
    expect(decided?.status, JSON.stringify(decided?.body)).toBe(200);

    const done = await eventually(monthRunAt(staff, MONTH, 'done'), 300_000, 'the run done');
    expect(done.run.counts).toMatchObject({ issued: ACTIVITIES, held: 0, statements: ACTIVITIES });
    const year = parisDate().slice(0, 4);
    const issued = (await monthInvoices(staff, MONTH)).filter((i) => i.status === 'issued');
    expect(issued.map((i) => i.number).sort()).toEqual(Array.from({ length: ACTIVITIES }, (_, k) => `${year}-${String(k + 1).padStart(6, '0')}`));
    expect(await checkNumberContinuity(year, { invoices: true })).toMatchObject({ problems: [] });

    // Each customer's invoice e-mailed with its PDF: once, or again after a send whose answer was lost (at least once).
    const mails = await cloud.ses.listEmails();
    for (const invoice of issued) {
      const to = mails.filter((m) => m.to.includes(customers.get(invoice.customer.name)!));
      expect(to.length, invoice.number).toBeGreaterThanOrEqual(1);
      expect(new Set(to.map((m) => m.subject)), invoice.number).toEqual(new Set([expect.stringContaining(`Facture ${invoice.number} `)]));
      expect(to[0]!.attachments?.map((a) => a.fileName)).toEqual([`facture-${invoice.number}.pdf`]);
    }
    // The faults did reach every service the run uses.
    const stats = cloud.faults.stats();
    for (const service of ['dynamodb', 's3', 'ses', 'stepfunctions'] as const) expect(stats[service].calls, service).toBeGreaterThan(0);
    expect(stats.dynamodb.throttle + stats.dynamodb.error + stats.dynamodb.timeout + stats.dynamodb.after).toBeGreaterThan(0);
  }, 600_000);
});
