import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Actor } from '../domain/actor.js';
import type { ActivityMember, ActivityRecord } from '../domain/activities.js';
import { LAUNCH_OUTCOMES, LAUNCH_OUTCOME_LABELS, launchCause, launchDrafts, type LaunchDecision, type LaunchEvent, type LaunchOutcome } from '../domain/activity-launch.js';
import { NotFoundError, UnprocessableError } from '../domain/errors.js';
import type { OnboardingPathStatus } from '../domain/referral.js';
import type { DeadlineStep } from '../domain/waiting-steps.js';
import { keys } from '../keys.js';
import { sendPendingNotifications } from '../notifications/sender.js';
import { activate, currentLaunchProblems, getActivity, sendBack, type ActivityWithParts } from './activities.js';
import type { TransactItem, WaitingStepHandler, WaitingStepWrites, WaitingSubject } from './approvals.js';
import { batchGetAll, db, tableName } from './client.js';
import { onboardingPathStatusUpdate } from './onboarding.js';
import { outboxPuts } from './outbox.js';
import { timelinePut } from './people.js';
import { getReferralsByIds } from './referrals.js';
import { isConditionFailure } from './transactions.js';

/**
 * An activity as the launch reads it: what the waiting step adds to the record (the approval it points at) and the
 * submission whose opening was written ("Ouvrir le lancement", once per submission).
 */
type LaunchActivity = ActivityRecord & { currentApprovalId?: string; openedSubmission?: number; launchOpenedAt?: string };

export interface LaunchSubject extends WaitingSubject {
  activity: LaunchActivity;
  parts: ActivityWithParts;
}

const automatic = { kind: 'system', name: 'Parcours automatique' } as const;

/** The member the approval is filed under: the holder of a personal activity, the first to join a collective one. */
function contactOf(parts: ActivityWithParts): ActivityMember | undefined {
  const members = [...parts.members].sort((a, b) => a.joinedAt.localeCompare(b.joinedAt) || a.referralId.localeCompare(b.referralId));
  return members.find((m) => m.role === 'holder') ?? members[0];
}

/** The person and referral the launch's approval (and its workflow's steps) are filed under. */
export function launchContact(parts: ActivityWithParts): { personId: string; referralId: string } {
  const contact = contactOf(parts);
  return { personId: parts.activity.holderPersonId ?? contact?.personId ?? '', referralId: parts.activity.holderReferralId ?? contact?.referralId ?? '' };
}

/** Whether the activity still waits for the approval of this submission. */
const awaits = (activity: ActivityRecord, submission: number) => activity.status === 'awaiting-approval' && activity.submission === submission;

/** The same timeline event on every member's timeline. */
function membersTimeline(table: string, members: readonly ActivityMember[], event: { at: string; eventId: string; type: string; label: string; actor: Parameters<typeof timelinePut>[2]['actor']; reason?: string }): TransactItem[] {
  return members.flatMap((m) => timelinePut(table, m.personId, { ...event, referralId: m.referralId }));
}

export async function loadLaunchSubject(activityId: string): Promise<LaunchSubject | undefined> {
  const parts = await getActivity(activityId);
  if (!parts) return undefined;
  const activity = parts.activity as LaunchActivity;
  return {
    activity,
    parts,
    ...launchContact(parts),
    programme: activity.programme,
    since: activity.launchOpenedAt ?? activity.updatedAt,
    currentApprovalId: activity.currentApprovalId,
    waitsIn: () => activity.status === 'awaiting-approval',
    key: keys.activity(activityId),
    stillWaiting: {
      expression: '#status = :awaiting AND submission = :submission',
      names: { '#status': 'status' },
      values: { ':awaiting': 'awaiting-approval', ':submission': activity.submission },
    },
    // Every change of the activity moves its optimistic version (shared/data/activities.ts).
    opening: { set: '#version = #version + :one', names: { '#version': 'version' }, values: { ':one': 1 } },
  };
}

/**
 * Staff approve a submitted launch file or send it back with a comment (`activity-launch`, audience staff, in the
 * inbox with the activity's name and programme; the generic decision route). Approving runs the launch checks again
 * (members, catalogue and dates may have changed since the submission): any problem refuses it with a 422 that lists
 * them, and nothing is written. The workflow then launches the activity or sends the file back (`ActivityStep`).
 */
