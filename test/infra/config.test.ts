import { describe, expect, it } from 'vitest';
import { InvalidStageConfigError, loadStageConfig, resolveStageName, stageOverrides } from '../../infra/config.js';

describe('stage choice', () => {
  it('prefers CDK context, then PARCOURS_STAGE, then dev', () => {
    expect(resolveStageName('prod', { PARCOURS_STAGE: 'test' })).toBe('prod');
    expect(resolveStageName(undefined, { PARCOURS_STAGE: 'test' })).toBe('test');
    expect(resolveStageName(undefined, {})).toBe('dev');
  });

  it('rejects an unknown stage', () => {
    expect(() => resolveStageName('staging', {})).toThrow(InvalidStageConfigError);
    expect(() => loadStageConfig('staging')).toThrow(InvalidStageConfigError);
  });
});

describe('stage settings', () => {
  it('retains and protects data in prod only', () => {
    expect(loadStageConfig('prod')).toMatchObject({ removalPolicy: 'retain', deletionProtection: true, region: 'eu-west-3' });
    for (const stage of ['dev', 'local', 'test']) expect(loadStageConfig(stage)).toMatchObject({ removalPolicy: 'destroy', deletionProtection: false });
  });

  it('waits 3, 10 and 30 days for a decision, 30 days between waitlist reviews', () => {
    const day = 86_400;
    expect(loadStageConfig('prod').referral).toEqual({ remindAfterSeconds: 3 * day, escalateAfterSeconds: 10 * day, expireAfterSeconds: 30 * day, waitlistReviewAfterSeconds: 30 * day });
  });

  it('waits seconds in the test stage, so an end-to-end test sees reminder, escalation and expiry', () => {
    expect(loadStageConfig('test').referral).toEqual({ remindAfterSeconds: 4, escalateAfterSeconds: 8, expireAfterSeconds: 12, waitlistReviewAfterSeconds: 60 });
  });

  it('retries an outbox message 8 times, 30 s apart doubling, and a second apart in the test stage', () => {
    expect(loadStageConfig('prod').outbox).toEqual({ maxAttempts: 8, retryBaseSeconds: 30, leaseSeconds: 120 });
    expect(loadStageConfig('test').outbox).toEqual({ maxAttempts: 8, retryBaseSeconds: 1, leaseSeconds: 120 });
  });

  it("numbers a month in steps of 52 chunks of 97 invoices (one transaction each), and of one chunk of 3 on the local stage (the loop runs on a few dozen)", () => {
    for (const stage of ['prod', 'dev', 'test'] as const) expect(loadStageConfig(stage).invoicingNumbering).toEqual({ chunkInvoices: 97, chunksPerStep: 52 });
    expect(loadStageConfig('local').invoicingNumbering).toEqual({ chunkInvoices: 3, chunksPerStep: 1 });
  });

  it('sends as CoopConnexion with an 11-character SMS sender id', () => {
    const config = loadStageConfig('dev');
    expect(config.emailFrom).toBe('CoopConnexion <ne-pas-repondre@coopconnexion.fr>');
    expect(config.smsSenderId).toBe('CoopConnex');
    expect(config.smsSenderId.length).toBeLessThanOrEqual(11);
  });
});

describe('operator overrides', () => {
  it('reads context before the environment, and splits URL lists', () => {
    const context: Record<string, unknown> = { alarmEmail: 'astreinte@coopconnexion.fr' };
    const overrides = stageOverrides((key) => context[key], { PARCOURS_ALARM_EMAIL: 'autre@coopconnexion.fr', PARCOURS_APP_URLS: 'https://parcours.coopconnexion.fr, https://b.coopconnexion.fr' });
    expect(overrides.alarmEmail).toBe('astreinte@coopconnexion.fr');
    expect(overrides.appUrls).toEqual(['https://parcours.coopconnexion.fr', 'https://b.coopconnexion.fr']);
    expect(loadStageConfig('prod', overrides).appUrls).toEqual(overrides.appUrls);
  });

  it('refuses settings that would fail at deploy time', () => {
    expect(() => loadStageConfig('dev', { appUrls: ['http://parcours.example.org'] })).toThrow(/https origin/);
    expect(() => loadStageConfig('dev', { authDomainPrefix: 'my-cognito-login' })).toThrow(/authDomainPrefix/);
    expect(() => loadStageConfig('dev', { alarmEmail: 'not-an-email' })).toThrow(/alarmEmail/);
    expect(() => loadStageConfig('dev', { emailFrom: 'Parcours <x@elsewhere.org>' })).toThrow(/emailFrom/);
    expect(() => loadStageConfig('dev', { cooperative: { siren: '12345' } })).toThrow(/siren/);
    expect(() => loadStageConfig('dev', { cooperative: { email: 'contact' } })).toThrow(/cooperative email/);
    expect(() => loadStageConfig('dev', { cooperative: { siren: '123456789' } })).toThrow(/Luhn/);
    expect(() => loadStageConfig('dev', { cooperative: { siren: '123456782', vatMode: 'vat' } })).toThrow(/vatNumber must be the SIREN's \(FR11123456782\)/);
    expect(() => loadStageConfig('dev', { cooperative: { paymentTermsDays: 90 } })).toThrow(/paymentTermsDays/);
    expect(() => loadStageConfig('dev', { cooperative: { bank: { iban: 'FR7642559100000801234567813', bic: 'CCOPFRPP' } } })).toThrow(/iban/);
    expect(() => loadStageConfig('dev', { cooperative: { postalAddress: { line1: '1 rue', postalCode: '6230', city: 'Lens', countryCode: 'FR' } } })).toThrow(/postalAddress/);
  });

  it('checks the sample identity and derives the one-line address from a postal address given alone', () => {
    expect(loadStageConfig('dev').cooperative).toMatchObject({ siren: '912345675', vatNumber: 'FR65912345675', bank: { iban: 'FR7642559100000801234567812' } });
    const config = loadStageConfig('dev', { cooperative: { postalAddress: { line1: '12 rue de la Fosse 9', line2: 'Bâtiment B', postalCode: '62300', city: 'Lens', countryCode: 'FR' } } });
    expect(config.cooperative.address).toBe('12 rue de la Fosse 9, Bâtiment B, 62300 Lens');
  });

  it('takes the cooperative\'s identity from PARCOURS_COOPERATIVE, field by field over the sample one', () => {
    const overrides = stageOverrides(() => undefined, { PARCOURS_COOPERATIVE: JSON.stringify({ siren: '123456782', vatMode: 'vat', vatNumber: 'FR11123456782' }) });
    const config = loadStageConfig('prod', overrides);
    expect(config.cooperative).toMatchObject({ siren: '123456782', vatMode: 'vat', vatNumber: 'FR11123456782', name: 'CoopConnexion', paymentTermsDays: 30 });
    expect(() => stageOverrides(() => undefined, { PARCOURS_COOPERATIVE: '{not json' })).toThrow(/cooperative must be a JSON object/);
  });

  it('bounds the contribution per programme, and waits seconds for a launch approval in the test stage', () => {
    expect(loadStageConfig('prod').contributionRates.accompagnement).toEqual({ defaultBps: 1000, minBps: 500, maxBps: 1500 });
    expect(loadStageConfig('prod').launch.remindAfterSeconds).toBe(2 * 24 * 3600);
    expect(loadStageConfig('test').launch).toEqual({ remindAfterSeconds: 10, escalateAfterSeconds: 20 });
  });
});
