import { parisDate } from './time.js';

export const PROGRAMMES = ['accompagnement', 'cjs', 'jeunes-majeurs'] as const;
export type Programme = (typeof PROGRAMMES)[number];

export interface ProgrammeRules {
  label: string;
  /** Inclusive age bounds at the programme's start. */
  minAge: number;
  maxAge: number;
  /** Whether living in a priority neighbourhood (QPV) is expected (a priority, not a bar). */
  qpvExpected: boolean;
}

export const PROGRAMME_RULES: Record<Programme, ProgrammeRules> = {
  accompagnement: { label: 'Accompagnement individuel (18-29 ans)', minAge: 18, maxAge: 29, qpvExpected: false },
  cjs: { label: 'Coopérative Jeunesse de Services (16-18 ans, été)', minAge: 16, maxAge: 18, qpvExpected: true },
  'jeunes-majeurs': { label: 'Coopérative Jeunes Majeurs (18-29 ans)', minAge: 18, maxAge: 29, qpvExpected: false },
};

/** Age under which a guardian's consent is required. */
export const AGE_OF_MAJORITY = 18;

/**
 * The date a programme starts for a referral made on `referredOn`, unless the prescriber gave one:
 * the CJS runs in July and August, so its start is 1 July of this summer (or next summer once this one is over);
 * the other paths start when the referral is made.
 */
export function defaultProgrammeStart(programme: Programme, referredOn: string = parisDate()): string {
  if (programme !== 'cjs') return referredOn;
  const year = Number(referredOn.slice(0, 4));
  if (referredOn > `${year}-08-31`) return `${year + 1}-07-01`;
  return referredOn > `${year}-07-01` ? referredOn : `${year}-07-01`;
}

/** Départements of the cooperative's territory (the former mining basin: Pas-de-Calais and Nord). */
export const TERRITORY_DEPARTEMENTS = ['62', '59'] as const;
