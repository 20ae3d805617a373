/**
 * The launch part of `npm run smoke`: the three young people the onboarding made launch-ready launch their
 * activities through the HTTP APIs only, the way their pages and the staff's do. The individual young person and
 * the Jeunes Majeurs member write and submit their launch file from their space (personal link); staff create a CJS
 * cohort, place the minor in it and submit the cohort's collective activity; staff create a Jeunes Majeurs
 * collective activity and add the member. Staff approve each launch from the inbox (the generic decision route).
 * Then the invoicing's query (`allActiveActivities`: the sharded index, read straight from the local cloud's
 * DynamoDB, whose address `/_local/health` gives) must find the four activities, active, each once.
 */
import { randomUUID } from 'node:crypto';
import { allActiveActivities } from '../shared/data/activities.js';
import { addMonths } from '../shared/domain/activities.js';
import { parisDate } from '../shared/domain/time.js';
import { linkApi, type Api, type SmokePerson, type Until } from './smoke-onboarding.js';

export interface SmokeLaunchOptions {
  baseUrl: string;
  sesUrl: string;
  staffToken: string;
  /** The young people the onboarding made launch-ready, one per programme. */
  people: SmokePerson[];
  check: (ok: boolean, what: string) => void;
  until: Until;
  api: Api;
}

/** An activity the launch submitted: the month's invoicing goes on with them (scripts/smoke-invoicing.ts). */
export interface Launched {
  label: string;
  activityId: string;
  name: string;
  /** The referral ids of the members the activity must have. */
  members: string[];
}

/** The Paris date `days` from today. */
const inDays = (days: number) => parisDate(new Date(Date.now() + days * 86_400_000));

/** A launch file: gardening at 15 € an hour (no VAT under the franchise), starting in a week unless said. */
const launchFile = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  tradeName: name,
  serviceKinds: ['jardinage', 'soutien-scolaire'],
  description: 'Entretien de jardins et soutien scolaire à Lens et alentours (vérification automatique).',
  targetCustomers: ['particuliers'],
  monthlyGoalCents: 80_000,
  startDate: inDays(7),
  priceLines: [
    { label: 'Tonte et désherbage', unit: 'heure', unitPriceCents: 1500, serviceKind: 'jardinage', vatRateBps: null },
    { label: 'Aide aux devoirs', unit: 'heure', unitPriceCents: 1200, serviceKind: 'soutien-scolaire', vatRateBps: null },
  ],
  ...extra,
});

