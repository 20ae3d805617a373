import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  ACTIVITY_STATUSES,
  ACTIVITY_TRANSITIONS,
  DEFAULT_SERVICE_KINDS,
  addMonths,
  canMoveActivity,
  choosableServiceKinds,
  cohortCreateSchema,
  contributionProblem,
  contributionRatesFromEnv,
  createActivitySchema,
  launchFileSchema,
  launchProblems,
  mergeCatalogue,
  newPriceVersionRefusal,
  priceListInForce,
  priceVersionSchema,
  serviceKindSchema,
  staffLaunchFileSchema,
  statusChangeSchema,
  withLineIds,
  type LaunchActivity,
  type LaunchMember,
  type PriceLine,
  type ServiceKind,
} from '../../shared/domain/activities.js';
import { DEFAULT_CONTRIBUTION_RATES } from '../../infra/config.js';
import { PROGRAMMES } from '../../shared/domain/programmes.js';
import { toFieldErrors } from '../../shared/domain/validation.js';
import { launchFile } from '../support/fixtures.js';

const TODAY = '2026-06-15';
const line = (serviceKind: string, extra: Partial<PriceLine> = {}): PriceLine => ({ lineId: 'L1', label: 'Tonte', unit: 'heure', unitPriceCents: 1500, serviceKind, vatRateBps: null, ...extra });
const version = (v: number, effectiveFrom: string, lines: PriceLine[] = [line('jardinage')]) => ({ version: v, effectiveFrom, lines });
const adult: LaunchMember = { referralId: 'r-1', name: 'Léa Martin', birthDate: '2000-03-01', contractCountersigned: true };
const personal = (extra: Partial<LaunchActivity> = {}): LaunchActivity => ({
  shape: 'personal',
  programme: 'accompagnement',
  serviceKinds: ['jardinage'],
  monthlyGoalCents: 80_000,
  startDate: '2026-07-01',
  contributionRateBps: 1000,
  ...extra,
});
const check = (activity: LaunchActivity, extra: { members?: LaunchMember[]; prices?: ReturnType<typeof version>[]; catalogue?: ServiceKind[]; today?: string } = {}) =>
  launchProblems({
    activity,
    members: extra.members ?? [adult],
    prices: extra.prices ?? [version(1, activity.startDate)],
    catalogue: extra.catalogue ?? [...DEFAULT_SERVICE_KINDS],
    rates: DEFAULT_CONTRIBUTION_RATES,
    today: extra.today ?? TODAY,
  });
const fields = (problems: { field: string }[]) => problems.map((p) => p.field);

describe('activity statuses', () => {
  it('allows only the moves of the launch and of a launched activity', () => {
    expect(canMoveActivity('draft', 'awaiting-approval')).toBe(true);
    expect(canMoveActivity('awaiting-approval', 'draft')).toBe(true);
    expect(canMoveActivity('awaiting-approval', 'active')).toBe(true);
    expect(canMoveActivity('active', 'paused') && canMoveActivity('paused', 'active')).toBe(true);
    expect(canMoveActivity('active', 'closed') && canMoveActivity('paused', 'closed')).toBe(true);
    expect(canMoveActivity('draft', 'active')).toBe(false);
    expect(canMoveActivity('closed', 'active')).toBe(false);
    expect(canMoveActivity('paused', 'awaiting-approval')).toBe(false);
    const moves = ACTIVITY_STATUSES.flatMap((from) => ACTIVITY_TRANSITIONS[from].map((to) => `${from}>${to}`));
    expect(moves).toHaveLength(7);
  });
});

