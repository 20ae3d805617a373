import { randomBytes } from 'node:crypto';
import { GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { batchGetAll, db, queryIndexPage, queryPrefix, tableName, type Page } from './client.js';
import { INDEX, keys } from '../keys.js';
import type { Staff } from '../domain/actor.js';
import {
  DOCUMENT_TYPE_INFO,
  FILE_CONTENT_MESSAGE,
  FILE_NOT_RECEIVED_MESSAGE,
  FILE_SIZE_MESSAGE,
  MAX_DOCUMENT_BYTES,
  UPLOAD_EXPIRED_MESSAGE,
  documentRejectionReason,
  downloadFileName,
  isDocumentType,
  requiredDocuments,
  type AcceptedFileType,
  type BankDetails,
  type DocumentReview,
  type DocumentReviewOutcome,
  type DocumentStatus,
  type DocumentType,
  type UploadRequest,
} from '../domain/documents.js';
import { documentRejectedDrafts } from '../domain/document-messages.js';
import { ConflictError, GoneError, NotFoundError, UnprocessableError } from '../domain/errors.js';
import type { Programme } from '../domain/programmes.js';
import { formatParisDateTime } from '../domain/time.js';
import { outboxPuts } from './outbox.js';
import { timelinePut } from './people.js';
import { getOnboarding, type OnboardingRecord } from './onboarding.js';
import { getReferralRecord, type ReferralRecord } from './referrals.js';
import { isConditionFailure, isConditionalCheckFailed } from './transactions.js';
import * as objects from '../storage/objects.js';
import type { TransactItem } from './approvals.js';

/**
 * The onboarding's documents: the checklist of one onboarding (its referral id), the presigned uploads that fill it,
 * the bank details, and the staff review. Every refused upload leaves the checklist as it was.
 */

/**
 * What the documents need of the S3 bucket: the storage module itself in the functions, a stand-in in unit tests.
 * There is no copy: a checked file is read and written again under the person's documents (10 MB at most), which the
 * local S3 supports as AWS does.
 */
export type DocumentStorage = Pick<typeof objects, 'presignUpload' | 'headObject' | 'readFirstBytes' | 'readObject' | 'putObject' | 'deleteObject' | 'presignDownload' | 'sniffFileType'>;
export const documentStorage: DocumentStorage = objects;

/** How long the browser may use a presigned PUT; completion is accepted a little longer (a slow phone upload). */
export const UPLOAD_URL_SECONDS = 15 * 60;
const COMPLETION_GRACE_SECONDS = 5 * 60;
/** Upload items stay a month for the record, then DynamoDB removes them (TTL). */
const UPLOAD_RECORD_SECONDS = 30 * 86_400;

export interface DocumentHistoryEntry {
  at: string;
  status: DocumentStatus;
  uploadId?: string;
  /** Who made the change: staff (by name), the young person through their space, or the system. */
  by: { kind: string; name?: string };
  reasonCode?: string;
}

export interface DocumentRecord {
  referralId: string;
  personId: string;
  programme: Programme;
  docType: DocumentType;
  status: DocumentStatus;
  /** Bumped by every write: a write conditioned on the version read never overwrites another. */
  version: number;
  updatedAt: string;
  /** The file under review or reviewed: its upload, kept key, type recognised from its content, size. */
  currentUploadId?: string;
  objectKey?: string;
  fileType?: AcceptedFileType;
  size?: number;
  submittedAt?: string;
  reviewedAt?: string;
  reviewedBy?: { id: string; name: string };
  rejection?: { reasonCode: string; message?: string };
  history: DocumentHistoryEntry[];
}

export type UploadStatus = 'pending' | 'submitted' | 'refused';
/** Why a file was refused once it arrived (or did not in time). */
export type UploadRefusal = 'expired' | 'size' | 'content' | 'superseded';

export interface UploadRecord {
  referralId: string;
  personId: string;
  docType: DocumentType;
  uploadId: string;
  status: UploadStatus;
  /** Where the browser puts the file: chosen here, under the person's prefix, 24 random bytes (never guessable). */
  incomingKey: string;
  declaredType: AcceptedFileType;
  declaredSize: number;
  createdAt: string;
  /** The presigned PUT's end, and the end of the time to complete the upload. */
  urlExpiresAt: string;
  completeBy: string;
  refusal?: UploadRefusal;
  /** Recognised from the content once submitted. */
  fileType?: AcceptedFileType;
  completedAt?: string;
}

export interface BankDetailsRecord {
  referralId: string;
  personId: string;
  iban: string;
  holder: string;
  updatedAt: string;
}

/** The documents of one onboarding: its record, the accepted referral it starts from, and the documents its checklist asks for. */
export interface DocumentsContext {
  onboarding: OnboardingRecord;
  referral: ReferralRecord;
  required: DocumentType[];
}

/**
 * Loads an onboarding's checklist context. `personId`, when given (a young person's request through their link),
 * must be the onboarding's: anything else is answered as not found. `active` refuses an onboarding that ended or
 * is ready (nothing is sent or reviewed any more).
 */
export async function loadDocumentsContext(referralId: string, options: { personId?: string; active?: boolean } = {}): Promise<DocumentsContext> {
  const [onboarding, referral] = await Promise.all([getOnboarding(referralId), getReferralRecord(referralId)]);
  if (!onboarding || !referral || (options.personId !== undefined && onboarding.personId !== options.personId)) throw new NotFoundError('Dossier introuvable.');
  if (options.active && onboarding.status !== 'active') throw new ConflictError("L'accueil de ce dossier est terminé : les pièces ne peuvent plus changer.");
  return { onboarding, referral, required: requiredDocuments(referral.programme, referral.youngPerson.birthDate, referral.programmeStartDate) };
}

export async function getDocumentRecord(referralId: string, docType: DocumentType): Promise<DocumentRecord | undefined> {
  const result = await db().send(new GetCommand({ TableName: tableName(), Key: keys.onboardingDocument(referralId, docType), ConsistentRead: true }));
  return result.Item as DocumentRecord | undefined;
}

/** Every document item of an onboarding (those never sent have none). */
export async function readDocuments(referralId: string): Promise<Map<DocumentType, DocumentRecord>> {
  const prefix = keys.onboardingDocumentsPrefix(referralId);
  const items = (await queryPrefix(prefix.pk, prefix.skPrefix, { consistentRead: true })) as unknown as DocumentRecord[];
  return new Map(items.map((item) => [item.docType, item]));
}

export async function getBankDetails(referralId: string): Promise<BankDetailsRecord | undefined> {
  const result = await db().send(new GetCommand({ TableName: tableName(), Key: keys.bankDetails(referralId), ConsistentRead: true }));
  return result.Item as BankDetailsRecord | undefined;
}

/** The bank details of several onboardings, by referral id (the staff list shows them masked). */
export async function getBankDetailsOf(referralIds: string[]): Promise<Map<string, BankDetailsRecord>> {
  const items = (await batchGetAll(referralIds.map((id) => keys.bankDetails(id)))) as unknown as BankDetailsRecord[];
  return new Map(items.map((item) => [item.referralId, item]));
}

export interface Checklist extends DocumentsContext {
  documents: Map<DocumentType, DocumentRecord>;
  bankDetails?: BankDetailsRecord;
  /** Required documents not accepted yet, in the checklist's order. */
  missing: DocumentType[];
  /** Every required document accepted. */
  complete: boolean;
}

export async function getChecklist(referralId: string, personId?: string): Promise<Checklist> {
  const context = await loadDocumentsContext(referralId, { personId });
  const [documents, bankDetails] = await Promise.all([readDocuments(referralId), getBankDetails(referralId)]);
  const missing = context.required.filter((d) => documents.get(d)?.status !== 'accepted');
  return { ...context, documents, bankDetails, missing, complete: missing.length === 0 };
}

/**
 * Whether every document the onboarding's checklist asks for is accepted by staff: the contract is not prepared
 * before (issue 9), and the documents step settles `complete` when it becomes true.
 * @example if (!(await requiredDocumentsAccepted(referralId))) throw new ConflictError('...')
 */
export async function requiredDocumentsAccepted(referralId: string): Promise<boolean> {
  return (await getChecklist(referralId)).complete;
}

const documentOf = (context: DocumentsContext, docType: string): DocumentType => {
  if (!isDocumentType(docType) || !context.required.includes(docType)) throw new NotFoundError("Ce document n'est pas demandé dans votre dossier.");
  return docType;
};

/** Why a new file cannot replace this document now, if it cannot. */
function replacementBlocked(document: DocumentRecord | undefined): string | undefined {
  if (document?.status === 'accepted') return "Ce document a déjà été validé par l'équipe : il n'y a rien à renvoyer.";
  if (document?.status === 'submitted') return "Ce document est en cours de vérification par l'équipe : vous pourrez en envoyer un autre s'il est refusé.";
  return undefined;
}

export interface StartedUpload {
  uploadId: string;
  /** Where the browser PUTs the file, with exactly these headers. */
  url: string;
  headers: Record<string, string>;
  expiresAt: string;
}

/**
 * Starts the upload of one document by the young person: the declared type and size were checked by the schema;
 * the upload is recorded `pending` with a key chosen here, and the browser gets a presigned PUT for that key only.
 */
export async function startUpload(input: { personId: string; referralId: string; docType: string; request: UploadRequest; storage?: DocumentStorage; now?: Date }): Promise<StartedUpload> {
  const now = input.now ?? new Date();
  const context = await loadDocumentsContext(input.referralId, { personId: input.personId, active: true });
  const docType = documentOf(context, input.docType);
  const [document, bankDetails] = await Promise.all([getDocumentRecord(input.referralId, docType), docType === 'bank-details' ? getBankDetails(input.referralId) : undefined]);
  const blocked = replacementBlocked(document);
  if (blocked) throw new ConflictError(blocked);
  if (docType === 'bank-details' && !bankDetails) throw new ConflictError("Saisissez d'abord votre IBAN et le nom du titulaire, puis envoyez votre RIB.");
  const uploadId = randomBytes(18).toString('base64url');
  const urlExpiresAt = new Date(now.getTime() + UPLOAD_URL_SECONDS * 1000);
  const upload: UploadRecord = {
    referralId: input.referralId,
    personId: input.personId,
    docType,
    uploadId,
    status: 'pending',
    incomingKey: `incoming/${input.personId}/${randomBytes(24).toString('base64url')}`,
    declaredType: input.request.contentType,
    declaredSize: input.request.size,
    createdAt: now.toISOString(),
    urlExpiresAt: urlExpiresAt.toISOString(),
    completeBy: new Date(urlExpiresAt.getTime() + COMPLETION_GRACE_SECONDS * 1000).toISOString(),
  };
  await db().send(
    new PutCommand({
      TableName: tableName(),
      Item: { ...keys.documentUpload(input.referralId, uploadId), type: 'document-upload', ...upload, expiresAt: Math.floor(now.getTime() / 1000) + UPLOAD_RECORD_SECONDS },
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
  const signed = await (input.storage ?? documentStorage).presignUpload({ key: upload.incomingKey, contentType: upload.declaredType, contentLength: upload.declaredSize, expiresInSeconds: UPLOAD_URL_SECONDS, now });
  return { uploadId, url: signed.url, headers: signed.headers, expiresAt: upload.urlExpiresAt };
}

export interface CompletedUpload {
  uploadId: string;
  docType: DocumentType;
  status: 'submitted';
  fileType: AcceptedFileType;
}

const refusalError = (refusal: UploadRefusal) =>
  refusal === 'expired'
    ? new GoneError(UPLOAD_EXPIRED_MESSAGE)
    : refusal === 'size'
      ? new UnprocessableError(FILE_SIZE_MESSAGE)
      : refusal === 'content'
        ? new UnprocessableError(FILE_CONTENT_MESSAGE)
        : new ConflictError("Un autre fichier a déjà été envoyé pour ce document : celui-ci n'a pas été enregistré.");

async function getUpload(referralId: string, uploadId: string): Promise<UploadRecord | undefined> {
  const result = await db().send(new GetCommand({ TableName: tableName(), Key: keys.documentUpload(referralId, uploadId), ConsistentRead: true }));
  return result.Item as UploadRecord | undefined;
}

/** The answer a settled upload gives again (a second complete, a retried request): the same as the first time. */
function settledAnswer(upload: UploadRecord): CompletedUpload {
  if (upload.status === 'refused') throw refusalError(upload.refusal ?? 'content');
  return { uploadId: upload.uploadId, docType: upload.docType, status: 'submitted', fileType: upload.fileType! };
}

/**
 * The browser says its PUT is done: the object is checked (size, then type by its first bytes, never by its name).
 * A wrong file is deleted, the upload is `refused` and the answer says why (422; 410 once the upload expired); the
 * checklist is not touched. A right one leaves `incoming/` for the person's documents and the document becomes
 * `submitted`, awaiting staff. Completing the same upload again answers the same.
 */
export async function completeUpload(input: { personId: string; referralId: string; uploadId: string; storage?: DocumentStorage; now?: Date }): Promise<CompletedUpload> {
  const now = input.now ?? new Date();
  const iso = now.toISOString();
  const upload = await getUpload(input.referralId, input.uploadId);
  // The key was chosen under the person's prefix; an item saying otherwise is not this person's upload.
  if (!upload || upload.personId !== input.personId || !upload.incomingKey.startsWith(`incoming/${input.personId}/`)) throw new NotFoundError('Envoi introuvable.');
  if (upload.status !== 'pending') return settledAnswer(upload);
  const storage = input.storage ?? documentStorage;

  const refuse = async (refusal: UploadRefusal): Promise<never> => {
    await storage.deleteObject(upload.incomingKey);
    try {
      await db().send(
        new UpdateCommand({
          TableName: tableName(),
          Key: keys.documentUpload(input.referralId, input.uploadId),
          UpdateExpression: 'SET #status = :refused, refusal = :refusal, completedAt = :now',
          ConditionExpression: '#status = :pending',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':refused': 'refused', ':refusal': refusal, ':now': iso, ':pending': 'pending' },
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      // A concurrent completion settled it first: its answer is the answer.
      const latest = await getUpload(input.referralId, input.uploadId);
      if (latest) settledAnswer(latest);
    }
    throw refusalError(refusal);
  };

  if (iso > upload.completeBy) return refuse('expired');
  const head = await storage.headObject(upload.incomingKey);
  if (!head) throw new ConflictError(FILE_NOT_RECEIVED_MESSAGE);
  if (head.contentLength > MAX_DOCUMENT_BYTES || head.contentLength !== upload.declaredSize) return refuse('size');
  const fileType = storage.sniffFileType((await storage.readFirstBytes(upload.incomingKey, objects.SNIFF_BYTES)) ?? new Uint8Array());
  if (!fileType) return refuse('content');

  const context = await loadDocumentsContext(input.referralId, { personId: input.personId, active: true });
  const document = await getDocumentRecord(input.referralId, upload.docType);
  if (replacementBlocked(document)) return refuse('superseded');

  const objectKey = `documents/${input.personId}/${input.uploadId}`;
  // Out of `incoming/`, which the bucket's lifecycle empties after a day.
  const bytes = await storage.readObject(upload.incomingKey);
  if (!bytes) throw new ConflictError(FILE_NOT_RECEIVED_MESSAGE);
  await storage.putObject(objectKey, bytes, fileType);
  const table = tableName();
  const next: DocumentRecord = {
    referralId: input.referralId,
    personId: input.personId,
    programme: context.referral.programme,
    docType: upload.docType,
    status: 'submitted',
    version: (document?.version ?? 0) + 1,
    updatedAt: iso,
    currentUploadId: input.uploadId,
    objectKey,
    fileType,
    size: head.contentLength,
    submittedAt: iso,
    history: [...(document?.history ?? []), { at: iso, status: 'submitted', uploadId: input.uploadId, by: { kind: 'young-person' } }],
  };
  const label = DOCUMENT_TYPE_INFO[upload.docType].label;
  try {
    await db().send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: table,
              Key: keys.documentUpload(input.referralId, input.uploadId),
              UpdateExpression: 'SET #status = :submitted, fileType = :type, completedAt = :now',
              ConditionExpression: '#status = :pending',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: { ':submitted': 'submitted', ':type': fileType, ':now': iso, ':pending': 'pending' },
            },
          },
          {
            Put: {
              TableName: table,
              Item: { ...keys.onboardingDocument(input.referralId, upload.docType), ...keys.documentReviewEntry(iso, input.referralId, upload.docType), type: 'onboarding-document', ...next },
              ConditionExpression: document ? 'version = :version' : 'attribute_not_exists(pk)',
              ...(document ? { ExpressionAttributeValues: { ':version': document.version } } : {}),
            },
          },
          ...timelinePut(table, input.personId, {
            at: iso,
            eventId: `document-submitted#${input.uploadId}`,
            type: 'document-submitted',
            label: `Document envoyé : ${label}`,
            actor: { kind: 'young-person', id: input.personId, name: context.referral.youngPerson.firstName },
            referralId: input.referralId,
          }),
        ],
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    const latest = await getUpload(input.referralId, input.uploadId);
    if (latest && latest.status !== 'pending') return settledAnswer(latest);
    // The document changed since it was read (another file, a review): this one is refused, the checklist keeps the other.
    await storage.deleteObject(objectKey);
    return refuse('superseded');
  }
  await storage.deleteObject(upload.incomingKey);
  return { uploadId: input.uploadId, docType: upload.docType, status: 'submitted', fileType };
}

/**
 * Records the IBAN (normalised and checked by the schema) and the account holder. They can change while the RIB is
 * still to send or was rejected; once a RIB is under review or accepted, a change would no longer match it.
 */
export async function saveBankDetails(input: { personId: string; referralId: string; details: BankDetails; now?: Date }): Promise<BankDetailsRecord & { changed: boolean }> {
  const iso = (input.now ?? new Date()).toISOString();
  const context = await loadDocumentsContext(input.referralId, { personId: input.personId, active: true });
  const current = await getBankDetails(input.referralId);
  if (current && current.iban === input.details.iban && current.holder === input.details.holder) return { ...current, changed: false };
  const record: BankDetailsRecord = { referralId: input.referralId, personId: input.personId, iban: input.details.iban, holder: input.details.holder, updatedAt: iso };
  const table = tableName();
  try {
    await db().send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: table, Item: { ...keys.bankDetails(input.referralId), type: 'bank-details', ...record } } },
          {
            ConditionCheck: {
              TableName: table,
              Key: keys.onboardingDocument(input.referralId, 'bank-details'),
              ConditionExpression: 'attribute_not_exists(pk) OR #status IN (:missing, :rejected)',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: { ':missing': 'missing', ':rejected': 'rejected' },
            },
          },
          ...timelinePut(table, input.personId, {
            at: iso,
            eventId: `bank-details#${iso}`,
            type: 'bank-details-saved',
            label: current ? 'Coordonnées bancaires modifiées' : 'Coordonnées bancaires saisies',
            actor: { kind: 'young-person', id: input.personId, name: context.referral.youngPerson.firstName },
            referralId: input.referralId,
          }),
        ],
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    throw new ConflictError("Votre RIB est en cours de vérification ou déjà validé : pour changer de compte, contactez l'équipe CoopConnexion.");
  }
  return { ...record, changed: true };
}

