import { mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalSms } from '../../infra/local/sms.js';
import { smsSegments } from '../../shared/domain/messages/sms-text.js';

const countSegments = (body: string) => smsSegments(body).segments;

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sms-test-'));
  dirs.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('countSegments', () => {
  it('counts GSM-7 bodies in 160 then 153 septets', () => {
    expect(countSegments('a'.repeat(160))).toBe(1);
    expect(countSegments('a'.repeat(161))).toBe(2);
    expect(countSegments('a'.repeat(306))).toBe(2);
    expect(countSegments('a'.repeat(307))).toBe(3);
    expect(countSegments('Votre rendez-vous est à 14h, à Lens. Répondez STOP.')).toBe(1);
  });

  it('counts extension characters as two septets without splitting them', () => {
    expect(countSegments('€'.repeat(80))).toBe(1);
    expect(countSegments('€'.repeat(81))).toBe(2);
    // 152 septets then an escape pair: the pair moves whole to the second part.
    expect(countSegments(`${'a'.repeat(152)}€${'a'.repeat(152)}`)).toBe(3);
  });

  it('switches to UCS-2 (70, then 67 per part) for characters outside GSM-7', () => {
    expect(countSegments('ê'.repeat(70))).toBe(1);
    expect(countSegments('ê'.repeat(71))).toBe(2);
    expect(countSegments('ê'.repeat(134))).toBe(2);
    expect(countSegments('ê'.repeat(135))).toBe(3);
    expect(countSegments(`Bravo 🎉${'a'.repeat(62)}`)).toBe(1);
    expect(countSegments(`Bravo 🎉${'a'.repeat(63)}`)).toBe(2);
  });
});

