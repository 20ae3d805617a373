import { inject } from 'vitest';
import { randomUUID } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { loadAssembly } from '../../infra/local/assembly.js';
import { describeTemplate, type LocalRoute } from '../../infra/local/template.js';
import type { LocalCloud } from '../../infra/local/cloud.js';
import { apiClient, eventually } from './cloud.js';
import { adultSubmission, minorSubmission } from './fixtures.js';
import type { ReferralSubmission } from '../../shared/domain/referral.js';

/**
 * The HTTP API's routes as the synthesized template (the run's `local` assembly) declares them, read when a test
 * file is collected so that each route gets tests of its own: a route added to the stack is in this list at once.
 */
export function templateRoutes(): LocalRoute[] {
  const assembly = loadAssembly(inject('assemblyDir'));
  const app = describeTemplate(assembly.template, assembly.assemblyDir, { region: 'eu-west-3', accountId: '000000000000', stackName: assembly.stackName });
  return app.routes;
}

/** 'POST /api/approvals/{approvalId}/decision' → its method and path template. */
export function splitRouteKey(routeKey: string): { method: string; path: string } {
  const [method = '', path = ''] = routeKey.split(' ');
  return { method, path };
}

/** The roles the API knows, and who calls as each: no token, a prescriber of organisation A (Lens) or B (Liévin), staff. */
export const ROLES = ['none', 'prescriberA', 'prescriberB', 'staff'] as const;
export type Role = (typeof ROLES)[number];
const USERNAMES: Record<Role, string | undefined> = { none: undefined, prescriberA: 'sarah.benali', prescriberB: 'thomas.leroy', staff: 'camille.martin' };
export const ORGANISATION_NAMES = { A: 'Mission locale de Lens', B: 'France Travail Liévin' } as const;

export type Client = ReturnType<typeof apiClient>;
export const clientsFor = (cloud: LocalCloud): Record<Role, Client> =>
  Object.fromEntries(ROLES.map((role) => [role, apiClient(cloud, USERNAMES[role])])) as Record<Role, Client>;

/** Every item of the table, counted by `type`. */
export async function countItemsByType(cloud: LocalCloud): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await cloud.documentClient.send(new ScanCommand({ TableName: cloud.tableName, ProjectionExpression: '#t', ExpressionAttributeNames: { '#t': 'type' }, ExclusiveStartKey: startKey }));
    for (const item of page.Items ?? []) counts[String(item.type)] = (counts[String(item.type)] ?? 0) + 1;
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return counts;
}

/**
 * Every item of the table a request may write, counted by `type`: delivery receipts left out. The provider's reports on
 * earlier requests' messages come through a queue in their own time, each one an item of its own (decision 42), and
 * no request writes one.
 */
export async function countRequestItemsByType(cloud: LocalCloud): Promise<Record<string, number>> {
  const { ['delivery-receipt']: _receipts, ...counts } = await countItemsByType(cloud);
  return counts;
}

/** Waits until nothing is written any more (workflows and delivery events of earlier requests have settled). */
export async function settled(cloud: LocalCloud, quietMs = 1_000): Promise<Record<string, number>> {
  let last = JSON.stringify(await countItemsByType(cloud));
  return await eventually(
    async () => {
      await new Promise((resolve) => setTimeout(resolve, quietMs));
      const now = JSON.stringify(await countItemsByType(cloud));
      const quiet = now === last;
      last = now;
      return quiet ? (JSON.parse(now) as Record<string, number>) : undefined;
    },
    30_000,
    'a quiet table',
  );
}

/** What one organisation referred, and what the app made of it: the ids the matrix asks for, and the personal values. */
export interface OrganisationObjects {
  /** An adult whose e-mail bounces: the acknowledgement falls back to SMS and the address is listed to fix. */
  adult: { submission: ReferralSubmission; referralId: string; reference: string; personId: string; approvalId: string; contactIssueId: string };
  /** A minor, with a guardian who receives the messages too. */
  minor: { submission: ReferralSubmission; referralId: string; reference: string; personId: string; approvalId: string };
}

