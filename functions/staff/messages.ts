import * as z from 'zod/mini';
import { apiRoute, json } from '../../shared/http/api.js';
import { listContactIssues, listUndeliveredMessages } from '../../shared/notifications/contacts.js';
import { getPeople } from '../../shared/data/people.js';
import { listOptOuts } from '../../shared/notifications/opt-outs.js';
import { contactIssueItem, optOutItem, undeliveredMessageItem } from '../../shared/views.js';
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
    ...list('toFix', issues.map((issue) => contactIssueItem(issue, nameOf(issue.personId))), issuesPage.cursor),
    ...list('optOuts', optOuts.map((optOut) => optOutItem(optOut, optOut.personId ? nameOf(optOut.personId) : undefined)), optOutsPage.cursor),
    ...list('failed', failed.map((message) => undeliveredMessageItem(message, nameOf(message.personId))), failedPage.cursor),
  });
});
