import * as z from 'zod/mini';
import {
  MAX_UNIT_PRICE_CENTS,
  PRICE_UNITS,
  cents,
  isoDate,
  pauseCovering,
  priceListInForce,
  priceUnitLabel,
  vatRate,
  type ActivityRecord,
  type PriceLine,
  type PriceListVersion,
} from '../activities.js';
import { ConflictError, InvalidInputError, type FieldError } from '../errors.js';
import { formatEuros } from '../money.js';
import { formatFrenchDate } from '../time.js';
import { choice, optionalText, parseOrThrow, text } from '../validation.js';
import { lineNetCents, type VatMode } from './amounts.js';
import { validateCustomer } from './customers.js';
import type { CustomerFields, DeclarationFields, DeclarationLine } from './records.js';
import { monthLabel, ofMonth } from './statement.js';

/**
 * What a member (in their space) or staff (on a member's behalf) send to record customers and declarations, and the
 * rules that turn it into what is stored: one set of rules for both APIs. Pure: the caller reads the activity, its
 * price versions and the clock, the data layer (shared/data/invoicing/) writes under the month's lock.
 *
 * A declaration's line is either a line of the price list in force on the service date (`priceLineId`: its label,
 * unit, price and VAT rate are the list's) or a free price (description, unit, price within FREE_UNIT_PRICE_CENTS,
 * VAT rate). Money in integer cents, quantities in hundredths, VAT rates in basis points.
 */

/** Bounds of a price typed freely on a declaration (not from the price list): a cent to 5 000 €, excluding VAT. */
export const FREE_UNIT_PRICE_CENTS = { min: 1, max: 5_000_00 } as const;
/** At most 10 000 units on a line (quantities in hundredths). */
export const MAX_QUANTITY_HUNDREDTHS = 1_000_000;
export const MAX_DECLARATION_LINES = 30;
/**
 * The most a declaration may total excluding VAT (100 000 €, as a single payment at most: far above an activity's
 * month). Its lines' bounds alone allowed 30 x 10 000 units x 100 000 €, whose VAT no longer fits a safe integer.
 */
export const MAX_DECLARATION_NET_CENTS = 10_000_000;

/** A calendar month written YYYY-MM. */
export const isMonth = (value: string) => /^\d{4}-(0[1-9]|1[0-2])$/.test(value);

const quantity = () =>
  z
    .number({ error: (issue) => (issue.input === undefined ? 'Ce champ est obligatoire.' : 'Quantité : un nombre entier de centièmes est attendu (150 = 1,5).') })
    .check(
      z.refine((n) => Number.isInteger(n), 'Quantité : un nombre entier de centièmes est attendu (150 = 1,5), pas de fraction.'),
      z.refine((n) => n > 0, 'Quantité : elle doit être positive.'),
      z.refine((n) => n <= MAX_QUANTITY_HUNDREDTHS, `Quantité : ${MAX_QUANTITY_HUNDREDTHS / 100} au maximum.`),
    );

export const declarationLineInputSchema = z.strictObject(
  {
    /** A line of the price list in force on the service date; without it, a free price. */
    priceLineId: z.optional(text({ max: 20 }).check(z.regex(/^[A-Za-z0-9-]+$/, 'Identifiant de ligne de prix invalide.'))),
    /** Free lines: required. Price-list lines: the list's label when left out. */
    description: optionalText(200),
    quantityHundredths: quantity(),
    unit: z.optional(choice(PRICE_UNITS, 'Unité inconnue (heure, forfait, unité, m², km ou jour).')),
    unitPriceCents: z.optional(cents({ min: 0, max: MAX_UNIT_PRICE_CENTS, label: 'Prix unitaire' })),
    vatRateBps: z.optional(vatRate()),
  },
  'Une ligne doit être un objet.',
);
export type DeclarationLineInput = z.infer<typeof declarationLineInputSchema>;

const declarationFields = {
  customerId: text({ max: 200, requiredMessage: 'Choisissez le client.' }),
  serviceDate: isoDate('Date de la prestation'),
  lines: z
    .array(declarationLineInputSchema, 'Les lignes doivent être une liste.')
    .check(z.minLength(1, 'Ajoutez au moins une ligne.'), z.maxLength(MAX_DECLARATION_LINES, `${MAX_DECLARATION_LINES} lignes au maximum.`)),
};

/**
 * The highest version an editor can have read (nine digits, as `?version=` of a deletion): a record's next version is
 * this one plus 1, and a number past Number.MAX_SAFE_INTEGER cannot be stored (the SDK refuses it: a 500).
 */
export const MAX_VERSION = 999_999_999;

const version = () =>
  z.number({ error: () => 'Version invalide : rechargez la page.' }).check(z.refine((n) => Number.isInteger(n) && n >= 1 && n <= MAX_VERSION, 'Version invalide : rechargez la page.'));

/** A new declaration (POST, with an Idempotency-Key). */
export const declarationInputSchema = z.strictObject(declarationFields, 'Le contenu doit être un objet JSON.');
export type DeclarationInput = z.infer<typeof declarationInputSchema>;

