import type { ActivityWithParts } from '../data/activities.js';
import { createCustomer, getCustomer, listCustomers, updateCustomer } from '../data/invoicing/customers.js';
import { createDeclaration, deleteDeclaration, getMonthLock, listDeclarations, updateDeclaration } from '../data/invoicing/declarations.js';
import { cooperativeFromEnv } from '../domain/activities.js';
import { ConflictError, InvalidInputError } from '../domain/errors.js';
import { idFromIdempotencyKey, payloadHash } from '../domain/idempotency.js';
import {
  declarationFieldsFrom,
  isMonth,
  parseCustomerInput,
  parseCustomerUpdate,
  parseDeclarationCorrection,
  parseDeclarationInput,
  type DeclarationInput,
} from '../domain/invoicing/inputs.js';
import type { CustomerRecord, DeclarationFields, DeclarationRecord, DeclaredBy } from '../domain/invoicing/records.js';
import { parisDate } from '../domain/time.js';
import { customerView, declarationView, monthDeclarationsView } from '../invoicing-views.js';

/*
 * Recording an activity's customers and declarations from a request's body: what the members' routes
 * (functions/invoicing/member-api.ts) and staff's "on behalf of a member" share. The caller has checked who may
 * write the activity (a member's link, a staff role); here the body is checked (shared/domain/invoicing/inputs.ts),
 * then written under the data layer's conditions (the month's lock, versions). Nothing is written on bad input.
 */

const CUSTOMER_KEY_REUSED = "Cette clé d'idempotence (Idempotency-Key) a déjà servi pour un autre client. Rechargez le formulaire pour en créer un nouveau.";
const DECLARATION_KEY_REUSED = "Cette clé d'idempotence (Idempotency-Key) a déjà servi pour une autre déclaration. Rechargez le formulaire pour en créer une nouvelle.";

/**
 * Creates a customer of the activity from a request's body under its Idempotency-Key: the customer's id derives from
 * the activity and the key, so a retry answers the same customer (`created: false`); the same key with another body
 * is refused (409). A 400 field by field on a bad body (SIREN's Luhn key, VAT number…).
 */
export async function createCustomerFromRequest(input: { activityId: string; idempotencyKey: string; body: unknown; now?: Date }): Promise<{ customer: CustomerRecord; created: boolean }> {
  const fields = parseCustomerInput(input.body);
  const hash = payloadHash(fields);
  const result = await createCustomer({ activityId: input.activityId, customerId: idFromIdempotencyKey(`customer\n${input.activityId}`, input.idempotencyKey), fields, payloadHash: hash, now: input.now });
  if (!result.created && result.customer.payloadHash !== hash) throw new ConflictError(CUSTOMER_KEY_REUSED);
  return result;
}

/** Replaces a customer's fields from a request's body `{ version, ...fields }`: a 409 when it changed since that version. */
export async function updateCustomerFromRequest(input: { activityId: string; customerId: string; body: unknown; now?: Date }): Promise<CustomerRecord> {
  const { expectedVersion, fields } = parseCustomerUpdate(input.body);
  return updateCustomer({ activityId: input.activityId, customerId: input.customerId, expectedVersion, fields, now: input.now });
}

/** The declaration's fields by the rules, and its customer checked to be the activity's (a 400 on `customerId` otherwise). */
async function checkedFields(found: ActivityWithParts, month: string, body: DeclarationInput, now: Date): Promise<DeclarationFields> {
  const fields = declarationFieldsFrom(body, { activity: found.activity, prices: found.prices, vatMode: cooperativeFromEnv().vatMode, month, today: parisDate(now) });
  // Another activity's customer is not found under this activity's key: the same answer as a customer that does not exist.
  if (!(await getCustomer(found.activity.activityId, fields.customerId))) {
    throw new InvalidInputError('La déclaration contient des erreurs.', [{ field: 'customerId', message: "Ce client n'est pas un client de l'activité : choisissez-en un dans la liste." }]);
  }
  return fields;
}

/**
 * Who a staff member's declaration is for: the activity's member named by `memberReferralId` in the body (required
 * for a collective activity, where any member may declare; a personal activity's one member otherwise), recorded
 * with the staff member as `declaredBy`, as a member's own declaration records them. A 400 on `memberReferralId`
 * when it names no member. Answers the body without that field, for the members' rules.
 */