describe('launch checks', () => {
  it('finds nothing wrong in a complete file', () => {
    expect(check(personal())).toEqual([]);
  });

  it('wants a price list with at least one line', () => {
    expect(fields(check(personal(), { prices: [] }))).toEqual(['priceLines']);
    expect(fields(check(personal(), { prices: [version(1, '2026-07-01', [])] }))).toEqual(['priceLines']);
  });

  it('keeps the contribution rate within the programme\'s bounds', () => {
    expect(fields(check(personal({ contributionRateBps: 499 })))).toEqual(['contributionRateBps']);
    expect(fields(check(personal({ contributionRateBps: 1501 })))).toEqual(['contributionRateBps']);
    expect(check(personal({ contributionRateBps: 1500 }))).toEqual([]);
    expect(check(personal({ contributionRateBps: 2000 }))[0]!.message).toBe('Le taux de contribution doit être compris entre 5 % et 15 % pour ce programme.');
  });

  it('wants every member to have a countersigned contract', () => {
    const problems = check(personal(), { members: [adult, { ...adult, referralId: 'r-2', name: 'Sami Haddad', contractCountersigned: false }] });
    expect(problems).toEqual([{ field: 'members', message: "Sami Haddad n'a pas de contrat contresigné." }]);
    expect(fields(check(personal(), { members: [] }))).toEqual(['members']);
  });

  it('knows every service kind, active, and every price line on one of the activity\'s kinds', () => {
    expect(check(personal({ serviceKinds: ['jardinage', 'plomberie'] }))).toEqual([{ field: 'serviceKinds', message: 'Service inconnu : « plomberie ».' }]);
    const retired = mergeCatalogue([{ ...DEFAULT_SERVICE_KINDS.find((k) => k.code === 'jardinage')!, active: false }]);
    expect(fields(check(personal(), { catalogue: retired }))).toEqual(['serviceKinds']);
    expect(fields(check(personal(), { prices: [version(1, '2026-07-01', [line('jardinage'), line('graphisme', { lineId: 'L2' })])] }))).toEqual(['priceLines.1.serviceKind']);
  });

  it('wants a whole, non-negative monthly goal and a start date not in the past', () => {
    expect(fields(check(personal({ monthlyGoalCents: -1 })))).toEqual(['monthlyGoalCents']);
    expect(fields(check(personal({ monthlyGoalCents: 10.5 })))).toEqual(['monthlyGoalCents']);
    expect(fields(check(personal({ startDate: '2026-06-14' }), { prices: [version(1, '2026-06-14')] }))).toEqual(['startDate']);
    expect(check(personal({ startDate: TODAY }), { prices: [version(1, TODAY)] })).toEqual([]);
  });

  it('gives a collective Jeunes Majeurs activity 6 to 12 months', () => {
    const collective = (endDate?: string) => personal({ shape: 'collective', programme: 'jeunes-majeurs', contributionRateBps: 800, startDate: '2026-08-31', endDate });
    expect(check(collective('2027-02-28'))).toEqual([]); // 6 months, the end of a shorter month
    expect(check(collective('2027-08-31'))).toEqual([]);
    expect(fields(check(collective('2027-02-27')))).toEqual(['endDate']);
    expect(fields(check(collective('2027-09-01')))).toEqual(['endDate']);
    expect(fields(check(collective(undefined)))).toEqual(['endDate']);
    // A personal Jeunes Majeurs activity has no such bound.
    expect(check(personal({ programme: 'jeunes-majeurs', contributionRateBps: 800 }))).toEqual([]);
  });

  it('checks again at approval what changed since the submission (a contract, a retired kind, a passed start date)', () => {
    const atSubmission = check(personal());
    const atApproval = check(personal(), { today: '2026-07-02', members: [{ ...adult, contractCountersigned: false }] });
    expect(atSubmission).toEqual([]);
    expect(fields(atApproval).sort()).toEqual(['members', 'startDate']);
  });
});

