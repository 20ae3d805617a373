import { randomUUID } from 'node:crypto';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { PinpointSMSVoiceV2Client, SendTextMessageCommand } from '@aws-sdk/client-pinpoint-sms-voice-v2';

/**
 * SES and End User Messaging SMS mocked at the SDK, every send accepted with a new message id: for the handler tests
 * whose requests send messages. Call it once per file, at its top level (the mocks replace the clients' `send`).
 */
export function acceptingProviders(): { ses: AwsClientStub<SESv2Client>; sms: AwsClientStub<PinpointSMSVoiceV2Client> } {
  const ses = mockClient(SESv2Client);
  const sms = mockClient(PinpointSMSVoiceV2Client);
  ses.on(SendEmailCommand).callsFake(() => ({ MessageId: randomUUID() }));
  sms.on(SendTextMessageCommand).callsFake(() => ({ MessageId: randomUUID() }));
  return { ses, sms };
}