export const activityLaunches: WaitingStepHandler<LaunchSubject, LaunchDecision> = {
  kind: 'activity-launch',
  audience: 'staff',

  loadSubject: loadLaunchSubject,

  allowedOutcomes: (subject) => (subject.activity.status === 'awaiting-approval' ? LAUNCH_OUTCOMES : []),
  outcomeLabel: (outcome) => LAUNCH_OUTCOME_LABELS[outcome as LaunchOutcome] ?? outcome,

  onOpen({ subject }) {
    const { activity } = subject;
    return { fields: { activity: { activityId: activity.activityId, name: activity.name, shape: activity.shape } }, items: [] };
  },

  onDeadline({ table, subject, approval, now }, step: DeadlineStep) {
    const label =
      step === 'remind'
        ? `Lancement de « ${subject.activity.name} » en attente de validation : relance de l'équipe`
        : `Lancement de « ${subject.activity.name} » en attente de validation : escalade`;
    return {
      // A launch file is never dropped by default: the approval waits for staff, reminded and escalated.
      expires: false,
      label,
      items: membersTimeline(table, subject.parts.members, { at: now.toISOString(), eventId: `launch-${step}#${approval.approvalId}`, type: `launch-${step}`, label, actor: { kind: 'system', name: 'Délais automatiques' } }),
    };
  },

  async checkDecision(subject, decision, now) {
    if (decision.outcome !== 'approved') return;
    const problems = await currentLaunchProblems(subject.parts, { now });
    if (problems.length > 0) throw new UnprocessableError("Le lancement ne peut pas être validé : le dossier ne remplit plus les conditions. Renvoyez-le au jeune avec ce qu'il doit changer.", problems);
  },

  onDecision({ table, subject, approval, now }, decision, actor: Actor): WaitingStepWrites {
    const iso = now.toISOString();
    const { activity } = subject;
    const items: TransactItem[] = membersTimeline(table, subject.parts.members, {
      at: iso,
      eventId: `launch-decided#${approval.approvalId}`,
      type: decision.outcome === 'approved' ? 'launch-approved' : 'launch-sent-back',
      label: decision.outcome === 'approved' ? `Lancement de « ${activity.name} » validé par ${actor.name}` : `Dossier de lancement de « ${activity.name} » renvoyé par ${actor.name}`,
      actor,
      reason: decision.comment,
    });
    if (decision.outcome === 'sent-back') {
      // The comment is the activity's from the decision on: the step that sends the file back, and the pages, read it there.
      items.push({
        Update: {
          TableName: table,
          Key: keys.activity(activity.activityId),
          UpdateExpression: 'SET sentBack = :sentBack, #version = #version + :one, updatedAt = :now',
          ConditionExpression: '#status = :awaiting AND submission = :submission',
          ExpressionAttributeNames: { '#status': 'status', '#version': 'version' },
          ExpressionAttributeValues: {
            ':sentBack': { comment: decision.comment ?? '', by: { id: actor.kind === 'system' ? 'system' : actor.id, name: actor.name ?? 'Parcours automatique' }, at: iso },
            ':one': 1,
            ':now': iso,
            ':awaiting': 'awaiting-approval',
            ':submission': activity.submission,
          },
        },
      });
    }
    return { items };
  },
};

// --- The launch workflow's own steps (functions/workflow/activity-step.ts) ---

/** Each member's recorded path status (on their link to their referral). */
async function pathStatusesOf(members: readonly ActivityMember[]): Promise<Map<string, OnboardingPathStatus | undefined>> {
  const links = await batchGetAll(members.map((m) => keys.personReferralLink(m.personId, m.referralId)), { consistentRead: true });
  return new Map(links.map((link) => [String(link.referralId), link.onboardingStatus as OnboardingPathStatus | undefined]));
}

/**
 * The path statuses a launch event sets: `to` for each member whose status is one of `from` (a member already
 * launched on another activity stays "Activité lancée").
 */
async function pathStatusUpdates(table: string, members: readonly ActivityMember[], to: OnboardingPathStatus, from: readonly OnboardingPathStatus[], now: string): Promise<TransactItem[]> {
  const statuses = await pathStatusesOf(members);
  return members.filter((m) => from.includes(statuses.get(m.referralId) as OnboardingPathStatus)).map((m) => onboardingPathStatusUpdate(table, m.personId, m.referralId, to, now));
}

/** The messages of a launch event for every member, each under their own person (and their guardian for a minor). */
async function launchMessages(table: string, event: LaunchEvent, parts: ActivityWithParts, submission: number, now: string, comment?: string): Promise<TransactItem[]> {
  const referrals = await getReferralsByIds(parts.members.map((m) => m.referralId));
  const cause = launchCause(event, parts.activity.activityId, submission);
  return parts.members.flatMap((m) => {
    const referral = referrals.get(m.referralId);
    if (!referral) return [];
    const drafts = launchDrafts(event, { reference: referral.reference, youngPerson: referral.youngPerson, guardian: referral.guardian, minor: m.minorAtStart }, parts.activity, comment);
    return outboxPuts(table, m.personId, cause, drafts, now, { referralId: m.referralId });
  });
}

/** Sends what a launch event left in each member's outbox (a retried step sends only what is still pending). */
async function sendToMembers(event: LaunchEvent, parts: ActivityWithParts, submission: number): Promise<number> {
  const cause = launchCause(event, parts.activity.activityId, submission);
  const counts = await Promise.all(parts.members.map((m) => sendPendingNotifications(m.personId, cause)));
  return counts.reduce((sum, c) => sum + c.sent, 0);
}

