import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { batchGetAll, db, queryIndexPage, tableName, type Page } from './client.js';
import { INDEX, keys } from '../keys.js';
import type { Actor, Prescriber } from '../domain/actor.js';
import { checkEligibility, type Eligibility } from '../domain/eligibility.js';
import { ConflictError, NotFoundError } from '../domain/errors.js';
import { idFromIdempotencyKey, payloadHash } from '../domain/idempotency.js';
import type { Programme } from '../domain/programmes.js';
import type { DecisionOutcome, ReferralStatus, ReferralSubmission } from '../domain/referral.js';
import { MATCH_LABELS, matchPerson, matchingKeys, type PersonMatch, type StrongClaimKind } from '../domain/person-matching.js';
import { acknowledgementDrafts } from '../domain/referral-messages.js';
import { parisDate } from '../domain/time.js';
import { outboxPuts } from './outbox.js';
import { countReferralsOf, findPersonCandidates, personLookupPuts, personReferralStatusUpdate, strongClaimPuts, timelinePut } from './people.js';
import { possibleDuplicatePut } from './possible-duplicates.js';
import { isConditionFailure, isRetryableConflict, pause } from './transactions.js';

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
  /** For staff only: how the person was recognised. A prescriber never learns whether the person was known. */
  duplicate: {
    linked: boolean;
    matchedBy: StrongClaimKind[];
    previousReferrals: number;
    /** People this one may be (weak match), each with a "doublon possible" for staff. */
    possibleDuplicateOf?: string[];
  };
  createdAt: string;
  updatedAt: string;
  currentApprovalId?: string;
  decisions: Array<{ outcome: DecisionOutcome; reasonCode?: string; decidedAt: string; decidedBy: { id: string; name: string }; approvalId: string }>;
  payloadHash: string;
}

const MAX_ATTEMPTS = 6;

/** A referral's id comes from the organisation and the client's Idempotency-Key: a replayed request finds the same referral. */
export function referralIdFor(organisationId: string, idempotencyKey: string): string {
  return idFromIdempotencyKey(organisationId, idempotencyKey);
}

/** The reference people quote on the phone. */
export function referenceOf(referralId: string): string {
  return `ORI-${referralId.slice(0, 8).toUpperCase()}`;
}

export interface SubmitResult {
  referral: ReferralRecord;
  created: boolean;
}

/**
 * Records a referral, linking it to the person it describes on a strong match (same name and birth date together
 * with the same e-mail or mobile) and creating the person otherwise. A weak match (one key only, or keys of two
 * different people) creates the person too, with a "doublon possible" per person it may be, for staff to settle.
 * Uniqueness holds under concurrency: a person is created in one transaction with its strong claims, each written
 * only if absent; a lost race is retried and then finds the winner's person.
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
  const matching = matchingKeys(submission.youngPerson);

  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const existing = await getReferralRecord(referralId);
    if (existing) return { referral: sameSubmissionOrThrow(existing, hash), created: false };

    const found = await findPersonCandidates(matching);
    const match = matchPerson(found);
    const linked = match.kind === 'strong';
    const personId = linked ? match.personId : randomUUIDv4();
    const previousReferrals = linked ? await countReferralsOf(personId) : 0;
    const possibleDuplicates = match.kind === 'weak' ? match.candidates : [];

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
      duplicate: {
        linked,
        matchedBy: linked ? match.matchedBy : [],
        previousReferrals,
        possibleDuplicateOf: possibleDuplicates.map((c) => c.personId),
      },
      createdAt: now,
      updatedAt: now,
      decisions: [],
      payloadHash: hash,
    };

    const table = tableName();
    const items: TransactItem[] = [
      {
        Put: {
          TableName: table,
          Item: {
            ...keys.referral(referralId),
            ...keys.organisationEntry(prescriber.organisationId, now, referralId),
            ...keys.allReferralsEntry(now, referralId),
            // Until its workflow opens the approval: the reconciler starts a workflow that never started.
            ...keys.awaitedWorkflowEntry(now, referralId),
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
        label: submittedLabel(prescriber.organisationName, match),
        actor: prescriber,
        referralId,
      }),
      ...outboxPuts(table, personId, `referral-received#${referralId}`, acknowledgementDrafts(referral), now, { referralId }),
      ...personLookupPuts(table, personId, matching, now),
      ...strongClaimPuts(table, personId, matching, found.heldStrongKinds, now),
    ];
    if (linked) {
      items.push(personReferralStatusUpdate(table, personId, referralId, 'pending', now, { newReferral: true }));
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
            referralStatuses: { [referralId]: 'pending' satisfies ReferralStatus },
            referralCount: 1,
            createdAt: now,
            updatedAt: now,
            lastReferralAt: now,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      });
      for (const candidate of possibleDuplicates) {
        items.push(possibleDuplicatePut(table, { personId, candidatePersonId: candidate.personId, referralId, matchedBy: candidate.matchedBy, createdAt: now }));
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

type TransactItem = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>[number];

/** The timeline's first line for a referral: staff read there how the person was recognised. */
function submittedLabel(organisationName: string, match: PersonMatch): string {
  if (match.kind === 'strong') return `Orientation reçue de ${organisationName} (personne déjà connue : ${match.matchedBy.map((k) => MATCH_LABELS[k]).join(', ')})`;
  if (match.kind === 'weak') {
    const why = [...new Set(match.candidates.flatMap((c) => c.matchedBy))].map((k) => MATCH_LABELS[k]).join(', ');
    return `Orientation reçue de ${organisationName} (doublon possible à vérifier : ${why})`;
  }
  return `Orientation reçue de ${organisationName}`;
}

function sameSubmissionOrThrow(existing: ReferralRecord, hash: string): ReferralRecord {
  if (existing.payloadHash !== hash) {
    throw new ConflictError(
      "Cette clé d'idempotence (Idempotency-Key) a déjà servi pour une autre orientation. Rechargez le formulaire pour en envoyer une nouvelle.",
    );
  }
  return existing;
}

function randomUUIDv4(): string {
  return globalThis.crypto.randomUUID();
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

/** The referrals a reader may list, newest first, one page at a time: a prescriber their organisation's, staff every one. */
export async function listReferralsFor(reader: Actor, options: { limit?: number; cursor?: string } = {}): Promise<Page<ReferralRecord>> {
  const page =
    reader.kind === 'prescriber'
      ? await queryIndexPage(INDEX.organisation, keys.organisationPartition(reader.organisationId), { ...options, newestFirst: true })
      : await queryIndexPage(INDEX.allReferrals, keys.allReferralsPartition(), { ...options, newestFirst: true });
  return { items: page.items as unknown as ReferralRecord[], cursor: page.cursor };
}

export async function getReferralsByIds(referralIds: string[]): Promise<Map<string, ReferralRecord>> {
  const items = (await batchGetAll(referralIds.map((id) => keys.referral(id)))) as unknown as ReferralRecord[];
  return new Map(items.map((item) => [item.referralId, item]));
}

/** Referrals submitted before `before` whose workflow has not opened their approval yet, one page at a time. */
export async function listAwaitedWorkflows(before: string, options: { limit?: number; cursor?: string } = {}): Promise<Page<ReferralRecord>> {
  const page = await queryIndexPage(INDEX.awaitedWorkflows, keys.awaitedWorkflowPartition(), {
    ...options,
    filter: { expression: 'createdAt < :before', values: { ':before': before } },
  });
  return { items: page.items as unknown as ReferralRecord[], cursor: page.cursor };
}
