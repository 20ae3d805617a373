import { apiRoute, json, pdfAnswer, readJsonBody, type ApiEvent } from '../../shared/http/api.js';
import { apiRouter } from '../../shared/http/router.js';
import { memberActivityOr404 } from '../../shared/activities/routes.js';
import type { ActivityWithParts } from '../../shared/data/activities.js';
import { getInvoice, listActivityInvoices } from '../../shared/data/invoicing/invoices.js';
import { getStatement, statementPdf } from '../../shared/data/invoicing/statements.js';
import { statementFileName } from '../../shared/domain/invoicing/statement.js';
import { NotFoundError } from '../../shared/domain/errors.js';
import { idempotencyKeyOf } from '../../shared/domain/idempotency.js';
import { invoicePdfKey, type DeclaredBy } from '../../shared/domain/invoicing/records.js';
import type { ResolvedLink } from '../../shared/data/personal-links.js';
import * as recording from '../../shared/invoicing/recording.js';
import { documentFileName } from '../../shared/invoicing/document.js';
import { customerView, memberInvoiceView, memberStatementView } from '../../shared/invoicing-views.js';
import { logger } from '../../shared/observability.js';
import { readObject } from '../../shared/storage/objects.js';
import type { MemberInvoicingRoute } from './member-routes.js';

/*
 * The members' invoicing, in their space (personal link): their activity's customers, the month's declarations,
 * their invoices and the PDF of an issued one, their monthly statement and its PDF (rendered when first opened,
 * decision 35). One function for these routes (decision 29). Every route first finds
 * the activity among the link's own (another's answers 404, as one that does not exist); any member of a collective
 * activity may declare, and is recorded as who declared.
 */

const path = (event: ApiEvent, name: string) => event.pathParameters?.[name] ?? '';

/** The activity of the path when the link's young person is one of its members, or a 404. */
const myActivity = (event: ApiEvent, link: ResolvedLink) => memberActivityOr404(path(event, 'activityId'), link.referralId);

/** The month of the path (YYYY-MM), or a 400. */
const monthOf = (event: ApiEvent) => recording.declarationMonth(path(event, 'month'));

/** The member declaring: recorded on the declaration by their referral and their name in the activity. */
function memberOf(found: ActivityWithParts, link: ResolvedLink): DeclaredBy {
  const member = found.members.find((m) => m.referralId === link.referralId)!;
  return { referralId: link.referralId, name: member.name };
}

/** The month's statement of the activity and this member's copy, or a 404 before it is issued. */
async function myStatement(activityId: string, month: string, link: ResolvedLink) {
  const statement = await getStatement(activityId, month);
  const copy = statement?.members.find((m) => m.referralId === link.referralId);
  if (!statement || !copy) throw new NotFoundError("Le relevé de ce mois n'est pas encore fait : il est envoyé une fois les factures du mois validées.");
  return { statement, copy };
}

