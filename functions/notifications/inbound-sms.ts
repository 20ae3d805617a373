import * as z from 'zod/mini';
import { eventConsumer } from '../../shared/http/task.js';
import { logger } from '../../shared/observability.js';
import { recordSmsReply } from '../../shared/notifications/contacts.js';

const snsEvent = z.object({
  Records: z.array(z.object({ EventSource: z.literal('aws:sns'), Sns: z.object({ Message: z.string() }) })),
});
const inboundSms = z.object({
  originationNumber: z.string(),
  messageBody: z.string(),
  inboundMessageId: z.string(),
  previousPublishedMessageId: z.optional(z.string()),
});

/**
 * SMS replies from End User Messaging SMS (two-way SNS topic of our number): STOP opts the number out of SMS,
 * START lifts it. Neither the number nor the text is logged.
 */
export const handler = eventConsumer(snsEvent, async (event) => {
  const outcomes: string[] = [];
  for (const record of event.Records) {
    let parsed: ReturnType<typeof inboundSms.safeParse>;
    try {
      parsed = inboundSms.safeParse(JSON.parse(record.Sns.Message));
    } catch {
      parsed = { success: false } as ReturnType<typeof inboundSms.safeParse>;
    }
    if (!parsed.success) {
      logger.warn('inbound SMS without the expected fields ignored');
      continue;
    }
    const outcome = await recordSmsReply(parsed.data);
    logger.info('inbound SMS', { outcome, inboundMessageId: parsed.data.inboundMessageId });
    outcomes.push(outcome);
  }
  return { outcomes };
});
