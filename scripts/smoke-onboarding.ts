/**
 * The onboarding part of `npm run smoke`: one young person of each programme (accompagnement, the one the smoke
 * already accepted; jeunes-majeurs; CJS, a minor with a guardian) goes from acceptance to launch-ready through the
 * HTTP APIs only, the way their pages and the staff's do: the personal link from the welcome e-mail, a session
 * chosen and attended, the diagnosis, the documents PUT straight to the local S3 (the identity document rejected,
 * sent again, accepted), the guardian's consent from their own link, the contract accepted by its SHA-256 and
 * countersigned from the staff inbox. Sessions start at a whole minute: the run waits for the one it created to
 * begin before staff record attendance (one to two minutes).
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Programme } from '../shared/domain/programmes.js';

export type Api = (token: string, method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<{ status: number; body: any }>;
/** Polls a probe until it gives a value (the smoke's own timeout unless `timeoutMs`); a FAIL line and undefined otherwise. */
export type Until = <T>(probe: () => Promise<T | undefined>, what: string, timeoutMs?: number) => Promise<T | undefined>;

export interface SmokeOnboardingOptions {
  baseUrl: string;
  sesUrl: string;
  staffToken: string;
  prescriberToken: string;
  /** The accompagnement referral the smoke accepted already, and its young person's e-mail. */
  accepted: { referralId: string; email: string };
  check: (ok: boolean, what: string) => void;
  until: Until;
  api: Api;
}

/** A young person of the smoke, once their onboarding ran: the launch goes on with them (scripts/smoke-launch.ts). */
export interface SmokePerson {
  label: string;
  programme: Programme;
  referralId: string;
  email: string;
  guardianEmail?: string;
  personId?: string;
  link?: string;
}

const DOCS_ADULT = ['identity', 'proof-of-situation', 'bank-details'];
const IBAN = 'FR76 3000 6000 0112 3456 7890 189';

/** Young people and guardians have no account: their routes take the personal link, no bearer token. */
export function linkApi(baseUrl: string, link: string) {
  return async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { 'x-parcours-link': link, ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json().catch(() => undefined)) as any };
  };
}

/** Paris date and time (HH:MM) of an instant. */
function parisMinute(at: Date): { date: string; time: string } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  return { date: `${parts.year}-${parts.month}-${parts.day}`, time: `${parts.hour}:${parts.minute}` };
}