/** The documents awaiting review, oldest first, one page at a time; `programme` narrows the list. */
export async function listDocumentsToReview(options: { programme?: Programme; limit?: number; cursor?: string } = {}): Promise<Page<DocumentRecord>> {
  const page = await queryIndexPage(INDEX.documentsToReview, keys.documentReviewPartition(), {
    limit: options.limit,
    cursor: options.cursor,
    filter: options.programme ? { expression: 'programme = :programme', values: { ':programme': options.programme } } : undefined,
  });
  return { items: page.items as unknown as DocumentRecord[], cursor: page.cursor };
}

/** A staff download link lives one minute: long enough to open, too short to be passed around. */
export const DOWNLOAD_URL_SECONDS = 60;

/** The last file sent for a document, for staff to look at: a presigned GET valid a minute. */
export async function documentDownload(input: { referralId: string; docType: string; storage?: DocumentStorage }): Promise<{ url: string; fileType: AcceptedFileType; expiresInSeconds: number }> {
  const context = await loadDocumentsContext(input.referralId);
  const docType = documentOf(context, input.docType);
  const document = await getDocumentRecord(input.referralId, docType);
  if (!document?.objectKey || !document.fileType) throw new NotFoundError("Aucun fichier n'a encore été envoyé pour ce document.");
  const fileName = downloadFileName(docType, document.fileType, (document.submittedAt ?? document.updatedAt).slice(0, 10));
  const url = await (input.storage ?? documentStorage).presignDownload(document.objectKey, fileName, { expiresInSeconds: DOWNLOAD_URL_SECONDS });
  return { url, fileType: document.fileType, expiresInSeconds: DOWNLOAD_URL_SECONDS };
}

