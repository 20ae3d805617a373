import type { Actor } from '../domain/actor.js';
import { InvalidInputError, type FieldError } from '../domain/errors.js';
import { BATCH_OUTCOMES, BATCH_OUTCOME_LABELS, type BatchDecision, type BatchOutcome, type InvoicingRunRecord } from '../domain/invoicing/run.js';
import { keys } from '../keys.js';
import { nextApprovalId, type WaitingStepHandler, type WaitingSubject } from './approvals.js';
import { getInvoicingRun } from './invoicing-runs.js';
import { getInvoices, isUnbound } from './invoicing/invoices.js';

/**
 * The staff validation of a month's invoices (`invoicing-batch`, audience staff, in the inbox): one per month's run.
 * Its subject is the run (subject id: the month), not a person: a subject-only approval, with no person nor
 * referral (decision 28). Approving may hold some drafts, each with a reason; the workflow's next steps hold them,
 * tell the members, and number the rest.
 */
export interface BatchSubject extends WaitingSubject {
  run: InvoicingRunRecord;
}

export async function loadBatchSubject(month: string): Promise<BatchSubject | undefined> {
  const run = await getInvoicingRun(month);
  if (!run) return undefined;
  return {
    run,
    personId: '',
    referralId: '',
    since: run.draftedAt ?? run.startedAt,
    currentApprovalId: run.currentApprovalId,
    waitsIn: () => run.status === 'awaiting-validation',
    key: keys.invoicingRun(month),
    stillWaiting: { expression: '#status = :awaiting', names: { '#status': 'status' }, values: { ':awaiting': 'awaiting-validation' } },
    // The ledger names the approval the run waits on (the staff console links to it).
    opening: { set: 'approvalId = :batchApproval', values: { ':batchApproval': nextApprovalId('invoicing-batch', month, run.currentApprovalId) } },
  };
}

/** Why each held invoice cannot be held: not found, another month's, or already numbered. */
async function heldProblems(month: string, held: NonNullable<BatchDecision['held']>): Promise<FieldError[]> {
  const found = new Map((await getInvoices(held.map((h) => h.invoiceId))).map((i) => [i.invoiceId, i]));
  return held.flatMap((h, i): FieldError[] => {
    const invoice = found.get(h.invoiceId);
    const field = `held.${i}.invoiceId`;
    if (!invoice || invoice.kind !== 'invoice' || invoice.month !== month) return [{ field, message: "Cette facture n'est pas une facture de ce mois." }];
    if (!isUnbound(invoice)) return [{ field, message: 'Cette facture est déjà numérotée : elle ne peut plus être mise en attente.' }];
    return [];
  });
}

export const invoicingBatches: WaitingStepHandler<BatchSubject, BatchDecision> = {
  kind: 'invoicing-batch',
  audience: 'staff',

  loadSubject: loadBatchSubject,

  allowedOutcomes: (subject) => (subject.run.status === 'awaiting-validation' ? BATCH_OUTCOMES : []),
  outcomeLabel: (outcome) => BATCH_OUTCOME_LABELS[outcome as BatchOutcome] ?? outcome,

  onOpen({ subject }) {
    const { run } = subject;
    return { fields: { invoicingRun: { month: run.month, invoices: run.counts.invoices, activities: run.counts.activities } }, items: [] };
  },

  // No one but staff to remind: the inbox shows the wait "Relancée", then "Escaladée" (as for a launch), never expiring.
  onDeadline({ subject }, step) {
    const label = `Factures de ${subject.run.month} en attente de validation : ${step === 'remind' ? "relance de l'équipe" : 'escalade'}`;
    return { expires: false, label, items: [] };
  },

  async checkDecision(subject, decision) {
    const problems = await heldProblems(subject.run.month, decision.held ?? []);
    if (problems.length > 0) throw new InvalidInputError('Certaines factures ne peuvent pas être mises en attente.', problems);
  },

  onDecision({ table, subject, now }, decision, actor: Actor) {
    const by = { id: actor.kind === 'system' ? 'system' : actor.id, name: actor.name ?? 'Parcours automatique' };
    return {
      items: [
        {
          Update: {
            TableName: table,
            Key: keys.invoicingRun(subject.run.month),
            UpdateExpression: 'SET held = :held, validatedAt = :now, validatedBy = :by, updatedAt = :now',
            ConditionExpression: '#status = :awaiting',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':held': decision.held ?? [], ':now': now.toISOString(), ':by': by, ':awaiting': 'awaiting-validation' },
          },
        },
      ],
    };
  },
};
