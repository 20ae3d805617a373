import { NotFoundError } from '../domain/errors.js';
import { WAITING_STEP_AUDIENCE, type WaitingStepKind } from '../domain/waiting-steps.js';
import type { WaitingStepHandler } from './approvals.js';
import { activityLaunches } from './activity-launches.js';
import { documentsStep } from './documents-step.js';
import { diagnoses } from './diagnoses.js';
import { contractAcceptances } from './contract-acceptances.js';
import { contractCountersigns } from './contract-countersigns.js';
import { guardianConsents } from './guardian-consents.js';
import { incidents } from './incidents.js';
import { invoicingBatches } from './invoicing-batches.js';
import { informationSessions } from './information-sessions.js';
import { onboardingReviews } from './onboarding-review.js';
import { referralDecisions } from './referral-decisions.js';

type AnyHandler = WaitingStepHandler<never, never>;

/**
 * Every kind of waiting step, by name: the generic functions (open, deadline, decide, take) find their kind here.
 * A kind is registered in one line once its handler exists (its module in shared/data/); until then its name
 * exists (WAITING_STEP_KINDS) and using it fails with MissingWaitingStepHandler.
 */
const HANDLERS: Partial<Record<WaitingStepKind, AnyHandler>> = {
  'referral-decision': referralDecisions as unknown as AnyHandler,
  incident: incidents as unknown as AnyHandler,
  'onboarding-review': onboardingReviews as unknown as AnyHandler,
  documents: documentsStep as unknown as AnyHandler,
  'information-session': informationSessions as unknown as AnyHandler,
  diagnosis: diagnoses as unknown as AnyHandler,
  'guardian-consent': guardianConsents as unknown as AnyHandler,
  'contract-acceptance': contractAcceptances as unknown as AnyHandler,
  'contract-countersign': contractCountersigns as unknown as AnyHandler,
  'activity-launch': activityLaunches as unknown as AnyHandler,
  'invoicing-batch': invoicingBatches as unknown as AnyHandler,
};

/** A kind named in WAITING_STEP_KINDS whose handler is not registered in this build. */
export class MissingWaitingStepHandler extends Error {
  override readonly name = 'MissingWaitingStepHandler';
}

export function waitingStepHandler(kind: WaitingStepKind): WaitingStepHandler {
  if (!Object.hasOwn(WAITING_STEP_AUDIENCE, kind)) throw new NotFoundError(`unknown waiting step kind ${String(kind)}`);
  const handler = HANDLERS[kind];
  if (!handler) throw new MissingWaitingStepHandler(`no handler registered for the waiting step kind ${kind} (shared/data/waiting-steps.ts)`);
  return handler as unknown as WaitingStepHandler;
}

/** The kinds registered in this build (a test checks each handler's kind and audience against the domain's). */
export function registeredWaitingStepKinds(): WaitingStepKind[] {
  return Object.keys(HANDLERS) as WaitingStepKind[];
}