export interface LaunchStepResult {
  /** Whether this submission still waits for its approval: the workflow ends when it does not. */
  current: boolean;
  personId: string;
  referralId: string;
  changed: boolean;
  sent: number;
}

/**
 * "Ouvrir le lancement": the members hear that the file is sent (their path status "Lancement en cours de
 * validation", a timeline event, a message), written once per submission with a marker on the activity. A
 * submission that no longer waits (decided, or submitted again since) has nothing to open.
 */
export async function openLaunch(activityId: string, submission: number, now: Date = new Date()): Promise<LaunchStepResult> {
  const subject = await loadLaunchSubject(activityId);
  if (!subject) throw new NotFoundError('activity of the launch not found');
  const { activity, parts } = subject;
  const contact = { personId: subject.personId, referralId: subject.referralId };
  if (!awaits(activity, submission)) return { current: false, ...contact, changed: false, sent: 0 };
  let changed = false;
  if (activity.openedSubmission !== submission) {
    const table = tableName();
    const iso = now.toISOString();
    const cause = launchCause('launch-submitted', activityId, submission);
    const items: TransactItem[] = [
      {
        Update: {
          TableName: table,
          Key: keys.activity(activityId),
          UpdateExpression: 'SET openedSubmission = :submission, launchOpenedAt = :now, updatedAt = :now, #version = :next',
          ConditionExpression: '#version = :version AND #status = :awaiting AND submission = :submission',
          ExpressionAttributeNames: { '#version': 'version', '#status': 'status' },
          ExpressionAttributeValues: { ':submission': submission, ':now': iso, ':version': activity.version, ':next': activity.version + 1, ':awaiting': 'awaiting-approval' },
        },
      },
      ...membersTimeline(table, parts.members, { at: iso, eventId: cause, type: 'launch-submitted', label: `Dossier de lancement de « ${activity.name} » envoyé à l'équipe pour validation`, actor: automatic }),
      ...(await pathStatusUpdates(table, parts.members, 'launch-submitted', ['launch-ready'], iso)),
      ...(await launchMessages(table, 'launch-submitted', parts, submission, iso)),
    ];
    try {
      await db().send(new TransactWriteCommand({ TransactItems: items }));
      changed = true;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // A concurrent attempt opened it (the marker is there), or the activity moved: read again on the retry.
      const latest = (await getActivity(activityId))?.activity as LaunchActivity | undefined;
      if (latest?.openedSubmission !== submission) throw error;
    }
  }
  return { current: true, ...contact, changed, sent: await sendToMembers('launch-submitted', parts, submission) };
}

/**
 * "Lancer l'activité": active, in the active index, covered by the cooperative's insurance; each member's path
 * status "Activité lancée", a timeline event and the launch message (their guardian's too for a minor). Idempotent.
 */
export async function launchActivity(activityId: string, submission: number, now: Date = new Date()): Promise<LaunchStepResult> {
  const parts = await getActivity(activityId);
  if (!parts) throw new NotFoundError('activity of the launch not found');
  const table = tableName();
  const iso = now.toISOString();
  const cause = launchCause('activity-launched', activityId, submission);
  const extra = [
    ...membersTimeline(table, parts.members, { at: iso, eventId: cause, type: 'activity-launched', label: `Activité « ${parts.activity.name} » lancée : assurée par la coopérative, prête à facturer`, actor: automatic }),
    ...(await pathStatusUpdates(table, parts.members, 'activity-active', ['launch-ready', 'launch-submitted'], iso)),
    ...(await launchMessages(table, 'activity-launched', parts, submission, iso)),
  ];
  const { changed } = await activate({ activityId, now, extraItems: () => extra });
  return { current: true, ...launchContact(parts), changed, sent: await sendToMembers('activity-launched', parts, submission) };
}

/**
 * "Renvoyer le dossier": back to a draft the members edit, the staff's comment kept on it; their path status back
 * to "Prêt pour le lancement" and the comment sent to them with their link to `/mon-activite`. Idempotent.
 */
export async function sendBackLaunch(activityId: string, submission: number, now: Date = new Date()): Promise<LaunchStepResult> {
  const parts = await getActivity(activityId);
  if (!parts) throw new NotFoundError('activity of the launch not found');
  const sentBack = parts.activity.sentBack;
  if (!sentBack) throw new Error('a launch sent back without its comment');
  const table = tableName();
  const iso = now.toISOString();
  const extra = [
    ...(await pathStatusUpdates(table, parts.members, 'launch-ready', ['launch-submitted'], iso)),
    ...(await launchMessages(table, 'launch-sent-back', parts, submission, iso, sentBack.comment)),
  ];
  const { changed } = await sendBack({ activityId, comment: sentBack.comment, by: sentBack.by, now, extraItems: () => extra });
  return { current: true, ...launchContact(parts), changed, sent: await sendToMembers('launch-sent-back', parts, submission) };
}
