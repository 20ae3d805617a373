import { apiRoute, json } from '../../shared/http/api.js';
import { getChecklist } from '../../shared/data/documents.js';
import { checklistView } from '../../shared/views.js';

/** GET /api/me/documents (personal link of the young person): the checklist, each document's status and rejection reason. */
export const handler = apiRoute({ link: 'young-person' }, async ({ link }) => {
  return json(200, checklistView(await getChecklist(link.referralId, link.personId)));
});
