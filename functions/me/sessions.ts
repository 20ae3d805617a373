import { apiRoute, json } from '../../shared/http/api.js';
import { getBooking, getSession, listChoosableSessions, loadOnboardingParty } from '../../shared/data/sessions.js';
import { bookingView, sessionView } from '../../shared/session-views.js';

/**
 * GET /api/me/sessions (the young person's personal link): the information sessions they may choose now (their
 * programme, to come, with a seat left) and where their own booking stands.
 */
export const handler = apiRoute({ link: 'young-person' }, async ({ link }) => {
  const party = await loadOnboardingParty(link.referralId);
  const now = new Date();
  const [booking, sessions] = await Promise.all([getBooking(party.referralId), listChoosableSessions(party.programme, now)]);
  const held = booking?.sessionId ? await getSession(booking.sessionId) : undefined;
  return json(200, { booking: bookingView(booking, held), sessions: sessions.map(sessionView) });
});
