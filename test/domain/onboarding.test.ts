import { describe, expect, it } from 'vitest';
import { derivePathStatus } from '../../shared/domain/path-status.js';
import { ONBOARDING_STEPS, initialStepStatus, isMinorAtStart, nextActionOf, onboardingReviewDecisionSchema, onboardingSteps, stepOfKind, KIND_OF_STEP } from '../../shared/domain/onboarding.js';
import { onboardingDrafts } from '../../shared/domain/onboarding-messages.js';
import { PROGRAMMES } from '../../shared/domain/programmes.js';
import { WAITING_STEP_AUDIENCE, STAFF_WAITING_STEP_KINDS, WAITING_STEP_KINDS } from '../../shared/domain/waiting-steps.js';

describe('the steps of an onboarding', () => {
  it('asks for the guardian\'s consent only for a minor at the programme start, between the documents and the contract', () => {
    for (const programme of PROGRAMMES) {
      expect(onboardingSteps(programme, false)).toEqual(['information-session', 'diagnosis', 'documents', 'contract-acceptance', 'contract-countersign']);
      expect(onboardingSteps(programme, true)).toEqual(['information-session', 'diagnosis', 'documents', 'guardian-consent', 'contract-acceptance', 'contract-countersign']);
      expect(initialStepStatus('guardian-consent', programme, false)).toBe('skipped');
      expect(initialStepStatus('guardian-consent', programme, true)).toBe('todo');
      expect(initialStepStatus('review', programme, false)).toBe('todo');
    }
  });

  it('counts the age on the programme start, not on the day of the referral', () => {
    expect(isMinorAtStart('2008-07-02', '2026-07-01')).toBe(true);
    expect(isMinorAtStart('2008-07-01', '2026-07-01')).toBe(false);
    expect(isMinorAtStart('2008-02-29', '2026-02-28')).toBe(true);
  });

  it('names a waiting-step kind for every step, and says what the young person does next in French', () => {
    for (const step of ONBOARDING_STEPS) {
      expect(stepOfKind(KIND_OF_STEP[step])).toBe(step);
      expect(nextActionOf(step, 'waiting', true)).toMatch(/[a-zé]/);
    }
    expect(nextActionOf('documents', 'waiting', true)).toContain('représentant légal');
    expect(nextActionOf('documents', 'waiting', false)).not.toContain('représentant légal');
    expect(nextActionOf('contract-countersign', 'done', false)).toBe('Étape terminée.');
  });

  it('lists only the staff\'s kinds in the inbox filter', () => {
    expect([...STAFF_WAITING_STEP_KINDS].sort()).toEqual(WAITING_STEP_KINDS.filter((k) => WAITING_STEP_AUDIENCE[k] === 'staff').sort());
  });
});

describe('the review of a stuck step', () => {
  it('needs a reason to end the path, and none to go on', () => {
    expect(onboardingReviewDecisionSchema.safeParse({ outcome: 'continue' }).success).toBe(true);
    expect(onboardingReviewDecisionSchema.safeParse({ outcome: 'end', reasonCode: 'no-show', comment: 'Deux absences.' }).success).toBe(true);
    expect(onboardingReviewDecisionSchema.safeParse({ outcome: 'end' }).success).toBe(false);
    expect(onboardingReviewDecisionSchema.safeParse({ outcome: 'continue', reasonCode: 'no-show' }).success).toBe(false);
    // A guardian's refusal is the guardian's answer, not a reason staff pick.
    expect(onboardingReviewDecisionSchema.safeParse({ outcome: 'end', reasonCode: 'guardian-refused' }).success).toBe(false);
  });
});

describe('the path status through the onboarding', () => {
  it('moves from "accueil à démarrer" to the onboarding\'s statuses, and an ended onboarding ranks below a pending referral', () => {
    expect(derivePathStatus(['accepted'])).toBe('onboarding-to-start');
    expect(derivePathStatus([{ status: 'accepted', onboarding: 'onboarding' }])).toBe('onboarding');
    expect(derivePathStatus([{ status: 'accepted', onboarding: 'launch-ready' }, { status: 'accepted', onboarding: 'onboarding' }])).toBe('launch-ready');
    expect(derivePathStatus([{ status: 'accepted', onboarding: 'onboarding-ended' }, 'pending'])).toBe('referred');
    expect(derivePathStatus([{ status: 'accepted', onboarding: 'onboarding-ended' }, 'refused'])).toBe('onboarding-ended');
  });
});

describe('the onboarding messages', () => {
  const referral = {
    reference: 'ORI-1A2B3C4D',
    programme: 'cjs' as const,
    organisationName: 'Mission locale de Lens',
    prescriber: {},
    youngPerson: { firstName: 'Inès', lastName: 'Haddad', email: 'ines@example.org', phone: '+33612345678' } as never,
    guardian: { firstName: 'Nadia', lastName: 'Haddad', email: 'nadia@example.org', phone: '+33698765432', relationship: 'mère' },
  };

  it('welcome the young person with their personal link, and a minor\'s guardian too', () => {
    const drafts = onboardingDrafts('welcome', referral, { minor: true });
    expect(drafts.map((d) => `${d.role} ${d.channel}`)).toEqual(['young email', 'young sms', 'guardian email']);
    expect(drafts.filter((d) => d.role === 'young').every((d) => d.body.includes('{{lien-personnel}}'))).toBe(true);
    expect(onboardingDrafts('welcome', referral, { minor: false }).map((d) => d.role)).toEqual(['young', 'young']);
  });

  it('tell the reason of an end', () => {
    const [email] = onboardingDrafts('ended', referral, { minor: false, reason: 'documents-missing' });
    expect(email.body).toContain('Motif : Pièces justificatives non fournies.');
  });
});