/** A correction: the whole declaration again, with the version the editor read. */
export const declarationCorrectionSchema = z.strictObject({ ...declarationFields, version: version() }, 'Le contenu doit être un objet JSON.');
export type DeclarationCorrection = z.infer<typeof declarationCorrectionSchema>;

const INVALID_DECLARATION = 'La déclaration contient des erreurs.';
const INVALID_CUSTOMER = 'Le client contient des erreurs.';

/** A declaration as sent, checked for its shape (400 field by field); `declarationFieldsFrom` then applies the rules. */
export const parseDeclarationInput = (body: unknown): DeclarationInput => parseOrThrow(declarationInputSchema, body, INVALID_DECLARATION);
export const parseDeclarationCorrection = (body: unknown): DeclarationCorrection => parseOrThrow(declarationCorrectionSchema, body, INVALID_DECLARATION);

/** A customer as sent: checked and cleaned by validateCustomer (SIREN's Luhn key, VAT number), or a 400 field by field. */
export function parseCustomerInput(body: unknown): CustomerFields {
  const checked = validateCustomer(body);
  const unknown = isRecord(body) ? Object.keys(body).filter((key) => !CUSTOMER_KEYS.has(key)) : [];
  const errors: FieldError[] = [...(checked.ok ? [] : checked.errors), ...unknown.map((key) => ({ field: key, message: `Champ inconnu : « ${key} ».` }))];
  if (!checked.ok || errors.length > 0) throw new InvalidInputError(isRecord(body) ? INVALID_CUSTOMER : 'Le contenu doit être un objet JSON.', errors);
  const { kind, name, address, email, siren, vatNumber } = checked.customer;
  return { kind, name, address, email, ...(siren ? { siren } : {}), ...(vatNumber ? { vatNumber } : {}) };
}

/** A customer's update: its fields and the version the editor read (`version`). */
export function parseCustomerUpdate(body: unknown): { expectedVersion: number; fields: CustomerFields } {
  const { version: read, ...rest } = isRecord(body) ? body : {};
  const versionCheck = version().safeParse(read);
  let fields: CustomerFields | undefined;
  const errors: FieldError[] = versionCheck.success ? [] : [{ field: 'version', message: 'Version invalide : rechargez la page.' }];
  try {
    fields = parseCustomerInput(isRecord(body) ? rest : body);
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    errors.push(...error.errors);
  }
  if (errors.length > 0 || !fields || !versionCheck.success) throw new InvalidInputError(isRecord(body) ? INVALID_CUSTOMER : 'Le contenu doit être un objet JSON.', errors);
  return { expectedVersion: versionCheck.data, fields };
}

const CUSTOMER_KEYS = new Set(['kind', 'name', 'address', 'email', 'siren', 'vatNumber']);
const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** What the rules of a declaration need to know: the activity, its price versions, the cooperative's VAT mode, today. */
export interface DeclarationContext {
  activity: Pick<ActivityRecord, 'status' | 'startDate' | 'endDate' | 'pauses'>;
  prices: readonly PriceListVersion[];
  vatMode: VatMode;
  /** The month the declaration belongs to (its service date's). */
  month: string;
  /** Today in Europe/Paris (YYYY-MM-DD). */
  today: string;
}

/**
 * Where the activity may not take declarations (409), or undefined: only an active activity does; a paused or
 * closed one is not invoiced.
 */
export function declarationRefusal(activity: Pick<ActivityRecord, 'status'>): string | undefined {
  if (activity.status === 'active') return undefined;
  if (activity.status === 'paused') return "L'activité est en pause : elle ne prend pas de déclaration jusqu'à sa réactivation par l'équipe.";
  if (activity.status === 'closed') return "L'activité est fermée : elle ne prend plus de déclaration.";
  return "L'activité n'est pas encore lancée : vous pourrez déclarer vos prestations une fois son lancement validé par l'équipe.";
}

/**
 * The declaration to store from what was sent: the service date within the month, not in the future nor before the
 * activity's start, nor within one of its pauses; each line from the price list in force that day (its label, unit, price and rate; a price sent
 * that differs is refused) or a free price within bounds; the VAT rate when the cooperative charges VAT (none under
 * the franchise). A 409 when the activity takes no declaration, a 400 naming each field otherwise.
 */
