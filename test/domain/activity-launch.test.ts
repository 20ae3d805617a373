import { describe, expect, it } from 'vitest';
import { launchCause, launchDecisionSchema, launchDrafts, launchExecutionName, type LaunchRecipient } from '../../shared/domain/activity-launch.js';

const minor: LaunchRecipient = {
  reference: 'ORI-1A2B3C4D',
  youngPerson: { firstName: 'Zoé', email: 'zoe@example.org', phone: '+33612345678' },
  guardian: { firstName: 'Nadia', lastName: 'Lefèvre', email: 'nadia@example.org' },
  minor: true,
};
const activity = { name: 'Les Jardins de la CJS', programme: 'cjs' as const };
const who = (drafts: ReturnType<typeof launchDrafts>) => drafts.map((d) => `${d.role} ${d.channel}`);

describe('the launch decision', () => {
  it('needs a comment to send the file back, not to approve it', () => {
    expect(launchDecisionSchema.safeParse({ outcome: 'approved' }).success).toBe(true);
    const missing = launchDecisionSchema.safeParse({ outcome: 'sent-back' });
    expect(missing.success).toBe(false);
    expect(missing.error?.issues).toEqual([expect.objectContaining({ path: ['comment'], message: 'Dites au jeune ce qu’il doit changer dans son dossier.' })]);
    expect(launchDecisionSchema.safeParse({ outcome: 'sent-back', comment: '   ' }).success).toBe(false);
    expect(launchDecisionSchema.safeParse({ outcome: 'sent-back', comment: 'x'.repeat(2001) }).success).toBe(false);
    expect(launchDecisionSchema.safeParse({ outcome: 'sent-back', comment: 'Ajoutez un prix.' }).data).toEqual({ outcome: 'sent-back', comment: 'Ajoutez un prix.' });
    expect(launchDecisionSchema.safeParse({ outcome: 'refused' }).success).toBe(false);
  });

  it('names one execution and one set of messages per activity and submission', () => {
    expect(launchExecutionName('pa-123', 2)).toBe('launch-pa-123-2');
    expect(launchCause('activity-launched', 'pa-123', 2)).toBe('activity-launched#pa-123#2');
  });
});

describe('the launch messages', () => {
  it("go to the member with their link to /mon-activite, and to a minor's guardian for a launch and a file sent back", () => {
    const submitted = launchDrafts('launch-submitted', minor, activity);
    expect(who(submitted)).toEqual(['young email', 'young sms']);
    expect(submitted.every((d) => d.personalLink === 'young-person' && d.linkPage === '/mon-activite' && d.body.includes('{{lien-personnel}}'))).toBe(true);
    const sentBack = launchDrafts('launch-sent-back', minor, activity, 'Ajoutez un prix pour la taille de haies.');
    expect(who(sentBack)).toEqual(['young email', 'young sms', 'guardian email']);
    expect(sentBack[0]!.body).toContain('Ajoutez un prix pour la taille de haies.');
    // The guardian hears of it without a link (their link opens their own page) nor the comment meant for the member.
    expect(sentBack[2]).toMatchObject({ to: 'nadia@example.org', subject: 'Dossier de lancement de Zoé à reprendre' });
    expect(sentBack[2]!.personalLink).toBeUndefined();
    const launched = launchDrafts('activity-launched', minor, activity);
    expect(who(launched)).toEqual(['young email', 'young sms', 'guardian email']);
    expect(launched[0]).toMatchObject({ subject: 'Votre activité est lancée : Les Jardins de la CJS' });
    expect(who(launchDrafts('activity-launched', { ...minor, minor: false }, activity))).toEqual(['young email', 'young sms']);
  });
});
