import { createHash, randomBytes } from 'node:crypto';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { batchGetAll, db, queryIndexPartition, tableName } from './client.js';
import { INDEX, keys, type PersonClaimKind } from '../keys.js';
import type { Actor, Prescriber, Staff } from '../domain/actor.js';
import { publicActor } from '../domain/actor.js';
import { checkEligibility, type Eligibility } from '../domain/eligibility.js';
import { ConflictError, NotFoundError } from '../domain/errors.js';
import { identityKey, normalizeEmail } from '../domain/identity.js';
import { PROGRAMME_RULES, type Programme } from '../domain/programmes.js';
import {
  REFERRAL_STATUS_LABELS,
  allowedOutcomes,
  type Decision,
  type DecisionOutcome,
  type PathStatus,
  type ReferralStatus,
  type ReferralSubmission,
} from '../domain/referral.js';
import { refusalReason } from '../domain/refusal-reasons.js';
import { parisDate } from '../domain/time.js';
import { outboxPuts, type OutboxDraft } from '../notifications/outbox.js';
import { OUTCOME_LABELS, render } from '../notifications/catalogue.js';

export interface ReferralRecord {
  referralId: string;
  reference: string;
  personId: string;
  organisationId: string;
  organisationName: string;
  prescriber: { id: string; name: string; email?: string };
  programme: Programme;
  programmeStartDate: string;
  youngPerson: ReferralSubmission['youngPerson'];
  guardian?: ReferralSubmission['guardian'];
  projectIdea: string;
  notes?: string;
  consent: { dataProcessing: true; recordedAt: string; recordedBy: string };
  status: ReferralStatus;
  eligibility: Eligibility;
  duplicate: { linked: boolean; matchedBy: PersonClaimKind[]; previousReferrals: number };
  createdAt: string;
  updatedAt: string;
  currentApprovalId?: string;
  decisions: Array<{ outcome: DecisionOutcome; reasonCode?: string; decidedAt: string; decidedBy: { id: string; name: string }; approvalId: string }>;
  payloadHash: string;
}

export interface ApprovalRecord {
  approvalId: string;
  kind: 'referral-decision';
  referralId: string;
  personId: string;
  phase: 'initial' | 'reminded' | 'escalated' | 'waitlist';
  status: 'open' | 'used';
  taskToken: string;
  createdAt: string;
  referralCreatedAt: string;
  decidedAt?: string;
  decidedBy?: { id: string; name: string };
  outcome?: DecisionOutcome;
}

export interface TimelineEvent {
  at: string;
  type: string;
  label: string;
  actor: ReturnType<typeof publicActor>;
  referralId?: string;
  reason?: string;
}

const MAX_ATTEMPTS = 6;

