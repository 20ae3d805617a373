import * as z from 'zod/mini';
import { apiRoute, json } from '../../shared/http/api.js';
import { CHANNEL_LABELS, ROLE_LABELS, failureLabel, listContactIssues, listUndeliveredMessages } from '../../shared/notifications/contacts.js';
import { getPeople } from '../../shared/data/people.js';
import { OPT_OUT_REASON_LABELS, listOptOuts } from '../../shared/notifications/opt-outs.js';
import type { NotificationStatus, OutboxMessage } from '../../shared/data/outbox.js';
import type { SendFailureReason } from '../../shared/notifications/retry-policy.js';
import { cursorParam, limitParam } from '../../shared/domain/paging.js';
import { parseOrThrow } from '../../shared/domain/validation.js';

const DAYS = 30;
const STATUS_LABELS: Partial<Record<NotificationStatus, string>> = { bounced: 'Rejeté (adresse invalide)', failed: 'Non remis' };
/** Why the outbox gave a message up without the provider ever accepting it. */
const SEND_FAILURE_LABELS: Record<SendFailureReason, string> = {
  'attempts-exhausted': 'Fournisseur indisponible ou en erreur à chaque tentative',
  'provider-rejected': 'Adresse ou numéro refusé par le fournisseur (format, pays non couvert)',
};
const isSendFailure = (reason: string | undefined): reason is SendFailureReason => reason !== undefined && reason in SEND_FAILURE_LABELS;

/** A message's status in words: a message the outbox gave up says how, the others what the provider reported. */
function statusLabel(message: OutboxMessage): string {
  if (message.status === 'failed' && message.statusReason === 'attempts-exhausted') return `Échec d'envoi après ${message.attempts} tentatives`;
  if (message.status === 'failed' && message.statusReason === 'provider-rejected') return "Échec d'envoi : refusé par le fournisseur";
  return STATUS_LABELS[message.status] ?? message.status;
}

const LISTS = ['toFix', 'optOuts', 'failed'] as const;
type List = (typeof LISTS)[number];
const cursorName = (list: List) => `${list}Cursor` as const;

const querySchema = z.strictObject({ toFixCursor: cursorParam, optOutsCursor: cursorParam, failedCursor: cursorParam, limit: limitParam }, 'Paramètre inconnu.');

/**
 * GET /api/staff/messages?toFixCursor=&optOutsCursor=&failedCursor=&limit=: the contacts to fix (addresses that
 * bounced or failed), the opt-outs (SMS STOP, e-mail complaints) and every message not delivered in the last 30 days,
 * those the outbox gave up included; each list newest first, one page at a time. Each list pages on its own: the
 * answer gives each one's next cursor (`toFixCursor`...); a request with cursors answers only the lists they name,
 * one without answers the first page of all three.
 */
export const handler = apiRoute({ roles: ['staff'] }, async ({ event }) => {
  const query = parseOrThrow(querySchema, event.queryStringParameters ?? {}, 'Les paramètres de la liste sont invalides.');
  const asked = LISTS.filter((list) => query[cursorName(list)] !== undefined && query[cursorName(list)] !== '');
  const wanted = (list: List) => asked.length === 0 || asked.includes(list);
  const pageOf = (list: List) => ({ limit: query.limit, cursor: query[cursorName(list)], cursorField: cursorName(list) });
  const none = { items: [], cursor: undefined };
  const since = new Date(Date.now() - DAYS * 24 * 3600 * 1000);
  const [issuesPage, optOutsPage, failedPage] = await Promise.all([
    wanted('toFix') ? listContactIssues(pageOf('toFix')) : none,
    wanted('optOuts') ? listOptOuts(pageOf('optOuts')) : none,
    wanted('failed') ? listUndeliveredMessages(since, pageOf('failed')) : none,
  ]);
  const [issues, optOuts, failed] = [issuesPage.items, optOutsPage.items, failedPage.items];
  const people = await getPeople([...issues.map((i) => i.personId), ...optOuts.flatMap((o) => (o.personId ? [o.personId] : [])), ...failed.map((m) => m.personId)]);
  const nameOf = (personId: string) => {
    const person = people.get(personId);
    return person ? `${person.firstName} ${person.lastName}` : 'Personne inconnue';
  };
  // A list not asked for is left out, and each list asked for says where it goes on.
  const list = <T>(name: List, items: T[], cursor: string | undefined) =>
    wanted(name) ? { [name]: items, ...(cursor ? { [cursorName(name)]: cursor } : {}) } : {};
  return json(200, {
    since: since.toISOString(),
    ...list('toFix', issues.map((issue) => ({
      personId: issue.personId,
      issueId: issue.issueId,
      role: issue.role,
      roleLabel: ROLE_LABELS[issue.role],
      channel: issue.channel,
      channelLabel: CHANNEL_LABELS[issue.channel],
      address: issue.address,
      personName: nameOf(issue.personId),
      reason: issue.reason,
      reasonLabel: failureLabel(issue.reason),
      firstFailedAt: issue.firstFailedAt,
      lastFailedAt: issue.lastFailedAt,
      failedMessages: issue.notificationIds.length,
    })), issuesPage.cursor),
    ...list('optOuts', optOuts.map((optOut) => ({
      channel: optOut.channel,
      channelLabel: CHANNEL_LABELS[optOut.channel],
      address: optOut.address,
      reason: optOut.reason,
      reasonLabel: OPT_OUT_REASON_LABELS[optOut.reason],
      at: optOut.at,
      ...(optOut.personId ? { personId: optOut.personId, personName: nameOf(optOut.personId) } : {}),
    })), optOutsPage.cursor),
    ...list('failed', failed.map((message) => ({
      personId: message.personId,
      personName: nameOf(message.personId),
      notificationId: message.notificationId,
      kind: message.kind,
      role: message.role,
      roleLabel: ROLE_LABELS[message.role],
      channel: message.channel,
      to: message.to,
      status: message.status,
      statusLabel: statusLabel(message),
      statusReason: message.statusReason,
      statusReasonLabel: isSendFailure(message.statusReason) ? SEND_FAILURE_LABELS[message.statusReason] : failureLabel(message.statusReason),
      attempts: message.attempts,
      statusAt: message.statusAt,
      sentAt: message.sentAt,
    })), failedPage.cursor),
  });
});
