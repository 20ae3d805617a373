import { afterAll, beforeAll } from 'vitest';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startDocumentsS3, type DocumentsS3 } from './documents-s3.js';
import { useFreshAppTable } from './dynamodb.js';
import { startLocalSes, type LocalSes } from '../../infra/local/ses.js';
import { LocalSms } from '../../infra/local/sms.js';
import { startAwsJsonEndpoint } from '../../infra/local/aws-endpoint.js';
import { FaultLayer, startFaultProxy } from '../../infra/local/faults.js';
import { outboxTags } from '../../shared/notifications/tracking.js';

export interface LocalMessaging {
  doc: DynamoDBDocumentClient;
  table: string;
  ses: LocalSes;
  sms: LocalSms;
  stop(): Promise<void>;
}

/**
 * A fresh app table on DynamoDB Local, with the local SES and SMS services the sender's SDK clients
 * reach through AWS_ENDPOINT_URL_*: the data-level tests of sending use the real code paths.
 */
export async function useLocalMessaging(
  env: Record<string, string> = {},
  /** Throttles this share of the SES and SMS calls, as the local cloud's fault layer does for functions; `random` scripts the draws. */
  options: { faults?: { rate: number; random?: () => number } } = {},
): Promise<LocalMessaging> {
  const ses = await startLocalSes();
  const sms = new LocalSms();
  const smsEndpoint = await startAwsJsonEndpoint({ services: { PinpointSMSVoiceV2: (operation, body) => sms.handleJson(operation, body) } });
  const layer = options.faults && new FaultLayer({ ses: options.faults.rate, sms: options.faults.rate, kinds: ['throttle'], random: options.faults.random });
  const sesProxy = layer && (await startFaultProxy({ service: 'ses', upstream: ses.endpoint, layer }));
  const smsProxy = layer && (await startFaultProxy({ service: 'sms', upstream: smsEndpoint.url, layer }));
  const { doc, tableName } = await useFreshAppTable({
    AWS_REGION: 'eu-west-3',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_SESV2: sesProxy?.url ?? ses.endpoint,
    AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2: smsProxy?.url ?? smsEndpoint.url,
    EMAIL_FROM: 'ne-pas-repondre@coopconnexion.local',
    ...env,
  });
  return {
    doc,
    table: tableName,
    ses,
    sms,
    stop: async () => {
      await sesProxy?.close();
      await smsProxy?.close();
      await ses.stop();
      await smsEndpoint.close();
    },
  };
}

/**
 * For a test file: `useLocalMessaging` and the documents bucket on the local S3 (`startDocumentsS3`), started before
 * its tests and stopped after them. Call at the top of the file; the getter gives the messaging once started.
 */
export function useMessagingAndDocuments(): () => LocalMessaging {
  let messaging: LocalMessaging | undefined;
  let documents: DocumentsS3 | undefined;
  beforeAll(async () => {
    documents = await startDocumentsS3();
    messaging = await useLocalMessaging();
  });
  afterAll(async () => {
    await messaging?.stop();
    await documents?.stop();
  });
  return () => messaging!;
}

/**
 * What SES publishes on EventBridge about an e-mail the sender sent (its outbox key in the tags the sender gave it):
 * a permanent bounce or a complaint, for the delivery function.
 */
export function sesEventAbout(sent: { providerMessageId?: unknown }, ownerId: string, notificationId: string, detailType: 'Email Delivered' | 'Email Bounced' | 'Email Complaint Received') {
  const at = new Date().toISOString();
  return {
    source: 'aws.ses',
    'detail-type': detailType,
    time: at,
    detail: {
      mail: { messageId: String(sent.providerMessageId), tags: Object.fromEntries(outboxTags(ownerId, notificationId).map((tag) => [tag.Name, [tag.Value]])) },
      ...(detailType === 'Email Delivered'
        ? { delivery: { timestamp: at } }
        : detailType === 'Email Bounced'
          ? { bounce: { bounceType: 'Permanent', bounceSubType: 'General', timestamp: at } }
          : { complaint: { complaintFeedbackType: 'abuse', timestamp: at } }),
    },
  };
}