describe('LocalSms', () => {
  it('records SendTextMessage and lists newest first', async () => {
    const sms = new LocalSms();
    const first = await sms.handleJson('SendTextMessage', { DestinationPhoneNumber: '+33612345678', MessageBody: 'Premier' });
    const second = await sms.handleJson('SendTextMessage', {
      DestinationPhoneNumber: '+33698765432',
      OriginationIdentity: 'CoopConnex',
      ConfigurationSetName: 'coopconnexion-local',
      MessageType: 'TRANSACTIONAL',
      MessageBody: 'Deuxième',
      Context: { kind: 'reminder' },
    });
    expect(first.status).toBe(200);
    expect(second).toEqual({ status: 200, body: { MessageId: expect.any(String) } });
    const list = sms.list();
    expect(list.map((r) => r.body)).toEqual(['Deuxième', 'Premier']);
    expect(list[0]).toMatchObject({
      messageId: (second.body as { MessageId: string }).MessageId,
      destination: '+33698765432',
      origination: 'CoopConnex',
      configurationSet: 'coopconnexion-local',
      messageType: 'TRANSACTIONAL',
      segments: 1,
      context: { kind: 'reminder' },
    });
    expect(Number.isNaN(Date.parse(list[0].at))).toBe(false);
  });

  it('rejects invalid requests like AWS', async () => {
    const sms = new LocalSms();
    for (const phone of ['0612345678', '+0612345678', '+3', '+1234567890123456', 33612345678]) {
      const result = await sms.handleJson('SendTextMessage', { DestinationPhoneNumber: phone, MessageBody: 'x' });
      expect(result.status).toBe(400);
      expect(result.body).toMatchObject({ __type: 'ValidationException', Reason: 'FIELD_VALIDATION_FAILED', Fields: [{ Name: 'DestinationPhoneNumber' }] });
    }
    expect((await sms.handleJson('SendTextMessage', { DestinationPhoneNumber: '+33612345678' })).body).toMatchObject({ Fields: [{ Name: 'MessageBody' }] });
    expect((await sms.handleJson('SendTextMessage', { DestinationPhoneNumber: '+33612345678', MessageBody: 'x', MessageType: 'OTHER' })).status).toBe(400);
    expect((await sms.handleJson('SendVoiceMessage', {})).body).toMatchObject({ __type: 'UnknownOperationException' });
    // TimeToLive: 5 to 259,200 seconds (the API reference's range).
    for (const TimeToLive of [1, 4, 259_201, 5.5, '60']) {
      expect((await sms.handleJson('SendTextMessage', { DestinationPhoneNumber: '+33612345678', MessageBody: 'x', TimeToLive })).body).toMatchObject({ __type: 'ValidationException', Fields: [{ Name: 'TimeToLive' }] });
    }
    expect(sms.list()).toEqual([]);
    expect((await sms.handleJson('SendTextMessage', { DestinationPhoneNumber: '+33612345678', MessageBody: 'x', TimeToLive: 5 })).status).toBe(200);
  });

  it('does not record a DryRun', async () => {
    const sms = new LocalSms();
    const result = await sms.handleJson('SendTextMessage', { DestinationPhoneNumber: '+33612345678', MessageBody: 'x', DryRun: true });
    expect(result.status).toBe(200);
    expect(sms.list()).toEqual([]);
  });

  it('keeps the outbox on disk and reloads it, skipping a torn line', async () => {
    const dataDir = tempDir();
    const sms = new LocalSms({ dataDir });
    await sms.handleJson('SendTextMessage', { DestinationPhoneNumber: '+33612345678', MessageBody: 'Un' });
    await sms.handleJson('SendTextMessage', { DestinationPhoneNumber: '+33612345678', MessageBody: 'Deux' });
    const file = join(dataDir, 'sms-outbox.jsonl');
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(2);
    appendFileSync(file, '{"messageId":"torn');
    const reloaded = new LocalSms({ dataDir });
    expect(reloaded.list().map((r) => r.body)).toEqual(['Deux', 'Un']);
  });

  it('starts empty when the data dir has no outbox yet', () => {
    const dataDir = tempDir();
    writeFileSync(join(dataDir, 'other.txt'), '');
    expect(new LocalSms({ dataDir }).list()).toEqual([]);
  });

  describe('outbox over HTTP', () => {
    let server: Server | undefined;
    afterEach(async () => {
      await new Promise((resolve) => server?.close(resolve));
    });

    async function serve(sms: LocalSms): Promise<string> {
      server = createServer((req, res) => {
        void sms.handle(req, res, '/sms').then((handled) => {
          if (!handled) {
            res.writeHead(404);
            res.end();
          }
        });
      });
      await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
    }

    it('serves a French HTML page (escaped, Paris time, auto refresh) and a JSON list', async () => {
      const sms = new LocalSms();
      await sms.handleJson('SendTextMessage', { DestinationPhoneNumber: '+33612345678', OriginationIdentity: 'CoopConnex', MessageBody: '<script>alert(1)</script> & "bonjour"' });
      const base = await serve(sms);

      const page = await fetch(`${base}/sms/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      const html = await page.text();
      expect(html).toContain('<html lang="fr">');
      expect(html).toContain("Boîte d'envoi SMS");
      expect(html).toContain('<meta http-equiv="refresh" content="30">');
      expect(html).toContain('+33612345678');
      expect(html).toContain('CoopConnex');
      expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;bonjour&quot;');
      expect(html).not.toContain('<script>');
      const record = sms.list()[0];
      const paris = new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', dateStyle: 'short', timeStyle: 'medium' }).format(new Date(record.at));
      expect(html).toContain(paris);

      expect((await fetch(`${base}/sms`)).status).toBe(200);
      const json = await fetch(`${base}/sms/messages.json`);
      expect(json.headers.get('content-type')).toMatch(/application\/json/);
      expect(await json.json()).toEqual(sms.list());
      expect((await fetch(`${base}/elsewhere`)).status).toBe(404);
      expect((await fetch(`${base}/sms/`, { method: 'POST' })).status).toBe(405);
    });
  });
});
