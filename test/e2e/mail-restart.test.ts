import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { startTestCloud } from '../support/cloud.js';
import type { LocalCloud } from '../../infra/local/cloud.js';

let cloud: LocalCloud | undefined;
afterAll(async () => cloud?.stop());

/** What the viewer page reads: GET /store on the mail viewer's origin. */
async function viewerEmails(target: LocalCloud): Promise<Array<{ messageId: string; subject: string; body: { text?: string } }>> {
  expect((await fetch(target.urls.mailViewer)).status).toBe(200);
  const response = await fetch(new URL('/store', target.urls.mailViewer));
  return ((await response.json()) as { emails: Array<{ messageId: string; subject: string; body: { text?: string } }> }).emails;
}

async function send(target: LocalCloud, subject: string, attachment?: Buffer): Promise<string> {
  const client = new SESv2Client({ region: 'eu-west-3', endpoint: target.ses.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    const sent = await client.send(
      new SendEmailCommand({
        FromEmailAddress: 'ne-pas-repondre@coopconnexion.local',
        Destination: { ToAddresses: [`restart.${randomUUID()}@example.org`] },
        Content: {
          Simple: {
            Subject: { Data: subject },
            Body: { Text: { Data: `Corps de « ${subject} »` } },
            ...(attachment ? { Attachments: [{ FileName: 'facture.pdf', ContentType: 'application/pdf', RawContent: attachment }] } : {}),
          },
        },
      }),
    );
    return sent.MessageId!;
  } finally {
    client.destroy();
  }
}

describe('mail kept across restarts of the local cloud', () => {
  it('shows the mails sent before a restart in the mail viewer, and the new ones after them', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parcours-mail-restart-'));
    cloud = await startTestCloud({ inMemory: true, dataDir });
    const pdf = Buffer.from(Array.from({ length: 5_000 }, (_, i) => (i * 13) % 256));
    const before = [await send(cloud, 'Avant le redémarrage 1'), await send(cloud, 'Avant le redémarrage 2', pdf)];
    expect((await viewerEmails(cloud)).map((email) => email.messageId)).toEqual(expect.arrayContaining(before));
    await cloud.stop();
    cloud = undefined;

    // Stopped, its mails have left the package's in-memory store: what comes back comes from the data folder.
    const file = readFileSync(join(dataDir, 'ses-mail.jsonl'), 'utf8').trim().split('\n');
    expect(file).toHaveLength(2);

    cloud = await startTestCloud({ inMemory: true, dataDir });
    const restored = await viewerEmails(cloud);
    expect(restored.map((email) => email.messageId)).toEqual(before);
    expect(restored.map((email) => [email.subject, email.body.text])).toEqual([
      ['Avant le redémarrage 1', 'Corps de « Avant le redémarrage 1 »'],
      ['Avant le redémarrage 2', 'Corps de « Avant le redémarrage 2 »'],
    ]);
    expect((await cloud.ses.listEmails()).map((email) => email.subject)).toEqual(['Avant le redémarrage 1', 'Avant le redémarrage 2']);
    // Its attachment came back with it, and still downloads.
    const download = await fetch(new URL(`/attachments/${before[1]}/0`, cloud.urls.mailViewer));
    expect(Buffer.from(await download.arrayBuffer()).equals(pdf)).toBe(true);
    const after = await send(cloud, 'Après le redémarrage');
    expect((await viewerEmails(cloud)).map((email) => email.messageId)).toEqual([...before, after]);
  });
});
