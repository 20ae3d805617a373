import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Staff } from '../domain/actor.js';
import { ConflictError } from '../domain/errors.js';
import type { DeadlineStep } from '../domain/waiting-steps.js';
import type { WaitingStepHandler } from './approvals.js';
import { onboardingStepDone, onboardingStepSubject, type OnboardingStepSubject } from './onboarding.js';
import { diagnosisScheduledDrafts } from '../domain/session-messages.js';
import { DIAGNOSIS_MODE_LABELS, sessionDateLabel, type DiagnosisMode, type DiagnosisRecord as DiagnosisRecordInput, type DiagnosisSchedule } from '../domain/sessions.js';
import { keys } from '../keys.js';
import type { TransactItem } from './approvals.js';
import { db, tableName } from './client.js';
import { outboxPuts } from './outbox.js';
import { timelinePut } from './people.js';
import type { OnboardingParty } from './sessions.js';
import { isConditionFailure } from './transactions.js';

/**
 * The individual diagnosis interview of a young person: scheduled by staff (when, on site or by phone), then recorded
 * (goals, skills, needs, notes). The record is free text about a person: it is stored here and shown to staff, never
 * logged nor copied to the timeline.
 */
export interface DiagnosisRecord {
  referralId: string;
  personId: string;
  status: 'scheduled' | 'recorded';
  version: number;
  scheduledAt?: string;
  mode?: DiagnosisMode;
  place?: string;
  scheduledBy?: { id: string; name: string };
  record?: { goals: string; skills: string; needs: string; notes?: string };
  recordedAt?: string;
  recordedBy?: { id: string; name: string };
  updatedAt: string;
}

export async function getDiagnosis(referralId: string): Promise<DiagnosisRecord | undefined> {
  const result = await db().send(new GetCommand({ TableName: tableName(), Key: keys.diagnosis(referralId), ConsistentRead: true }));
  if (!result.Item) return undefined;
  const { pk: _pk, sk: _sk, type: _type, ...diagnosis } = result.Item;
  return diagnosis as DiagnosisRecord;
}

export interface DiagnosisResult {
  diagnosis: DiagnosisRecord;
  /** False when the same schedule or record was already stored. */
  changed: boolean;
  /** The outbox cause of the messages written (a schedule), to send at once. */
  cause?: string;
}

const ALREADY_RECORDED = "L'entretien de diagnostic est déjà enregistré : il ne peut plus être modifié.";

/** Writes the next version of the diagnosis with its side items, conditional on the version read. */
async function write(table: string, previous: DiagnosisRecord | undefined, next: DiagnosisRecord, items: TransactItem[]): Promise<boolean> {
  try {
    await db().send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: table,
              Item: { ...keys.diagnosis(next.referralId), type: 'diagnosis', ...next },
              ConditionExpression: previous ? 'version = :version' : 'attribute_not_exists(pk)',
              ...(previous ? { ExpressionAttributeValues: { ':version': previous.version } } : {}),
            },
          },
          ...items,
        ],
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/**
 * Staff schedule the interview, or move it, until it is recorded; the young person (and a minor's guardian) are told
 * when and where. The same schedule again changes nothing.
 */
export async function scheduleDiagnosis(input: { party: OnboardingParty; schedule: DiagnosisSchedule; staff: Staff; now?: Date }): Promise<DiagnosisResult> {
  const { party, schedule, staff } = input;
  const table = tableName();
  for (let attempt = 0; attempt < 4; attempt++) {
    const iso = (input.now ?? new Date()).toISOString();
    const previous = await getDiagnosis(party.referralId);
    if (previous?.status === 'recorded') throw new ConflictError(ALREADY_RECORDED);
    const place = schedule.mode === 'place' ? schedule.place : undefined;
    if (previous && previous.scheduledAt === schedule.scheduledAt && previous.mode === schedule.mode && previous.place === place) return { diagnosis: previous, changed: false };
    const version = (previous?.version ?? 0) + 1;
    const next: DiagnosisRecord = {
      referralId: party.referralId,
      personId: party.personId,
      status: 'scheduled',
      version,
      scheduledAt: schedule.scheduledAt,
      mode: schedule.mode,
      ...(place ? { place } : {}),
      scheduledBy: { id: staff.id, name: staff.name },
      updatedAt: iso,
    };
    const cause = `diagnosis-scheduled#${party.referralId}#${version}`;
    const written = await write(table, previous, next, [
      ...timelinePut(table, party.personId, {
        at: iso,
        eventId: cause,
        type: 'diagnosis-scheduled',
        label: `Entretien de diagnostic ${previous ? 'déplacé' : 'planifié'} : ${sessionDateLabel(schedule.scheduledAt)}, ${DIAGNOSIS_MODE_LABELS[schedule.mode].toLowerCase()}`,
        actor: staff,
        referralId: party.referralId,
      }),
      ...outboxPuts(table, party.personId, cause, diagnosisScheduledDrafts(party.referral, { scheduledAt: schedule.scheduledAt, mode: schedule.mode, place }), iso, { referralId: party.referralId }),
    ]);
    if (written) return { diagnosis: next, changed: true, cause };
  }
  throw new ConflictError('Trop de modifications en même temps : réessayez dans un instant.');
}

