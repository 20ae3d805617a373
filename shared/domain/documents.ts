import * as z from 'zod/mini';
import { isMinorAtStart } from './onboarding.js';
import type { Programme } from './programmes.js';
import { checkIban } from './iban.js';
import { choice, optionalText, text } from './validation.js';

/**
 * The onboarding's document checklist: which documents a young person provides, what each one is, how a file is
 * accepted for upload, how staff reject one, and the bank details (IBAN) the cooperative pays them on.
 */

export const DOCUMENT_TYPES = ['identity', 'proof-of-situation', 'bank-details', 'guardian-identity'] as const;
export type DocumentType = (typeof DOCUMENT_TYPES)[number];

export interface DocumentTypeInfo {
  label: string;
  /** What the young person reads under the document's name: what counts, and how recent. */
  help: string;
}

export const DOCUMENT_TYPE_INFO: Record<DocumentType, DocumentTypeInfo> = {
  identity: {
    label: "Pièce d'identité",
    help: "Carte d'identité (recto et verso), passeport ou titre de séjour en cours de validité. Une photo nette de chaque face suffit.",
  },
  'proof-of-situation': {
    label: 'Justificatif de situation',
    help: "Attestation d'inscription à France Travail, certificat de scolarité ou attestation de la Mission locale, de moins de 3 mois.",
  },
  'bank-details': {
    label: 'Coordonnées bancaires (RIB)',
    help: 'Saisissez votre IBAN et le nom du titulaire, puis envoyez votre RIB : il sert à vous verser votre rémunération. Le compte doit être à votre nom.',
  },
  'guardian-identity': {
    label: "Pièce d'identité du représentant légal",
    help: "Carte d'identité ou passeport en cours de validité du parent ou du représentant légal qui donne son autorisation.",
  },
};

/**
 * The documents a young person provides, by programme and age on the programme's first day: every programme asks for
 * an identity document, a proof of situation and bank details (every young person is paid for their activity); a
 * minor's guardian gives their own identity document with their consent. The programme does not change the list
 * today, it is an argument so that a programme-specific document is added here and nowhere else.
 * @example requiredDocuments('cjs', '2010-03-01', '2026-07-01') // [...adult list, 'guardian-identity'] (16 at the start)
 */
export function requiredDocuments(_programme: Programme, birthDate: string, programmeStartDate: string): DocumentType[] {
  const list: DocumentType[] = ['identity', 'proof-of-situation', 'bank-details'];
  if (isMinorAtStart(birthDate, programmeStartDate)) list.push('guardian-identity');
  return list;
}

/** What the young person reads under a document's name; a CJS member is in school, so their proof of situation is that. */
export function documentHelp(docType: DocumentType, programme: Programme): string {
  if (docType === 'proof-of-situation' && programme === 'cjs') {
    return "Certificat de scolarité de l'année en cours, ou attestation de la Mission locale si vous n'êtes plus scolarisé(e).";
  }
  return DOCUMENT_TYPE_INFO[docType].help;
}

export function isDocumentType(value: string): value is DocumentType {
  return (DOCUMENT_TYPES as readonly string[]).includes(value);
}

// --- Files ---

/** The largest file accepted: a phone photo of a document is 2-5 MB, a scanned PDF less. */
export const MAX_DOCUMENT_BYTES = 10 * 1024 * 1024;
export const ACCEPTED_FILE_TYPES = ['application/pdf', 'image/jpeg', 'image/png'] as const;
export type AcceptedFileType = (typeof ACCEPTED_FILE_TYPES)[number];

export const FILE_TYPE_LABELS: Record<AcceptedFileType, string> = { 'application/pdf': 'PDF', 'image/jpeg': 'JPEG', 'image/png': 'PNG' };

export const FILE_TYPE_MESSAGE = 'Format non accepté : envoyez un PDF, une photo JPEG ou une image PNG.';
export const FILE_SIZE_MESSAGE = 'Fichier trop volumineux : 10 Mo au maximum. Réduisez la qualité de la photo ou scannez en PDF.';
export const EMPTY_FILE_MESSAGE = 'Le fichier est vide : choisissez à nouveau le document.';
/** The file's content is not what its type says (a renamed program, a damaged file). */
export const FILE_CONTENT_MESSAGE =
  "Ce fichier n'est pas un PDF, une photo JPEG ou une image PNG valide, quel que soit son nom : il n'a pas été enregistré. Envoyez le document dans l'un de ces formats.";
export const FILE_NOT_RECEIVED_MESSAGE = "Le fichier n'est pas arrivé : l'envoi a peut-être été interrompu. Recommencez l'envoi du document.";
export const UPLOAD_EXPIRED_MESSAGE = "Cet envoi a expiré : recommencez l'envoi du document depuis votre espace.";

/** What the browser declares before sending a file; the type is checked again on the content once it arrived. */
export const uploadRequestSchema = z.strictObject(
  {
    contentType: choice(ACCEPTED_FILE_TYPES, FILE_TYPE_MESSAGE),
    size: z
      .number('La taille du fichier doit être un nombre.')
      .check(z.int('La taille du fichier doit être un nombre entier.'), z.minimum(1, EMPTY_FILE_MESSAGE), z.maximum(MAX_DOCUMENT_BYTES, FILE_SIZE_MESSAGE)),
    fileName: text({ max: 200 }),
  },
  'Le contenu doit être un objet JSON.',
);
export type UploadRequest = z.infer<typeof uploadRequestSchema>;

