import { describe, expect, it } from 'vitest';
import { checkEligibility, type EligibilityInput } from '../../shared/domain/eligibility.js';
import { defaultProgrammeStart } from '../../shared/domain/programmes.js';
import { ageOn } from '../../shared/domain/time.js';

const base: EligibilityInput = {
  programme: 'accompagnement',
  birthDate: '2000-05-10',
  postalCode: '62300',
  qpv: false,
  situation: 'demandeur-emploi',
  hasGuardian: false,
  referredOn: '2026-11-26',
};

describe('age is counted at the programme start, in whole years', () => {
  it('counts a birthday on the day itself', () => {
    expect(ageOn('2008-07-01', '2026-07-01')).toBe(18);
    expect(ageOn('2008-07-02', '2026-07-01')).toBe(17);
  });
  it('makes a 29 February birthday count on 1 March in a common year', () => {
    expect(ageOn('2008-02-29', '2026-02-28')).toBe(17);
    expect(ageOn('2008-02-29', '2026-03-01')).toBe(18);
  });
});

describe('accompagnement individuel: 18 to 29 at the start', () => {
  it('accepts 18 and 29 and explains it', () => {
    expect(checkEligibility({ ...base, birthDate: '2008-11-26' }).eligible).toBe(true);
    const r = checkEligibility({ ...base, birthDate: '1996-11-27' });
    expect(r.eligible).toBe(true);
    expect(r.ageAtStart).toBe(29);
    expect(r.explanation[0]).toContain('29 ans');
  });
  it('refuses 30 and 17, saying why', () => {
    const old = checkEligibility({ ...base, birthDate: '1996-11-26' });
    expect(old.eligible).toBe(false);
    expect(old.explanation[0]).toMatch(/30 ans .*hors de la tranche 18-29/);
    expect(checkEligibility({ ...base, birthDate: '2008-11-27', hasGuardian: true }).eligible).toBe(false);
  });
});

describe('CJS: 16 to 18 at the start of the summer, with a guardian for a minor', () => {
  it('starts on 1 July of this summer, or next summer once it is over', () => {
    expect(defaultProgrammeStart('cjs', '2026-03-15')).toBe('2026-07-01');
    expect(defaultProgrammeStart('cjs', '2026-07-20')).toBe('2026-07-20');
    expect(defaultProgrammeStart('cjs', '2026-11-26')).toBe('2027-07-01');
    expect(defaultProgrammeStart('accompagnement', '2026-11-26')).toBe('2026-11-26');
  });
  it('counts the age on 1 July: 15 today but 16 next July is eligible', () => {
    const r = checkEligibility({ ...base, programme: 'cjs', birthDate: '2011-03-01', hasGuardian: true, qpv: true, situation: 'etudiant' });
    expect(r.programmeStartDate).toBe('2027-07-01');
    expect(r.ageAtStart).toBe(16);
    expect(r.eligible).toBe(true);
  });
  it('requires a guardian for a minor', () => {
    const r = checkEligibility({ ...base, programme: 'cjs', birthDate: '2010-03-01', hasGuardian: false, qpv: true });
    expect(r.eligible).toBe(false);
    expect(r.explanation.join(' ')).toContain('représentant légal doit être renseigné');
  });
  it('flags, without refusing, a young person outside the priority neighbourhoods', () => {
    const r = checkEligibility({ ...base, programme: 'cjs', birthDate: '2010-03-01', hasGuardian: true, qpv: false });
    expect(r.eligible).toBe(true);
    expect(r.explanation.join(' ')).toContain('QPV');
  });
  it('refuses 19 at the start', () => {
    expect(checkEligibility({ ...base, programme: 'cjs', birthDate: '2008-06-30' }).eligible).toBe(false);
  });
});

describe('territory: Pas-de-Calais and Nord', () => {
  it('accepts 62 and 59, refuses elsewhere', () => {
    expect(checkEligibility({ ...base, postalCode: '59000' }).eligible).toBe(true);
    const paris = checkEligibility({ ...base, postalCode: '75011' });
    expect(paris.eligible).toBe(false);
    expect(paris.explanation.join(' ')).toContain('hors du territoire');
  });
});
