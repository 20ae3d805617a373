import { createHash } from 'node:crypto';
import { estimatedMessageBytes, SES_MAX_MESSAGE_BYTES, type MailAttachment, type SentAttachment } from '../domain/messages/attachments.js';
import { ObjectTooLargeError, readObject } from '../storage/objects.js';

/** Why the outbox gives up a message for its files: no retry can change either. */
export type AttachmentFailureReason = 'attachment-missing' | 'attachments-too-large';

/**
 * A message whose files cannot go: an object that is not there, or more than SES takes in one message.
 * `detail` names the file (stored on the message for staff, never logged: a file name may hold a person's name).
 */
export class AttachmentFailure extends Error {
  override readonly name = 'AttachmentFailure';
  constructor(
    readonly reason: AttachmentFailureReason,
    readonly detail: string,
  ) {
    super(reason);
  }
}

/** An attachment read for a send: what is recorded, and the bytes that go to SES. */
export interface LoadedAttachment extends SentAttachment {
  bytes: Uint8Array;
}

/**
 * Reads a message's files from the documents bucket, in order, each no larger than what is left of SES's 40 MB
 * for the message (`textBytes`: its subject and body), so an oversized object is never read into memory.
 * A missing object is an `AttachmentFailure`: S3 answers NoSuchKey to a reader allowed to list the bucket, and
 * AccessDenied to one that is not, as the senders are (they may read `invoices/` and `statements/` objects but
 * not list keys, which may hold person ids). Any other S3 error (throttling, 5xx) is thrown as is: a later
 * attempt may pass. `known` holds bytes the caller has just stored, by key (the PDF it rendered and wrote): those
 * files are taken from it, with the same size checks, and not read back.
 */
export async function readAttachments(attachments: readonly MailAttachment[], textBytes: number, known?: ReadonlyMap<string, Uint8Array>): Promise<LoadedAttachment[]> {
  const loaded: LoadedAttachment[] = [];
  for (const attachment of attachments) {
    const sizes = loaded.map((file) => file.size);
    // An object of n bytes takes at least 4n/3 once base64-encoded: anything over this cannot fit.
    const maxBytes = Math.max(0, Math.floor(((SES_MAX_MESSAGE_BYTES - estimatedMessageBytes(sizes, textBytes)) * 3) / 4));
    let bytes = known?.get(attachment.key);
    if (bytes && bytes.byteLength > maxBytes) throw tooLarge(attachment, bytes.byteLength);
    if (!bytes) {
      try {
        bytes = await readObject(attachment.key, { maxBytes });
      } catch (error) {
        if (error instanceof ObjectTooLargeError) throw tooLarge(attachment, error.size);
        if (error instanceof Error && error.name === 'AccessDenied') throw new AttachmentFailure('attachment-missing', `${attachment.fileName}: AccessDenied (no object at ${attachment.key}, or not readable)`);
        throw error;
      }
    }
    if (!bytes) throw new AttachmentFailure('attachment-missing', `${attachment.fileName}: no object at ${attachment.key}`);
    loaded.push({ ...attachment, size: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex'), bytes });
  }
  if (estimatedMessageBytes(loaded.map((file) => file.size), textBytes) > SES_MAX_MESSAGE_BYTES) throw tooLarge(loaded.at(-1)!, loaded.at(-1)!.size);
  return loaded;
}

const tooLarge = (attachment: MailAttachment, size: number) =>
  new AttachmentFailure('attachments-too-large', `${attachment.fileName}: ${size} bytes, the message would exceed SES's ${SES_MAX_MESSAGE_BYTES / 1_000_000} MB once encoded`);
