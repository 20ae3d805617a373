import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { useFreshAppTable } from './dynamodb.js';
import { startLocalSes, type FaultInjection, type LocalSes } from '../../infra/local/ses.js';
import { LocalSms } from '../../infra/local/sms.js';
import { startAwsJsonEndpoint } from '../../infra/local/aws-endpoint.js';

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
export async function useLocalMessaging(env: Record<string, string> = {}, options: { faults?: FaultInjection } = {}): Promise<LocalMessaging> {
  const ses = await startLocalSes({ faults: options.faults });
  const sms = new LocalSms({ faults: options.faults });
  const smsEndpoint = await startAwsJsonEndpoint({ services: { PinpointSMSVoiceV2: (operation, body) => sms.handleJson(operation, body) } });
  const { doc, tableName } = await useFreshAppTable({
    AWS_REGION: 'eu-west-3',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_SESV2: ses.endpoint,
    AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2: smsEndpoint.url,
    EMAIL_FROM: 'ne-pas-repondre@coopconnexion.local',
    ...env,
  });
  return {
    doc,
    table: tableName,
    ses,
    sms,
    stop: async () => {
      await ses.stop();
      await smsEndpoint.close();
    },
  };
}
