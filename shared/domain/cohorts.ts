import type { OutboxDraft } from '../data/outbox.js';
import { render } from './messages/catalogue.js';
import { PROGRAMME_RULES } from './programmes.js';
import type { ReferralForMessages } from './referral-messages.js';

/** What a cohort's message and page say of it. */
export interface CohortForMessages {
  name: string;
  startDate: string;
  endDate: string;
  towns: readonly string[];
}

const DAY = new Intl.DateTimeFormat('fr-FR', { timeZone: 'UTC', weekday: 'long', day: 'numeric', month: 'long' });
/** "mercredi 1er juillet": French writes the first of the month as an ordinal. */
const dayOf = (isoDate: string) => DAY.format(new Date(`${isoDate}T12:00:00Z`)).replace(/ 1 /, ' 1er ');

/**
 * A cohort's dates in French (calendar dates: no time zone shift).
 * @example cohortDatesLabel('2026-07-06', '2026-08-28') // 'du lundi 6 juillet au vendredi 28 août 2026'
 */
export function cohortDatesLabel(startDate: string, endDate: string): string {
  const startYear = startDate.slice(0, 4);
  const endYear = endDate.slice(0, 4);
  return `du ${dayOf(startDate)}${startYear === endYear ? '' : ` ${startYear}`} au ${dayOf(endDate)} ${endYear}`;
}

/**
 * Towns as a French list.
 * @example townsLabel(['Lens', 'Liévin', 'Avion']) // 'Lens, Liévin et Avion'
 */
export function townsLabel(towns: readonly string[]): string {
  return towns.length <= 1 ? (towns[0] ?? '') : `${towns.slice(0, -1).join(', ')} et ${towns[towns.length - 1]}`;
}

/** A young person placed in a cohort: by e-mail and SMS, and a minor's guardian by e-mail. */
export function cohortPlacedDrafts(referral: ReferralForMessages, cohort: CohortForMessages): OutboxDraft[] {
  const kind = 'cohort-placed';
  const vars = {
    youngFirstName: referral.youngPerson.firstName,
    programmeLabel: PROGRAMME_RULES[referral.programme].label,
    reference: referral.reference,
    cohortName: cohort.name,
    cohortDates: cohortDatesLabel(cohort.startDate, cohort.endDate),
    cohortTowns: townsLabel(cohort.towns),
  };
  const drafts: OutboxDraft[] = [
    { kind, role: 'young', channel: 'email', to: referral.youngPerson.email, ...render(kind, 'young', 'email', vars) },
    { kind, role: 'young', channel: 'sms', to: referral.youngPerson.phone, body: render(kind, 'young', 'sms', vars).body },
  ];
  if (referral.guardian) {
    const guardianName = `${referral.guardian.firstName} ${referral.guardian.lastName}`;
    drafts.push({ kind, role: 'guardian', channel: 'email', to: referral.guardian.email, ...render(kind, 'guardian', 'email', { ...vars, guardianName }) });
  }
  return drafts;
}
