import { keys } from '../keys.js';
import { mayCarryAttachments, type Channel, type RecipientRole } from '../domain/messages/catalogue.js';
import { attachmentProblem, type MailAttachment, type SentAttachment } from '../domain/messages/attachments.js';
import { LINK_AUDIENCE_OF_ROLE, isOtherLinkPage, placeholdersIn, type LinkAudience } from '../domain/personal-links.js';
import { linkContactPut, type MessageLink } from './personal-links.js';

/** A message as a state change writes it: to whom, by which channel, what. */
export interface OutboxDraft {
  kind: string;
  role: RecipientRole;
  channel: Channel;
  to: string;
  subject?: string;
  body: string;
  /**
   * The text carries this audience's link placeholder (`{{lien-personnel}}`, `{{lien-tuteur}}`): the sender issues a
   * link when it sends and puts it there, so the outbox never holds one. Needs the message's referral.
   */
  personalLink?: LinkAudience;
  /**
   * The page the link opens when not the audience's own (`LINK_OTHER_PAGES`, a query allowed): `/mon-activite` for a
   * launch file, `/ma-facturation?activite=…&mois=…` for a monthly statement.
   */
  linkPage?: string;
  /**
   * Files the e-mail carries, by reference to the documents bucket (`invoices/…`, `statements/…`), never their bytes
   * (an item holds 400 KB at most). Only on an e-mail whose catalogue entry allows them (`attachments: true`): the
   * sender reads each object when it sends and puts it in SES v2 `Content.Simple.Attachments`. An object missing
   * then fails the message for good (`attachment-missing`), as do files over SES's 40 MB (`attachments-too-large`).
   */
  attachments?: MailAttachment[];
}

/**
 * `pending` until a provider accepts it, `sent` then, and what the provider reports after that;
 * `failed` also when the outbox gave it up (a provider that refused it, or every attempt failed: `statusReason`);
 * `suppressed`: not sent, because the same message went to the same person less than 24 h before;
 * `opted-out`: not sent, because the address asked for no more messages on that channel (SMS STOP, e-mail complaint);
 * `cancelled`: not sent, because what it was about changed before its time (`validWhile`: a reminder of a seat left).
 */
export type NotificationStatus = 'pending' | 'sent' | 'delivered' | 'bounced' | 'complained' | 'failed' | 'suppressed' | 'opted-out' | 'cancelled';

/** A stored item's field a message depends on: it is sent only while that field still holds `equals`. */
export interface ValidWhile {
  key: { pk: string; sk: string };
  field: string;
  equals: string | number;
}

/** A message waiting in the outbox (or already sent), stored under the person it concerns. */
export interface OutboxMessage extends OutboxDraft {
  notificationId: string;
  cause: string;
  status: NotificationStatus;
  /** Send attempts by the outbox: one per lease a sender claimed on it. */
  attempts: number;
  /** While pending: when a sender may next try it (its place in the due index, gsi3). */
  nextAttemptAt?: string;
  /** The sender holding the message, until `leaseUntil`: only it calls the provider. */
  leaseId?: string;
  leaseUntil?: string;
  /** Calls the provider's SDK made for the send that went through (more than one: it retried a throttling or a 5xx). */
  providerAttempts?: number;
  createdAt: string;
  sentAt?: string;
  providerMessageId?: string;
  lastError?: string;
  /** Held back until then (SMS quiet hours). */
  notBefore?: string;
  /** When the provider reported the current delivery status (delivered, bounced, complained, failed). */
  statusAt?: string;
  /**
   * The provider's code for a failure (e.g. `Permanent/General`, `UNREACHABLE`), or why the outbox gave the message up
   * (`attempts-exhausted`, `provider-rejected`), never an address or a text.
   */
  statusReason?: string;
  /** The referral the message is about, when there is one (for the contact to fix). */
  referralId?: string;
  /** Checked by the sender just before it sends: a condition that no longer holds cancels the message. */
  validWhile?: ValidWhile[];
  /** Once sent: the files that went with it, as read from S3 (size, SHA-256), in the order of `attachments`. */
  sentAttachments?: SentAttachment[];
  /**
   * A customer's e-mail that did not arrive: when staff sent its invoice again to the corrected address, and that
   * address (shared/invoicing/resend.ts); the re-send is a message of its own.
   */
  resentAt?: string;
  resentTo?: string;
  /**
   * The personal link a batch issued with the message (its hash and validity, never the token: decision 42). A link
   * issued at a later send has an item of its own, as any other.
   */
  link?: MessageLink;
}

/**
 * A provider's report that a copy of a message was delivered, stored beside the message (`keys.deliveryReceipt`,
 * decision 42) rather than written on it: a put that needs no condition, so the reports of a batch go by BatchWrite.
 */
export interface DeliveryReceipt {
  type: 'delivery-receipt';
  personId: string;
  notificationId: string;
  providerMessageId: string;
  /** When the provider saw it delivered. */
  at: string;
}

/**
 * Items of a person's partition with their messages as readers show them: a message still `sent` whose copy (its
 * provider id) has a delivery receipt is `delivered` at the receipt's time, and the receipts themselves are left out.
 * A bounce, a complaint or a failure, written on the message, stays what it says whatever the order the reports came
 * in: a delivery only moves a message on from `sent`, as when it was written on the message (decision 11). Messages
 * delivered before decision 42 say so themselves.
 */