describe('services closed to minors', () => {
  const closed = DEFAULT_SERVICE_KINDS.filter((k) => !k.openToMinors).map((k) => k.code).sort();

  it('closes removals, pruning and driving people to minors, each with its French reason', () => {
    expect(closed).toEqual(['demenagement', 'elagage', 'transport-personnes']);
    for (const kind of DEFAULT_SERVICE_KINDS) {
      if (kind.openToMinors) expect(kind.minorsClosedReason).toBeUndefined();
      else expect(kind.minorsClosedReason).toMatch(/Code du travail|D4153/);
    }
    expect(choosableServiceKinds(DEFAULT_SERVICE_KINDS, true).map((k) => k.code)).not.toContain('demenagement');
    expect(choosableServiceKinds(DEFAULT_SERVICE_KINDS, false)).toHaveLength(DEFAULT_SERVICE_KINDS.length);
  });

  it('refuses a minor member on a closed service, counting the age at the start date', () => {
    const movers = personal({ programme: 'jeunes-majeurs', contributionRateBps: 800, serviceKinds: ['jardinage', 'demenagement'], startDate: '2026-07-01' });
    // 17 on 15 June, 18 on 20 June: an adult when the activity starts on 1 July.
    const turnsEighteenBefore = { ...adult, name: 'Noah Petit', birthDate: '2008-06-20' };
    expect(check(movers, { members: [turnsEighteenBefore] })).toEqual([]);
    // 18 only on 2 July: a minor when the activity starts.
    const turnsEighteenAfter = { ...adult, name: 'Inès Roux', birthDate: '2008-07-02' };
    const problems = check(movers, { members: [turnsEighteenAfter] });
    expect(problems).toHaveLength(1);
    expect(problems[0]!.field).toBe('serviceKinds');
    expect(problems[0]!.message).toContain('Inès Roux est mineur(e) : le service « Aide au déménagement » lui est fermé');
  });

  it('counts the age today for an activity that already started', () => {
    const movers = personal({ programme: 'jeunes-majeurs', contributionRateBps: 800, serviceKinds: ['demenagement'], startDate: '2026-07-01' });
    const member = { ...adult, birthDate: '2008-07-10' };
    expect(fields(check(movers, { members: [member], today: '2026-07-05' }))).toContain('serviceKinds');
    expect(fields(check(movers, { members: [member], today: '2026-07-10' }))).not.toContain('serviceKinds');
  });

  it('keeps a CJS activity to services open to minors, whoever its members are', () => {
    const cjs = personal({ shape: 'collective', programme: 'cjs', contributionRateBps: 0, serviceKinds: ['lavage-vehicules', 'elagage'] });
    expect(check(cjs, { prices: [version(1, '2026-07-01', [line('lavage-vehicules')])] })).toEqual([
      { field: 'serviceKinds', message: 'Le service « Élagage et taille en hauteur » est fermé aux mineurs : la CJS ne propose que des services ouverts aux mineurs.' },
    ]);
  });
});

