import { addDays, formatFrenchDate } from '../time.js';
import type { CustomerKind } from './customers.js';

/**
 * Payment terms and the chase of unpaid invoices. An invoice is due `paymentTermsDays` after its issue date (the
 * cooperative's setting, 30 by default, the same for individuals and businesses; C. com. L441-10 caps it at 60 days);
 * unpaid, the customer is reminded at due + 7 and due + 30 days, and staff see it late from due + 45 days.
 * All dates are Paris calendar dates (YYYY-MM-DD).
 */

export const DEFAULT_PAYMENT_TERMS_DAYS = 30;
/** The longest payment term the law allows from the issue date (C. com. L441-10 I). */
export const MAX_PAYMENT_TERMS_DAYS = 60;

/** The steps of the chase, in order: two reminders to the customer, then the late flag for staff. */
export const CHASE_STEPS = ['first-reminder', 'second-reminder', 'late'] as const;
export type ChaseStep = (typeof CHASE_STEPS)[number];
/** The steps that e-mail the customer (the late flag is for staff only). */
export type ReminderStep = Exclude<ChaseStep, 'late'>;

export const isReminderStep = (step: ChaseStep): step is ReminderStep => step !== 'late';

/** Days after the due date at which each step comes. */
export const CHASE_OFFSET_DAYS: Record<ChaseStep, number> = { 'first-reminder': 7, 'second-reminder': 30, late: 45 };

/** @example dueDate('2027-01-31', 30) // '2027-03-02' */
export function dueDate(issueDate: string, paymentTermsDays: number = DEFAULT_PAYMENT_TERMS_DAYS): string {
  if (!Number.isInteger(paymentTermsDays) || paymentTermsDays < 0 || paymentTermsDays > MAX_PAYMENT_TERMS_DAYS) {
    throw new RangeError(`paymentTermsDays must be a whole number of days from 0 to ${MAX_PAYMENT_TERMS_DAYS}`);
  }
  return addDays(issueDate, paymentTermsDays);
}

/** The date of each chase step of an invoice due on `due`. */
export function chaseDates(due: string): Record<ChaseStep, string> {
  return { 'first-reminder': addDays(due, CHASE_OFFSET_DAYS['first-reminder']), 'second-reminder': addDays(due, CHASE_OFFSET_DAYS['second-reminder']), late: addDays(due, CHASE_OFFSET_DAYS.late) };
}

/** The steps taken after `step` in the chase's order: once one of them is taken, `step` is no longer due. */
export const laterChaseSteps = (step: ChaseStep): ChaseStep[] => CHASE_STEPS.slice(CHASE_STEPS.indexOf(step) + 1);

/**
 * The steps to take on `today`, in order; none once the invoice is paid. A step whose date has come is due unless it,
 * or a later step, was taken. Catching up after days without a run (decision 30): of the reminders due at once only
 * the latest goes (an invoice already past + 30 gets the second reminder, never the first and the second the same
 * morning), and the late flag is set as soon as its date has come.
 * @example dueChaseSteps('2027-03-02', '2027-04-20', 1000) // ['second-reminder', 'late']
 */
export function dueChaseSteps(due: string, today: string, outstandingCents: number, taken: readonly ChaseStep[] = []): ChaseStep[] {
  if (outstandingCents <= 0) return [];
  const dates = chaseDates(due);
  const pending = CHASE_STEPS.filter((step) => dates[step] <= today && !taken.includes(step) && !laterChaseSteps(step).some((later) => taken.includes(later)));
  const latestReminder = pending.filter(isReminderStep).at(-1);
  return pending.filter((step) => !isReminderStep(step) || step === latestReminder);
}

/** Late on the staff console: unpaid 45 days or more after its due date. */
export function isLate(due: string, today: string, outstandingCents: number): boolean {
  return outstandingCents > 0 && chaseDates(due).late <= today;
}

/** "Paiement à 30 jours, au plus tard le 02/03/2027." */
export function paymentTermsText(due: string, paymentTermsDays: number): string {
  const terms = paymentTermsDays === 0 ? 'Paiement à réception' : `Paiement à ${paymentTermsDays} jours`;
  return `${terms}, au plus tard le ${formatFrenchDate(due)}.`;
}

export const NO_DISCOUNT_MENTION = 'Pas d’escompte pour paiement anticipé.';
export const LATE_PENALTY_MENTION =
  'En cas de retard de paiement, des pénalités sont exigibles sans qu’un rappel soit nécessaire, au taux de trois fois le taux d’intérêt légal (article L441-10 du Code de commerce).';
export const RECOVERY_INDEMNITY_MENTION =
  'Tout retard de paiement rend de plein droit le client professionnel débiteur d’une indemnité forfaitaire pour frais de recouvrement de 40 € (articles L441-10 et D441-5 du Code de commerce).';

/** The fixed recovery indemnity owed by a business that pays late (D441-5), in cents. */
export const RECOVERY_INDEMNITY_CENTS = 4000;

/**
 * The payment mentions an invoice carries after its terms: between professionals the discount conditions, the late
 * penalties and the EUR 40 indemnity are mandatory (L441-9, L441-10, D441-5); a private customer owes neither.
 */
export function paymentMentions(customerKind: CustomerKind): string[] {
  return customerKind === 'business' ? [NO_DISCOUNT_MENTION, LATE_PENALTY_MENTION, RECOVERY_INDEMNITY_MENTION] : [NO_DISCOUNT_MENTION];
}
