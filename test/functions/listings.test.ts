import { beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { mockClient } from 'aws-sdk-client-mock';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { PutCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { useFreshAppTable } from '../support/dynamodb.js';
import { apiEvent, lambdaContext } from '../support/events.js';
import { adultSubmission, prescriberLens, prescriberLievin, staffCamille } from '../support/fixtures.js';
import { handler as listReferrals } from '../../functions/referrals/list.js';
import { handler as listDuplicates } from '../../functions/staff/duplicates.js';
import { handler as staffMessages } from '../../functions/staff/messages.js';
import { submitReferral } from '../../shared/data/referrals.js';
import { possibleDuplicatePut } from '../../shared/data/possible-duplicates.js';
import { recordOptOut } from '../../shared/notifications/opt-outs.js';
import { keys } from '../../shared/keys.js';
import type { Actor } from '../../shared/domain/actor.js';
import type { ApiResult } from '../../shared/http/api.js';

/*
 * The listings' query parameters through their handlers: pages of `limit` items linked by `cursor`, and a 400 that
 * names the parameter for a bad cursor, a bad limit or an unknown parameter.
 */

mockClient(SFNClient).on(StartExecutionCommand).resolves({ executionArn: 'arn:exec', startDate: new Date() });
let doc: DynamoDBDocumentClient;
let table: string;

beforeAll(async () => {
  ({ doc, tableName: table } = await useFreshAppTable({ REFERRAL_STATE_MACHINE_ARN: 'arn:aws:states:eu-west-3:000000000000:stateMachine:Referral' }));
  for (let i = 0; i < 3; i++) {
    await submitReferral({ prescriber: prescriberLens, submission: adultSubmission(), idempotencyKey: randomUUID() });
    await submitReferral({ prescriber: prescriberLievin, submission: adultSubmission(), idempotencyKey: randomUUID() });
    const flag = { personId: randomUUID(), candidatePersonId: randomUUID(), referralId: randomUUID(), createdAt: new Date(Date.now() - (10 - i) * 60_000).toISOString(), matchedBy: ['EMAIL' as const] };
    await doc.send(new TransactWriteCommand({ TransactItems: [possibleDuplicatePut(table, flag)] }));
    const statusAt = new Date(Date.now() - (i + 1) * 60_000).toISOString();
    const [personId, notificationId] = [randomUUID(), `n${i}`];
    const message = { personId, notificationId, status: 'bounced', statusAt, kind: 'referral-received', role: 'young', channel: 'email', to: `n${i}@example.org`, attempts: 1 };
    await doc.send(new PutCommand({ TableName: table, Item: { ...keys.notification(personId, notificationId), ...keys.failedMessageEntry(statusAt, personId, notificationId), type: 'notification', ...message } }));
    await recordOptOut({ channel: 'sms', address: `+3377000000${i}`, reason: 'stop', at: statusAt });
  }
});

type Handler = (e: never, c: never) => Promise<ApiResult>;
const call = async (handler: Handler, routeKey: string, actor: Actor, query?: Record<string, string>) => {
  const event = { ...apiEvent({ routeKey, actor }), queryStringParameters: query, rawQueryString: new URLSearchParams(query).toString() };
  const result = await handler(event as never, lambdaContext() as never);
  return { status: result.statusCode, body: JSON.parse(String(result.body)) };
};

/** Every page of a listing through its handler, following the cursor the answers give. */
async function walk(handler: Handler, routeKey: string, actor: Actor, limit: number) {
  const pages: Array<{ items: Array<Record<string, unknown>>; cursor?: string }> = [];
  let cursor: string | undefined;
  do {
    const answer = await call(handler, routeKey, actor, { limit: String(limit), ...(cursor ? { cursor } : {}) });
    expect(answer.status).toBe(200);
    expect(Object.keys(answer.body).sort()).toEqual(answer.body.cursor ? ['cursor', 'items'] : ['items']);
    pages.push(answer.body);
    cursor = answer.body.cursor;
  } while (cursor && pages.length < 20);
  return pages;
}

const BAD_QUERIES: Array<[string, Record<string, string>, string]> = [
  ['a limit of 0', { limit: '0' }, 'limit'],
  ['a limit over 100', { limit: '101' }, 'limit'],
  ['a negative limit', { limit: '-1' }, 'limit'],
  ['a limit that is no number', { limit: 'abc' }, 'limit'],
  ['a decimal limit', { limit: '1.5' }, 'limit'],
  ['a forged cursor', { cursor: 'eyJwayI6IngifQ' }, 'cursor'],
  ['a cursor that is no base64url', { cursor: '%%%' }, 'cursor'],
  ['a cursor too long', { cursor: 'z'.repeat(4_000) }, 'cursor'],
  ['an unknown parameter', { status: 'pending' }, 'status'],
];

describe.each([
  ['GET /api/referrals', listReferrals as Handler, prescriberLens as Actor, 3],
  ['GET /api/referrals', listReferrals as Handler, staffCamille as Actor, 6],
  ['GET /api/staff/duplicates', listDuplicates as Handler, staffCamille as Actor, 3],
])('%s', (routeKey, handler, actor, total) => {
  it(`pages ${actor.kind}'s ${total} items 2 at a time with the cursor`, async () => {
    const pages = await walk(handler, routeKey, actor, 2);
    expect(pages.map((p) => p.items.length)).toEqual(total === 6 ? [2, 2, 2] : [2, 1]);
    const ids = pages.flatMap((p) => p.items.map((i) => String(i.referralId ?? i.duplicateId)));
    expect(new Set(ids).size).toBe(total);
    // Without a limit, one page of at most 50.
    expect((await call(handler, routeKey, actor)).body.items).toHaveLength(total);
  });

  it.each(BAD_QUERIES)(`refuses %s with a 400 naming the parameter (${actor.kind})`, async (_label, query, field) => {
    const answer = await call(handler, routeKey, actor, query);
    expect(answer.status).toBe(400);
    expect(answer.body.message).toMatch(/invalide/);
    expect(answer.body.errors.map((e: { field: string }) => e.field)).toEqual([field]);
  });
});

describe('GET /api/staff/messages', () => {
  it('answers the first page of each list, then pages one list alone by its own cursor', async () => {
    const first = await call(staffMessages, 'GET /api/staff/messages', staffCamille, { limit: '2' });
    expect(first.status).toBe(200);
    expect(Object.keys(first.body).sort()).toEqual(['failed', 'failedCursor', 'optOuts', 'optOutsCursor', 'since', 'toFix']);
    expect(first.body.failed.map((m: { notificationId: string }) => m.notificationId)).toEqual(['n0', 'n1']);
    expect(first.body.optOuts.map((o: { address: string }) => o.address)).toEqual(['+33770000000', '+33770000001']);

    const next = await call(staffMessages, 'GET /api/staff/messages', staffCamille, { limit: '2', failedCursor: first.body.failedCursor });
    expect(next.status).toBe(200);
    expect(Object.keys(next.body).sort()).toEqual(['failed', 'since']);
    expect(next.body.failed.map((m: { notificationId: string }) => m.notificationId)).toEqual(['n2']);
    const optOuts = await call(staffMessages, 'GET /api/staff/messages', staffCamille, { optOutsCursor: first.body.optOutsCursor });
    expect(optOuts.body.optOuts.map((o: { address: string }) => o.address)).toEqual(['+33770000002']);
    expect(Object.keys(optOuts.body).sort()).toEqual(['optOuts', 'since']);
  });

  it.each<[string, Record<string, string>, string]>([
    ['a limit over 100', { limit: '500' }, 'limit'],
    ['a forged cursor of the contacts to fix', { toFixCursor: 'eyJwayI6IngifQ' }, 'toFixCursor'],
    ['a cursor of another list', { optOutsCursor: 'FAILED' }, 'optOutsCursor'],
    ['a plain cursor parameter', { cursor: 'abc' }, 'cursor'],
  ])('refuses %s with a 400 naming the parameter', async (_label, query, field) => {
    const resolved = { ...query };
    if (resolved.optOutsCursor === 'FAILED') resolved.optOutsCursor = (await call(staffMessages, 'GET /api/staff/messages', staffCamille, { limit: '1' })).body.failedCursor;
    const answer = await call(staffMessages, 'GET /api/staff/messages', staffCamille, resolved);
    expect(answer.status).toBe(400);
    expect(answer.body.errors.map((e: { field: string }) => e.field)).toEqual([field]);
  });
});
