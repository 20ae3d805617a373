import type { OutboxDraft } from '../data/outbox.js';
import { DOCUMENT_TYPE_INFO, documentHelp, documentRejectionReason, type DocumentType } from './documents.js';
import { render } from './messages/catalogue.js';
import { PROGRAMME_RULES } from './programmes.js';
import type { ReferralForMessages } from './referral-messages.js';

/** What the documents' messages say and to whom: the accepted referral's contact details (decision 20). */
function baseVars(referral: ReferralForMessages) {
  return { youngFirstName: referral.youngPerson.firstName, programmeLabel: PROGRAMME_RULES[referral.programme].label, reference: referral.reference };
}

function listVars(referral: ReferralForMessages, documents: readonly DocumentType[]) {
  return {
    ...baseVars(referral),
    documentList: documents.map((d) => `- ${DOCUMENT_TYPE_INFO[d].label} : ${documentHelp(d, referral.programme)}`).join('\n'),
    documentNames: documents.map((d) => DOCUMENT_TYPE_INFO[d].label).join(', '),
  };
}

/**
 * The checklist asked of the young person when the documents step opens (e-mail and SMS with their personal link);
 * a minor's guardian is told that their own identity document is part of it.
 */
export function documentsRequestDrafts(referral: ReferralForMessages, documents: readonly DocumentType[]): OutboxDraft[] {
  const vars = listVars(referral, documents);
  const drafts: OutboxDraft[] = [
    { kind: 'documents-request', role: 'young', channel: 'email', to: referral.youngPerson.email, ...render('documents-request', 'young', 'email', vars) },
    { kind: 'documents-request', role: 'young', channel: 'sms', to: referral.youngPerson.phone, body: render('documents-request', 'young', 'sms', vars).body },
  ];
  if (referral.guardian && documents.includes('guardian-identity')) {
    const guardianName = `${referral.guardian.firstName} ${referral.guardian.lastName}`;
    drafts.push({ kind: 'documents-request', role: 'guardian', channel: 'email', to: referral.guardian.email, ...render('documents-request', 'guardian', 'email', { ...vars, guardianName }) });
  }
  return drafts;
}

/** A reminder listing only the documents still missing (or rejected and not sent again). */
export function documentsReminderDrafts(referral: ReferralForMessages, missing: readonly DocumentType[], ageDays: number): OutboxDraft[] {
  const vars = { ...listVars(referral, missing), ageDays };
  return [
    { kind: 'documents-reminder', role: 'young', channel: 'email', to: referral.youngPerson.email, ...render('documents-reminder', 'young', 'email', vars) },
    { kind: 'documents-reminder', role: 'young', channel: 'sms', to: referral.youngPerson.phone, body: render('documents-reminder', 'young', 'sms', vars).body },
  ];
}

/** A rejected document: its reason, staff's message (e-mail only: an SMS is no place for a paragraph), and the link. */
export function documentRejectedDrafts(referral: ReferralForMessages, docType: DocumentType, rejection: { reasonCode: string; message?: string }): OutboxDraft[] {
  const vars = {
    ...baseVars(referral),
    documentLabel: DOCUMENT_TYPE_INFO[docType].label,
    rejectionReason: documentRejectionReason(rejection.reasonCode)?.label ?? 'autre motif',
    message: rejection.message,
  };
  return [
    { kind: 'document-rejected', role: 'young', channel: 'email', to: referral.youngPerson.email, ...render('document-rejected', 'young', 'email', vars) },
    { kind: 'document-rejected', role: 'young', channel: 'sms', to: referral.youngPerson.phone, body: render('document-rejected', 'young', 'sms', vars).body },
  ];
}
