import * as z from 'zod/mini';
import { identityKey, normalizeEmail } from './identity.js';
import { choice } from './validation.js';

/**
 * Person matching: when does a new referral describe a young person the cooperative already knows?
 *
 * - A **strong match** links the referral to that person automatically: the same identity (name and birth date,
 *   normalised) together with one contact of that same person (the same e-mail or the same mobile).
 *   At most one person holds each strong key (identity + e-mail, identity + mobile).
 * - A **weak match** (only the e-mail, only the mobile, or only the name and birth date; or strong keys held by two
 *   different people) never links: a family shares an e-mail, namesakes are born the same day. The referral gets a
 *   new person, and staff are shown a "doublon possible" to confirm or keep apart.
 */

/** One piece of what a referral says, under which people are looked up; several people may share one. */
export type LookupKind = 'IDENTITY' | 'EMAIL' | 'PHONE';
/** A strong key: the identity with one contact. At most one person holds each. */
export type StrongClaimKind = 'IDENTITY-EMAIL' | 'IDENTITY-PHONE';

export interface MatchingKeys {
  lookups: Array<{ kind: LookupKind; value: string }>;
  strong: Array<{ kind: StrongClaimKind; value: string }>;
}

/**
 * The keys of the young person a referral describes. The mobile is already in E.164 (the form's schema normalises it).
 * @example matchingKeys({ firstName: 'Éloïse', lastName: 'Dupont', birthDate: '2007-05-01', email: 'E@x.fr', phone: '+33612345678' })
 *   // strong: IDENTITY-EMAIL 'dupont|eloise|2007-05-01#e@x.fr', IDENTITY-PHONE 'dupont|eloise|2007-05-01#+33612345678'
 */
export function matchingKeys(person: { firstName: string; lastName: string; birthDate: string; email: string; phone: string }): MatchingKeys {
  const identity = identityKey(person.firstName, person.lastName, person.birthDate);
  const email = normalizeEmail(person.email);
  return {
    lookups: [
      { kind: 'IDENTITY', value: identity },
      { kind: 'EMAIL', value: email },
      { kind: 'PHONE', value: person.phone },
    ],
    strong: [
      { kind: 'IDENTITY-EMAIL', value: `${identity}#${email}` },
      { kind: 'IDENTITY-PHONE', value: `${identity}#${person.phone}` },
    ],
  };
}

/** What the table holds under a referral's keys, each person already resolved to the one it was confirmed to be. */
export interface MatchCandidates {
  /** The person holding each strong key found. */
  strong: Partial<Record<StrongClaimKind, string>>;
  /** The people known under each lookup key. */
  lookups: Partial<Record<LookupKind, string[]>>;
}

export type PersonMatch =
  | { kind: 'strong'; personId: string; matchedBy: StrongClaimKind[] }
  | { kind: 'weak'; candidates: Array<{ personId: string; matchedBy: LookupKind[] }> }
  | { kind: 'none' };

const LOOKUP_ORDER: LookupKind[] = ['IDENTITY', 'EMAIL', 'PHONE'];

/**
 * The rule: one person holding the strong keys found is a strong match; anything else found is weak.
 * @example matchPerson({ strong: {}, lookups: { EMAIL: ['p1'] } }) // { kind: 'weak', candidates: [{ personId: 'p1', matchedBy: ['EMAIL'] }] }
 */
export function matchPerson(found: MatchCandidates): PersonMatch {
  const strongOwners = [...new Set(Object.values(found.strong))];
  if (strongOwners.length === 1) {
    const personId = strongOwners[0];
    const matchedBy = (Object.keys(found.strong) as StrongClaimKind[]).filter((kind) => found.strong[kind] === personId).sort();
    return { kind: 'strong', personId, matchedBy };
  }
  // Two people hold one strong key each (the e-mail of one namesake, the mobile of the other): no way to choose.
  const byPerson = new Map<string, Set<LookupKind>>();
  for (const personId of strongOwners) byPerson.set(personId, new Set(['IDENTITY']));
  for (const kind of LOOKUP_ORDER) {
    for (const personId of found.lookups[kind] ?? []) {
      if (!byPerson.has(personId)) byPerson.set(personId, new Set());
      byPerson.get(personId)?.add(kind);
    }
  }
  if (byPerson.size === 0) return { kind: 'none' };
  const candidates = [...byPerson.entries()]
    .map(([personId, kinds]) => ({ personId, matchedBy: LOOKUP_ORDER.filter((kind) => kinds.has(kind)) }))
    .sort((a, b) => a.personId.localeCompare(b.personId));
  return { kind: 'weak', candidates };
}

/** Staff read why two records were matched. */
export const MATCH_LABELS: Record<LookupKind | StrongClaimKind, string> = {
  IDENTITY: 'même nom et date de naissance',
  EMAIL: 'même e-mail',
  PHONE: 'même mobile',
  'IDENTITY-EMAIL': 'même nom, date de naissance et e-mail',
  'IDENTITY-PHONE': 'même nom, date de naissance et mobile',
};

/**
 * A possible duplicate names one pair of people, whatever the order: its id is the two ids, sorted.
 * @example possibleDuplicateId('b…', 'a…') // 'a…_b…'
 */
export function possibleDuplicateId(personId: string, otherPersonId: string): string {
  return [personId, otherPersonId].sort().join('_');
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const DUPLICATE_ID = new RegExp(`^${UUID}_${UUID}$`);

/** Whether a path id can be a possible duplicate's (a URL typed by hand is refused before any read). */
export const isPossibleDuplicateId = (value: string) => DUPLICATE_ID.test(value);

/** What staff answer to a "doublon possible". */
export const DUPLICATE_DECISIONS = ['same-person', 'different-people'] as const;
export type DuplicateDecision = (typeof DUPLICATE_DECISIONS)[number];
export const DUPLICATE_DECISION_LABELS: Record<DuplicateDecision, string> = {
  'same-person': 'même personne : dossiers réunis',
  'different-people': 'personnes différentes : dossiers séparés',
};

/** What staff send to settle a "doublon possible". */
export const duplicateDecisionSchema = z.strictObject(
  { decision: choice(DUPLICATE_DECISIONS, 'Réponse inconnue : « same-person » (même personne) ou « different-people » (personnes différentes).') },
  'Le contenu doit être un objet JSON { decision }.',
);
