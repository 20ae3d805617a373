import { describe, expect, it } from 'vitest';
import { cohortDatesLabel, cohortPlacedDrafts, townsLabel } from '../../shared/domain/cohorts.js';
import type { ReferralForMessages } from '../../shared/domain/referral-messages.js';

const referral: ReferralForMessages = {
  reference: 'ORI-1A2B3C4D',
  programme: 'cjs',
  organisationName: 'Mission locale de Lens',
  prescriber: {},
  youngPerson: {
    firstName: 'Zoé',
    lastName: 'Lefèvre',
    birthDate: '2010-03-15',
    email: 'zoe@example.org',
    phone: '+33612345678',
    postalCode: '62300',
    town: 'Lens',
    qpv: true,
    situation: 'etudiant',
  },
};
const cohort = { name: 'CJS Lens été 2026', startDate: '2026-07-06', endDate: '2026-08-28', towns: ['Lens', 'Liévin', 'Avion'] };

describe('a cohort in French', () => {
  it('says its dates with the weekday, the first of the month as an ordinal, the year once when it is the same', () => {
    expect(cohortDatesLabel('2026-07-06', '2026-08-28')).toBe('du lundi 6 juillet au vendredi 28 août 2026');
    expect(cohortDatesLabel('2026-07-01', '2026-09-01')).toBe('du mercredi 1er juillet au mardi 1er septembre 2026');
    expect(cohortDatesLabel('2026-12-28', '2027-01-08')).toBe('du lundi 28 décembre 2026 au vendredi 8 janvier 2027');
  });

  it('lists its towns', () => {
    expect(townsLabel(['Lens'])).toBe('Lens');
    expect(townsLabel(['Lens', 'Liévin'])).toBe('Lens et Liévin');
    expect(townsLabel(['Lens', 'Liévin', 'Avion'])).toBe('Lens, Liévin et Avion');
  });
});

describe('the placement message', () => {
  it('goes to the young person by e-mail and SMS with the cohort, its dates and towns', () => {
    const drafts = cohortPlacedDrafts(referral, cohort);
    expect(drafts.map((d) => `${d.role} ${d.channel} ${d.to}`)).toEqual(['young email zoe@example.org', 'young sms +33612345678']);
    expect(drafts[0]).toMatchObject({ kind: 'cohort-placed', subject: 'Votre cohorte CJS : CJS Lens été 2026' });
    expect(drafts[0]!.body).toContain('« CJS Lens été 2026 »');
    expect(drafts[0]!.body).toContain('du lundi 6 juillet au vendredi 28 août 2026, à Lens, Liévin et Avion');
    expect(drafts[1]!.body).toContain('du lundi 6 juillet au vendredi 28 aout 2026');
  });

  it('also goes to a minor’s guardian by e-mail', () => {
    const guardian = { firstName: 'Nadia', lastName: 'Lefèvre', email: 'nadia@example.org', phone: '+33712345678', relationship: 'Mère' };
    const drafts = cohortPlacedDrafts({ ...referral, guardian }, cohort);
    const toGuardian = drafts.find((d) => d.role === 'guardian');
    expect(toGuardian).toMatchObject({ channel: 'email', to: 'nadia@example.org', subject: 'Cohorte CJS de Zoé : CJS Lens été 2026' });
    expect(toGuardian!.body).toContain('Bonjour Nadia Lefèvre');
  });
});
