import { beforeAll } from 'vitest';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ApiResult } from '../../shared/http/api.js';
import { loadOnboardingParty } from '../../shared/data/sessions.js';
import { launchReadyReferral } from './activities.js';
import { useFreshAppTable } from './dynamodb.js';
import { apiEvent, lambdaContext } from './events.js';
import { acceptingProviders } from './providers.js';

type Handler = (event: never, context: never) => Promise<ApiResult>;

/**
 * What the handler tests of routes that send messages set up: SES and SMS accepted at the SDK, and a fresh app table
 * on DynamoDB Local before the file's tests (SMS quiet hours off, links to `http://app`). Call it once per file, at
 * its top level; `doc` and `tableName` are there once the file's tests run.
 */
export function handlerTestbed(): ReturnType<typeof acceptingProviders> & { readonly doc: DynamoDBDocumentClient; readonly tableName: string } {
  const providers = acceptingProviders();
  let table: { doc: DynamoDBDocumentClient; tableName: string } | undefined;
  beforeAll(async () => {
    table = await useFreshAppTable({ SMS_WINDOW: 'off', APP_BASE_URL: 'http://app' });
  });
  const ready = () => {
    if (!table) throw new Error('handlerTestbed: the table is made before the tests, not at the top level');
    return table;
  };
  return {
    ...providers,
    get doc() {
      return ready().doc;
    },
    get tableName() {
      return ready().tableName;
    },
  };
}

const context = lambdaContext();

/** Calls a route's handler with an API Gateway event: its status and its JSON body. */
export async function callHandler(handler: Handler, event: unknown) {
  const result = await handler(event as never, context as never);
  return { status: result.statusCode, body: JSON.parse(String(result.body)) };
}

/** Calls a route of the young person's or guardian's pages, which carry their personal link's token in a header. */
export function callWithLink(handler: Handler, routeKey: string, token: string, body?: unknown) {
  return callHandler(handler, apiEvent({ routeKey, body, headers: { 'x-parcours-link': token } }));
}

/** An adult's accepted referral whose onboarding has started: the people it concerns, as the session routes read them. */
export async function onboardingParty(bed: { doc: DynamoDBDocumentClient; tableName: string }) {
  const referral = await launchReadyReferral(bed.doc, bed.tableName, undefined, false);
  return await loadOnboardingParty(referral.referralId);
}
