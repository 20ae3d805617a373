import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context } from 'aws-lambda';
import type * as z from 'zod/mini';
import { logger, metrics } from '../observability.js';
import { parseOrThrow } from '../domain/validation.js';

/**
 * Wraps a workflow task: logger context and a checked input. Errors propagate to Step Functions,
 * whose Retry and Catch decide what happens next; the input is never logged (it may name a person).
 */
export function workflowTask<TInput, TOutput>(schema: z.ZodMiniType<TInput>, fn: (input: TInput, context: Context) => Promise<TOutput>) {
  return middy<unknown, TOutput>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .handler(async (event, context) => fn(parseOrThrow(schema, event, 'invalid workflow task input'), context));
}