/** A referral's id comes from the organisation and the client's Idempotency-Key: a replayed request finds the same referral. */
export function referralIdFor(organisationId: string, idempotencyKey: string): string {
  const hex = createHash('sha256').update(`${organisationId}\n${idempotencyKey}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** The reference people quote on the phone. */
export function referenceOf(referralId: string): string {
  return `ORI-${referralId.slice(0, 8).toUpperCase()}`;
}

function payloadHash(submission: ReferralSubmission): string {
  return createHash('sha256').update(JSON.stringify(submission)).digest('hex');
}

function claimsOf(submission: ReferralSubmission): Array<{ kind: PersonClaimKind; value: string }> {
  const yp = submission.youngPerson;
  return [
    { kind: 'EMAIL', value: normalizeEmail(yp.email) },
    { kind: 'PHONE', value: yp.phone },
    { kind: 'IDENTITY', value: identityKey(yp.firstName, yp.lastName, yp.birthDate) },
  ];
}

function isConditionFailure(error: unknown): error is TransactionCanceledException {
  return error instanceof TransactionCanceledException || (error as Error)?.name === 'TransactionCanceledException';
}

function isRetryableConflict(error: unknown): boolean {
  if (!isConditionFailure(error)) return false;
  return (error.CancellationReasons ?? []).some((r) => r.Code === 'TransactionConflict');
}

const pause = (attempt: number) => new Promise((r) => setTimeout(r, 10 * 2 ** attempt + Math.random() * 20));

export interface SubmitResult {
  referral: ReferralRecord;
  created: boolean;
}

/**
 * Records a referral, linking it to the person it describes when that person is already known
 * (same e-mail, same mobile, or same name and birth date) and creating the person otherwise.
 * Uniqueness holds under concurrency: a person is created in one transaction with its three claims,
 * each written only if absent; a lost race is retried and then finds the winner's person.
 * The acknowledgement messages go into the outbox in the same transaction.
 */
export async function submitReferral(input: {
  prescriber: Prescriber;
  submission: ReferralSubmission;
  idempotencyKey: string;
  now?: Date;
}): Promise<SubmitResult> {
  const { prescriber, submission } = input;
  const now = (input.now ?? new Date()).toISOString();
  const referralId = referralIdFor(prescriber.organisationId, input.idempotencyKey);
  const hash = payloadHash(submission);

  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const existing = await getReferralRecord(referralId);
    if (existing) return { referral: sameSubmissionOrThrow(existing, hash), created: false };

    const claims = claimsOf(submission);
    const found = await findClaims(claims);
    const matchedBy = claims.filter((c) => found.has(c.kind)).map((c) => c.kind);
    const personId = matchedBy.length > 0 ? found.get(matchedBy[0])! : randomUUIDv4();
    const linked = matchedBy.length > 0;
    const previousReferrals = linked ? await countReferralsOf(personId) : 0;

    const eligibility = checkEligibility({
      programme: submission.programme,
      birthDate: submission.youngPerson.birthDate,
      postalCode: submission.youngPerson.postalCode,
      qpv: submission.youngPerson.qpv,
      situation: submission.youngPerson.situation,
      hasGuardian: Boolean(submission.guardian),
      referredOn: parisDate(new Date(now)),
      programmeStartDate: submission.programmeStartDate,
    });
    const referral: ReferralRecord = {
      referralId,
      reference: referenceOf(referralId),
      personId,
      organisationId: prescriber.organisationId,
      organisationName: prescriber.organisationName,
      prescriber: { id: prescriber.id, name: prescriber.name, email: prescriber.email },
      programme: submission.programme,
      programmeStartDate: eligibility.programmeStartDate,
      youngPerson: submission.youngPerson,
      guardian: submission.guardian,
      projectIdea: submission.projectIdea,
      notes: submission.notes,
      consent: { dataProcessing: true, recordedAt: now, recordedBy: prescriber.id },
      status: 'pending',
      eligibility,
      duplicate: { linked, matchedBy, previousReferrals },
      createdAt: now,
      updatedAt: now,
      decisions: [],
      payloadHash: hash,
    };

    const table = tableName();
    const items: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']> = [
      {
        Put: {
          TableName: table,
          Item: {
            ...keys.referral(referralId),
            ...keys.organisationEntry(prescriber.organisationId, now, referralId),
            ...keys.allReferralsEntry(now, referralId),
            type: 'referral',
            ...referral,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      { Put: { TableName: table, Item: { ...keys.personReferralLink(personId, referralId), type: 'person-referral', referralId, createdAt: now } } },
      ...timelinePut(table, personId, {
        at: now,
        eventId: `referral-submitted#${referralId}`,
        type: 'referral-submitted',
        label: linked
          ? `Orientation reçue de ${prescriber.organisationName} (personne déjà connue : ${matchedBy.map(claimLabel).join(', ')})`
          : `Orientation reçue de ${prescriber.organisationName}`,
        actor: prescriber,
        referralId,
      }),
      ...outboxPuts(table, personId, `referral-received#${referralId}`, acknowledgementDrafts(referral), now, { referralId }),
    ];
    if (linked) {
      items.push({
        Update: {
          TableName: table,
          Key: keys.person(personId),
          UpdateExpression: 'SET referralCount = referralCount + :one, lastReferralAt = :now, pathStatus = :status, updatedAt = :now',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':one': 1, ':now': now, ':status': 'referred' satisfies PathStatus },
        },
      });
    } else {
      const yp = submission.youngPerson;
      items.push({
        Put: {
          TableName: table,
          Item: {
            ...keys.person(personId),
            type: 'person',
            personId,
            firstName: yp.firstName,
            lastName: yp.lastName,
            birthDate: yp.birthDate,
            email: yp.email,
            phone: yp.phone,
            postalCode: yp.postalCode,
            town: yp.town,
            qpv: yp.qpv,
            pathStatus: 'referred' satisfies PathStatus,
            referralCount: 1,
            createdAt: now,
            updatedAt: now,
            lastReferralAt: now,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      });
      for (const claim of claims) {
        items.push({
          Put: {
            TableName: table,
            Item: { ...keys.personClaim(claim.kind, claim.value), type: 'person-claim', personId, createdAt: now },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        });
      }
    }

    try {
      await db().send(new TransactWriteCommand({ TransactItems: items }));
      return { referral, created: true };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // A condition failed (the same referral or the same person was written meanwhile) or the transaction collided: read again and retry.
      if (isRetryableConflict(error)) await pause(attempt);
    }
  }
  throw new Error('referral submission did not settle after retries');
}

function sameSubmissionOrThrow(existing: ReferralRecord, hash: string): ReferralRecord {
  if (existing.payloadHash !== hash) {
    throw new ConflictError(
      "Cette clé d'idempotence (Idempotency-Key) a déjà servi pour une autre orientation. Rechargez le formulaire pour en envoyer une nouvelle.",
    );
  }
  return existing;
}

const claimLabel = (kind: PersonClaimKind) => ({ EMAIL: 'même e-mail', PHONE: 'même mobile', IDENTITY: 'même nom et date de naissance' })[kind];

async function findClaims(claims: Array<{ kind: PersonClaimKind; value: string }>): Promise<Map<PersonClaimKind, string>> {
  // Unprocessed keys are read again: a claim missed under load would create a duplicate person.
  const items = await batchGetAll(claims.map((c) => keys.personClaim(c.kind, c.value)), { consistentRead: true });
  const found = new Map<PersonClaimKind, string>();
  for (const item of items) found.set(String(item.pk).split('#')[1] as PersonClaimKind, String(item.personId));
  return found;
}

async function countReferralsOf(personId: string): Promise<number> {
  const prefix = keys.personReferralsPrefix(personId);
  const result = await db().send(
    new QueryCommand({
      TableName: tableName(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sk)',
      ExpressionAttributeValues: { ':pk': prefix.pk, ':sk': prefix.skPrefix },
      Select: 'COUNT',
    }),
  );
  return result.Count ?? 0;
}

function randomUUIDv4(): string {
  return globalThis.crypto.randomUUID();
}

function acknowledgementDrafts(referral: ReferralRecord): OutboxDraft[] {
  const vars = templateVars(referral);
  const drafts: OutboxDraft[] = [];
  if (referral.prescriber.email) {
    drafts.push({ kind: 'referral-received', role: 'prescriber', channel: 'email', to: referral.prescriber.email, ...render('referral-received', 'prescriber', 'email', vars) });
  }
  drafts.push({ kind: 'referral-received', role: 'young', channel: 'email', to: referral.youngPerson.email, ...render('referral-received', 'young', 'email', vars) });
  drafts.push({ kind: 'referral-received', role: 'young', channel: 'sms', to: referral.youngPerson.phone, body: render('referral-received', 'young', 'sms', vars).body });
  if (referral.guardian) {
    drafts.push({
      kind: 'referral-received',
      role: 'guardian',
      channel: 'email',
      to: referral.guardian.email,
      ...render('referral-received', 'guardian', 'email', { ...vars, guardianName: `${referral.guardian.firstName} ${referral.guardian.lastName}` }),
    });
  }
  return drafts;
}

function templateVars(referral: ReferralRecord) {
  return {
    youngFirstName: referral.youngPerson.firstName,
    youngLastName: referral.youngPerson.lastName,
    programmeLabel: PROGRAMME_RULES[referral.programme].label,
    reference: referral.reference,
    prescriberOrganisation: referral.organisationName,
  };
}

export interface TimelineEventInput {
  at: string;
  /** With the time, the event's key: the same id written twice is one event. */
  eventId: string;
  type: string;
  label: string;
  actor: Actor;
  referralId?: string;
  reason?: string;
}

/** The transaction item that adds one event to a person's timeline, once. */
export function timelinePut(table: string, personId: string, event: TimelineEventInput) {
  return [
    {
      Put: {
        TableName: table,
        Item: {
          ...keys.personEvent(personId, event.at, event.eventId),
          type: 'timeline-event',
          eventType: event.type,
          at: event.at,
          label: event.label,
          actor: publicActor(event.actor),
          actorId: event.actor.kind === 'system' ? undefined : event.actor.id,
          referralId: event.referralId,
          reason: event.reason,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
  ];
}

export async function getReferralRecord(referralId: string): Promise<ReferralRecord | undefined> {
  const result = await db().send(new GetCommand({ TableName: tableName(), Key: keys.referral(referralId), ConsistentRead: true }));
  return result.Item as ReferralRecord | undefined;
}

/** A referral as its reader may see it: a prescriber only their organisation's, staff every one. */
export async function getReferralFor(reader: Actor, referralId: string): Promise<ReferralRecord> {
  const referral = await getReferralRecord(referralId);
  // Another organisation's referral answers exactly like a missing one: its existence is not disclosed.
  if (!referral || (reader.kind === 'prescriber' && referral.organisationId !== reader.organisationId)) {
    throw new NotFoundError('Orientation introuvable.');
  }
  return referral;
}

export async function listReferralsFor(reader: Actor, limit = 200): Promise<ReferralRecord[]> {
  const query =
    reader.kind === 'prescriber'
      ? { IndexName: INDEX.organisation, KeyConditionExpression: 'gsi2pk = :pk', ExpressionAttributeValues: { ':pk': keys.organisationPartition(reader.organisationId) } }
      : { IndexName: INDEX.allReferrals, KeyConditionExpression: 'gsi3pk = :pk', ExpressionAttributeValues: { ':pk': keys.allReferralsPartition() } };
  const result = await db().send(new QueryCommand({ TableName: tableName(), ...query, ScanIndexForward: false, Limit: limit }));
  return (result.Items ?? []) as ReferralRecord[];
}

/**
 * Opens (or refreshes) the approval through which staff decide on a referral, storing the workflow's task token under an opaque id.
 * A waiting phase after a timeout keeps the same approval with the new token; after a waitlist decision a new approval is opened.
 */
export async function openReferralApproval(input: {
  referralId: string;
  taskToken: string;
  phase: ApprovalRecord['phase'];
  now?: Date;
}): Promise<{ approval: ApprovalRecord; referral: ReferralRecord; created: boolean }> {
  const now = (input.now ?? new Date()).toISOString();
  const referral = await getReferralRecord(input.referralId);
  if (!referral) throw new NotFoundError(`referral ${input.referralId} not found`);
  const current = referral.currentApprovalId ? await getApprovalRecord(referral.currentApprovalId) : undefined;
  if (current && current.status === 'open') {
    await db().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.approval(current.approvalId),
        UpdateExpression: 'SET taskToken = :token, phase = :phase, updatedAt = :now',
        ConditionExpression: '#status = :open',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':token': input.taskToken, ':phase': input.phase, ':now': now, ':open': 'open' },
      }),
    );
    return { approval: { ...current, taskToken: input.taskToken, phase: input.phase }, referral, created: false };
  }
  const approvalId = randomBytes(18).toString('base64url');
  const approval: ApprovalRecord = {
    approvalId,
    kind: 'referral-decision',
    referralId: referral.referralId,
    personId: referral.personId,
    phase: input.phase,
    status: 'open',
    taskToken: input.taskToken,
    createdAt: now,
    referralCreatedAt: referral.createdAt,
  };
  const table = tableName();
  await db().send(
    new TransactWriteCommand({
      TransactItems: [
        {
          Put: {
            TableName: table,
            Item: { ...keys.approval(approvalId), ...keys.inboxEntry(referral.createdAt, approvalId), type: 'approval', ...approval },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        {
          Update: {
            TableName: table,
            Key: keys.referral(referral.referralId),
            UpdateExpression: 'SET currentApprovalId = :id, updatedAt = :now',
            ConditionExpression: current ? 'currentApprovalId = :previous' : 'attribute_not_exists(currentApprovalId)',
            ExpressionAttributeValues: { ':id': approvalId, ':now': now, ...(current ? { ':previous': current.approvalId } : {}) },
          },
        },
      ],
    }),
  );
  return { approval, referral: { ...referral, currentApprovalId: approvalId }, created: true };
}

export async function getApprovalRecord(approvalId: string): Promise<ApprovalRecord | undefined> {
  const result = await db().send(new GetCommand({ TableName: tableName(), Key: keys.approval(approvalId), ConsistentRead: true }));
  return result.Item as ApprovalRecord | undefined;
}

export async function listOpenApprovals(limit = 200): Promise<ApprovalRecord[]> {
  return (await queryIndexPartition(INDEX.inbox, keys.inboxPartition(), { limit })) as unknown as ApprovalRecord[];
}

export async function getReferralsByIds(referralIds: string[]): Promise<Map<string, ReferralRecord>> {
  const items = (await batchGetAll(referralIds.map((id) => keys.referral(id)))) as unknown as ReferralRecord[];
  return new Map(items.map((item) => [item.referralId, item]));
}

export interface DecisionResult {
  referral: ReferralRecord;
  taskToken: string;
  /** What the workflow receives: no personal data, only what drives its next step. */
  workflowOutput: { outcome: DecisionOutcome; approvalId: string; cause: string };
}

/**
 * Applies a staff decision through an approval: single use (the approval goes from open to used in the same
 * transaction as the referral's new status, the timeline event and the outbox messages), so a second decision
 * on the same approval is refused whatever the timing.
 */
export async function decideReferral(input: { approvalId: string; decision: Decision; staff: Staff; now?: Date }): Promise<DecisionResult> {
  const now = (input.now ?? new Date()).toISOString();
  const approval = await getApprovalRecord(input.approvalId);
  if (!approval) throw new NotFoundError('Demande de décision introuvable : le lien est peut-être erroné.');
  if (approval.status !== 'open') throw alreadyDecided(approval);
  const referral = await getReferralRecord(approval.referralId);
  if (!referral) throw new NotFoundError('Orientation introuvable.');
  const { outcome, reasonCode } = input.decision;
  if (!allowedOutcomes(referral.status).includes(outcome)) {
    throw new ConflictError(`Cette orientation est « ${REFERRAL_STATUS_LABELS[referral.status]} » : la décision « ${OUTCOME_LABELS[outcome]} » n'est plus possible.`);
  }
  const nextStatus: ReferralStatus = outcome;
  const pathStatus: PathStatus = outcome === 'accepted' ? 'onboarding-to-start' : outcome === 'refused' ? 'not-admitted' : 'waitlisted';
  const { cause } = workflowDecision(referral.referralId, { outcome, approvalId: approval.approvalId });
  const decidedBy = { id: input.staff.id, name: input.staff.name };
  const decided = { ...referral, status: nextStatus, updatedAt: now };
  const reason = reasonCode ? refusalReason(reasonCode) : undefined;
  const table = tableName();
  try {
    await db().send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: table,
              Key: keys.approval(approval.approvalId),
              UpdateExpression: 'SET #status = :used, decidedAt = :now, decidedBy = :by, outcome = :outcome REMOVE gsi1pk, gsi1sk',
              ConditionExpression: '#status = :open',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: { ':used': 'used', ':open': 'open', ':now': now, ':by': decidedBy, ':outcome': outcome },
            },
          },
          {
            Update: {
              TableName: table,
              Key: keys.referral(referral.referralId),
              UpdateExpression: 'SET #status = :next, updatedAt = :now, decisions = list_append(decisions, :decision)',
              ConditionExpression: '#status = :current',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: {
                ':next': nextStatus,
                ':current': referral.status,
                ':now': now,
                ':decision': [{ outcome, reasonCode, decidedAt: now, decidedBy, approvalId: approval.approvalId }],
              },
            },
          },
          {
            Update: {
              TableName: table,
              Key: keys.person(referral.personId),
              UpdateExpression: 'SET pathStatus = :status, updatedAt = :now',
              ExpressionAttributeValues: { ':status': pathStatus, ':now': now },
            },
          },
          ...timelinePut(table, referral.personId, {
            at: now,
            eventId: `referral-decided#${approval.approvalId}`,
            type: `referral-${outcome}`,
            label: `Décision : orientation ${OUTCOME_LABELS[outcome]}`,
            actor: input.staff,
            referralId: referral.referralId,
            reason: reason?.label,
          }),
          ...outboxPuts(table, referral.personId, cause, decisionDrafts(decided, input.decision), now, { referralId: referral.referralId }),
        ],
      }),
    );
  } catch (error) {
    if (isConditionFailure(error)) {
      const latest = await getApprovalRecord(approval.approvalId);
      if (latest && latest.status !== 'open') throw alreadyDecided(latest);
      throw new ConflictError("L'orientation a changé pendant votre décision : rechargez la page.");
    }
    throw error;
  }
  return {
    referral: { ...decided, decisions: [...referral.decisions, { outcome, reasonCode, decidedAt: now, decidedBy, approvalId: approval.approvalId }] },
    taskToken: approval.taskToken,
    workflowOutput: workflowDecision(referral.referralId, { outcome, approvalId: approval.approvalId }),
  };
}

