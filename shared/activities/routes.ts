import { getActivity, submitForLaunch, type ActivityWithParts } from '../data/activities.js';
import { listServiceKinds } from '../data/service-kinds.js';
import type { Actor } from '../domain/actor.js';
import { cooperativeFromEnv } from '../domain/activities.js';
import { NotFoundError, UnprocessableError } from '../domain/errors.js';
import { pdfAnswer, type ApiResult } from '../http/api.js';
import { startActivityLaunch } from '../workflows.js';
import { flyerInput } from '../activity-views.js';
import { renderFlyerPdf } from './flyer.js';

/*
 * What the activity routes (functions/activities/, functions/me/activit*.ts) share: finding an activity for its
 * reader, submitting a launch file, answering the flyer.
 */

const NOT_FOUND = 'Activité introuvable.';

/** The activity, or a 404. */
export async function activityOr404(activityId: string): Promise<ActivityWithParts> {
  const found = await getActivity(activityId);
  if (!found) throw new NotFoundError(NOT_FOUND);
  return found;
}

/** The activity when the young person of `referralId` is one of its members; another person's answers like a missing one. */
export async function memberActivityOr404(activityId: string, referralId: string): Promise<ActivityWithParts> {
  const found = await getActivity(activityId);
  if (!found || !found.members.some((m) => m.referralId === referralId)) throw new NotFoundError(NOT_FOUND);
  return found;
}

/**
 * Submits a launch file and starts its launch workflow under its deterministic name. A repeat (the file already
 * awaits approval) starts the same execution again, which Step Functions answers as already started: a start lost
 * after the write is made good by the next click, as by the reconciler. Problems answer 422, field by field.
 */
export async function submitLaunchFile(activityId: string, actor: Actor): Promise<{ changed: boolean }> {
  const outcome = await submitForLaunch({ activityId, actor });
  if (!outcome.submitted) throw new UnprocessableError("Le dossier n'est pas prêt pour la validation : corrigez les points indiqués.", outcome.problems);
  await startActivityLaunch({ activityId, submission: outcome.activity.submission });
  return { changed: outcome.changed };
}

/** The flyer of an activity as the answer: the PDF bytes, base64 for the gateway, to download. */
export async function flyerAnswer(found: ActivityWithParts, now: Date = new Date()): Promise<ApiResult> {
  const bytes = await renderFlyerPdf(flyerInput(found, await listServiceKinds(), cooperativeFromEnv(), now));
  const fileName = `plaquette-${found.activity.tradeName.normalize('NFD').replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').toLowerCase() || 'activite'}.pdf`;
  return pdfAnswer(bytes, fileName);
}
