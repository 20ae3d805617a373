import { randomUUID } from 'node:crypto';
import { deliverWithRetry, RETRY_DELAYS_MS, type Invoke } from './events.js';
import type { LocalTopicSubscription } from './template.js';

/**
 * A local SNS fan-out for the template's Lambda subscriptions: publish invokes every function subscribed
 * to the topic with the SNS event Lambda receives (one record), retrying failures like SNS does.
 */
export class LocalSns {
  private readonly subscriptions: LocalTopicSubscription[];
  private readonly invoke: Invoke;
  private readonly retryDelaysMs: readonly number[];

  constructor(options: { subscriptions: LocalTopicSubscription[]; invoke: Invoke; retryDelaysMs?: readonly number[] }) {
    this.subscriptions = options.subscriptions;
    this.invoke = options.invoke;
    this.retryDelaysMs = options.retryDelaysMs ?? RETRY_DELAYS_MS;
  }

  /** Publishes a message and resolves once every subscriber has had it (or given up). */
  async publish(topicArn: string, message: string, subject?: string): Promise<{ messageId: string; deliveries: number; failed: number }> {
    const messageId = randomUUID();
    const timestamp = new Date().toISOString();
    const outcomes = await Promise.all(
      this.subscriptions
        .filter((subscription) => subscription.topicArn === topicArn)
        .map((subscription) =>
          deliverWithRetry(
            this.invoke,
            subscription.endpoint,
            {
              Records: [
                {
                  EventSource: 'aws:sns',
                  EventVersion: '1.0',
                  EventSubscriptionArn: subscription.subscriptionArn,
                  Sns: {
                    Type: 'Notification',
                    MessageId: messageId,
                    TopicArn: topicArn,
                    Subject: subject ?? null,
                    Message: message,
                    Timestamp: timestamp,
                    SignatureVersion: '1',
                    Signature: 'local',
                    SigningCertUrl: '',
                    UnsubscribeUrl: '',
                    MessageAttributes: {},
                  },
                },
              ],
            },
            this.retryDelaysMs,
          ),
        ),
    );
    return { messageId, deliveries: outcomes.length, failed: outcomes.filter((ok) => !ok).length };
  }
}
