import { randomUUID } from 'node:crypto';
import { deliverWithRetry, RETRY_DELAYS_MS, sendWithRetry, type Invoke, type SendToQueue } from './events.js';
import type { LocalTopicSubscription } from './template.js';

/**
 * A local SNS fan-out for the template's Lambda and SQS subscriptions: publish invokes every function subscribed
 * to the topic with the SNS event Lambda receives (one record), and sends every subscribed queue the message (raw
 * delivery) or SNS's JSON envelope, retrying failures like SNS does.
 */
export class LocalSns {
  private readonly subscriptions: LocalTopicSubscription[];
  private readonly invoke: Invoke;
  private readonly sendToQueue: SendToQueue | undefined;
  private readonly retryDelaysMs: readonly number[];

  constructor(options: { subscriptions: LocalTopicSubscription[]; invoke: Invoke; sendToQueue?: SendToQueue; retryDelaysMs?: readonly number[] }) {
    this.subscriptions = options.subscriptions;
    this.invoke = options.invoke;
    this.sendToQueue = options.sendToQueue;
    this.retryDelaysMs = options.retryDelaysMs ?? RETRY_DELAYS_MS;
  }

  /** Publishes a message and resolves once every subscriber has had it (or given up). */
  async publish(topicArn: string, message: string, subject?: string): Promise<{ messageId: string; deliveries: number; failed: number }> {
    const messageId = randomUUID();
    const timestamp = new Date().toISOString();
    const notification = { Type: 'Notification', MessageId: messageId, TopicArn: topicArn, Subject: subject ?? null, Message: message, Timestamp: timestamp, SignatureVersion: '1', Signature: 'local' };
    const outcomes = await Promise.all(
      this.subscriptions
        .filter((subscription) => subscription.topicArn === topicArn)
        .map((subscription) => {
          if (subscription.protocol === 'sqs') {
            // What SNS puts on a queue: the message itself with raw delivery, else its JSON envelope.
            const body = subscription.rawMessageDelivery ? message : JSON.stringify({ ...notification, SigningCertURL: '', UnsubscribeURL: '' });
            return sendWithRetry(this.sendToQueue, subscription.endpoint, body, this.retryDelaysMs);
          }
          const record = { EventSource: 'aws:sns', EventVersion: '1.0', EventSubscriptionArn: subscription.subscriptionArn, Sns: { ...notification, SigningCertUrl: '', UnsubscribeUrl: '', MessageAttributes: {} } };
          return deliverWithRetry(this.invoke, subscription.endpoint, { Records: [record] }, this.retryDelaysMs);
        }),
    );
    return { messageId, deliveries: outcomes.length, failed: outcomes.filter((ok) => !ok).length };
  }
}
