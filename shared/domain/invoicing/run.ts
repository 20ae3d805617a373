/**
 * The monthly invoicing run's rules (the data is in shared/data/invoicing-runs.ts, the workflow in
 * workflows/monthly-invoicing.ts): which months a firing of the schedule invoices, and what the run's ledger holds.
 * Months are YYYY-MM in Europe/Paris.
 */

import * as z from 'zod/mini';
import { parisDate } from '../time.js';
import { choice, text } from '../validation.js';
import { invoiceTotals, type VatMode } from './amounts.js';
import { monthLabel, ofMonth } from './statement.js';
import type { CustomerRecord, DeclarationRecord, InvoiceDraft, InvoiceEvent, InvoiceRecord } from './records.js';

export const RUN_STATUSES = ['drafting', 'awaiting-validation', 'numbering', 'sending', 'statements', 'done'] as const;
export type InvoicingRunStatus = (typeof RUN_STATUSES)[number];

/** What started a month's run: the monthly schedule, the schedule catching up a missed month, or staff. */
export const RUN_TRIGGERS = ['schedule', 'catch-up', 'staff'] as const;
export type InvoicingRunTrigger = (typeof RUN_TRIGGERS)[number];

export interface InvoicingRunCounts {
  activities: number;
  invoices: number;
  held: number;
  issued: number;
  sent: number;
  failedActivities: number;
  /** Activities whose month has its statements (their members' PDFs and e-mails). */
  statements: number;
}

/** The ledger item of a month's run: claimed once, never run again. */
export interface InvoicingRunRecord {
  month: string;
  status: InvoicingRunStatus;
  trigger: InvoicingRunTrigger;
  startedAt: string;
  executionName: string;
  counts: InvoicingRunCounts;
  /** The staff validation of the month's batch, while and after it waits (the waiting step's pointer: `currentApprovalId`). */
  approvalId?: string;
  currentApprovalId?: string;
  /** When drafting ended and the batch began to wait for staff: the inbox ages it from then. */
  draftedAt?: string;
  /** The validation: who, when, and the invoices held with their reasons (recorded with the decision). */
  validatedAt?: string;
  validatedBy?: { id: string; name: string };
  held?: Array<{ invoiceId: string; reason: string }>;
  /** The Paris day the month's invoices were numbered (their issue date), set by the first numbering step. */
  issueDate?: string;
  finishedAt?: string;
  updatedAt: string;
}

/** How far back a firing of the schedule catches up missed months (the month it invoices included). */
export const CATCH_UP_MONTHS = 12;

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** True for a real month written YYYY-MM. */
export const isMonth = (value: string): boolean => MONTH.test(value);

/**
 * The month `count` months after `month` (before it when negative).
 * @example addToMonth('2027-01', -1) // '2026-12'
 */
export function addToMonth(month: string, count: number): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const index = y * 12 + (m - 1) + count;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
}

/** The month before the one of `instant` in Paris: what a firing of the schedule invoices. */
export const previousParisMonth = (instant: Date): string => addToMonth(parisDate(instant).slice(0, 7), -1);

/**
 * The first month a run may invoice: the cooperative invoiced nothing before, and a month such as
 * `0001-01` is a typing mistake. Months the schedule starts (the previous Paris month, the missed ones) are later.
 */
export const EARLIEST_INVOICING_MONTH = '2000-01';

/**
 * Why staff may not start `month`'s run at `now`, or undefined: a month before
 * `EARLIEST_INVOICING_MONTH`, or one not over yet in Paris (the current month, the months to come). The previous Paris
 * month, which the schedule invoices on the 1st, is always allowed. `message` says what is allowed; `field` is the
 * month field's own message.
 */
export function invoicingMonthRefusal(month: string, now: Date): { message: string; field: string } | undefined {
  const last = previousParisMonth(now);
  const range = `${ofMonth(monthLabel(EARLIEST_INVOICING_MONTH))} à ${monthLabel(last)}`;
  if (month < EARLIEST_INVOICING_MONTH) return { message: `Ce mois est trop ancien : la facturation se lance pour un mois ${range}.`, field: `Un mois depuis ${monthLabel(EARLIEST_INVOICING_MONTH)}, au format AAAA-MM.` };
  if (month > last) return { message: `Seul un mois terminé se facture : ${monthLabel(last)} au plus tard.`, field: 'Un mois passé, au format AAAA-MM.' };
  return undefined;
}

