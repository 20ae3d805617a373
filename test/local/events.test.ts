import { describe, expect, it, inject } from 'vitest';
import { LocalEventBridge, matchesPattern, type BusEvent } from '../../infra/local/events.js';
import { LocalSns } from '../../infra/local/sns.js';
import { sesDeliveryEvents, simulatedOutcome, type AcceptedEmail } from '../../infra/local/ses.js';
import { smsDeliveryEvent, UNREACHABLE_TEST_NUMBERS, type SmsRecord } from '../../infra/local/sms.js';
import { loadAssembly } from '../../infra/local/assembly.js';
import { describeTemplate } from '../../infra/local/template.js';
import type { InvokeResult } from '../../infra/local/lambda.js';

const event = {
  source: 'aws.ses',
  'detail-type': 'Email Bounced',
  detail: { mail: { messageId: 'm-1', tags: { 'ses:configuration-set': ['parcours'], kind: ['referral-received'] } }, bounce: { bounceType: 'Permanent', bounceSubType: 'General' }, count: 3 },
};

describe('EventBridge pattern matching', () => {
  it.each([
    ['exact values', { source: ['aws.ses'], 'detail-type': ['Email Delivered', 'Email Bounced'] }, true],
    ['a value not listed', { source: ['aws.sms-voice'] }, false],
    ['nested objects', { detail: { bounce: { bounceType: ['Permanent'] } } }, true],
    ['nested objects, other value', { detail: { bounce: { bounceType: ['Transient'] } } }, false],
    ['any element of an array field', { detail: { mail: { tags: { 'ses:configuration-set': ['parcours'] } } } }, true],
    ['numbers', { detail: { count: [3] } }, true],
    ['prefix', { 'detail-type': [{ prefix: 'Email ' }] }, true],
    ['prefix, no match', { 'detail-type': [{ prefix: 'Text ' }] }, false],
    ['suffix', { 'detail-type': [{ suffix: 'Bounced' }] }, true],
    ['equals-ignore-case', { source: [{ 'equals-ignore-case': 'AWS.SES' }] }, true],
    ['anything-but a value', { 'detail-type': [{ 'anything-but': 'Email Delivered' }] }, true],
    ['anything-but a list that holds it', { 'detail-type': [{ 'anything-but': ['Email Delivered', 'Email Bounced'] }] }, false],
    ['anything-but a prefix', { 'detail-type': [{ 'anything-but': { prefix: 'Email' } }] }, false],
    ['anything-but on a missing field', { detail: { complaint: [{ 'anything-but': 'x' }] } }, false],
    ['exists true', { detail: { bounce: { bounceType: [{ exists: true }] } } }, true],
    ['exists true on a missing field', { detail: { complaint: { complaintFeedbackType: [{ exists: true }] } } }, false],
    ['exists false on a missing field', { detail: { complaint: { complaintFeedbackType: [{ exists: false }] } } }, true],
    ['exists false on a present field', { detail: { bounce: { bounceType: [{ exists: false }] } } }, false],
    ['one matcher of several', { 'detail-type': ['Email Delivered', { prefix: 'Email B' }] }, true],
    ['every field must match', { source: ['aws.ses'], detail: { bounce: { bounceType: ['Transient'] } } }, false],
  ])('%s', (_label, pattern, expected) => {
    expect(matchesPattern(pattern, event)).toBe(expected);
  });
});

/** An invoke that records payloads and fails the first `failures` calls. */
function recordingInvoke(failures = 0) {
  const calls: Array<{ arn: string; payload: unknown }> = [];
  const invoke = async (arn: string, payload: unknown): Promise<InvokeResult> => {
    calls.push({ arn, payload });
    return calls.length <= failures ? { ok: false, errorType: 'Error', errorMessage: 'not yet', durationMs: 1 } : { ok: true, result: null, durationMs: 1 };
  };
  return { calls, invoke };
}

