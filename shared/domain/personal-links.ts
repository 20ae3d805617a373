import * as z from 'zod/mini';
import { DEFAULT_PERSONAL_LINKS, ENV, type PersonalLinkSettings } from '../../infra/config.js';
import { normalizeEmail } from './identity.js';
import { normalizeFrenchMobile } from './phone.js';
import type { Channel, RecipientRole } from './messages/catalogue.js';

/**
 * Personal links: how young people and guardians, who have no account, open their pages. A link is
 * `<app>/mon-parcours#<token>` (or `/tuteur#<token>`): the token sits in the fragment, which a browser never sends to a
 * server, so it reaches no access log; the page sends it in the `x-parcours-link` header.
 */
export const LINK_AUDIENCES = ['young-person', 'guardian'] as const;
export type LinkAudience = (typeof LINK_AUDIENCES)[number];

/** The header the pages send the token in. */
export const LINK_HEADER = 'x-parcours-link';

/** The page each audience's link opens, and the page that sends a new link. */
export const LINK_PAGES: Record<LinkAudience, string> = { 'young-person': '/mon-parcours', guardian: '/tuteur' };
/**
 * The other pages an audience's link may open, for a message about them (a launch file opens `/mon-activite`, a
 * monthly statement `/ma-facturation`, with the activity and month as a query). Paths only: a query may follow.
 */
export const LINK_OTHER_PAGES: Record<LinkAudience, readonly string[]> = { 'young-person': ['/mon-activite', '/ma-facturation'], guardian: [] };

/** Whether `page` (a path, maybe with a query) is one of the audience's other pages. */
export const isOtherLinkPage = (audience: LinkAudience, page: string): boolean => LINK_OTHER_PAGES[audience].includes(page.split('?')[0]!);
export const NEW_LINK_PAGE = '/nouveau-lien';

/** What a message's text carries where its link goes: the sender puts the link there when it sends, never before. */
export const LINK_PLACEHOLDERS: Record<LinkAudience, string> = { 'young-person': '{{lien-personnel}}', guardian: '{{lien-tuteur}}' };

/** Which recipient of a message each audience is. */
export const LINK_AUDIENCE_OF_ROLE: Partial<Record<RecipientRole, LinkAudience>> = { young: 'young-person', guardian: 'guardian' };

export { LINK_TOKEN_PATTERN, MESSAGE_LINK_TOKEN_PATTERN, isLinkToken } from './link-token.js';

/**
 * The longest link URL a message is written for: an API Gateway address (~55 characters), the page and the token.
 * SMS segments are counted with a link this long in place of the placeholder.
 */
export const LINK_URL_BUDGET = 120;

/**
 * @example linkUrl('https://parcours.example.org/', 'guardian', token) // 'https://parcours.example.org/tuteur#<token>'
 * @example linkUrl('https://parcours.example.org', 'young-person', token, '/mon-activite') // 'https://parcours.example.org/mon-activite#<token>'
 * @example linkUrl('https://parcours.example.org', 'young-person', token, '/ma-facturation?activite=pa-1&mois=2027-03') // '…/ma-facturation?activite=pa-1&mois=2027-03#<token>'
 */
export function linkUrl(appBaseUrl: string, audience: LinkAudience, token: string, page: string = LINK_PAGES[audience]): string {
  return `${appBaseUrl.replace(/\/+$/, '')}${page}#${token}`;
}

/** The text with the audience's placeholder replaced by `replacement` (the link when sending, a mention when showing it again). */
export function fillLinkPlaceholder(text: string, audience: LinkAudience, replacement: string): string {
  return text.split(LINK_PLACEHOLDERS[audience]).join(replacement);
}

/** What the young person's space shows of a message in place of its link: the link itself is not kept. */
export const LINK_MENTION = '(votre lien personnel)';

/** The placeholders a text carries. */
export function placeholdersIn(text: string): LinkAudience[] {
  return LINK_AUDIENCES.filter((audience) => text.includes(LINK_PLACEHOLDERS[audience]));
}

/** A text as it will be sent, with a link of the longest expected length: what SMS segments are counted on. */
export const withLinkBudget = (text: string): string =>
  LINK_AUDIENCES.reduce((current, audience) => fillLinkPlaceholder(current, audience, 'x'.repeat(LINK_URL_BUDGET)), text);

/** The messages of refused links, in French, each saying what to do. */
export const LINK_REFUSAL_MESSAGES = {
  missing: `Lien personnel manquant : ouvrez le lien reçu par e-mail ou SMS, ou demandez un nouveau lien sur la page ${NEW_LINK_PAGE}.`,
  unknown: `Ce lien personnel n'est pas reconnu : vérifiez qu'il est complet, ou demandez un nouveau lien sur la page ${NEW_LINK_PAGE}.`,
  expired: `Ce lien personnel a expiré : demandez un nouveau lien sur la page ${NEW_LINK_PAGE}, il vous sera envoyé aussitôt.`,
  revoked: `Ce lien personnel a été désactivé : demandez un nouveau lien sur la page ${NEW_LINK_PAGE}.`,
  'other-audience': "Ce lien personnel n'ouvre pas cette page : utilisez le lien qui vous a été envoyé pour celle-ci.",
} as const;

/** The settings of the stage (PERSONAL_LINKS, set by the stack), or production's. */
export function personalLinkSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): PersonalLinkSettings {
  const raw = env[ENV.personalLinks];
  if (!raw) return DEFAULT_PERSONAL_LINKS;
  return { ...DEFAULT_PERSONAL_LINKS, ...(JSON.parse(raw) as Partial<PersonalLinkSettings>) };
}

/** An address given on the "nouveau lien" page, normalised as the app stores it. */
export interface ContactAddress {
  channel: Channel;
  address: string;
}

const CONTACT_MESSAGE = 'Saisissez votre adresse e-mail ou votre numéro de mobile (par exemple 06 12 34 56 78).';
const isEmail = (value: string) => z.email().safeParse(value).success;

/**
 * The address in `contact`: an e-mail (lowercased) or a French mobile (E.164).
 * @example contactAddress(' Lea@Example.org ') // { channel: 'email', address: 'lea@example.org' }
 * @example contactAddress('06 12 34 56 78') // { channel: 'sms', address: '+33612345678' }
 */
export function contactAddress(contact: string): ContactAddress | undefined {
  const value = contact.trim();
  if (value.includes('@')) return isEmail(value) ? { channel: 'email', address: normalizeEmail(value) } : undefined;
  const phone = normalizeFrenchMobile(value);
  return phone ? { channel: 'sms', address: phone } : undefined;
}

/** The body of POST /api/links/resend. */
export const linkResendSchema = z.strictObject(
  {
    contact: z
      .string({ error: (issue) => (issue.input === undefined ? 'Ce champ est obligatoire.' : 'Ce champ doit être un texte.') })
      .check(
        z.trim(),
        z.minLength(1, 'Ce champ est obligatoire.'),
        z.maxLength(254, '254 caractères au maximum.'),
        // One message per problem: an empty or overlong value is told so above.
        z.refine((value) => !value.includes('@') || value.length > 254 || isEmail(value), 'Adresse e-mail invalide.'),
        z.refine((value) => value === '' || value.includes('@') || value.length > 254 || normalizeFrenchMobile(value) !== null, CONTACT_MESSAGE),
      ),
  },
  'Le contenu doit être un objet JSON.',
);