/**
 * The name a file is downloaded under: the document's label and the date, never the name the young person's phone
 * gave it (which may say anything). The extension follows the type recognised from the content.
 * @example downloadFileName('identity', 'application/pdf', '2026-06-03') // "piece-d-identite-2026-06-03.pdf"
 */
export function downloadFileName(docType: DocumentType, fileType: AcceptedFileType, date: string): string {
  const base = DOCUMENT_TYPE_INFO[docType].label
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
  const extension = fileType === 'application/pdf' ? 'pdf' : fileType === 'image/png' ? 'png' : 'jpg';
  return `${base}-${date}.${extension}`;
}

// --- Document status and review ---

/** `missing` until a file arrives; `submitted` while staff have not looked at it; then `accepted` or `rejected` (a new file can follow). */
export const DOCUMENT_STATUSES = ['missing', 'submitted', 'accepted', 'rejected'] as const;
export type DocumentStatus = (typeof DOCUMENT_STATUSES)[number];

export const DOCUMENT_STATUS_LABELS: Record<DocumentStatus, string> = {
  missing: 'À envoyer',
  submitted: "En cours de vérification par l'équipe",
  accepted: 'Validé',
  rejected: 'Refusé : à renvoyer',
};

/** Why staff reject a document; the young person reads the label, with the optional message. */
export const DOCUMENT_REJECTION_REASONS = [
  { code: 'illegible', label: 'Document illisible ou flou' },
  { code: 'expired', label: 'Document expiré ou trop ancien' },
  { code: 'incomplete', label: 'Document incomplet (une page ou une face manque)' },
  { code: 'wrong-document', label: "Ce n'est pas le document demandé" },
  { code: 'name-mismatch', label: 'Le nom ne correspond pas' },
  { code: 'other', label: 'Autre motif (précisé dans le message)' },
] as const;
export type DocumentRejectionCode = (typeof DOCUMENT_REJECTION_REASONS)[number]['code'];
const REJECTION_CODES = DOCUMENT_REJECTION_REASONS.map((r) => r.code) as [DocumentRejectionCode, ...DocumentRejectionCode[]];

export function documentRejectionReason(code: string) {
  return DOCUMENT_REJECTION_REASONS.find((r) => r.code === code);
}

export const DOCUMENT_REVIEW_OUTCOMES = ['accepted', 'rejected'] as const;
export type DocumentReviewOutcome = (typeof DOCUMENT_REVIEW_OUTCOMES)[number];

/** Staff's review of one document: a rejection names its reason (and "other" its message); an acceptance has neither. */
export const documentReviewSchema = z
  .strictObject(
    {
      outcome: choice(DOCUMENT_REVIEW_OUTCOMES, 'Décision inconnue (accepted ou rejected).'),
      reasonCode: z.optional(choice(REJECTION_CODES, 'Motif de refus inconnu.')),
      message: optionalText(1000),
    },
    'Le contenu doit être un objet JSON.',
  )
  .check(
    z.superRefine((value, ctx) => {
      if (value.outcome === 'rejected' && !value.reasonCode) {
        ctx.issues.push({ code: 'custom', input: value.reasonCode, path: ['reasonCode'], message: 'Choisissez le motif du refus.' });
      }
      if (value.outcome === 'accepted' && value.reasonCode) {
        ctx.issues.push({ code: 'custom', input: value.reasonCode, path: ['reasonCode'], message: "Un document validé n'a pas de motif de refus." });
      }
      if (value.reasonCode === 'other' && !value.message) {
        ctx.issues.push({ code: 'custom', input: value.message, path: ['message'], message: 'Précisez le motif dans le message.' });
      }
    }),
  );
export type DocumentReview = z.infer<typeof documentReviewSchema>;

// --- Bank details ---

export { SEPA_IBAN_LENGTHS, checkIban, frenchRibKey, ibanMod97, maskIban, normalizeIban, type IbanCheck } from './iban.js';

/** What the young person types: their IBAN and the account holder's name (checked against the RIB by staff). */
export const bankDetailsSchema = z
  .strictObject(
    {
      iban: text({ max: 50, requiredMessage: 'Saisissez votre IBAN.' }),
      holder: text({ min: 2, max: 70, requiredMessage: 'Saisissez le nom du titulaire du compte.' }),
    },
    'Le contenu doit être un objet JSON.',
  )
  .check(
    z.superRefine((value, ctx) => {
      if (typeof value.iban !== 'string') return;
      const check = checkIban(value.iban);
      if (!check.valid) ctx.issues.push({ code: 'custom', input: value.iban, path: ['iban'], message: check.message });
    }),
    z.overwrite((value) => {
      const check = checkIban(value.iban);
      return check.valid ? { ...value, iban: check.iban } : value;
    }),
  );
export type BankDetails = z.infer<typeof bankDetailsSchema>;
