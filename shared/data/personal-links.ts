import { createHash, randomBytes } from 'node:crypto';
import { GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { batchGetAll, db, queryPrefix, tableName } from './client.js';
import { keys } from '../keys.js';
import type { OutboxMessage } from './outbox.js';
import type { ReferralRecord } from './referrals.js';
import { normalizeEmail } from '../domain/identity.js';
import { LinkRefusedError, TooManyRequestsError, type LinkRefusal } from '../domain/errors.js';
import type { Actor } from '../domain/actor.js';
import type { RateWindow } from '../../infra/config.js';
import {
  LINK_REFUSAL_MESSAGES,
  LINK_TOKEN_PATTERN,
  MESSAGE_LINK_TOKEN_PATTERN,
  NEW_LINK_PAGE,
  fillLinkPlaceholder,
  linkUrl,
  personalLinkSettingsFromEnv,
  type ContactAddress,
  type LinkAudience,
} from '../domain/personal-links.js';
import { isConditionalCheckFailed } from './transactions.js';

/**
 * Personal links: an opaque token (32 random bytes, base64url) of which only the SHA-256 is stored, scoped to one
 * person, one referral's onboarding and one audience, valid for a while (14 days in production).
 *
 * - A link goes out with a message: the outbox stores a placeholder, and the sender issues a link when it sends
 *   (`fillPersonalLink`), so no token is ever in the table or in a log. A retried send issues another link; both are valid.
 *   An e-mail a batch writes gets its link with its write, kept on the message itself (`issueMessageLink`, decision 42).
 * - A link is refused (LinkRefusedError) when unknown or malformed (401), expired or revoked (410), or used on the other
 *   audience's page (403). Refusing writes nothing.
 * - `revokeLinks` ends every link of a person and audience issued until then (staff, or the person who lost a phone).
 *   Asking for a new link on the "nouveau lien" page does NOT revoke the ones sent before: anyone who knows an address
 *   could otherwise disable its owner's links at will; the new link simply adds one.
 */

type TransactItem = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>[number];

export interface PersonalLinkRecord {
  type: 'personal-link';
  tokenHash: string;
  personId: string;
  referralId: string;
  audience: LinkAudience;
  issuedAt: string;
  validUntil: string;
  /** TTL: the item stays 30 days past its validity, so that an expired link is told as such, not as unknown. */
  expiresAt: number;
}

/** Who a link opened the page for, and as whom they act. */
export interface ResolvedLink {
  personId: string;
  referralId: string;
  audience: LinkAudience;
  actor: Extract<Actor, { kind: 'young-person' | 'guardian' }>;
  /** The referral whose onboarding the link is about (names, programme, contacts). */
  referral: ReferralRecord;
}

const KEPT_AFTER_EXPIRY_SECONDS = 30 * 24 * 3600;

export const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');
const hashAddress = (contact: ContactAddress): string =>
  createHash('sha256').update(contact.channel === 'email' ? normalizeEmail(contact.address) : contact.address, 'utf8').digest('hex');

/** The actor id of a referral's guardian: guardians are not people of the table, they are known through the referral. */
export const guardianActorId = (referralId: string) => `guardian-${referralId}`;

/**
 * A new link, not stored yet: its token (to put in a message, never anywhere else), its URL, and the items that
 * store its hash.
 * @example const { url, items } = issueLink({ personId, referralId, audience: 'young-person' })
 */
export function issueLink(input: { personId: string; referralId: string; audience: LinkAudience; now?: Date; appBaseUrl?: string; page?: string }): {
  token: string;
  url: string;
  items: TransactItem[];
} {
  const now = input.now ?? new Date();
  const token = randomBytes(32).toString('base64url');
  const tokenHash = hashToken(token);
  const validUntil = new Date(now.getTime() + personalLinkSettingsFromEnv().validForSeconds * 1000);
  const record: PersonalLinkRecord = {
    type: 'personal-link',
    tokenHash,
    personId: input.personId,
    referralId: input.referralId,
    audience: input.audience,
    issuedAt: now.toISOString(),
    validUntil: validUntil.toISOString(),
    expiresAt: Math.floor(validUntil.getTime() / 1000) + KEPT_AFTER_EXPIRY_SECONDS,
  };
  const items: TransactItem[] = [{ Put: { TableName: tableName(), Item: { ...keys.personalLink(tokenHash), ...record }, ConditionExpression: 'attribute_not_exists(pk)' } }];
  return { token, url: linkUrl(input.appBaseUrl ?? process.env.APP_BASE_URL ?? '', input.audience, token, input.page), items };
}

/**
 * Files an address that links go to (by its hash), with the message that carries one: the "nouveau lien" page
 * finds there whose links an address receives. Written again by every such message; the referral's current
 * contact is what counts in the end (findLinkRecipients).
 */
export function linkContactPut(
  table: string,
  input: { personId: string; referralId: string; audience: LinkAudience; contact: ContactAddress; now: string },
): { Put: { TableName: string; Item: Record<string, unknown>; ConditionExpression?: string } } {
  return {
    Put: {
      TableName: table,
      Item: {
        ...keys.linkContact(input.contact.channel, hashAddress(input.contact), input.referralId, input.audience),
        type: 'link-contact',
        personId: input.personId,
        referralId: input.referralId,
        audience: input.audience,
        channel: input.contact.channel,
        updatedAt: input.now,
      },
    },
  };
}

/**
 * Units of transaction items less their address filings (`linkContactPut`) that the table holds already, read in one
 * batch: writing one again changes nothing that is read (its key names the address, the referral and the audience,
 * the referral its person; none is ever deleted), and costs an item in the unit's transaction. A filing missing (a
 * first link to that address, an address changed since) stays in its unit.
 */
export async function withoutFiledContacts(units: ReadonlyArray<readonly TransactItem[]>): Promise<TransactItem[][]> {
  const isFiling = (item: TransactItem) => item.Put?.Item?.type === 'link-contact';
  const keyOf = (item: Record<string, unknown>) => `${String(item.pk)}\u0000${String(item.sk)}`;
  const filings = units.flatMap((items) => items.filter(isFiling).map((item) => item.Put!.Item!));
  if (filings.length === 0) return units.map((items) => [...items]);
  const found = new Set((await batchGetAll(filings.map((item) => ({ pk: String(item.pk), sk: String(item.sk) })))).map(keyOf));
  return units.map((items) => items.filter((item) => !isFiling(item) || !found.has(keyOf(item.Put!.Item!))));
}

/** Issues a link and stores it; returns its URL (and token) for the message being sent. */
export async function storeLink(input: Parameters<typeof issueLink>[0]): Promise<{ token: string; url: string }> {
  const { token, url, items } = issueLink(input);
  await db().send(new TransactWriteCommand({ TransactItems: items }));
  return { token, url };
}

/**
 * The message as the provider gets it: a fresh link in place of its placeholder. Only this copy, which the sender
 * hands to the provider and drops, holds the link. A message without a referral cannot carry a link (outboxPuts
 * refuses to write one).
 */
export async function fillPersonalLink(personId: string, message: OutboxMessage, now: Date = new Date()): Promise<OutboxMessage> {
  const audience = message.personalLink;
  if (!audience) return message;
  if (!message.referralId) throw new Error(`message ${message.notificationId} declares a personal link without a referral`);
  const { url } = await storeLink({ personId, referralId: message.referralId, audience, now, page: message.linkPage });
  return withLinkUrl(message, url);
}

/** The message with `url`, a link issued for it and stored already, in place of its placeholder (the provider's copy). */
export function withLinkUrl(message: OutboxMessage, url: string): OutboxMessage {
  const audience = message.personalLink;
  if (!audience) return message;
  return { ...message, subject: message.subject && fillLinkPlaceholder(message.subject, audience, url), body: fillLinkPlaceholder(message.body, audience, url) };
}

/**
 * A link kept on the message that carries it (decision 42): its hash and validity, where a link of its own has a
 * `LINK#<hash>` item. The message gives the rest: its person (the key), referral and audience (`personalLink`).
 */
export interface MessageLink {
  hash: string;
  issuedAt: string;
  validUntil: string;
}

/** The message a token of a link kept on its message names (`MESSAGE_LINK_TOKEN_PATTERN`), or undefined. */
function messageOfToken(token: string): { personId: string; notificationId: string } | undefined {
  const parts = MESSAGE_LINK_TOKEN_PATTERN.exec(token);
  if (!parts) return undefined;
  return { personId: Buffer.from(parts[2]!, 'base64url').toString('utf8'), notificationId: Buffer.from(parts[3]!, 'base64url').toString('utf8') };
}

/**
 * The link an e-mail written by a batch will carry, issued with the message (`writeAndSendNotifications`): no item of
 * its own, its hash and validity go on the message (`link`), which its token names, so that the message's own write
 * stores it. The URL stays with the writer, which sends the message a moment later. If it does not (it dies, its lease
 * runs out), whoever sends the message issues a link of its own (`fillPersonalLink`); this one, known to nobody,
 * expires unused. An SMS gets none: its segments are counted with a link of `LINK_URL_BUDGET` characters.
 */
export function issueMessageLink(personId: string, message: OutboxMessage, now: Date): { url: string; link: MessageLink } | undefined {
  if (!message.personalLink || !message.referralId || message.channel !== 'email') return undefined;
  const ref = (value: string) => Buffer.from(value, 'utf8').toString('base64url');
  const token = `${randomBytes(32).toString('base64url')}.${ref(personId)}.${ref(message.notificationId)}`;
  const validUntil = new Date(now.getTime() + personalLinkSettingsFromEnv().validForSeconds * 1000);
  return {
    url: linkUrl(process.env.APP_BASE_URL ?? '', message.personalLink, token, message.linkPage),
    link: { hash: hashToken(token), issuedAt: now.toISOString(), validUntil: validUntil.toISOString() },
  };
}

/** What `resolveLink` checks of a link, from its item or from the message that keeps it. */
type StoredLink = Pick<PersonalLinkRecord, 'personId' | 'referralId' | 'audience' | 'issuedAt' | 'validUntil'>;

/** The stored link a token opens, by its hash: its own item, or the message its token names (only while it holds that hash). */
async function storedLink(token: string): Promise<StoredLink | undefined> {
  const hash = hashToken(token);
  const carrier = messageOfToken(token);
  if (!carrier) {
    const { Item } = await db().send(new GetCommand({ TableName: tableName(), Key: keys.personalLink(hash), ConsistentRead: true }));
    return Item as PersonalLinkRecord | undefined;
  }
  const { Item } = await db().send(
    new GetCommand({
      TableName: tableName(),
      Key: keys.notification(carrier.personId, carrier.notificationId),
      ConsistentRead: true,
      ProjectionExpression: '#link, personalLink, referralId',
      ExpressionAttributeNames: { '#link': 'link' },
    }),
  );
  const message = Item as (Pick<OutboxMessage, 'personalLink' | 'referralId'> & { link?: MessageLink }) | undefined;
  if (!message?.link || message.link.hash !== hash || !message.personalLink || !message.referralId) return undefined;
  return { personId: carrier.personId, referralId: message.referralId, audience: message.personalLink, issuedAt: message.link.issuedAt, validUntil: message.link.validUntil };
}

const refuse = (reason: LinkRefusal) => new LinkRefusedError(reason, LINK_REFUSAL_MESSAGES[reason], NEW_LINK_PAGE);

/**
 * The person, onboarding and actor a token opens `audience`'s page for; a LinkRefusedError otherwise. Reads only.
 * @example const { personId, referralId, actor } = await resolveLink(event.headers['x-parcours-link'], 'young-person')
 */
export async function resolveLink(token: string | undefined, audience: LinkAudience, now: Date = new Date()): Promise<ResolvedLink> {
  if (token === undefined || token.trim() === '') throw refuse('missing');
  // A value of another shape was never issued: no read for it.
  if (!LINK_TOKEN_PATTERN.test(token) && !MESSAGE_LINK_TOKEN_PATTERN.test(token)) throw refuse('unknown');
  const link = await storedLink(token);
  if (!link) throw refuse('unknown');
  if (link.audience !== audience) throw refuse('other-audience');
  if (link.validUntil <= now.toISOString()) throw refuse('expired');
  const [revocation, referral] = await Promise.all([
    db().send(new GetCommand({ TableName: tableName(), Key: keys.personalLinksRevocation(link.personId), ConsistentRead: true })),
    db().send(new GetCommand({ TableName: tableName(), Key: keys.referral(link.referralId), ConsistentRead: true })),
  ]);
  const revokedAt = revocation.Item?.[audience] as string | undefined;
  if (revokedAt && link.issuedAt <= revokedAt) throw refuse('revoked');
  const record = referral.Item as ReferralRecord | undefined;
  // A referral gone (erased) leaves nothing for the link to open.
  if (!record || record.personId !== link.personId) throw refuse('unknown');
  const actor: ResolvedLink['actor'] =
    audience === 'young-person'
      ? { kind: 'young-person', id: link.personId, name: `${record.youngPerson.firstName} ${record.youngPerson.lastName}` }
      : { kind: 'guardian', id: guardianActorId(link.referralId), name: record.guardian ? `${record.guardian.firstName} ${record.guardian.lastName}` : 'Représentant légal' };
  return { personId: link.personId, referralId: link.referralId, audience, actor, referral: record };
}

/** Ends every link of the person for `audience` issued until `now`; links issued later open again. */
export async function revokeLinks(personId: string, audience: LinkAudience, now: Date = new Date()): Promise<void> {
  await db().send(
    new UpdateCommand({
      TableName: tableName(),
      Key: keys.personalLinksRevocation(personId),
      UpdateExpression: 'SET #type = :type, personId = :personId, #audience = :now',
      ExpressionAttributeNames: { '#type': 'type', '#audience': audience },
      ExpressionAttributeValues: { ':type': 'personal-links-revocation', ':personId': personId, ':now': now.toISOString() },
    }),
  );
}

/** A referral whose onboarding an address receives links for, as whom. */
export interface LinkRecipient {
  referral: ReferralRecord;
  audience: LinkAudience;
}

/** Onboarding statuses in which a person may ask for a new link: in onboarding, or ready for the launch. */
const OPEN_ONBOARDING = new Set(['active', 'ready']);

/**
 * Whose links `contact` received, among onboardings still open, checked against the address the referral holds
 * today: an address corrected since (a typo that was someone else's) no longer receives anything.
 */
export async function findLinkRecipients(contact: ContactAddress): Promise<LinkRecipient[]> {
  const entries = await queryPrefix(keys.linkContactPartition(contact.channel, hashAddress(contact)), '', { consistentRead: true });
  const found = entries.map((item) => ({ referralId: String(item.referralId), audience: item.audience as LinkAudience }));
  if (found.length === 0) return [];
  const referralIds = [...new Set(found.map((f) => f.referralId))];
  const items = await batchGetAll(referralIds.flatMap((id) => [keys.referral(id), keys.onboarding(id)]), { consistentRead: true });
  const referrals = new Map(items.filter((i) => i.sk === 'REFERRAL').map((i) => [String(i.referralId), i as unknown as ReferralRecord]));
  const onboardings = new Map(items.filter((i) => i.sk === 'ONBOARDING').map((i) => [String(i.referralId), String(i.status)]));
  const field = contact.channel === 'email' ? 'email' : 'phone';
  const same = (value: string | undefined) => value !== undefined && (contact.channel === 'email' ? normalizeEmail(value) === contact.address : value === contact.address);
  return found.flatMap(({ referralId, audience }) => {
    const referral = referrals.get(referralId);
    if (!referral || !OPEN_ONBOARDING.has(onboardings.get(referralId) ?? '')) return [];
    const holder = audience === 'young-person' ? referral.youngPerson : referral.guardian;
    return same(holder?.[field]) ? [{ referral, audience }] : [];
  });
}

/**
 * Counts one request in the current fixed window of `scope`, or refuses it (429) once `limit.max` were counted.
 * The counter holds no address: a per-address scope is its SHA-256.
 */
export async function countRequest(scope: string, limit: RateWindow, message: string, now: Date = new Date()): Promise<void> {
  const windowMs = limit.windowSeconds * 1000;
  const start = Math.floor(now.getTime() / windowMs) * windowMs;
  const end = start + windowMs;
  try {
    await db().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.linkResendCounter(scope, new Date(start).toISOString()),
        UpdateExpression: 'SET #type = :type, expiresAt = :expires ADD #count :one',
        ConditionExpression: 'attribute_not_exists(#count) OR #count < :max',
        ExpressionAttributeNames: { '#type': 'type', '#count': 'count' },
        ExpressionAttributeValues: { ':type': 'link-resend-counter', ':expires': Math.floor(end / 1000) + 3600, ':one': 1, ':max': limit.max },
      }),
    );
  } catch (error) {
    if (!isConditionalCheckFailed(error)) throw error;
    throw new TooManyRequestsError(message, Math.max(1, Math.ceil((end - now.getTime()) / 1000)));
  }
}

/** The per-address scope of the re-send counters. */
export const contactScope = (contact: ContactAddress) => `${contact.channel}#${hashAddress(contact)}`;