export type WorkflowDecision = DecisionResult['workflowOutput'];

/** What the referral workflow receives of a decision; the cause names the outbox messages the decision wrote. */
function workflowDecision(referralId: string, decision: { outcome: DecisionOutcome; approvalId: string }): WorkflowDecision {
  return { outcome: decision.outcome, approvalId: decision.approvalId, cause: `referral-decided#${referralId}#${decision.approvalId}` };
}

function alreadyDecided(approval: ApprovalRecord): ConflictError {
  const when = approval.decidedAt
    ? new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', dateStyle: 'long', timeStyle: 'short' }).format(new Date(approval.decidedAt))
    : undefined;
  const who = approval.decidedBy?.name;
  return new ConflictError(
    `Cette demande a déjà été décidée${when ? ` le ${when}` : ''}${who ? ` par ${who}` : ''}${approval.outcome ? ` (${OUTCOME_LABELS[approval.outcome]})` : ''}. Aucune nouvelle décision n'a été enregistrée.`,
  );
}

function decisionDrafts(referral: ReferralRecord, decision: Decision): OutboxDraft[] {
  const vars = templateVars(referral);
  const reason = decision.reasonCode ? refusalReason(decision.reasonCode) : undefined;
  const kind = `referral-${decision.outcome}` as const;
  const drafts: OutboxDraft[] = [];
  if (referral.prescriber.email) {
    drafts.push({
      kind,
      role: 'prescriber',
      channel: 'email',
      to: referral.prescriber.email,
      ...render(kind, 'prescriber', 'email', { ...vars, reasonLabel: reason?.label, message: decision.messageToPrescriber }),
    });
  }
  const reasonForYoung = reason?.shownToYoungPerson ? reason.label : undefined;
  drafts.push({
    kind,
    role: 'young',
    channel: 'email',
    to: referral.youngPerson.email,
    ...render(kind, 'young', 'email', { ...vars, reasonLabel: reasonForYoung, message: decision.messageToYoungPerson }),
  });
  drafts.push({
    kind,
    role: 'young',
    channel: 'sms',
    to: referral.youngPerson.phone,
    body: render(kind, 'young', 'sms', vars).body,
  });
  return drafts;
}