/** The execution name of a month's run: deterministic, so a month is one execution whoever starts it. */
export const invoicingExecutionName = (month: string) => `invoicing-${month}`;

/**
 * The months a firing of the schedule at `now` runs, oldest first: the previous Paris month and every month missed
 * since the last month in the ledger (`lastRunMonth`), at most `CATCH_UP_MONTHS` in all and never before
 * `firstMonth` (the first month invoiced by this system). With no run in the ledger, only the previous month (and
 * none before `firstMonth`). Months already claimed are skipped by the ledger, not here.
 * @example monthsToRun({ now: new Date('2027-04-01T04:00:00Z'), lastRunMonth: '2027-01' }) // ['2027-02', '2027-03']
 */
export function monthsToRun(input: { now: Date; lastRunMonth?: string; firstMonth?: string }): string[] {
  const target = previousParisMonth(input.now);
  const floor = [addToMonth(target, -(CATCH_UP_MONTHS - 1)), input.firstMonth && isMonth(input.firstMonth) ? input.firstMonth : ''].sort().at(-1)!;
  const from = input.lastRunMonth ? [addToMonth(input.lastRunMonth, 1), floor].sort().at(-1)! : [target, floor].sort().at(-1)!;
  const months: string[] = [];
  for (let month = from; month <= target; month = addToMonth(month, 1)) months.push(month);
  return months;
}

export const emptyRunCounts = (): InvoicingRunCounts => ({ activities: 0, invoices: 0, held: 0, issued: 0, sent: 0, failedActivities: 0, statements: 0 });

// --- The staff validation of a month's batch (waiting step `invoicing-batch`) ---

export const BATCH_OUTCOMES = ['approve'] as const;
export type BatchOutcome = (typeof BATCH_OUTCOMES)[number];
export const BATCH_OUTCOME_LABELS: Record<BatchOutcome, string> = { approve: 'Factures du mois validées' };

/** Invoices staff may hold in one validation: a batch is validated whole, a few kept back. */
export const MAX_HELD = 500;

/**
 * `{ outcome: 'approve', held?: [{ invoiceId, reason }] }`: approve the month's drafts, except those held, each with
 * the reason its members read.
 */
export const batchDecisionSchema = z
  .strictObject(
    {
      outcome: choice(BATCH_OUTCOMES, 'Décision inconnue (seule la validation des factures du mois est possible).'),
      held: z.optional(
        z
          .array(
            z.strictObject(
              {
                invoiceId: text({ max: 200, requiredMessage: 'Indiquez la facture à mettre en attente.' }),
                reason: text({ max: 1000, requiredMessage: 'Dites aux membres pourquoi la facture est mise en attente.' }),
              },
              'Chaque facture mise en attente est un objet { invoiceId, reason }.',
            ),
            'La liste des factures mises en attente doit être un tableau.',
          )
          .check(z.maxLength(MAX_HELD, `${MAX_HELD} factures au plus peuvent être mises en attente à la fois.`)),
      ),
    },
    'Le contenu doit être un objet JSON.',
  )
  .check(
    z.superRefine((value, ctx) => {
      const seen = new Set<string>();
      (value.held ?? []).forEach((h, i) => {
        if (seen.has(h.invoiceId)) ctx.issues.push({ code: 'custom', input: undefined, path: ['held', i, 'invoiceId'], message: 'Cette facture est déjà dans la liste.' });
        seen.add(h.invoiceId);
      });
    }),
  );
export type BatchDecision = z.infer<typeof batchDecisionSchema>;

// --- Drafting an activity's month ---

/**
 * The month's drafts of one activity from its declarations: one invoice per customer, the lines in service-date
 * order with the declaration they come from, the totals of shared/domain/invoicing/amounts.ts under the cooperative's
 * VAT mode. Declarations of a customer no longer known are left out (`missingCustomers`).
 */