describe('price-list versions', () => {
  const versions = [version(1, '2026-07-01'), version(2, '2026-09-01'), version(3, '2026-09-01'), version(4, '2026-08-01')];

  it('uses the prices in force on the day of the service', () => {
    expect(priceListInForce(versions, '2026-06-30')).toBeUndefined(); // before the first version
    expect(priceListInForce(versions, '2026-07-01')?.version).toBe(1);
    expect(priceListInForce(versions, '2026-08-15')?.version).toBe(4); // a later number, an earlier date
    expect(priceListInForce(versions, '2026-08-31')?.version).toBe(4);
    expect(priceListInForce(versions, '2026-09-01')?.version).toBe(3); // two versions the same day: the higher
    expect(priceListInForce(versions, '2030-01-01')?.version).toBe(3);
  });

  it('does not depend on the order the versions are read in', () => {
    fc.assert(
      fc.property(fc.shuffledSubarray(versions, { minLength: 1 }), fc.date({ min: new Date('2026-06-01'), max: new Date('2026-12-31'), noInvalidDate: true }), (subset, day) => {
        const date = day.toISOString().slice(0, 10);
        const expected = subset.filter((v) => v.effectiveFrom <= date).sort((a, b) => a.effectiveFrom.localeCompare(b.effectiveFrom) || a.version - b.version).at(-1);
        expect(priceListInForce([...subset].reverse(), date)).toBe(expected);
        expect(priceListInForce(subset, date)).toBe(expected);
      }),
    );
  });

  it('lets a new version of an active activity start today at the earliest', () => {
    expect(newPriceVersionRefusal('2026-06-14', TODAY)).toMatch(/aujourd'hui au plus tôt/);
    expect(newPriceVersionRefusal(TODAY, TODAY)).toBeUndefined();
  });

  it('names the lines without an id', () => {
    const lines = withLineIds([{ ...line('jardinage'), lineId: 'L2' }, { label: 'Taille', unit: 'forfait', unitPriceCents: 4000, serviceKind: 'jardinage', vatRateBps: null }]);
    expect(lines.map((l) => l.lineId)).toEqual(['L2', 'L1']);
  });
});

describe('contribution bounds', () => {
  it('has a default within its bounds for every programme', () => {
    expect(DEFAULT_CONTRIBUTION_RATES).toEqual({
      accompagnement: { defaultBps: 1000, minBps: 500, maxBps: 1500 },
      cjs: { defaultBps: 0, minBps: 0, maxBps: 1000 },
      'jeunes-majeurs': { defaultBps: 800, minBps: 500, maxBps: 1500 },
    });
    for (const programme of PROGRAMMES) {
      const { defaultBps, minBps, maxBps } = DEFAULT_CONTRIBUTION_RATES[programme];
      expect(contributionProblem(programme, defaultBps, DEFAULT_CONTRIBUTION_RATES)).toBeUndefined();
      expect(contributionProblem(programme, minBps, DEFAULT_CONTRIBUTION_RATES)).toBeUndefined();
      expect(contributionProblem(programme, maxBps, DEFAULT_CONTRIBUTION_RATES)).toBeUndefined();
      expect(contributionProblem(programme, maxBps + 1, DEFAULT_CONTRIBUTION_RATES)).toBeDefined();
      if (minBps > 0) expect(contributionProblem(programme, minBps - 1, DEFAULT_CONTRIBUTION_RATES)).toBeDefined();
    }
    expect(contributionProblem('cjs', 1200, DEFAULT_CONTRIBUTION_RATES)).toBe('Le taux de contribution doit être compris entre 0 % et 10 % pour ce programme.');
  });

  it('reads the stage\'s rates from CONTRIBUTION_RATES', () => {
    const rates = contributionRatesFromEnv({ CONTRIBUTION_RATES: JSON.stringify({ cjs: { defaultBps: 100, minBps: 0, maxBps: 200 } }) });
    expect(rates.cjs.maxBps).toBe(200);
    expect(rates.accompagnement).toEqual(DEFAULT_CONTRIBUTION_RATES.accompagnement);
    expect(contributionRatesFromEnv({})).toBe(DEFAULT_CONTRIBUTION_RATES);
  });
});

describe('request bodies', () => {
  const file = launchFile('2026-07-01');
  const errors = (schema: { safeParse: (v: unknown) => { success: boolean; error?: { issues: unknown[] } } }, value: unknown) => {
    const result = schema.safeParse(value);
    return result.success ? [] : toFieldErrors(result.error!.issues as never);
  };

  it('accepts a launch file, and refuses fractional, negative or non-number cents field by field', () => {
    expect(errors(launchFileSchema, file)).toEqual([]);
    const priced = (unitPriceCents: unknown) => errors(launchFileSchema, { ...file, priceLines: [{ ...file.priceLines[0], unitPriceCents }] });
    expect(priced(12.5)).toEqual([{ field: 'priceLines.0.unitPriceCents', message: 'Prix unitaire : un nombre entier de centimes est attendu (pas de fraction).' }]);
    expect(priced(-100)).toEqual([{ field: 'priceLines.0.unitPriceCents', message: 'Prix unitaire : le montant doit être positif.' }]);
    expect(priced(0)).toEqual([{ field: 'priceLines.0.unitPriceCents', message: 'Prix unitaire : le montant doit être positif.' }]);
    expect(priced('15')).toEqual([{ field: 'priceLines.0.unitPriceCents', message: 'Prix unitaire : un montant en centimes est attendu.' }]);
    expect(priced(100_000_01)[0]!.message).toBe('Prix unitaire : 100\u00a0000,00\u00a0€ au maximum.');
    expect(errors(launchFileSchema, { ...file, monthlyGoalCents: -5 })).toEqual([{ field: 'monthlyGoalCents', message: 'Objectif mensuel : le montant ne peut pas être négatif.' }]);
    expect(errors(launchFileSchema, { ...file, monthlyGoalCents: 0 })).toEqual([]);
  });

  it('refuses a wrong VAT rate, unknown fields, a contribution rate from the young person, and an end before the start', () => {
    expect(errors(launchFileSchema, { ...file, priceLines: [{ ...file.priceLines[0], vatRateBps: 1900 }] })[0]!.field).toBe('priceLines.0.vatRateBps');
    expect(errors(launchFileSchema, { ...file, contributionRateBps: 0 })).toEqual([{ field: 'contributionRateBps', message: 'Champ inconnu : « contributionRateBps ».' }]);
    expect(errors(staffLaunchFileSchema, { ...file, contributionRateBps: 1200 })).toEqual([]);
    expect(errors(staffLaunchFileSchema, { ...file, contributionRateBps: 12.5 })[0]!.field).toBe('contributionRateBps');
    expect(errors(launchFileSchema, { ...file, endDate: '2026-06-01' })).toEqual([{ field: 'endDate', message: 'La date de fin doit suivre la date de début.' }]);
    expect(errors(launchFileSchema, { ...file, serviceKinds: ['Jardinage!'] })[0]!.field).toBe('serviceKinds.0');
  });

  it('creates personal or collective Jeunes Majeurs activities only', () => {
    expect(errors(createActivitySchema, { shape: 'personal', referralId: 'abc-123', ...file })).toEqual([]);
    expect(errors(createActivitySchema, { shape: 'collective', programme: 'jeunes-majeurs', ...file, endDate: '2027-01-01' })).toEqual([]);
    expect(errors(createActivitySchema, { shape: 'collective', programme: 'cjs', ...file })[0]!.field).toBe('programme');
    expect(errors(createActivitySchema, { shape: 'team', ...file })[0]!.message).toBe('Forme inconnue : « personal » ou « collective ».');
  });

  it('checks a price version, a status change, a service kind and a cohort', () => {
    expect(errors(priceVersionSchema, { effectiveFrom: '2026-07-01', lines: [] })).toEqual([{ field: 'lines', message: 'Ajoutez au moins une ligne à la grille de prix.' }]);
    expect(errors(priceVersionSchema, { effectiveFrom: '2026-02-30', lines: file.priceLines })[0]!.field).toBe('effectiveFrom');
    expect(errors(statusChangeSchema, { status: 'draft', reason: 'Pause estivale' })[0]!.field).toBe('status');
    expect(errors(statusChangeSchema, { status: 'paused', reason: 'Pause estivale' })).toEqual([]);
    expect(errors(serviceKindSchema, { label: 'Couvreur', defaultVatRateBps: 2000, insuranceNotes: 'RC', openToMinors: false })).toEqual([
      { field: 'minorsClosedReason', message: 'Dites pourquoi ce service est fermé aux mineurs.' },
    ]);
    const cohort = { name: 'CJS Lens 2026', startDate: '2026-07-01', endDate: '2026-08-21', towns: ['Lens', 'Liévin'] };
    expect(errors(cohortCreateSchema, cohort)).toEqual([]);
    expect(errors(cohortCreateSchema, { ...cohort, capacity: 21 })[0]!.field).toBe('capacity');
    expect(errors(cohortCreateSchema, { ...cohort, startDate: '2026-03-01' })[0]!.message).toContain("l'été");
  });
});

describe('dates', () => {
  it('adds months, keeping to the end of a shorter month', () => {
    expect(addMonths('2026-08-31', 6)).toBe('2027-02-28');
    expect(addMonths('2026-01-15', 12)).toBe('2027-01-15');
    expect(addMonths('2027-08-31', 6)).toBe('2028-02-29');
  });
});