export type DeadlineStep = 'remind' | 'escalate' | 'expire' | 'waitlist-review';

export interface DeadlineOutcome {
  /** The outbox cause to send, when the step was recorded (now or by an earlier attempt). */
  recorded: { cause: string; personId: string } | null;
  /** A decision staff recorded while the callback timed out: the workflow takes it instead of waiting again. */
  decision?: WorkflowDecision;
}

/**
 * Records a deadline reached by a pending referral: a reminder or an escalation to staff, a waitlist review,
 * or the expiry (the referral closes and the prescriber is told). Each step is written once per approval
 * (a conditional marker), together with its outbox messages. A decision made meanwhile wins over the deadline.
 */
export async function recordReferralDeadline(input: {
  referralId: string;
  step: DeadlineStep;
  appBaseUrl: string;
  expireAfterSeconds: number;
  now?: Date;
}): Promise<DeadlineOutcome> {
  const nowDate = input.now ?? new Date();
  const now = nowDate.toISOString();
  const referral = await getReferralRecord(input.referralId);
  if (!referral) throw new NotFoundError(`referral ${input.referralId} not found`);
  const approvalId = referral.currentApprovalId;
  if (!approvalId) return { recorded: null };
  const marker = input.step === 'waitlist-review' ? `waitlistReview_${now.slice(0, 10)}` : `${input.step}At`;
  const cause = `referral-${input.step}#${referral.referralId}#${approvalId}${input.step === 'waitlist-review' ? `#${now.slice(0, 10)}` : ''}`;
  const waitingStatus: ReferralStatus = input.step === 'waitlist-review' ? 'waitlisted' : 'pending';
  if (referral.status !== waitingStatus) {
    // An expiry retried after its write only has its messages left to send.
    if (input.step === 'expire' && referral.status === 'expired') return { recorded: { cause, personId: referral.personId } };
    const last = referral.decisions.at(-1);
    return { recorded: null, decision: last ? workflowDecision(referral.referralId, last) : undefined };
  }
  const ageDays = Math.floor((nowDate.getTime() - Date.parse(referral.createdAt)) / 86_400_000);
  const vars = { ...templateVars(referral), decisionUrl: `${input.appBaseUrl.replace(/\/$/, '')}/equipe/decisions/${approvalId}`, ageDays };
  const staffEmail = process.env.STAFF_EMAIL;
  const drafts: OutboxDraft[] = [];
  let label: string;
  const table = tableName();
  const extra: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']> = [];
  if (input.step === 'remind') {
    label = `Relance de l'équipe : pas de décision après ${ageDays} jours`;
    if (staffEmail) drafts.push({ kind: 'referral-reminder', role: 'staff', channel: 'email', to: staffEmail, ...render('referral-reminder', 'staff', 'email', vars) });
  } else if (input.step === 'escalate') {
    label = `Escalade : pas de décision après ${ageDays} jours`;
    const expiresInDays = Math.max(0, Math.ceil((Date.parse(referral.createdAt) + input.expireAfterSeconds * 1000 - nowDate.getTime()) / 86_400_000));
    if (staffEmail) drafts.push({ kind: 'referral-escalation', role: 'staff', channel: 'email', to: staffEmail, ...render('referral-escalation', 'staff', 'email', { ...vars, expiresInDays }) });
  } else if (input.step === 'waitlist-review') {
    label = "Rappel : orientation sur liste d'attente à réexaminer";
    if (staffEmail) drafts.push({ kind: 'referral-waitlist-review', role: 'staff', channel: 'email', to: staffEmail, ...render('referral-waitlist-review', 'staff', 'email', vars) });
  } else {
    label = `Orientation expirée sans décision après ${ageDays} jours`;
    if (referral.prescriber.email) {
      drafts.push({ kind: 'referral-expired', role: 'prescriber', channel: 'email', to: referral.prescriber.email, ...render('referral-expired', 'prescriber', 'email', vars) });
    }
    extra.push(
      {
        Update: {
          TableName: table,
          Key: keys.referral(referral.referralId),
          UpdateExpression: 'SET #status = :expired, updatedAt = :now',
          ConditionExpression: '#status = :current',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':expired': 'expired', ':current': referral.status, ':now': now },
        },
      },
      {
        Update: {
          TableName: table,
          Key: keys.person(referral.personId),
          UpdateExpression: 'SET pathStatus = :status, updatedAt = :now',
          ExpressionAttributeValues: { ':status': 'not-admitted' satisfies PathStatus, ':now': now },
        },
      },
    );
  }
  try {
    await db().send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: table,
              Key: keys.approval(approvalId),
              UpdateExpression:
                input.step === 'expire'
                  ? 'SET #marker = :now, #status = :used, outcome = :expired REMOVE gsi1pk, gsi1sk'
                  : 'SET #marker = :now',
              ConditionExpression: 'attribute_not_exists(#marker) AND #status = :open',
              ExpressionAttributeNames: { '#marker': marker, '#status': 'status' },
              ExpressionAttributeValues: { ':now': now, ':open': 'open', ...(input.step === 'expire' ? { ':used': 'used', ':expired': 'expired' } : {}) },
            },
          },
          ...extra,
          ...timelinePut(table, referral.personId, {
            at: now,
            eventId: cause,
            type: `referral-${input.step}`,
            label,
            actor: { kind: 'system', name: 'Délais automatiques' },
            referralId: referral.referralId,
          }),
          ...outboxPuts(table, referral.personId, cause, drafts, now, { referralId: referral.referralId }),
        ],
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    // Already recorded by an earlier attempt of this step: only the sending may remain.
  }
  return { recorded: { cause, personId: referral.personId } };
}