export async function smokeLaunch(options: SmokeLaunchOptions): Promise<Launched[]> {
  const { baseUrl, sesUrl, staffToken, people, check, until, api } = options;
  const started = Date.now();
  const staff = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => api(staffToken, method, path, body, headers);
  const run = randomUUID().slice(0, 8);
  const byProgramme = (programme: SmokePerson['programme']) => people.find((p) => p.programme === programme && p.link);
  const [individual, majeur, cjs] = [byProgramme('accompagnement'), byProgramme('jeunes-majeurs'), byProgramme('cjs')];
  if (!individual || !majeur || !cjs) {
    check(false, 'launch: one launch-ready young person of each programme to launch with');
    return [];
  }
  const launched: Launched[] = [];

  /** Staff approve the launch from the inbox; the activity is active once the workflow has run. */
  const approve = async ({ label, activityId }: Launched) => {
    const item = await until(
      async () => (await staff('GET', '/api/staff/inbox?kind=activity-launch&limit=100')).body?.items.find((i: { activity?: { activityId: string } }) => i.activity?.activityId === activityId),
      `${label}: launch approval in the staff inbox`,
    );
    if (!item) return;
    const decided = await staff('POST', `/api/approvals/${item.approvalId}/decision`, { outcome: 'approved' });
    check(decided.status === 200, `${label}: launch approved from the staff inbox (${decided.status})`);
    const active = await until(async () => {
      const page = await staff('GET', `/api/staff/activities/${activityId}`);
      return page.body?.status === 'active' ? page.body : undefined;
    }, `${label}: activity active`);
    if (active) check(active.insurance?.included === true, `${label}: « ${active.name} » ${active.statusLabel}, in the cooperative's insurance`);
  };

  // The individual young person and the Jeunes Majeurs member: their personal launch file, from their space.
  for (const person of [individual, majeur]) {
    const me = linkApi(baseUrl, person.link!);
    const name = `${person.label === 'accompagnement' ? 'Jardins' : 'Atelier'} Smoke ${run}`;
    const space = await me('GET', '/api/me/activities');
    check(space.status === 200 && space.body?.mayCreatePersonalActivity === true, `${person.label}: their space offers the launch file (${space.status})`);
    const saved = await me('PUT', '/api/me/activity', launchFile(name));
    check(saved.status === 201, `${person.label}: launch file saved from their space (${saved.status}${saved.status === 201 ? '' : ` ${JSON.stringify(saved.body?.errors ?? saved.body?.message)}`})`);
    const submitted = await me('POST', '/api/me/activity/submission');
    check(submitted.status === 200 && submitted.body?.status === 'awaiting-approval', `${person.label}: launch file submitted (${submitted.status} ${submitted.body?.statusLabel ?? JSON.stringify(submitted.body?.errors)})`);
    if (saved.body?.activityId) launched.push({ label: `${person.label} (personal)`, activityId: saved.body.activityId, name, members: [person.referralId] });
  }

  // The CJS: staff create next summer's cohort, place the minor, fill in and submit the cohort's collective activity.
  const summer = new Date().getUTCFullYear() + 1;
  const cohortName = `CJS Smoke ${run}`;
  const cohort = await staff('POST', '/api/staff/cohorts', { name: cohortName, startDate: `${summer}-07-01`, endDate: `${summer}-08-28`, towns: ['Lens', 'Liévin'], capacity: 15 }, { 'idempotency-key': randomUUID() });
  check(cohort.status === 201, `cjs: cohort created for summer ${summer} (${cohort.status})`);
  const cohortId: string | undefined = cohort.body?.cohortId;
  const cohortActivityId: string | undefined = cohort.body?.activityId;
  if (cohortId && cohortActivityId) {
    const placed = await staff('POST', `/api/staff/cohorts/${cohortId}/members`, { referralId: cjs.referralId });
    check(placed.status === 201 || placed.status === 200, `${cjs.label}: placed in the cohort (${placed.status}${placed.body?.message ? ` ${placed.body.message}` : ''})`);
    const role = await staff('PUT', `/api/staff/cohorts/${cohortId}/members/${cjs.referralId}`, { committeeRole: 'finance' });
    check(role.status === 200, `${cjs.label}: on the finance committee (${role.status})`);
    const file = await staff('PUT', `/api/staff/activities/${cohortActivityId}`, launchFile(cohortName, { startDate: `${summer}-07-01`, endDate: `${summer}-08-28` }));
    check(file.status === 200, `cjs: the cohort's launch file filled in by staff (${file.status}${file.status === 200 ? '' : ` ${JSON.stringify(file.body?.errors ?? file.body?.message)}`})`);
    const submitted = await staff('POST', `/api/staff/activities/${cohortActivityId}/submission`);
    check(submitted.status === 200 && submitted.body?.status === 'awaiting-approval', `cjs: the cohort's activity submitted (${submitted.status} ${submitted.body?.statusLabel ?? JSON.stringify(submitted.body?.errors)})`);
    launched.push({ label: 'cjs (collective)', activityId: cohortActivityId, name: cohortName, members: [cjs.referralId] });
  }

  // The Jeunes Majeurs collective activity: staff create it (8 months), add the member, submit it.
  const collectiveName = `Collectif Smoke ${run}`;
  const start = inDays(10);
  const collective = await staff('POST', '/api/staff/activities', { shape: 'collective', programme: 'jeunes-majeurs', ...launchFile(collectiveName, { startDate: start, endDate: addMonths(start, 8) }) }, { 'idempotency-key': randomUUID() });
  check(collective.status === 201, `jeunes-majeurs: collective activity created by staff (${collective.status}${collective.status === 201 ? '' : ` ${JSON.stringify(collective.body?.errors ?? collective.body?.message)}`})`);
  const collectiveId: string | undefined = collective.body?.activityId;
  if (collectiveId) {
    const joined = await staff('POST', `/api/staff/activities/${collectiveId}/members`, { referralId: majeur.referralId, committeeRole: 'marketing' });
    check(joined.status === 201, `${majeur.label}: member of the collective activity (${joined.status}${joined.body?.message ? ` ${joined.body.message}` : ''})`);
    const submitted = await staff('POST', `/api/staff/activities/${collectiveId}/submission`);
    check(submitted.status === 200 && submitted.body?.status === 'awaiting-approval', `jeunes-majeurs: the collective activity submitted (${submitted.status} ${submitted.body?.statusLabel ?? JSON.stringify(submitted.body?.errors)})`);
    launched.push({ label: 'jeunes-majeurs (collective)', activityId: collectiveId, name: collectiveName, members: [majeur.referralId] });
  }

  for (const activity of launched) await approve(activity);

  // The invoicing's query: the sharded index of active activities, read straight from the local cloud's table.
  const active = await activeActivities(baseUrl);
  console.log(`     the invoicing's query (16 shards of the active index) finds ${active.length} active activities in the table; this run's:`);
  for (const activity of launched) {
    const found = active.filter((a) => a.activityId === activity.activityId);
    const page = (await staff('GET', `/api/staff/activities/${activity.activityId}`)).body;
    const members: Array<{ referralId: string; name: string; minorAtStart: boolean; committeeRoleLabel?: string }> = page?.members ?? [];
    console.log(`       ${activity.label.padEnd(28)} ${activity.name.padEnd(26)} ${page?.statusLabel ?? '?'}, ${members.map((m) => `${m.name}${m.minorAtStart ? ' (mineure)' : ''}${m.committeeRoleLabel ? `, ${m.committeeRoleLabel}` : ''}`).join('; ')}`);
    check(found.length === 1 && found[0]!.status === 'active', `${activity.label}: found once by the invoicing's query, active (${found.length})`);
    check(
      activity.members.every((referralId) => members.some((m) => m.referralId === referralId)),
      `${activity.label}: ${activity.members.length === 1 ? 'its member is' : 'its members are'} on the activity`,
    );
  }
  const cohortMember = launched.find((a) => a.activityId === cohortActivityId);
  if (cohortMember) {
    const members: Array<{ referralId: string; minorAtStart: boolean }> = (await staff('GET', `/api/staff/activities/${cohortActivityId}`)).body?.members ?? [];
    check(members.some((m) => m.referralId === cjs.referralId && m.minorAtStart), `${cjs.label}: a minor member of the cohort's collective activity`);
  }
  // The Jeunes Majeurs member sees both their activities, personal and collective, active, in their space.
  const mine: Array<{ shape: string; status: string }> = (await linkApi(baseUrl, majeur.link!)('GET', '/api/me/activities')).body?.activities ?? [];
  check(
    mine.filter((a) => a.status === 'active').map((a) => a.shape).sort().join() === 'collective,personal',
    `${majeur.label}: a personal and a collective activity, both active, in their space (${mine.map((a) => `${a.shape} ${a.status}`).join(', ')})`,
  );

  // Each member told once that their activity is launched (and the minor's guardian too).
  type Email = { subject: string; destination: { to: string[] } };
  const mails = ((await (await fetch(`${sesUrl}/store`)).json()) as { emails: Email[] }).emails;
  for (const person of [individual, majeur, cjs]) {
    const subjects = mails.filter((m) => m.destination.to.includes(person.email)).map((m) => m.subject).filter((s) => s.startsWith('Votre activité est lancée'));
    check(subjects.length >= 1 && subjects.length === new Set(subjects).size, `${person.label}: ${subjects.length} launch e-mail(s), each once (${subjects.join(' | ')})`);
  }
  if (cjs.guardianEmail) {
    const toGuardian = mails.filter((m) => m.destination.to.includes(cjs.guardianEmail!) && m.subject.includes(cohortName));
    check(toGuardian.length === 1, `${cjs.label}: the guardian told once of the launch (${toGuardian.length})`);
  }
  console.log(`     launch of ${launched.length} activities: ${Math.round((Date.now() - started) / 1000)} s`);
  return launched;
}

/** Every active activity, by the invoicing's query (shared/data/activities.ts `allActiveActivities`) against the local cloud's DynamoDB. */
async function activeActivities(baseUrl: string) {
  await useLocalDynamoDb(baseUrl);
  return allActiveActivities();
}

/**
 * Points the data layer (shared/data/) of this process at the local cloud's DynamoDB: `/_local/health` gives its
 * address, the access key id its clients use and the table.
 */
export async function useLocalDynamoDb(baseUrl: string): Promise<void> {
  const health = (await (await fetch(`${baseUrl}/_local/health`)).json()) as { dynamodb?: { endpoint: string; accessKeyId: string; tables: string[] } };
  if (!health.dynamodb) throw new Error(`${baseUrl}/_local/health does not give the local DynamoDB: restart npm start with this version`);
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_DYNAMODB: health.dynamodb.endpoint,
    AWS_ACCESS_KEY_ID: health.dynamodb.accessKeyId,
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_REGION: process.env.AWS_REGION ?? 'eu-west-3',
    TABLE_NAME: health.dynamodb.tables[0],
    // Node 20 is supported (package.json engines): the SDK's notice about Node 22 would split the smoke's report.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ?? 'true',
  });
  // The data layer's client is made on first use: it reads this environment then.
}
