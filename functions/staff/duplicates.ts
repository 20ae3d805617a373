import { apiRoute, json } from '../../shared/http/api.js';
import { listOpenPossibleDuplicates } from '../../shared/data/possible-duplicates.js';
import { getReferralsByIds } from '../../shared/data/referrals.js';
import { getPeople } from '../../shared/data/people.js';
import { possibleDuplicateItem } from '../../shared/views.js';

/** GET /api/staff/duplicates: the "doublons possibles" to settle, oldest first, each pair side by side. */
export const handler = apiRoute({ roles: ['staff'] }, async () => {
  const flags = await listOpenPossibleDuplicates();
  const [people, referrals] = await Promise.all([getPeople(flags.flatMap((f) => [f.personId, f.candidatePersonId])), getReferralsByIds(flags.map((f) => f.referralId))]);
  return json(200, { items: flags.map((flag) => possibleDuplicateItem(flag, people, referrals.get(flag.referralId))) });
});
