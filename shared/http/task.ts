import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import type * as z from 'zod/mini';
import { flushMetrics, logger } from '../observability.js';
import { invocationTime } from '../invocation.js';
import { parseOrThrow } from '../domain/validation.js';

/**
 * Wraps a workflow task: logger context and a checked input. Errors propagate to Step Functions,
 * whose Retry and Catch decide what happens next; the input is never logged (it may name a person).
 */
export function workflowTask<TInput, TOutput>(schema: z.ZodMiniType<TInput>, fn: (input: TInput, context: Context) => Promise<TOutput>) {
  return checkedHandler(schema, 'invalid workflow task input', fn);
}

/**
 * Wraps the consumer of an asynchronous event source (EventBridge, SNS, an SQS queue): the same checks, and an error
 * makes the source retry the event (the whole batch, for a queue), so a handler throws only for what a later attempt
 * can fix; a queue's consumer names the messages to retry in `batchItemFailures` instead.
 */
export function eventConsumer<TInput, TOutput>(schema: z.ZodMiniType<TInput>, fn: (input: TInput, context: Context) => Promise<TOutput>) {
  return checkedHandler(schema, 'invalid event', fn);
}

function checkedHandler<TInput, TOutput>(schema: z.ZodMiniType<TInput>, message: string, fn: (input: TInput, context: Context) => Promise<TOutput>) {
  return middy<unknown, TOutput>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(flushMetrics())
    .use(invocationTime())
    .handler(async (event, context) => fn(parseOrThrow(schema, event, message), context));
}
