import * as z from 'zod/mini';
import { apiRoute, json } from '../../shared/http/api.js';
import { listContactIssues, listUndeliveredMessages } from '../../shared/notifications/contacts.js';
import { getOutboxOwners, type OutboxOwnerRef } from '../../shared/data/outbox-owners.js';
import { listOptOuts } from '../../shared/notifications/opt-outs.js';
import { contactIssueItem, optOutItem, outboxOwnerView, undeliveredMessageItem } from '../../shared/views.js';
import { cursorParam, limitParam } from '../../shared/domain/paging.js';
import { parseOrThrow } from '../../shared/domain/validation.js';

const DAYS = 30;

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
  // Each row names who the message was for: a young person, or a customer (the invoice's customer and activity).
  const ownerOf = await getOutboxOwners([
    ...issues.map((i): OutboxOwnerRef => ({ ownerId: i.personId, role: i.role })),
    ...optOuts.flatMap((o): OutboxOwnerRef[] => (o.personId ? [{ ownerId: o.personId, role: o.role }] : [])),
    ...failed.map((m): OutboxOwnerRef => ({ ownerId: m.personId, role: m.role })),
  ]);
  const ownerView = (ownerId: string, role: OutboxOwnerRef['role']) => outboxOwnerView(ownerOf({ ownerId, role }));
  // A list not asked for is left out, and each list asked for says where it goes on.
  const list = <T>(name: List, items: T[], cursor: string | undefined) =>
    wanted(name) ? { [name]: items, ...(cursor ? { [cursorName(name)]: cursor } : {}) } : {};
  return json(200, {
    since: since.toISOString(),
    ...list('toFix', issues.map((issue) => contactIssueItem(issue, ownerView(issue.personId, issue.role))), issuesPage.cursor),
    ...list('optOuts', optOuts.map((optOut) => optOutItem(optOut, optOut.personId ? ownerView(optOut.personId, optOut.role) : undefined)), optOutsPage.cursor),
    ...list('failed', failed.map((message) => undeliveredMessageItem(message, ownerView(message.personId, message.role))), failedPage.cursor),
  });
});