export function withDeliveries(items: readonly Record<string, unknown>[]): Record<string, unknown>[] {
  const key = (item: Record<string, unknown>) => `${String(item.pk)}\u0000${String(item.notificationId)}\u0000${String(item.providerMessageId)}`;
  const delivered = new Map<string, string>();
  for (const item of items) if (item.type === 'delivery-receipt') delivered.set(key(item), String(item.at));
  if (delivered.size === 0) return [...items];
  return items
    .filter((item) => item.type !== 'delivery-receipt')
    .map((item) => {
      const at = item.type === 'notification' && item.status === 'sent' && item.providerMessageId ? delivered.get(key(item)) : undefined;
      return at ? { ...item, status: 'delivered', statusAt: at } : item;
    });
}

export interface OutboxOptions {
  /** The referral the messages are about. */
  referralId?: string;
  /** Not sent before then (a reminder): the dispatcher finds it in the due index at that time. */
  notBefore?: string;
  /**
   * A message written ahead of its time about a state that may change meanwhile (a session reminder: the booking
   * it was written for, the onboarding under way): the sender cancels it if one of these no longer holds.
   */
  validWhile?: ValidWhile[];
}

/** One cause's messages, as a state change writes them. */
export interface OutboxBatch {
  cause: string;
  drafts: OutboxDraft[];
  options?: OutboxOptions;
}

/**
 * The transaction items that put messages in the outbox, in the same write as the state change that causes them.
 * The notification id is derived from the cause, the role and the channel: a retried write cannot put one twice.
 * Each message is due at once in the dispatcher's index: whoever sends it first (the step that follows the change,
 * or the dispatcher when that step never comes), it is never left waiting for good.
 */
export function outboxPuts(tableName: string, personId: string, cause: string, drafts: OutboxDraft[], now: string, options: OutboxOptions = {}) {
  return outboxPutsOfCauses(tableName, personId, [{ cause, drafts, options }], now);
}

/**
 * `outboxPuts` for the messages of several causes written together (a confirmation and its reminder). An address
 * that receives links is filed once, however many of the messages go to it: a transaction refuses two operations
 * on the same item.
 */
export function outboxPutsOfCauses(tableName: string, personId: string, batches: OutboxBatch[], now: string) {
  const messages = batches.flatMap(({ cause, drafts, options = {} }) =>
    drafts.map((draft) => {
      draft = withPersonalLink(draft, options);
      checkAttachments(draft);
      const notificationId = `${cause}#${draft.role}#${draft.channel}`;
      const item: OutboxMessage & Record<string, unknown> = {
        ...keys.notification(personId, notificationId),
        type: 'notification',
        notificationId,
        cause,
        personId,
        ...draft,
        status: 'pending',
        attempts: 0,
        createdAt: now,
        nextAttemptAt: options.notBefore ?? now,
        ...keys.dueMessageEntry(options.notBefore ?? now, personId, notificationId),
        ...(options.notBefore ? { notBefore: options.notBefore } : {}),
        ...(options.referralId ? { referralId: options.referralId } : {}),
        ...(options.validWhile?.length ? { validWhile: options.validWhile } : {}),
      };
      return { Put: { TableName: tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } };
    }),
  );
  // An address that receives links is filed with the message, for the "nouveau lien" page.
  const linkContacts = new Map<string, ReturnType<typeof linkContactPut>>();
  for (const { Item: message } of messages.map((m) => m.Put)) {
    if (!message.personalLink || !message.referralId) continue;
    const put = linkContactPut(tableName, { personId, referralId: message.referralId, audience: message.personalLink, contact: { channel: message.channel, address: message.to }, now });
    linkContacts.set(`${String(put.Put.Item.pk)}\u0000${String(put.Put.Item.sk)}`, put);
  }
  return [...messages, ...linkContacts.values()];
}

/** Files go only on the e-mails the catalogue allows, by valid reference: a bad one fails the write, not the send. */
function checkAttachments(draft: OutboxDraft): void {
  if (draft.attachments === undefined) return;
  if (draft.channel !== 'email') throw new Error(`${draft.kind} to ${draft.role}: only an e-mail carries attachments`);
  if (!mayCarryAttachments(draft.kind, draft.role)) throw new Error(`${draft.kind} to ${draft.role}: the catalogue allows no attachments on this message`);
  const problem = attachmentProblem(draft.attachments);
  if (problem) throw new Error(`${draft.kind} to ${draft.role}: ${problem}`);
}

/**
 * A message with a link is written only if the sender can fill it in: the placeholder of the recipient it belongs
 * to and no other, about a referral. Otherwise a person would get a raw "{{lien-personnel}}", or someone else's link.
 * A draft that does not declare `personalLink` gets the one its text holds.
 */
function withPersonalLink(draft: OutboxDraft, options: OutboxOptions): OutboxDraft {
  const found = placeholdersIn(`${draft.subject ?? ''}\n${draft.body}`);
  const personalLink = draft.personalLink ?? (found.length === 1 ? found[0] : undefined);
  const declared = personalLink ? [personalLink] : [];
  if (found.join() !== declared.join()) throw new Error(`${draft.kind} to ${draft.role}: its text holds the link placeholders [${found.join()}], it declares [${declared.join()}]`);
  if (!personalLink) return draft;
  if (LINK_AUDIENCE_OF_ROLE[draft.role] !== personalLink) throw new Error(`${draft.kind}: a ${personalLink} link cannot go to the ${draft.role} recipient`);
  if (!options.referralId) throw new Error(`${draft.kind}: a personal link needs the referral the message is about`);
  if (draft.linkPage !== undefined && !isOtherLinkPage(personalLink, draft.linkPage)) throw new Error(`${draft.kind}: a ${personalLink} link cannot open ${draft.linkPage}`);
  return { ...draft, personalLink };
}
