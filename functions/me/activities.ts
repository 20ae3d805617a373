import { apiRoute, json } from '../../shared/http/api.js';
import { getActivity, listActivitiesOfPerson } from '../../shared/data/activities.js';
import { getOnboarding } from '../../shared/data/onboarding.js';
import { listServiceKinds } from '../../shared/data/service-kinds.js';
import { ACTIVITY_RULES_BY_PROGRAMME, isMinorFor } from '../../shared/domain/activities.js';
import { parisDate } from '../../shared/domain/time.js';
import { myActivitiesView } from '../../shared/activity-views.js';

/**
 * GET /api/me/activities (the young person's personal link): their activities, personal and collective, as members
 * read them (members' names, prices in force and their versions, status, the team's comment on a file sent back),
 * whether they may create their launch file, and the kinds of service they may choose (minors: only open ones).
 */
export const handler = apiRoute({ link: 'young-person' }, async ({ link }) => {
  const { referral } = link;
  const [links, catalogue, onboarding] = await Promise.all([listActivitiesOfPerson(link.personId), listServiceKinds(), getOnboarding(link.referralId)]);
  const found = await Promise.all(links.map((l) => getActivity(l.activityId)));
  const rules = ACTIVITY_RULES_BY_PROGRAMME[referral.programme];
  return json(
    200,
    myActivitiesView({
      // The activities of this path only: a person referred twice has a link per referral.
      activities: found.filter((a) => a !== undefined && a.members.some((m) => m.referralId === link.referralId)).map((a) => a!),
      catalogue,
      referralId: link.referralId,
      minor: rules.servicesOpenToMinorsOnly || isMinorFor(referral.youngPerson.birthDate, referral.programmeStartDate, parisDate()),
      mayHavePersonalActivity: rules.personalActivity && onboarding?.status === 'ready',
    }),
  );
});