describe('LocalEventBridge', () => {
  const rule = { logicalId: 'R', name: 'r', eventBusName: 'default', pattern: { source: ['aws.ses'], 'detail-type': ['Email Bounced'] }, targets: [{ arn: 'arn:fn' }] };

  it('invokes the targets of matching rules with the whole event, envelope filled in', async () => {
    const { calls, invoke } = recordingInvoke();
    const bus = new LocalEventBridge({ rules: [rule], invoke, region: 'eu-west-3', accountId: '000000000000', retryDelaysMs: [] });
    const result = await bus.putEvents([event as BusEvent, { ...event, 'detail-type': 'Email Delivered' }]);
    expect(result).toEqual({ deliveries: 1, failed: 0 });
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ arn: 'arn:fn', payload: { ...event, version: '0', account: '000000000000', region: 'eu-west-3', resources: [] } });
    expect((calls[0]!.payload as BusEvent).id).toEqual(expect.any(String));
    expect(await bus.putEvents([event as BusEvent], 'other-bus')).toEqual({ deliveries: 0, failed: 0 });
  });

  it('retries a failed invocation, then gives up', async () => {
    const flaky = recordingInvoke(1);
    expect(await new LocalEventBridge({ rules: [rule], invoke: flaky.invoke, region: 'r', accountId: 'a', retryDelaysMs: [1] }).putEvents([event as BusEvent])).toEqual({ deliveries: 1, failed: 0 });
    expect(flaky.calls).toHaveLength(2);
    const broken = recordingInvoke(10);
    expect(await new LocalEventBridge({ rules: [rule], invoke: broken.invoke, region: 'r', accountId: 'a', retryDelaysMs: [1, 1] }).putEvents([event as BusEvent])).toEqual({ deliveries: 1, failed: 1 });
    expect(broken.calls).toHaveLength(3);
  });
});

describe('LocalSns', () => {
  it('fans a message out to the Lambda subscribers of its topic in the SNS event shape', async () => {
    const { calls, invoke } = recordingInvoke();
    const sns = new LocalSns({
      subscriptions: [
        { subscriptionArn: 'arn:sub:1', topicArn: 'arn:topic:a', endpoint: 'arn:fn:1' },
        { subscriptionArn: 'arn:sub:2', topicArn: 'arn:topic:b', endpoint: 'arn:fn:2' },
      ],
      invoke,
      retryDelaysMs: [],
    });
    expect(await sns.publish('arn:topic:a', '{"x":1}')).toMatchObject({ deliveries: 1, failed: 0 });
    expect(calls).toEqual([
      {
        arn: 'arn:fn:1',
        payload: { Records: [{ EventSource: 'aws:sns', EventVersion: '1.0', EventSubscriptionArn: 'arn:sub:1', Sns: expect.objectContaining({ Type: 'Notification', TopicArn: 'arn:topic:a', Message: '{"x":1}' }) }] },
      },
    ]);
  });
});

