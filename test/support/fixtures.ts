import { randomUUID } from 'node:crypto';
import type { Prescriber, Staff } from '../../shared/domain/actor.js';
import type { ReferralSubmission } from '../../shared/domain/referral.js';
import { recordPersonalObject } from './personal-data.js';
import type { LaunchFile } from '../../shared/domain/activities.js';

export const prescriberLens: Prescriber = {
  kind: 'prescriber',
  id: 'sub-sarah',
  name: 'Sarah Benali',
  email: 'sarah.benali@ml-lens.example.org',
  organisationId: 'ml-lens',
  organisationName: 'Mission locale de Lens',
};

export const prescriberLievin: Prescriber = {
  kind: 'prescriber',
  id: 'sub-thomas',
  name: 'Thomas Leroy',
  email: 'thomas.leroy@ft-lievin.example.org',
  organisationId: 'ft-lievin',
  organisationName: 'France Travail Liévin',
};

export const staffCamille: Staff = { kind: 'staff', id: 'sub-camille', name: 'Camille Martin', email: 'camille.martin@coopconnexion.local' };

let counter = 0;

/** A valid submission for an adult, unique per call unless `overrides` say otherwise. */
export function adultSubmission(overrides: Partial<ReferralSubmission['youngPerson']> = {}, programme: ReferralSubmission['programme'] = 'accompagnement'): ReferralSubmission {
  counter += 1;
  const n = `${process.pid}${counter}`.slice(-8).padStart(8, '0');
  const submission: ReferralSubmission = {
    programme,
    youngPerson: {
      firstName: `Inès${counter}`,
      lastName: `Martin-${randomUUID().slice(0, 6)}`,
      birthDate: '2001-04-12',
      email: `ines.${randomUUID()}@example.org`,
      phone: `+336${n}`,
      postalCode: '62300',
      town: 'Lens',
      qpv: true,
      situation: 'demandeur-emploi',
      ...overrides,
    },
    projectIdea: 'Atelier de réparation de vélos à domicile',
    consent: { dataProcessing: true },
  };
  // Recorded for the end-of-run check of the logs, also when the test then spoils the submission on purpose.
  recordPersonalObject(submission);
  return submission;
}

/** A valid submission for a 16-year-old, with their guardian's details (unique per call). */
export function minorSubmission(overrides: Partial<ReferralSubmission['youngPerson']> = {}): ReferralSubmission {
  const birthYear = new Date().getUTCFullYear() - 16;
  const guardian = {
    firstName: `Nadia${counter}`,
    lastName: `Haddad-${randomUUID().slice(0, 6)}`,
    email: `nadia.${randomUUID()}@example.org`,
    phone: `+337${`${process.pid}${counter}`.slice(-8).padStart(8, '0')}`,
    relationship: 'Mère',
  };
  const submission = { ...adultSubmission({ birthDate: `${birthYear}-03-15`, situation: 'etudiant', ...overrides }), guardian };
  recordPersonalObject(submission);
  return submission;
}

/** A complete launch file of a gardening activity starting on `startDate` (one price line, 15 € an hour, no VAT). */
export function launchFile(startDate: string, extra: Partial<LaunchFile> = {}): LaunchFile {
  return {
    name: 'Les jardins de Léa',
    tradeName: 'Jardins Léa',
    serviceKinds: ['jardinage'],
    description: 'Entretien de jardins à Lens et alentours.',
    targetCustomers: ['particuliers'],
    monthlyGoalCents: 80_000,
    startDate,
    priceLines: [{ label: 'Tonte', unit: 'heure', unitPriceCents: 1500, serviceKind: 'jardinage', vatRateBps: null }],
    ...extra,
  };
}
