import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { db, queryIndexPage, tableName, type Page } from './client.js';
import { INDEX, keys } from '../keys.js';
import type { Staff } from '../domain/actor.js';
import { ConflictError, NotFoundError } from '../domain/errors.js';
import { DUPLICATE_DECISION_LABELS, possibleDuplicateId, type DuplicateDecision, type LookupKind } from '../domain/person-matching.js';
import { canonicalPersonIds, timelinePut, type PersonRecord } from './people.js';
import { isConditionFailure } from './transactions.js';

/**
 * A "doublon possible": a referral matched a known person weakly (same e-mail, or same mobile, or same name and birth
 * date only), so it got a new person; staff say whether the two are one person or two.
 */
export interface PossibleDuplicate {
  duplicateId: string;
  /** The person the referral created. */
  personId: string;
  /** The person already known that it may be. */
  candidatePersonId: string;
  referralId: string;
  matchedBy: LookupKind[];
  status: 'open' | DuplicateDecision;
  createdAt: string;
  decidedAt?: string;
  decidedBy?: { id: string; name: string };
}

type TransactItem = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>[number];

/** The item that opens a "doublon possible", written with the new person it concerns; listed for staff while open. */
export function possibleDuplicatePut(table: string, input: Omit<PossibleDuplicate, 'duplicateId' | 'status'>): TransactItem {
  const duplicateId = possibleDuplicateId(input.personId, input.candidatePersonId);
  const item: PossibleDuplicate = { duplicateId, status: 'open', ...input };
  return {
    Put: {
      TableName: table,
      Item: { ...keys.possibleDuplicate(duplicateId), ...keys.possibleDuplicateEntry(input.createdAt, duplicateId), type: 'possible-duplicate', ...item },
      // A pair is asked about once: a pair kept apart is never opened again.
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

/** The open "doublons possibles", oldest first, one page at a time. */
export async function listOpenPossibleDuplicates(options: { limit?: number; cursor?: string } = {}): Promise<Page<PossibleDuplicate>> {
  const page = await queryIndexPage(INDEX.possibleDuplicates, keys.possibleDuplicatesPartition(), options);
  return { items: page.items as unknown as PossibleDuplicate[], cursor: page.cursor };
}

export async function getPossibleDuplicate(duplicateId: string): Promise<PossibleDuplicate | undefined> {
  const result = await db().send(new GetCommand({ TableName: tableName(), Key: keys.possibleDuplicate(duplicateId), ConsistentRead: true }));
  return result.Item as PossibleDuplicate | undefined;
}

const MAX_ATTEMPTS = 4;

/**
 * Staff settle a "doublon possible".
 * - `same-person`: the person the referral created is marked as the same as the one already known
 *   (`sameAsPersonId`), and that one lists it (`alsoKnownAs`): views and later matches follow the link, while every
 *   item stays where it was written (referrals, messages under way, delivery reports). See docs/decisions.md.
 * - `different-people`: the flag closes; the pair is never asked about again.
 * The flag closes in the same transaction (conditional on `open`): the same answer again is a no-op
 * (`alreadyDecided`), the other answer afterwards is a 409.
 */
export async function decidePossibleDuplicate(input: { duplicateId: string; decision: DuplicateDecision; staff: Staff; now?: Date }): Promise<{ duplicate: PossibleDuplicate; alreadyDecided: boolean }> {
  const now = (input.now ?? new Date()).toISOString();
  const table = tableName();
  const decidedBy = { id: input.staff.id, name: input.staff.name };
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const flag = await getPossibleDuplicate(input.duplicateId);
    if (!flag) throw new NotFoundError('Doublon possible introuvable.');
    if (flag.status !== 'open') {
      if (flag.status === input.decision) return { duplicate: flag, alreadyDecided: true };
      throw new ConflictError(`Ce doublon possible a déjà été traité (${DUPLICATE_DECISION_LABELS[flag.status]}). Rien n'a été modifié.`);
    }
    const items: TransactItem[] = [
      {
        Update: {
          TableName: table,
          Key: keys.possibleDuplicate(flag.duplicateId),
          UpdateExpression: 'SET #status = :decision, decidedAt = :now, decidedBy = :by REMOVE gsi1pk, gsi1sk',
          ConditionExpression: '#status = :open',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':decision': input.decision, ':open': 'open', ':now': now, ':by': decidedBy },
        },
      },
    ];
    const event = (personId: string, label: string) =>
      timelinePut(table, personId, { at: now, eventId: `duplicate-decided#${flag.duplicateId}`, type: `duplicate-${input.decision}`, label, actor: input.staff });
    if (input.decision === 'different-people') {
      const label = 'Doublon possible examiné : ce sont deux personnes différentes';
      items.push(...event(flag.personId, label), ...event(flag.candidatePersonId, label));
    } else {
      items.push(...(await sameAsItems(table, flag, now, input.staff)));
    }
    try {
      await db().send(new TransactWriteCommand({ TransactItems: items }));
      return { duplicate: { ...flag, status: input.decision, decidedAt: now, decidedBy }, alreadyDecided: false };
    } catch (error) {
      // Decided meanwhile, or one of the people was joined to another: read again and answer from there.
      if (!isConditionFailure(error)) throw error;
    }
  }
  throw new ConflictError('Ce doublon possible a changé pendant votre décision : rechargez la page.');
}

/**
 * The writes that make the referral's person the same as the known one. Both are first resolved to the person they
 * were already joined to, so a link always points at a current person; when they already are one, only the flag closes.
 */
async function sameAsItems(table: string, flag: PossibleDuplicate, now: string, staff: Staff): Promise<TransactItem[]> {
  const canonical = await canonicalPersonIds([flag.personId, flag.candidatePersonId]);
  const source = canonical.get(flag.personId) ?? flag.personId;
  const target = canonical.get(flag.candidatePersonId) ?? flag.candidatePersonId;
  if (source === target) return [];
  const profile = (await db().send(new GetCommand({ TableName: table, Key: keys.person(source), ConsistentRead: true }))).Item as PersonRecord | undefined;
  if (!profile) throw new NotFoundError('Personne introuvable.');
  const joined = new Set([source, ...(profile.alsoKnownAs ?? [])]);
  const label = 'Doublon possible confirmé : même personne, les deux dossiers sont réunis';
  return [
    {
      Update: {
        TableName: table,
        Key: keys.person(source),
        UpdateExpression: 'SET sameAsPersonId = :target, sameAsAt = :now, sameAsBy = :by, updatedAt = :now',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(sameAsPersonId)',
        ExpressionAttributeValues: { ':target': target, ':now': now, ':by': { id: staff.id, name: staff.name } },
      },
    },
    {
      Update: {
        TableName: table,
        Key: keys.person(target),
        UpdateExpression: 'ADD alsoKnownAs :joined SET updatedAt = :now',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(sameAsPersonId)',
        ExpressionAttributeValues: { ':joined': joined, ':now': now },
      },
    },
    ...timelinePut(table, source, { at: now, eventId: `duplicate-decided#${flag.duplicateId}`, type: 'duplicate-same-person', label, actor: staff }),
    ...timelinePut(table, target, { at: now, eventId: `duplicate-decided#${flag.duplicateId}`, type: 'duplicate-same-person', label, actor: staff }),
  ];
}