export function staffDeclarant(found: ActivityWithParts, staff: { id: string; name: string }, body: unknown): { declaredBy: DeclaredBy; body: unknown } {
  const { memberReferralId, ...rest } = isRecord(body) ? body : { memberReferralId: undefined };
  const refuse = (message: string) => new InvalidInputError('La déclaration contient des erreurs.', [{ field: 'memberReferralId', message }]);
  const collective = found.activity.shape === 'collective';
  let member = found.members.find((m) => m.referralId === memberReferralId);
  if (memberReferralId === undefined || memberReferralId === '') {
    if (collective) throw refuse('Choisissez le membre de l’activité pour qui vous déclarez.');
    member = found.members[0];
  } else if (!member) {
    throw refuse("Ce membre n'est pas un membre de l'activité : choisissez-en un dans la liste.");
  }
  const declaredBy: DeclaredBy = { staffId: staff.id, name: staff.name, ...(member ? { forMember: { referralId: member.referralId, name: member.name } } : {}) };
  return { declaredBy, body: isRecord(body) ? rest : body };
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Declares services of the activity for `month` from a request's body under its Idempotency-Key (the declaration's
 * id derives from the activity, the month and the key): a retry answers the same declaration, the same key with
 * another body is refused (409). `declaredBy` is recorded: the member (any member of a collective activity may
 * declare) or the staff member. A 409 once the month is invoiced, writing nothing.
 */
export async function createDeclarationFromRequest(input: { found: ActivityWithParts; month: string; idempotencyKey: string; body: unknown; declaredBy: DeclaredBy; now?: Date }): Promise<{ declaration: DeclarationRecord; created: boolean }> {
  const now = input.now ?? new Date();
  const body = parseDeclarationInput(input.body);
  const fields = await checkedFields(input.found, input.month, body, now);
  const { activityId } = input.found.activity;
  // Staff declaring for a member: the member is part of what the key stands for.
  const forMember = 'staffId' in input.declaredBy ? input.declaredBy.forMember?.referralId : undefined;
  const hash = payloadHash({ month: input.month, ...body, ...(forMember ? { forMember } : {}) });
  const result = await createDeclaration({ activityId, declarationId: idFromIdempotencyKey(`declaration\n${activityId}\n${input.month}`, input.idempotencyKey), fields, declaredBy: input.declaredBy, payloadHash: hash, now });
  if (!result.created && result.declaration.payloadHash !== hash) throw new ConflictError(DECLARATION_KEY_REUSED);
  return result;
}

/** Corrects a declaration from a request's body `{ version, ...declaration }` while its month is not invoiced (409 otherwise, or when it changed since). */
export async function correctDeclarationFromRequest(input: { found: ActivityWithParts; month: string; declarationId: string; body: unknown; now?: Date }): Promise<DeclarationRecord> {
  const now = input.now ?? new Date();
  const { version, ...body } = parseDeclarationCorrection(input.body);
  const fields = await checkedFields(input.found, input.month, body, now);
  return updateDeclaration({ activityId: input.found.activity.activityId, month: input.month, declarationId: input.declarationId, expectedVersion: version, fields, now });
}

/** A version read from a query string (`?version=3`), or a 400 naming it. */
export function versionFromQuery(query: Record<string, string | undefined> | undefined): number {
  const raw = query?.version ?? '';
  if (!/^[1-9]\d{0,8}$/.test(raw)) throw new InvalidInputError('Indiquez la version de la déclaration lue (?version=…) : rechargez la page.', [{ field: 'version', message: 'Version invalide : rechargez la page.' }]);
  return Number(raw);
}

/** Deletes a declaration while its month is not invoiced, conditional on the version read (`?version=`). */
export async function deleteDeclarationFromRequest(input: { activityId: string; month: string; declarationId: string; query: Record<string, string | undefined> | undefined }): Promise<void> {
  await deleteDeclaration({ activityId: input.activityId, month: input.month, declarationId: input.declarationId, expectedVersion: versionFromQuery(input.query) });
}

/** The month of a declarations route's path (YYYY-MM), or a 400. */
export function declarationMonth(month: string | undefined): string {
  if (!month || !isMonth(month)) throw new InvalidInputError('Mois invalide : AAAA-MM attendu, par exemple 2027-03.', [{ field: 'month', message: 'Mois invalide (AAAA-MM).' }]);
  return month;
}

/** An activity's customers by name, as both APIs answer them. */
export async function activityCustomersAnswer(activityId: string) {
  const customers = await listCustomers(activityId);
  return { activityId, customers: customers.sort((a, b) => a.name.localeCompare(b.name, 'fr')).map(customerView) };
}

/** An activity's month as the declaration forms read it (shared/invoicing-views.ts `monthDeclarationsView`). */
export async function monthDeclarationsAnswer(found: ActivityWithParts, month: string, now: Date = new Date()) {
  const { activityId } = found.activity;
  const [lock, declarations, customers] = await Promise.all([getMonthLock(activityId, month), listDeclarations(activityId, month), listCustomers(activityId)]);
  return monthDeclarationsView({ activity: found.activity, month, lock, declarations, customers, prices: found.prices, vatMode: cooperativeFromEnv().vatMode, today: parisDate(now) });
}

/** A declaration just written, as both APIs answer it (its customer's name, its amounts). */
export async function declarationAnswer(declaration: DeclarationRecord) {
  const names = new Map((await listCustomers(declaration.activityId)).map((c) => [c.customerId, c.name]));
  return declarationView(declaration, names, cooperativeFromEnv().vatMode);
}
