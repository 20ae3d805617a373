import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalSes, type LocalSes } from '../../infra/local/ses.js';

describe('local SES (aws-ses-v2-local)', () => {
  let ses: LocalSes;

  beforeAll(async () => {
    ses = await startLocalSes();
  });

  afterAll(async () => {
    delete process.env.AWS_ENDPOINT_URL_SESV2;
    await ses.stop();
  });

  it('accepts SendEmail from the SESv2 client with a configuration set and tags, and lists the email', async () => {
    // The endpoint reaches the client the way the functions get it: through AWS_ENDPOINT_URL_SESV2 (read at send time).
    process.env.AWS_ENDPOINT_URL_SESV2 = ses.endpoint;
    const client = new SESv2Client({ region: 'eu-west-3', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const sent = await client.send(
      new SendEmailCommand({
        FromEmailAddress: 'ne-pas-repondre@coopconnexion.local',
        Destination: { ToAddresses: ['sarah.benali@example.org'] },
        ConfigurationSetName: 'coopconnexion-local',
        EmailTags: [
          { Name: 'kind', Value: 'referral-received' },
          { Name: 'stage', Value: 'local' },
        ],
        Content: {
          Simple: {
            Subject: { Data: 'Orientation reçue', Charset: 'UTF-8' },
            Body: { Text: { Data: 'Bonjour, votre orientation a bien été reçue.' }, Html: { Data: '<p>Bonjour, votre orientation a bien été reçue.</p>' } },
          },
        },
      }),
    );
    client.destroy();
    expect(sent.MessageId).toBeTruthy();

    const emails = await ses.listEmails();
    const email = emails.find((e) => e.messageId === sent.MessageId);
    expect(email).toMatchObject({
      from: 'ne-pas-repondre@coopconnexion.local',
      to: ['sarah.benali@example.org'],
      subject: 'Orientation reçue',
      text: 'Bonjour, votre orientation a bien été reçue.',
      html: '<p>Bonjour, votre orientation a bien été reçue.</p>',
    });
    expect(Math.abs(Date.parse(email!.at) - Date.now())).toBeLessThan(60_000);
  });

  it('serves the mail viewer', async () => {
    const response = await fetch(ses.viewerUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
  });

  it('refuses a port that is already taken with a PortInUseError naming it', async () => {
    const port = Number(new URL(ses.endpoint).port);
    await expect(startLocalSes({ port })).rejects.toMatchObject({ name: 'PortInUseError', port, service: 'ses' });
  });
});

describe('local SES with a data folder', () => {
  it('keeps accepted mails on disk, forgets them at stop, and forgets them on disk too when the viewer clears them', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ses-test-'));
    const first = await startLocalSes({ dataDir });
    const client = new SESv2Client({ region: 'eu-west-3', endpoint: first.endpoint, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const sent = await client.send(
      new SendEmailCommand({ FromEmailAddress: 'a@coopconnexion.local', Destination: { ToAddresses: ['b@example.org'] }, Content: { Simple: { Subject: { Data: 'Gardé' }, Body: { Text: { Data: 'x' } } } } }),
    );
    client.destroy();
    await first.stop();
    const second = await startLocalSes({ dataDir });
    expect((await second.listEmails()).map((email) => email.messageId)).toEqual([sent.MessageId]);
    expect((await fetch(new URL('/clear-store', second.endpoint), { method: 'POST' })).status).toBe(200);
    expect(readFileSync(join(dataDir, 'ses-mail.jsonl'), 'utf8')).toBe('');
    await second.stop();
    const third = await startLocalSes({ dataDir });
    expect(await third.listEmails()).toEqual([]);
    await third.stop();
  });
});