describe('delivery events of the local SES and SMS', () => {
  const email = (to: string[]): AcceptedEmail => ({ messageId: 'm-1', from: 'CoopConnexion <ne-pas-repondre@coopconnexion.local>', to, configurationSetName: 'parcours', tags: { kind: 'referral-received' }, at: '2026-03-02T10:00:00.000Z' });

  it('simulates SES outcomes from the simulator addresses and the reserved test domains', () => {
    expect(simulatedOutcome('bounce@simulator.amazonses.com')).toBe('bounced');
    expect(simulatedOutcome('x@bounce.test')).toBe('bounced');
    expect(simulatedOutcome('complaint@simulator.amazonses.com')).toBe('complained');
    expect(simulatedOutcome('Y@Complaint.Test')).toBe('complained');
    expect(simulatedOutcome('ines@example.org')).toBe('delivered');
  });

  it('publishes Delivered, Bounced (Permanent) and Complaint events with the message id and the configuration set tag', () => {
    const events = sesDeliveryEvents(email(['a@example.org', 'b@bounce.test', 'c@complaint.test']));
    expect(events.map((e) => e['detail-type'])).toEqual(['Email Delivered', 'Email Bounced', 'Email Complaint Received']);
    for (const e of events) {
      expect(e).toMatchObject({ source: 'aws.ses', detail: { mail: { messageId: 'm-1', tags: { 'ses:configuration-set': ['parcours'], kind: ['referral-received'] } } } });
    }
    expect(events[1]!.detail).toMatchObject({ bounce: { bounceType: 'Permanent', bouncedRecipients: [{ emailAddress: 'b@bounce.test' }] } });
    expect(sesDeliveryEvents({ ...email(['a@example.org']), configurationSetName: undefined })).toEqual([]);
  });

  it('delivers an SMS, except to the numbers reserved for unreachable phones (+33 6 99 99 9x xx)', () => {
    const record = (destination: string): SmsRecord => ({ messageId: 's-1', at: '2026-03-02T10:00:00.000Z', destination, body: 'Bonjour', segments: 1 });
    expect(smsDeliveryEvent(record('+33612345678'))).toMatchObject({ eventType: 'TEXT_DELIVERED', messageStatus: 'DELIVERED', messageId: 's-1', messageEncoding: 'GSM' });
    expect(smsDeliveryEvent(record('+33699999123'))).toMatchObject({ eventType: 'TEXT_UNREACHABLE', messageStatus: 'UNREACHABLE' });
    expect(UNREACHABLE_TEST_NUMBERS.test('+33699998123')).toBe(false);
  });

  it("match the template's delivery rule and SMS destination, which lead through the delivery queue to the delivery function", () => {
    const synthesized = loadAssembly(inject('assemblyDir'));
    const app = describeTemplate(synthesized.template, synthesized.assemblyDir, { region: 'eu-west-3', accountId: '000000000000', stackName: synthesized.stackName });
    const consumer = app.functions.find((fn) => fn.logicalId.startsWith('DeliveryEvents'))!;
    const [mapping] = app.eventSourceMappings;
    expect(mapping).toMatchObject({ functionArn: consumer.arn, batchSize: 100, maximumBatchingWindowSeconds: 1, reportBatchItemFailures: true });
    const queue = app.queues.find((q) => q.arn === mapping!.queueArn)!;
    expect(queue.redrive?.deadLetterTargetArn).toBe(app.queues.find((q) => q.logicalId.startsWith('DeadLetters'))!.arn);
    const [rule] = app.eventRules;
    expect(rule!.targets).toEqual([{ arn: queue.arn, type: 'sqs' }]);
    const configurationSetName = app.functions.find((fn) => fn.environment.SES_CONFIGURATION_SET)!.environment.SES_CONFIGURATION_SET!;
    const events = sesDeliveryEvents({ ...email(['a@example.org', 'b@bounce.test']), configurationSetName });
    expect(events.every((e) => matchesPattern(rule!.pattern, e))).toBe(true);
    expect(sesDeliveryEvents({ ...email(['a@example.org']), configurationSetName: 'someone-else' }).some((e) => matchesPattern(rule!.pattern, e))).toBe(false);

    const smsConfigurationSet = app.functions.find((fn) => fn.environment.SMS_CONFIGURATION_SET)!.environment.SMS_CONFIGURATION_SET;
    const [destination] = app.smsEventDestinations;
    expect(destination).toMatchObject({ configurationSetName: smsConfigurationSet, matchingEventTypes: expect.arrayContaining(['TEXT_DELIVERED', 'TEXT_UNREACHABLE']) });
    expect(app.topicSubscriptions.filter((s) => s.topicArn === destination!.topicArn)).toEqual([expect.objectContaining({ endpoint: queue.arn, protocol: 'sqs', rawMessageDelivery: true })]);
  });
});