/** Outbox cause of the new-referral message to staff, sent once per approval. */
export async function recordDecisionRequest(input: { referral: ReferralRecord; approval: ApprovalRecord; appBaseUrl: string; now?: Date }): Promise<string | null> {
  const staffEmail = process.env.STAFF_EMAIL;
  if (!staffEmail) return null;
  const cause = `referral-decision-request#${input.referral.referralId}#${input.approval.approvalId}`;
  const now = (input.now ?? new Date()).toISOString();
  const decisionUrl = `${input.appBaseUrl.replace(/\/$/, '')}/equipe/decisions/${input.approval.approvalId}`;
  try {
    await db().send(
      new TransactWriteCommand({
        TransactItems: outboxPuts(tableName(), input.referral.personId, cause, [
          {
            kind: 'referral-decision-request',
            role: 'staff',
            channel: 'email',
            to: staffEmail,
            ...render('referral-decision-request', 'staff', 'email', { ...templateVars(input.referral), decisionUrl, eligible: input.referral.eligibility.eligible }),
          },
        ], now, { referralId: input.referral.referralId }),
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
  return cause;
}

export interface PersonRecord {
  personId: string;
  firstName: string;
  lastName: string;
  birthDate: string;
  email: string;
  phone: string;
  postalCode: string;
  town: string;
  qpv: boolean;
  pathStatus: PathStatus;
  referralCount: number;
  createdAt: string;
}

/** A person's profile, referrals and every recorded transition, oldest first. */
export async function getTimeline(personId: string): Promise<{ person: PersonRecord; referrals: ReferralRecord[]; events: TimelineEvent[]; notifications: Array<Record<string, unknown>> }> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await db().send(
      new QueryCommand({
        TableName: tableName(),
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.person(personId).pk },
        ExclusiveStartKey: startKey,
      }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  const person = items.find((i) => i.type === 'person') as PersonRecord | undefined;
  if (!person) throw new NotFoundError('Personne introuvable.');
  const referralIds = items.filter((i) => i.type === 'person-referral').map((i) => String(i.referralId));
  const referrals = [...(await getReferralsByIds(referralIds)).values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  const events = items
    .filter((i) => i.type === 'timeline-event')
    .map((i) => ({ at: String(i.at), type: String(i.eventType), label: String(i.label), actor: i.actor as TimelineEvent['actor'], referralId: i.referralId as string | undefined, reason: i.reason as string | undefined }));
  const notifications = items
    .filter((i) => i.type === 'notification')
    .map((i) => ({ notificationId: i.notificationId, kind: i.kind, role: i.role, channel: i.channel, status: i.status, createdAt: i.createdAt, sentAt: i.sentAt, providerMessageId: i.providerMessageId, statusAt: i.statusAt, statusReason: i.statusReason, notBefore: i.notBefore }));
  return { person, referrals, events, notifications };
}