export function monthDrafts(declarations: ReadonlyArray<Omit<DeclarationRecord, 'status'>>, customers: readonly CustomerRecord[], vatMode: VatMode): { drafts: InvoiceDraft[]; missingCustomers: string[] } {
  const byId = new Map(customers.map((c) => [c.customerId, c]));
  const byCustomer = new Map<string, Array<Omit<DeclarationRecord, 'status'>>>();
  for (const d of declarations) byCustomer.set(d.customerId, [...(byCustomer.get(d.customerId) ?? []), d]);
  const drafts: InvoiceDraft[] = [];
  const missingCustomers: string[] = [];
  for (const [customerId, ofCustomer] of [...byCustomer.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const customer = byId.get(customerId);
    if (!customer) {
      missingCustomers.push(customerId);
      continue;
    }
    const ordered = [...ofCustomer].sort((a, b) => a.serviceDate.localeCompare(b.serviceDate) || a.declarationId.localeCompare(b.declarationId));
    const lines = ordered.flatMap((d) => d.lines.map((l) => ({ ...l, vatRateBps: vatMode === 'franchise' ? null : l.vatRateBps, declarationId: d.declarationId, serviceDate: d.serviceDate })));
    if (lines.length === 0) continue;
    const totals = invoiceTotals(lines, vatMode);
    const { activityId, kind, name, address, email, siren, vatNumber } = customer;
    drafts.push({
      customer: { activityId, customerId, kind, name, address, email, ...(siren ? { siren } : {}), ...(vatNumber ? { vatNumber } : {}) },
      lines: lines.map((l, i) => ({ ...l, netCents: totals.lines[i]!.netCents })),
      totals: {
        netCents: totals.netCents,
        vatCents: totals.vatCents,
        grossCents: totals.grossCents,
        perRate: totals.perRate.map((g) => ({ vatRateBps: g.category === 'E' ? null : g.vatRateBps, baseCents: g.baseCents, vatCents: g.vatCents })),
      },
      declarationIds: ordered.map((d) => d.declarationId),
    });
  }
  return { drafts, missingCustomers };
}

/** The numbering batch of a month's validated drafts, and of one invoice released later (its own batch). */
export const monthBatchKey = (month: string) => `invoicing-${month}`;
export const releasedBatchKey = (invoiceId: string, releasedAt: string) => `released-${invoiceId}-${releasedAt.replace(/[^0-9]/g, '').slice(0, 14)}`;

/**
 * The outbox cause of an invoice's e-mail to its customer (filed under `invoiceOutboxOwner`, records.ts), and that
 * message's id: its mark says when the invoice was sent (`invoiceHistory`).
 */
export const invoiceMailCause = (invoiceId: string) => `invoice-issued#${invoiceId}`;
export const invoiceMailId = (invoiceId: string) => `${invoiceMailCause(invoiceId)}#customer#email`;

/**
 * An invoice's history as its readers show it: the events stored on it, and `sent` at the time its e-mail's outbox
 * message was marked sent (decision 42: the mark is the record, no event is written on the invoice for it). `mails`:
 * the invoice's messages (`invoiceMails`), of which only its own e-mail counts (a re-send has its `resent` event). An
 * invoice sent before decision 42 has `sent` stored already: it is not added twice.
 */
export function invoiceHistory(invoice: Pick<InvoiceRecord, 'invoiceId' | 'history'>, mails: ReadonlyArray<{ notificationId: string; sentAt?: string }>): InvoiceEvent[] {
  const sentAt = mails.find((mail) => mail.notificationId === invoiceMailId(invoice.invoiceId))?.sentAt;
  if (!sentAt || invoice.history.some((event) => event.event === 'sent')) return invoice.history;
  // In time order, after the events of the same instant (`issued` comes before the e-mail that carries the invoice).
  const at = invoice.history.findIndex((event) => event.at > sentAt);
  const sent: InvoiceEvent = { at: sentAt, event: 'sent' };
  return at < 0 ? [...invoice.history, sent] : [...invoice.history.slice(0, at), sent, ...invoice.history.slice(at)];
}