export interface ReviewResult {
  document: DocumentRecord;
  /** The outbox cause of the rejection's messages (sent by the caller), if any. */
  cause?: string;
  /** Every required document is accepted now: the documents step is complete. */
  checklistComplete: boolean;
  /** The same reviewer's same review was already recorded (a retried request). */
  replayed: boolean;
}

const REVIEW_LABELS: Record<DocumentReviewOutcome, string> = { accepted: 'validé', rejected: 'refusé' };

/**
 * Staff accept or reject the file under review. One review per file: of two reviewers, the first wins and the other
 * gets a 409 saying who decided; the same reviewer's same review again answers the same. A rejection writes its
 * messages to the young person (reason, message, personal link) in the same transaction.
 */
export async function reviewDocument(input: { referralId: string; docType: string; review: DocumentReview; staff: Staff; now?: Date }): Promise<ReviewResult> {
  const now = input.now ?? new Date();
  const iso = now.toISOString();
  const context = await loadDocumentsContext(input.referralId, { active: true });
  const docType = documentOf(context, input.docType);
  const document = await getDocumentRecord(input.referralId, docType);
  if (!document || document.status === 'missing') throw new ConflictError("Aucun fichier n'a été envoyé pour ce document : il n'y a rien à vérifier.");
  const replay = await replayedReview(document, input);
  if (replay) return replay;
  if (document.status !== 'submitted') throw alreadyReviewed(document);

  const { outcome, reasonCode, message } = input.review;
  const rejection = outcome === 'rejected' && reasonCode ? { reasonCode, ...(message ? { message } : {}) } : undefined;
  const table = tableName();
  const cause = rejection ? `document-rejected#${input.referralId}#${docType}#${document.currentUploadId}` : undefined;
  const reason = rejection ? documentRejectionReason(rejection.reasonCode)?.label : undefined;
  // The item as read, without its entry in the review list: the reviewed document leaves the list.
  const { gsi1pk: _listed, gsi1sk: _since, ...current } = document as DocumentRecord & { gsi1pk?: string; gsi1sk?: string };
  const next: DocumentRecord = {
    ...current,
    status: outcome,
    version: document.version + 1,
    updatedAt: iso,
    reviewedAt: iso,
    reviewedBy: { id: input.staff.id, name: input.staff.name },
    history: [...document.history, { at: iso, status: outcome, uploadId: document.currentUploadId, by: { kind: 'staff', name: input.staff.name }, ...(reasonCode ? { reasonCode } : {}) }],
  };
  if (rejection) next.rejection = rejection;
  else delete next.rejection;
  const items: TransactItem[] = [
    {
      Put: {
        TableName: table,
        Item: { ...keys.onboardingDocument(input.referralId, docType), type: 'onboarding-document', ...next },
        ConditionExpression: '#status = :submitted AND version = :version',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':submitted': 'submitted', ':version': document.version },
      },
    },
    ...timelinePut(table, context.referral.personId, {
      at: iso,
      eventId: `document-${outcome}#${document.currentUploadId}`,
      type: `document-${outcome}`,
      label: `Document ${REVIEW_LABELS[outcome]} : ${DOCUMENT_TYPE_INFO[docType].label}`,
      actor: input.staff,
      referralId: input.referralId,
      reason,
    }),
    ...(rejection && cause ? outboxPuts(table, context.referral.personId, cause, documentRejectedDrafts(context.referral, docType, rejection), iso, { referralId: input.referralId }) : []),
  ];
  try {
    await db().send(new TransactWriteCommand({ TransactItems: items }));
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    const latest = await getDocumentRecord(input.referralId, docType);
    const replayed = latest && (await replayedReview(latest, input));
    if (replayed) return replayed;
    if (latest && latest.status !== 'submitted') throw alreadyReviewed(latest);
    throw new ConflictError('Le document a changé pendant votre vérification : rechargez la page.');
  }
  const checklistComplete = outcome === 'accepted' && (await requiredDocumentsAccepted(input.referralId));
  return { document: next, cause, checklistComplete, replayed: false };
}

/** The same reviewer's same review of the same file, already committed: the same answer (and the same completeness). */
async function replayedReview(document: DocumentRecord, input: { referralId: string; review: DocumentReview; staff: Staff }): Promise<ReviewResult | undefined> {
  const last = document.history.at(-1);
  if (document.status !== input.review.outcome || document.reviewedBy?.id !== input.staff.id || last?.uploadId !== document.currentUploadId) return undefined;
  const cause = document.status === 'rejected' ? `document-rejected#${input.referralId}#${document.docType}#${document.currentUploadId}` : undefined;
  const checklistComplete = document.status === 'accepted' && (await requiredDocumentsAccepted(input.referralId));
  return { document, cause, checklistComplete, replayed: true };
}

function alreadyReviewed(document: DocumentRecord): ConflictError {
  const who = document.reviewedBy?.name ? ` par ${document.reviewedBy.name}` : '';
  const when = document.reviewedAt ? ` le ${formatParisDateTime(document.reviewedAt)}` : '';
  return new ConflictError(`Ce document a déjà été ${REVIEW_LABELS[document.status as DocumentReviewOutcome] ?? 'vérifié'}${who}${when}. Aucune nouvelle décision n'a été enregistrée.`);
}
