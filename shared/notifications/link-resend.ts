import { randomUUID } from 'node:crypto';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { db, tableName } from '../data/client.js';
import { outboxPuts, type OutboxDraft } from '../data/outbox.js';
import { timelinePut } from '../data/people.js';
import { contactScope, countRequest, findLinkRecipients, guardianActorId, type LinkRecipient } from '../data/personal-links.js';
import { render } from '../domain/messages/catalogue.js';
import { personalLinkSettingsFromEnv, type ContactAddress } from '../domain/personal-links.js';
import { logger, metrics } from '../observability.js';
import { sendPendingNotifications } from './sender.js';

/** What the "nouveau lien" page always answers: the same words whether the address is known or not. */
export const RESEND_ANSWER = "Si cette adresse correspond à un parcours d'accueil en cours, un nouveau lien personnel vient d'y être envoyé. Pensez à vérifier vos courriers indésirables.";

const TOO_MANY_FOR_CONTACT = 'Vous avez déjà demandé plusieurs liens pour cette adresse : réessayez dans une heure.';
const TOO_MANY_OVERALL = 'Trop de demandes en ce moment : réessayez dans quelques minutes.';

/** The message that carries a new link to one recipient, on the channel of the address they gave. */
function linkDraft({ referral, audience }: LinkRecipient, contact: ContactAddress, validDays: number): OutboxDraft {
  const vars = { youngFirstName: referral.youngPerson.firstName, validDays, reference: referral.reference };
  if (audience === 'young-person') {
    const text = contact.channel === 'email' ? render('personal-link', 'young', 'email', vars) : { body: render('personal-link', 'young', 'sms', vars).body };
    return { kind: 'personal-link', role: 'young', channel: contact.channel, to: contact.address, ...text, personalLink: 'young-person' };
  }
  const guardianVars = { ...vars, guardianName: referral.guardian ? `${referral.guardian.firstName} ${referral.guardian.lastName}` : '' };
  const text = contact.channel === 'email' ? render('personal-link', 'guardian', 'email', guardianVars) : { body: render('personal-link', 'guardian', 'sms', guardianVars).body };
  return { kind: 'personal-link', role: 'guardian', channel: contact.channel, to: contact.address, ...text, personalLink: 'guardian' };
}

/**
 * "Recevoir un nouveau lien": counts the request (per address, then overall: 429 past the limits, whether the address
 * is known or not), then sends a fresh link to that address alone for every open onboarding it receives links for.
 * The links sent before stay valid (see shared/data/personal-links.ts). Returns how many messages went; the caller
 * never tells it.
 */
export async function resendPersonalLinks(contact: ContactAddress, now: Date = new Date()): Promise<number> {
  const settings = personalLinkSettingsFromEnv();
  await countRequest(contactScope(contact), settings.resendPerContact, TOO_MANY_FOR_CONTACT, now);
  await countRequest('ALL', settings.resendOverall, TOO_MANY_OVERALL, now);
  const recipients = await findLinkRecipients(contact);
  const validDays = Math.max(1, Math.round(settings.validForSeconds / 86_400));
  const at = now.toISOString();
  const table = tableName();
  for (const recipient of recipients) {
    const { referralId, personId } = recipient.referral;
    const cause = `personal-link#${referralId}#${recipient.audience}#${randomUUID()}`;
    const actor =
      recipient.audience === 'young-person'
        ? { kind: 'young-person' as const, id: personId, name: `${recipient.referral.youngPerson.firstName} ${recipient.referral.youngPerson.lastName}` }
        : { kind: 'guardian' as const, id: guardianActorId(referralId), name: recipient.referral.guardian ? `${recipient.referral.guardian.firstName} ${recipient.referral.guardian.lastName}` : 'Représentant légal' };
    await db().send(
      new TransactWriteCommand({
        TransactItems: [
          ...outboxPuts(table, personId, cause, [linkDraft(recipient, contact, validDays)], at, { referralId }),
          ...timelinePut(table, personId, {
            at,
            eventId: cause,
            type: 'personal-link-resent',
            label: `Nouveau lien personnel envoyé par ${contact.channel === 'email' ? 'e-mail' : 'SMS'} (${recipient.audience === 'young-person' ? 'jeune' : 'représentant légal'}), à sa demande`,
            actor,
            referralId,
          }),
        ],
      }),
    );
    try {
      await sendPendingNotifications(personId, cause, now);
    } catch (error) {
      // Listed as due: the dispatcher sends it within minutes.
      logger.warn('personal link left to the dispatcher', { referralId, error: (error as Error).name });
    }
  }
  metrics.addMetric('personal_link_resent', MetricUnit.Count, recipients.length);
  return recipients.length;
}