export interface TwoOrganisations {
  A: OrganisationObjects;
  B: OrganisationObjects;
}

/**
 * Organisation A (Sarah, Lens) and B (Thomas, Liévin) each refer an adult whose e-mail bounces and a minor with a
 * guardian; returns once every approval is open, every bounce listed, and the table quiet.
 */
export async function seedTwoOrganisations(cloud: LocalCloud): Promise<TwoOrganisations> {
  const clients = clientsFor(cloud);
  const minorYear = new Date().getUTCFullYear() - 16;
  // Birth dates differ between the organisations, so that a value found in an answer names one organisation's person.
  const seedOne = async (prescriber: Client, birthDates: { adult: string; minor: string }): Promise<OrganisationObjects> => {
    // First names of their own too: a counter-numbered name may be a prefix of another one.
    const firstName = () => `Léa-${randomUUID().slice(0, 6)}`;
    const adultSub = adultSubmission({ firstName: firstName(), email: `lea.${randomUUID()}@bounce.test`, birthDate: birthDates.adult });
    const minorSub = minorSubmission({ firstName: firstName(), birthDate: birthDates.minor });
    const submit = async (submission: ReferralSubmission) => {
      const submitted = await prescriber('POST', '/api/referrals', submission, { 'idempotency-key': randomUUID() });
      if (submitted.status !== 201) throw new Error(`seeding: submission answered ${submitted.status}`);
      const detail = await clients.staff('GET', `/api/referrals/${submitted.body.referralId}`);
      return { submission, referralId: submitted.body.referralId as string, reference: submitted.body.reference as string, personId: detail.body.personId as string };
    };
    // One after the other: the first requests start the functions, which on a loaded machine can take seconds each.
    const adult = await submit(adultSub);
    const minor = await submit(minorSub);
    return { adult: { ...adult, approvalId: '', contactIssueId: '' }, minor: { ...minor, approvalId: '' } };
  };
  const A = await seedOne(clients.prescriberA, { adult: '2001-02-03', minor: `${minorYear}-01-21` });
  const B = await seedOne(clients.prescriberB, { adult: '2002-05-06', minor: `${minorYear}-07-09` });
  const all = [A.adult, A.minor, B.adult, B.minor];
  await eventually(
    async () => {
      // A loaded machine may answer a cold start with a 5xx: asked again on the next round.
      const inbox = ((await clients.staff('GET', '/api/staff/inbox?limit=100')).body.items ?? []) as Array<{ referralId: string; approvalId: string }>;
      for (const object of all) object.approvalId = inbox.find((item) => item.referralId === object.referralId)?.approvalId ?? '';
      return all.every((object) => object.approvalId);
    },
    60_000,
    'the four approvals',
  );
  await eventually(
    async () => {
      const toFix = (await clients.staff('GET', '/api/staff/messages')).body.toFix as Array<{ personId: string; issueId: string }>;
      for (const object of [A.adult, B.adult]) object.contactIssueId = toFix.find((issue) => issue.personId === object.personId)?.issueId ?? '';
      return A.adult.contactIssueId !== '' && B.adult.contactIssueId !== '';
    },
    60_000,
    'the two bounced addresses to fix',
  );
  await settled(cloud);
  return { A, B };
}

/** The personal values of an organisation's referrals: young people, guardians, free text. */
export function personalValuesOf(objects: OrganisationObjects): string[] {
  const values: string[] = [];
  for (const { submission } of [objects.adult, objects.minor]) {
    const { youngPerson, guardian } = submission;
    values.push(youngPerson.firstName, youngPerson.lastName, youngPerson.email, youngPerson.phone, youngPerson.birthDate);
    if (guardian) values.push(guardian.firstName, guardian.lastName, guardian.email, guardian.phone);
  }
  return values;
}

/** Every id of an organisation's objects. */
export function idsOf(objects: OrganisationObjects): string[] {
  const { adult, minor } = objects;
  return [adult.referralId, adult.reference, adult.personId, adult.approvalId, adult.contactIssueId, minor.referralId, minor.reference, minor.personId, minor.approvalId];
}