export function declarationFieldsFrom(input: DeclarationInput, context: DeclarationContext): DeclarationFields {
  const refusal = declarationRefusal(context.activity);
  if (refusal) throw new ConflictError(refusal);
  const errors: FieldError[] = [];
  const { serviceDate } = input;
  if (serviceDate.slice(0, 7) !== context.month) errors.push({ field: 'serviceDate', message: `La prestation doit dater ${ofMonth(monthLabel(context.month))}.` });
  else if (serviceDate > context.today) errors.push({ field: 'serviceDate', message: 'Une prestation se déclare une fois faite : la date ne peut pas être après aujourd’hui.' });
  else if (serviceDate < context.activity.startDate) errors.push({ field: 'serviceDate', message: `L'activité commence le ${formatFrenchDate(context.activity.startDate)} : la prestation ne peut pas être antérieure.` });
  else if (context.activity.endDate && serviceDate > context.activity.endDate) errors.push({ field: 'serviceDate', message: `L'activité se termine le ${formatFrenchDate(context.activity.endDate)} : la prestation ne peut pas être postérieure.` });
  else {
    // The monthly run may have skipped the activity while it was paused: a service dated then might never be invoiced.
    const pause = pauseCovering(context.activity.pauses, serviceDate);
    const until = pause?.until ? ` au ${formatFrenchDate(pause.until)}` : '';
    if (pause) errors.push({ field: 'serviceDate', message: `L'activité était en pause du ${formatFrenchDate(pause.from)}${until} : la prestation ne peut pas dater de cette période.` });
  }
  const dateProblem = errors.length > 0;
  const inForce = priceListInForce(context.prices, serviceDate);
  const lines = input.lines.map((line, i) => resolveLine(line, `lines.${i}`, { inForce, serviceDate, dateProblem, vatMode: context.vatMode }, errors));
  if (errors.length === 0) {
    const netCents = (lines as DeclarationLine[]).reduce((sum, line) => sum + lineNetCents(line.quantityHundredths, line.unitPriceCents), 0);
    if (netCents > MAX_DECLARATION_NET_CENTS) {
      errors.push({ field: 'lines', message: `Une déclaration ne peut pas dépasser ${formatEuros(MAX_DECLARATION_NET_CENTS)} hors taxes : vérifiez les quantités et les prix.` });
    }
  }
  if (errors.length > 0) throw new InvalidInputError(INVALID_DECLARATION, errors);
  return { customerId: input.customerId, serviceDate, lines: lines as DeclarationLine[] };
}

function resolveLine(
  line: DeclarationLineInput,
  at: string,
  context: { inForce: Pick<PriceListVersion, 'lines' | 'effectiveFrom'> | undefined; serviceDate: string; dateProblem: boolean; vatMode: VatMode },
  errors: FieldError[],
): DeclarationLine | undefined {
  const fail = (field: string, message: string) => void errors.push({ field: `${at}.${field}`, message });
  const before = errors.length;
  if (line.priceLineId !== undefined) {
    // A wrong date already said so: which list applies is not known.
    if (context.dateProblem) return undefined;
    const listed = context.inForce?.lines.find((l) => l.lineId === line.priceLineId);
    if (!listed) {
      fail('priceLineId', `Ce prix n'est pas dans la grille en vigueur le ${formatFrenchDate(context.serviceDate)} : choisissez un prix de la grille ou un prix libre.`);
      return undefined;
    }
    if (line.unitPriceCents !== undefined && line.unitPriceCents !== listed.unitPriceCents) {
      fail('unitPriceCents', `Le ${formatFrenchDate(context.serviceDate)}, « ${listed.label} » coûte ${formatEuros(listed.unitPriceCents)} hors taxes (grille en vigueur) : choisissez un prix libre pour un autre prix.`);
    }
    if (line.unit !== undefined && line.unit !== listed.unit) fail('unit', `« ${listed.label} » se compte par ${priceUnitLabel(listed.unit)} (grille en vigueur).`);
    const vatRateBps = lineVatRate(listed.vatRateBps ?? line.vatRateBps ?? null, context.vatMode, fail);
    if (errors.length > before) return undefined;
    return { description: line.description || listed.label, quantityHundredths: line.quantityHundredths, unit: listed.unit, unitPriceCents: listed.unitPriceCents, vatRateBps, priceLineId: listed.lineId };
  }
  if (!line.description) fail('description', 'Décrivez la prestation (un prix libre n’est pas dans la grille).');
  if (line.unit === undefined) fail('unit', "Choisissez l'unité.");
  if (line.unitPriceCents === undefined) fail('unitPriceCents', 'Indiquez le prix unitaire hors taxes.');
  else if (line.unitPriceCents < FREE_UNIT_PRICE_CENTS.min || line.unitPriceCents > FREE_UNIT_PRICE_CENTS.max) {
    fail('unitPriceCents', `Un prix libre va de ${formatEuros(FREE_UNIT_PRICE_CENTS.min)} à ${formatEuros(FREE_UNIT_PRICE_CENTS.max)} hors taxes.`);
  }
  const vatRateBps = lineVatRate(line.vatRateBps ?? null, context.vatMode, fail);
  if (errors.length > before) return undefined;
  return { description: line.description!, quantityHundredths: line.quantityHundredths, unit: line.unit!, unitPriceCents: line.unitPriceCents!, vatRateBps };
}

/** Under the franchise no line carries VAT; when the cooperative charges VAT every line needs one of the rates. */
function lineVatRate(rate: number | null, vatMode: VatMode, fail: (field: string, message: string) => void): number | null {
  if (vatMode === 'franchise') return null;
  if (rate === null) fail('vatRateBps', 'Choisissez le taux de TVA de la prestation.');
  return rate;
}

/** The lines of the price list in force on a date (what a declaration form offers), or none before the first version. */
export function priceLinesOn(prices: readonly PriceListVersion[], date: string): PriceLine[] {
  return priceListInForce(prices, date)?.lines ?? [];
}
