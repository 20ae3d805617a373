/**
 * Files an e-mail of the outbox carries (an invoice's PDF; a monthly statement's, until decision 35). The outbox holds references only:
 * the object's key in the documents bucket, the name the recipient sees and its type. The bytes stay in S3 (a
 * DynamoDB item holds 400 KB at most) and the sender reads them when it sends, into SES v2
 * `Content.Simple.Attachments`. What went is recorded on the message as `SentAttachment`s (size and SHA-256).
 *
 * Pure: no AWS call here, so the stack (the grant on the prefixes) and the tests read it too.
 */

/** A file an outbox e-mail carries, by reference. */
export interface MailAttachment {
  /** The object's key in the documents bucket, under one of `MAIL_ATTACHMENT_PREFIXES` (`invoices/2027/inv-….pdf`). */
  key: string;
  /** The name the recipient sees, with its extension (`facture-2027-000123.pdf`). */
  fileName: string;
  /** Its media type (`application/pdf`). */
  contentType: string;
}

/** What the sender put in the e-mail for one attachment, as recorded on the message once SES accepted it. */
export interface SentAttachment {
  key: string;
  fileName: string;
  contentType: string;
  /** Bytes, as read from S3. */
  size: number;
  /** Hex SHA-256 of those bytes: the invoice's history proves which file went. */
  sha256: string;
}

/**
 * The documents bucket's prefixes a message may attach from: the sending functions may read these and nothing
 * else of the bucket (the young people's documents and contracts stay out of their reach).
 */
export const MAIL_ATTACHMENT_PREFIXES = ['invoices/', 'statements/'] as const;

/** At most this many files in one e-mail (an invoice and its annexes; SES sets no count, the size limit does). */
export const MAX_MAIL_ATTACHMENTS = 10;

/**
 * SES v2's limit on a whole message, attachments included, after base64 encoding (SES quotas: "40 MB per
 * message"). Taken as 40 × 10^6 bytes, the smaller reading of "MB".
 */
export const SES_MAX_MESSAGE_BYTES = 40_000_000;

/** Room left in the estimate for the headers, the MIME boundaries and the encoding of the text part. */
const MIME_OVERHEAD_BYTES = 16_384;

/**
 * The size of the MIME message SES builds: each attachment base64-encoded in lines of 76 characters (+ CRLF), the
 * text body at most 3 times its UTF-8 size (quoted-printable), plus headers.
 * @example estimatedMessageBytes([3_000_000], 2_000) > SES_MAX_MESSAGE_BYTES // false
 */
export function estimatedMessageBytes(attachmentSizes: readonly number[], textBytes: number): number {
  const encoded = attachmentSizes.reduce((sum, size) => {
    const base64 = Math.ceil(size / 3) * 4;
    return sum + base64 + Math.ceil(base64 / 76) * 2;
  }, 0);
  return encoded + 3 * textBytes + MIME_OVERHEAD_BYTES;
}

/**
 * Extensions SES refuses in an attachment ("Unsupported attachment types" of the SES developer guide): refused when
 * the message is written rather than by SES when it is sent.
 */
const SES_BLOCKED_EXTENSIONS = new Set(
  (
    'ade adp app asp bas bat cer chm cmd com cpl crt csh der exe fxp gadget hlp hta inf ins isp its js jse ksh lib lnk mad maf mag mam maq mar mas mat mau ' +
    'mav maw mda mdb mde mdt mdw mdz msc msh msh1 msh2 mshxml msh1xml msh2xml msi msp mst ops pcd pif plg prf prg reg scf scr sct shb shs sys ps1 ps1xml ' +
    'ps2 ps2xml psc1 psc2 tmp url vb vbe vbs vps vsmacros vss vst vsw vws xnk'
  ).split(' '),
);

const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}$/i;

/**
 * Why these attachments cannot go in an e-mail, or undefined when they can. The message says which rule, not the
 * key or the name (they may hold a person's id or name, and the error may be logged).
 * @example attachmentProblem([{ key: 'invoices/2027/inv-1.pdf', fileName: 'facture-2027-000001.pdf', contentType: 'application/pdf' }]) // undefined
 */
export function attachmentProblem(attachments: readonly MailAttachment[]): string | undefined {
  if (attachments.length > MAX_MAIL_ATTACHMENTS) return `at most ${MAX_MAIL_ATTACHMENTS} attachments`;
  for (const [i, { key, fileName, contentType }] of attachments.entries()) {
    const which = `attachment ${i + 1}`;
    if (typeof key !== 'string' || !MAIL_ATTACHMENT_PREFIXES.some((prefix) => key.startsWith(prefix) && key.length > prefix.length)) {
      return `${which}: its key must be under ${MAIL_ATTACHMENT_PREFIXES.join(' or ')}`;
    }
    if (key.length > 1024 || key.split('/').some((part) => part === '' || part === '.' || part === '..')) return `${which}: its key is not a plain object key`;
    if (typeof fileName !== 'string' || fileName.length === 0 || fileName.length > 255) return `${which}: its file name must have 1 to 255 characters (SES)`;
    if ([...fileName].some((c) => c <= '\u001f' || c === '\u007f' || '/\\"'.includes(c))) return `${which}: its file name holds a path separator, a quote or a control character`;
    const extension = /\.([A-Za-z0-9]+)$/.exec(fileName)?.[1]?.toLowerCase();
    if (!extension) return `${which}: its file name needs an extension`;
    if (SES_BLOCKED_EXTENSIONS.has(extension)) return `${which}: SES refuses .${extension} attachments`;
    if (typeof contentType !== 'string' || !MEDIA_TYPE.test(contentType)) return `${which}: its content type must be a media type like application/pdf`;
  }
  return undefined;
}