const sameRecord = (a: DiagnosisRecord['record'], b: DiagnosisRecordInput) =>
  a !== undefined && a.goals === b.goals && a.skills === b.skills && a.needs === b.needs && (a.notes ?? '') === (b.notes ?? '');

/**
 * Staff record the interview once: goals, skills, needs, notes. The same record again changes nothing (a retried
 * request); another one is refused. The caller then settles the diagnosis step.
 */
export async function recordDiagnosis(input: { party: OnboardingParty; record: DiagnosisRecordInput; staff: Staff; now?: Date }): Promise<DiagnosisResult> {
  const { party, record, staff } = input;
  const table = tableName();
  for (let attempt = 0; attempt < 4; attempt++) {
    const iso = (input.now ?? new Date()).toISOString();
    const previous = await getDiagnosis(party.referralId);
    if (previous?.status === 'recorded') {
      if (sameRecord(previous.record, record)) return { diagnosis: previous, changed: false };
      throw new ConflictError(ALREADY_RECORDED);
    }
    const next: DiagnosisRecord = {
      ...(previous ?? { referralId: party.referralId, personId: party.personId }),
      status: 'recorded',
      version: (previous?.version ?? 0) + 1,
      record: { goals: record.goals, skills: record.skills, needs: record.needs, ...(record.notes ? { notes: record.notes } : {}) },
      recordedAt: iso,
      recordedBy: { id: staff.id, name: staff.name },
      updatedAt: iso,
    };
    const written = await write(table, previous, next, [
      // What was said stays on the diagnosis: the timeline only says it was recorded.
      ...timelinePut(table, party.personId, { at: iso, eventId: `diagnosis-recorded#${party.referralId}`, type: 'diagnosis-recorded', label: 'Entretien de diagnostic enregistré', actor: staff, referralId: party.referralId }),
    ]);
    if (written) return { diagnosis: next, changed: true };
  }
  throw new ConflictError('Trop de modifications en même temps : réessayez dans un instant.');
}

/**
 * The diagnosis interview, a staff step: listed in their inbox while it waits, settled (`recorded`) when staff record
 * the interview on its own route (PUT /api/staff/onboarding/{referralId}/diagnosis), never through the generic
 * decision route, which has no schema for it.
 */
export const diagnoses: WaitingStepHandler<OnboardingStepSubject, { outcome: 'recorded' }> = {
  kind: 'diagnosis',
  audience: 'staff',

  loadSubject: (referralId) => onboardingStepSubject(referralId, 'diagnosis'),
  allowedOutcomes: (subject) => (subject.waitsIn('initial') ? ['recorded'] : []),
  outcomeLabel: (outcome) => (outcome === 'recorded' ? 'Entretien enregistré' : outcome),

  onOpen({ table, subject, approval, now }) {
    return {
      fields: { onboardingStep: 'diagnosis' },
      items: timelinePut(table, subject.personId, {
        at: now.toISOString(),
        eventId: `diagnosis-awaited#${approval.approvalId}`,
        type: 'diagnosis-awaited',
        label: "Entretien de diagnostic à planifier puis enregistrer par l'équipe",
        actor: { kind: 'system', name: 'Parcours automatique' },
        referralId: subject.referralId,
      }),
    };
  },

  onDeadline({ table, subject, approval, now }, step: DeadlineStep) {
    const label = step === 'escalate' ? "Entretien de diagnostic toujours pas enregistré : escalade" : "Entretien de diagnostic en attente : relance de l'équipe";
    return {
      // The interview waits for staff, reminded and escalated: nobody ends a path by default.
      expires: false,
      label,
      items: timelinePut(table, subject.personId, { at: now.toISOString(), eventId: `diagnosis-${step}#${approval.approvalId}`, type: `diagnosis-${step}`, label, actor: { kind: 'system', name: 'Délais automatiques' }, referralId: subject.referralId }),
    };
  },

  onDecision({ table, subject, now }, decision) {
    return { items: [onboardingStepDone(table, subject.referralId, 'diagnosis', decision.outcome, now.toISOString())] };
  },
};
