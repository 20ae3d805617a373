import { NotFoundError } from '../domain/errors.js';
import type { WaitingStepKind } from '../domain/waiting-steps.js';
import type { WaitingStepHandler } from './approvals.js';
import { incidents } from './incidents.js';
import { referralDecisions } from './referral-decisions.js';

/** Every kind of waiting step, by name: the generic functions (open, deadline, decide, take) find their kind here. */
const HANDLERS: Record<WaitingStepKind, WaitingStepHandler<never, never>> = {
  'referral-decision': referralDecisions as unknown as WaitingStepHandler<never, never>,
  incident: incidents as unknown as WaitingStepHandler<never, never>,
};

export function waitingStepHandler(kind: WaitingStepKind): WaitingStepHandler {
  const handler = HANDLERS[kind];
  if (!handler) throw new NotFoundError(`unknown waiting step kind ${String(kind)}`);
  return handler as unknown as WaitingStepHandler;
}