export const handler = apiRouter<MemberInvoicingRoute>({
  'GET /api/me/activities/{activityId}/customers': apiRoute({ link: 'young-person' }, async ({ event, link }) => {
    const { activity } = await myActivity(event, link);
    return json(200, await recording.activityCustomersAnswer(activity.activityId));
  }),

  'POST /api/me/activities/{activityId}/customers': apiRoute({ link: 'young-person' }, async ({ event, link }) => {
    const idempotencyKey = idempotencyKeyOf(event.headers);
    const body = readJsonBody(event);
    const { activity } = await myActivity(event, link);
    const { customer, created } = await recording.createCustomerFromRequest({ activityId: activity.activityId, idempotencyKey, body });
    logger.info(created ? 'customer created' : 'customer creation replayed', { activityId: activity.activityId, customerId: customer.customerId });
    return json(created ? 201 : 200, customerView(customer));
  }),

  'PUT /api/me/activities/{activityId}/customers/{customerId}': apiRoute({ link: 'young-person' }, async ({ event, link }) => {
    const body = readJsonBody(event);
    const { activity } = await myActivity(event, link);
    const customer = await recording.updateCustomerFromRequest({ activityId: activity.activityId, customerId: path(event, 'customerId'), body });
    logger.info('customer updated', { activityId: activity.activityId, customerId: customer.customerId });
    return json(200, customerView(customer));
  }),

  'GET /api/me/activities/{activityId}/months/{month}/declarations': apiRoute({ link: 'young-person' }, async ({ event, link }) => {
    const found = await myActivity(event, link);
    return json(200, await recording.monthDeclarationsAnswer(found, monthOf(event)));
  }),

  'POST /api/me/activities/{activityId}/months/{month}/declarations': apiRoute({ link: 'young-person' }, async ({ event, link }) => {
    const idempotencyKey = idempotencyKeyOf(event.headers);
    const body = readJsonBody(event);
    const found = await myActivity(event, link);
    const month = monthOf(event);
    const { declaration, created } = await recording.createDeclarationFromRequest({ found, month, idempotencyKey, body, declaredBy: memberOf(found, link) });
    logger.info(created ? 'declaration created' : 'declaration creation replayed', { activityId: found.activity.activityId, declarationId: declaration.declarationId, month });
    return json(created ? 201 : 200, await recording.declarationAnswer(declaration));
  }),

  'PUT /api/me/activities/{activityId}/months/{month}/declarations/{declarationId}': apiRoute({ link: 'young-person' }, async ({ event, link }) => {
    const body = readJsonBody(event);
    const found = await myActivity(event, link);
    const month = monthOf(event);
    const declaration = await recording.correctDeclarationFromRequest({ found, month, declarationId: path(event, 'declarationId'), body });
    logger.info('declaration corrected', { activityId: found.activity.activityId, declarationId: declaration.declarationId, month });
    return json(200, await recording.declarationAnswer(declaration));
  }),

  'DELETE /api/me/activities/{activityId}/months/{month}/declarations/{declarationId}': apiRoute({ link: 'young-person' }, async ({ event, link }) => {
    const { activity } = await myActivity(event, link);
    const month = monthOf(event);
    const declarationId = path(event, 'declarationId');
    await recording.deleteDeclarationFromRequest({ activityId: activity.activityId, month, declarationId, query: event.queryStringParameters });
    logger.info('declaration deleted', { activityId: activity.activityId, declarationId, month });
    return json(200, { deleted: true, declarationId });
  }),

  'GET /api/me/activities/{activityId}/months/{month}/invoices': apiRoute({ link: 'young-person' }, async ({ event, link }) => {
    const { activity } = await myActivity(event, link);
    const month = monthOf(event);
    const invoices = await listActivityInvoices(activity.activityId, month);
    return json(200, { activityId: activity.activityId, month, invoices: invoices.sort((a, b) => (a.number ?? '~').localeCompare(b.number ?? '~') || a.customer.name.localeCompare(b.customer.name, 'fr')).map(memberInvoiceView) });
  }),

  'GET /api/me/activities/{activityId}/invoices/{invoiceId}/pdf': apiRoute({ link: 'young-person' }, async ({ event, link }) => {
    const { activity } = await myActivity(event, link);
    const invoice = await getInvoice(path(event, 'invoiceId'));
    if (!invoice || invoice.activityId !== activity.activityId) throw new NotFoundError('Facture introuvable.');
    if (!invoice.number || !memberInvoiceView(invoice).hasPdf) throw new NotFoundError("Cette facture n'est pas encore émise : son PDF est fait quand l'équipe la valide.");
    // This function may not list the bucket: on AWS a PDF not stored yet answers AccessDenied, not NoSuchKey.
    const bytes = await readObject(invoicePdfKey({ invoiceId: invoice.invoiceId, number: invoice.number }), { deniedMeansMissing: true });
    if (!bytes) throw new NotFoundError('Le PDF de cette facture est en préparation : réessayez dans quelques minutes.');
    return pdfAnswer(bytes, documentFileName({ kind: invoice.kind, number: invoice.number }));
  }),

  'GET /api/me/activities/{activityId}/months/{month}/statement': apiRoute({ link: 'young-person' }, async ({ event, link }) => {
    const { activity } = await myActivity(event, link);
    const { statement, copy } = await myStatement(activity.activityId, monthOf(event), link);
    return json(200, memberStatementView(statement, copy));
  }),

  'GET /api/me/activities/{activityId}/months/{month}/statement/pdf': apiRoute({ link: 'young-person' }, async ({ event, link }) => {
    const { activity } = await myActivity(event, link);
    const month = monthOf(event);
    const { statement, copy } = await myStatement(activity.activityId, month, link);
    // Rendered from the record and stored by its first reader, read from S3 after that (decision 35).
    const pdf = await statementPdf(statement, copy);
    if (!pdf) throw new NotFoundError('Le PDF de ce relevé est introuvable : contactez CoopConnexion.');
    if (pdf.rendered) logger.info('statement PDF rendered on first open', { activityId: activity.activityId, month });
    return pdfAnswer(pdf.bytes, statementFileName(month));
  }),
});
