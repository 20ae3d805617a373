import { apiRoute, json, readJsonBody } from '../../shared/http/api.js';
import { upsertServiceKind } from '../../shared/data/service-kinds.js';
import type { Staff } from '../../shared/domain/actor.js';
import { serviceKindCodeSchema, serviceKindSchema } from '../../shared/domain/activities.js';
import { parseOrThrow } from '../../shared/domain/validation.js';
import { serviceKindView } from '../../shared/activity-views.js';

/** PUT /api/staff/service-kinds/{code}: staff create or edit a kind of service (label, VAT rate, insurance notes, minors). */
export const handler = apiRoute({ roles: ['staff'] }, async ({ event, actor }) => {
  const input = parseOrThrow(serviceKindSchema, readJsonBody(event), 'Le service contient des erreurs.');
  const code = parseOrThrow(serviceKindCodeSchema, event.pathParameters?.code ?? '', 'Code de service invalide : minuscules, chiffres et tirets.');
  return json(200, serviceKindView(await upsertServiceKind(code, input, actor as Staff)));
});