export async function smokeOnboarding(options: SmokeOnboardingOptions): Promise<SmokePerson[]> {
  const { baseUrl, sesUrl, staffToken, prescriberToken, check, until, api } = options;
  const started = Date.now();
  const staff = (method: string, path: string, body?: unknown) => api(staffToken, method, path, body);
  const byLink = (link: string) => linkApi(baseUrl, link);
  type Email = { subject: string; destination: { to: string[] }; body?: { text?: string } };
  const mailsTo = async (address: string) => ((await (await fetch(`${sesUrl}/store`)).json()) as { emails: Email[] }).emails.filter((m) => m.destination.to.includes(address));
  const linkFor = async (address: string, page: 'mon-parcours' | 'tuteur') =>
    until(async () => {
      for (const mail of await mailsTo(address)) {
        const found = new RegExp(`/${page}#([A-Za-z0-9_-]{43})`).exec(mail.body?.text ?? '');
        if (found) return found[1];
      }
      return undefined;
    }, `${page} link e-mailed to ${address.split('@')[0]}`);

  // Two more referrals, accepted: jeunes-majeurs, and a CJS minor with a guardian.
  const run = randomUUID().slice(0, 8);
  const phone = () => `+3362${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
  const submit = async (label: string, body: Record<string, unknown>): Promise<SmokePerson | undefined> => {
    const submitted = await api(prescriberToken, 'POST', '/api/referrals', body, { 'idempotency-key': randomUUID() });
    check(submitted.status === 201, `${label}: referral submitted (${submitted.status}${submitted.status === 201 ? '' : ` ${JSON.stringify(submitted.body?.errors ?? submitted.body?.message)}`})`);
    const referralId: string = submitted.body?.referralId;
    const item = await until(async () => (await staff('GET', '/api/staff/inbox?limit=100')).body.items.find((i: { referralId: string }) => i.referralId === referralId), `${label}: referral in the inbox`);
    if (!item) return undefined;
    const decided = await staff('POST', `/api/approvals/${item.approvalId}/decision`, { outcome: 'accepted' });
    check(decided.status === 200, `${label}: accepted (${decided.status})`);
    const young = body.youngPerson as { email: string };
    return { label, programme: body.programme as Programme, referralId, email: young.email, guardianEmail: (body.guardian as { email?: string } | undefined)?.email };
  };
  const common = { projectIdea: 'Vérification automatique de l’accueil.', consent: { dataProcessing: true } };
  const youngPerson = (name: string, birthDate: string, situation: string) => ({
    firstName: name,
    lastName: `Smoke ${run}`,
    birthDate,
    email: `smoke.${name.toLowerCase()}.${run}@example.org`,
    phone: phone(),
    postalCode: '62300',
    town: 'Lens',
    qpv: false,
    situation,
  });
  const minorBirthYear = new Date().getUTCFullYear() - 16;
  const people = [
    { label: 'accompagnement', programme: 'accompagnement' as const, referralId: options.accepted.referralId, email: options.accepted.email },
    await submit('jeunes-majeurs', { ...common, programme: 'jeunes-majeurs', youngPerson: youngPerson('Yanis', '2006-05-10', 'demandeur-emploi') }),
    await submit('cjs (mineure)', {
      ...common,
      programme: 'cjs',
      programmeStartDate: `${new Date().getUTCFullYear() + 1}-07-01`,
      youngPerson: youngPerson('Lina', `${minorBirthYear}-03-15`, 'etudiant'),
      guardian: { firstName: 'Nadia', lastName: `Smoke ${run}`, email: `smoke.tuteur.${run}@example.org`, phone: phone(), relationship: 'Mère' },
    }),
  ].filter((p): p is SmokePerson => Boolean(p));

  for (const person of people) {
    person.link = await linkFor(person.email, 'mon-parcours');
    check(Boolean(person.link), `${person.label}: welcome e-mail with the personal link`);
    person.personId = (await staff('GET', `/api/referrals/${person.referralId}`)).body?.personId;
  }
  const ready = people.filter((p) => p.link);

  // One session for the three programmes, starting at a whole minute one to two minutes from now.
  const startAt = parisMinute(new Date(Date.now() + 120_000));
  const session = await api(staffToken, 'POST', '/api/staff/sessions', { ...startAt, place: 'Smoke, salle 1', capacity: 5, programmes: ['accompagnement', 'jeunes-majeurs', 'cjs'] }, { 'idempotency-key': randomUUID() });
  check(session.status === 201, `session created for ${startAt.time} (${session.status})`);
  const sessionId: string = session.body?.sessionId;

  for (const person of ready) {
    const me = byLink(person.link!);
    const offered = await me('GET', '/api/me/sessions');
    check(offered.body?.sessions?.some((s: { sessionId: string }) => s.sessionId === sessionId), `${person.label}: the session is offered`);
    const chosen = await me('PUT', '/api/me/session', { sessionId });
    check(chosen.status === 200 && chosen.body?.status === 'booked', `${person.label}: session chosen (${chosen.status})`);

    // The diagnosis, recorded by staff: it settles its step whenever the path reaches it.
    const diagnosis = await staff('PUT', `/api/staff/onboarding/${person.referralId}/diagnosis`, { action: 'record', goals: 'Lancer son activité.', skills: 'Organisation.', needs: 'Un local.' });
    check(diagnosis.status === 200, `${person.label}: diagnosis recorded (${diagnosis.status})`);

    // Documents, straight to the local S3: the identity document rejected, sent again, then all accepted.
    const docs = person.guardianEmail ? [...DOCS_ADULT, 'guardian-identity'] : DOCS_ADULT;
    const bank = await me('PUT', '/api/me/bank-details', { iban: IBAN, holder: `${person.label} Smoke` });
    check(bank.status === 200, `${person.label}: bank details (${bank.status})`);
    const upload = async (docType: string) => {
      const bytes = Buffer.from(`%PDF-1.4\n% smoke ${docType} ${randomUUID()}\n%%EOF\n`);
      const startedUpload = await me('POST', `/api/me/documents/${docType}/uploads`, { contentType: 'application/pdf', size: bytes.length, fileName: `${docType}.pdf` });
      const put = startedUpload.status === 201 ? await fetch(startedUpload.body.url, { method: 'PUT', headers: startedUpload.body.headers, body: bytes }) : undefined;
      const completed = put?.ok ? await me('POST', `/api/me/uploads/${startedUpload.body.uploadId}/complete`) : undefined;
      return completed?.status === 200 || completed?.status === 201;
    };
    const review = (docType: string, body: unknown) => staff('POST', `/api/staff/documents/${person.referralId}/${docType}/review`, body);
    const uploaded = await Promise.all(docs.map(upload));
    check(uploaded.every(Boolean), `${person.label}: ${docs.length} documents uploaded to the local S3`);
    const rejected = await review('identity', { outcome: 'rejected', reasonCode: 'illegible' });
    check(rejected.status === 200 && (await upload('identity')), `${person.label}: identity rejected, sent again (${rejected.status})`);
    const accepted = await Promise.all(docs.map((docType) => review(docType, { outcome: 'accepted' })));
    check(accepted.every((r) => r.status === 200), `${person.label}: documents accepted (${accepted.map((r) => r.status).join(',')})`);
  }

  // The session begins; staff record everyone present.
  const wait = Math.max(0, Date.parse(session.body?.startsAt ?? '') - Date.now()) + 1_000;
  console.log(`     waiting ${Math.round(wait / 1000)} s for the session to begin`);
  await new Promise((r) => setTimeout(r, wait));
  for (const person of ready) {
    const present = await staff('POST', `/api/staff/sessions/${sessionId}/attendance`, { referralId: person.referralId, attendance: 'present' });
    check(present.status === 200, `${person.label}: present at the session (${present.status})`);
  }

  // The guardian consents from their own link.
  for (const person of ready.filter((p) => p.guardianEmail)) {
    const link = await linkFor(person.guardianEmail!, 'tuteur');
    if (!link) continue;
    const guardian = byLink(link);
    const page = await guardian('GET', '/api/guardian');
    const consent = await guardian('POST', '/api/guardian/consent', { outcome: 'consented', textSha256: page.body?.textSha256, signerName: `Nadia Smoke ${run}`, relationship: 'Mère', imageRights: false });
    check(consent.status === 200, `${person.label}: guardian consented (${consent.status})`);
  }

  // The contract: read, accepted by its SHA-256, countersigned; the path launch-ready.
  for (const person of ready) {
    const me = byLink(person.link!);
    const contract = await until(async () => {
      const view = await me('GET', '/api/me/contract');
      return view.body?.sha256 && view.body.status !== 'not-ready' ? view.body : undefined;
    }, `${person.label}: contract prepared`);
    if (!contract) continue;
    const pdf = Buffer.from(await (await fetch(contract.downloadUrl)).arrayBuffer());
    const sha256 = createHash('sha256').update(pdf).digest('hex');
    check(sha256 === contract.sha256, `${person.label}: contract PDF read, its SHA-256 matches`);
    const acceptance = await me('POST', '/api/me/contract/acceptance', { sha256 });
    check(acceptance.status === 200, `${person.label}: contract accepted (${acceptance.status})`);
    const item = await until(
      async () => (await staff('GET', '/api/staff/inbox?kind=contract-countersign&limit=100')).body.items.find((i: { referralId?: string; subjectId?: string }) => (i.referralId ?? i.subjectId) === person.referralId),
      `${person.label}: countersignature in the staff inbox`,
    );
    if (!item) continue;
    const countersigned = await staff('POST', `/api/approvals/${item.approvalId}/decision`, { outcome: 'countersigned' });
    check(countersigned.status === 200, `${person.label}: contract countersigned (${countersigned.status})`);
  }
  for (const person of ready) {
    const status = await until(async () => {
      const timeline = await staff('GET', `/api/people/${person.personId}/timeline`);
      return timeline.body?.person?.pathStatus === 'launch-ready' ? timeline.body.person.pathStatusLabel : undefined;
    }, `${person.label}: launch-ready`);
    check(Boolean(status), `${person.label}: ${status ?? 'not launch-ready'}`);
    const mails = (await mailsTo(person.email)).map((m) => m.subject);
    check(mails.length === new Set(mails).size, `${person.label}: ${mails.length} e-mails, each once`);
  }
  console.log(`     onboarding of ${ready.length} young people: ${Math.round((Date.now() - started) / 1000)} s (with the wait for the session)`);
  return ready;
}

