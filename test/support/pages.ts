import type { Locator, Page } from 'playwright-core';

/** Where the pages keep the Cognito ID token (see browser/lib/session.ts). */
export const ID_TOKEN_STORAGE_KEY = 'coopconnexion.idToken';

export interface FakeIdTokenClaims {
  name?: string;
  email?: string;
  groups?: Array<'staff' | 'prescriber'>;
  organisation?: string;
  expiresInSeconds?: number;
}

/**
 * An unsigned token with the Cognito ID-token payload shape: enough for the pages, which only
 * read the payload; the API fixtures in browser tests do not check signatures.
 */
export function fakeIdToken(claims: FakeIdTokenClaims = {}): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const payload = {
    sub: 'user-1',
    token_use: 'id',
    name: claims.name ?? 'Camille Prescriptrice',
    email: claims.email ?? 'camille@mission-locale.example',
    'cognito:groups': claims.groups ?? ['prescriber'],
    'custom:organisation': claims.organisation ?? 'org-mission-locale-lens',
    iat: now,
    exp: now + (claims.expiresInSeconds ?? 3600),
  };
  return `${encode({ alg: 'none', typ: 'JWT' })}.${encode(payload)}.signature`;
}

/**
 * Starts a fresh session in this tab: opens the public home page of `origin`, clears the
 * session storage (token, saved logins, drafts) and, when given, stores this ID token.
 * Browser tests reuse one page per file (a new renderer is slow), so each test starts here.
 */
export async function resetSession(page: Page, origin: string, idToken?: string): Promise<void> {
  await page.unrouteAll({ behavior: 'ignoreErrors' });
  await page.goto(`${origin}/`);
  await page.evaluate(
    ([key, token]) => {
      sessionStorage.clear();
      if (token) sessionStorage.setItem(key, token);
    },
    [ID_TOKEN_STORAGE_KEY, idToken ?? ''] as const,
  );
}

export type Programme = 'accompagnement' | 'cjs' | 'jeunes-majeurs';

/** The POST /api/referrals body. */
export interface ReferralFormData {
  programme: Programme;
  programmeStartDate?: string;
  youngPerson: {
    firstName: string;
    lastName: string;
    birthDate: string;
    email: string;
    phone: string;
    address?: string;
    postalCode: string;
    town: string;
    qpv: boolean;
    situation: 'demandeur-emploi' | 'etudiant' | 'autre';
    situationDetail?: string;
  };
  guardian?: { firstName: string; lastName: string; email: string; phone: string; relationship: string };
  projectIdea: string;
  notes?: string;
  consent: { dataProcessing: boolean };
}

export const programmeLabels: Record<Programme, string> = {
  accompagnement: 'Accompagnement individuel (18-29 ans)',
  cjs: 'Coopérative Jeunesse de Services (16-18 ans, été)',
  'jeunes-majeurs': 'Coopérative Jeunes Majeurs',
};

const situationLabels = {
  'demandeur-emploi': "Demandeur ou demandeuse d'emploi",
  etudiant: 'Étudiant ou étudiante',
  autre: 'Autre situation',
} as const;

/** A birth date `years` years ago today (minus a day, so the age is exactly `years`). */
export function birthDateForAge(years: number, today = new Date()): string {
  const date = new Date(Date.UTC(today.getFullYear() - years, today.getMonth(), today.getDate() - 1));
  return date.toISOString().slice(0, 10);
}

export function sampleReferral(overrides: Partial<ReferralFormData> = {}): ReferralFormData {
  return {
    programme: 'accompagnement',
    youngPerson: {
      firstName: 'Inès',
      lastName: 'Lefèvre',
      birthDate: birthDateForAge(22),
      email: 'ines.lefevre@example.fr',
      phone: '06 12 34 56 78',
      address: '12 rue Jean Jaurès',
      postalCode: '62300',
      town: 'Lens',
      qpv: true,
      situation: 'demandeur-emploi',
      situationDetail: 'Inscrite à France Travail depuis six mois',
    },
    projectIdea: 'Réparation de vélos à domicile et ateliers dans les quartiers.',
    notes: 'Disponible le matin.',
    consent: { dataProcessing: true },
    ...overrides,
  };
}

function section(page: Page, legend: RegExp): Locator {
  return page.getByRole('group', { name: legend });
}

/** Fills the referral form through its labels, as a person would. */
export async function fillReferralForm(page: Page, data: ReferralFormData): Promise<void> {
  await page.getByRole('radio', { name: programmeLabels[data.programme], exact: true }).check();
  if (data.programmeStartDate) await page.getByLabel(/^Date d'entrée souhaitée/).fill(data.programmeStartDate);
  const young = section(page, /^Le jeune$/);
  const person = data.youngPerson;
  await young.getByLabel(/^Prénom/).fill(person.firstName);
  await young.getByLabel(/^Nom/).fill(person.lastName);
  await young.getByLabel(/^Date de naissance/).fill(person.birthDate);
  await young.getByLabel(/^Adresse e-mail/).fill(person.email);
  await young.getByLabel(/^Téléphone mobile/).fill(person.phone);
  await young.getByLabel(/^Adresse \(/).fill(person.address ?? '');
  await young.getByLabel(/^Code postal/).fill(person.postalCode);
  await young.getByLabel(/^Commune/).fill(person.town);
  await young.getByLabel(/quartier prioritaire/).setChecked(person.qpv);
  await young.getByRole('radio', { name: situationLabels[person.situation], exact: true }).check();
  await young.getByLabel(/^Précisions sur la situation/).fill(person.situationDetail ?? '');
  if (data.guardian) {
    const guardian = section(page, /^Représentant légal$/);
    await guardian.getByLabel(/^Prénom du représentant/).fill(data.guardian.firstName);
    await guardian.getByLabel(/^Nom du représentant/).fill(data.guardian.lastName);
    await guardian.getByLabel(/^Adresse e-mail du représentant/).fill(data.guardian.email);
    await guardian.getByLabel(/^Téléphone mobile du représentant/).fill(data.guardian.phone);
    await guardian.getByLabel(/^Lien avec le jeune/).fill(data.guardian.relationship);
  }
  await page.getByLabel(/^Idée de projet/).fill(data.projectIdea);
  await page.getByLabel(/^Informations complémentaires/).fill(data.notes ?? '');
  await page.getByRole('checkbox', { name: /accepte que CoopConnexion traite ses données/ }).setChecked(data.consent.dataProcessing);
}

export function referralSubmitButton(page: Page): Locator {
  return page.getByRole('button', { name: "Envoyer l'orientation" });
}

export function referralConfirmation(page: Page): Locator {
  return page.getByRole('region', { name: 'Orientation envoyée' });
}

/** The error summary of the form on the page (role=alert). */
export function errorSummary(page: Page): Locator {
  return page.locator('#error-summary');
}

/** The messages listed in the error summary, in order. */
export async function readErrorSummary(page: Page): Promise<string[]> {
  return (await errorSummary(page).locator('li').allTextContents()).map((text) => text.trim());
}

/** The id of the focused element, or its tag name when it has none. */
export async function focusedId(page: Page): Promise<string> {
  return await page.evaluate(() => document.activeElement?.id || document.activeElement?.tagName || '');
}

export interface DecisionInput {
  outcome: 'accepted' | 'refused' | 'waitlisted';
  /** The refusal reason as listed (label text, without the "non communiqué" note). */
  reasonLabel?: string;
  messageToPrescriber?: string;
  messageToYoungPerson?: string;
}

const outcomeLabels = {
  accepted: "Accepter l'orientation",
  refused: "Refuser l'orientation",
  waitlisted: "Mettre sur liste d'attente",
} as const;

/** Fills and submits the decision form of /equipe/decisions/{approvalId}. */
export async function decide(page: Page, input: DecisionInput): Promise<void> {
  await page.getByRole('radio', { name: outcomeLabels[input.outcome], exact: true }).check();
  if (input.reasonLabel) {
    const select = page.getByLabel(/^Motif du refus/);
    const option = select.locator('option', { hasText: input.reasonLabel });
    await select.selectOption(await option.getAttribute('value'));
  }
  if (input.messageToPrescriber) await page.getByLabel(/^Message au prescripteur/).fill(input.messageToPrescriber);
  if (input.messageToYoungPerson) await page.getByLabel(/^Message au jeune/).fill(input.messageToYoungPerson);
  await page.getByRole('button', { name: 'Enregistrer la décision' }).click();
}

/** The cards of the staff inbox, one per pending referral. */
export function inboxCards(page: Page): Locator {
  return page.locator('#inbox li.card');
}

/** True when the page is wider than the viewport (horizontal scrolling on a phone). */
export async function hasHorizontalScroll(page: Page): Promise<boolean> {
  return await page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth);
}

/** Fills price line `index` of the launch file on /mon-activite through its labels (the price in euros, as typed). */
export async function fillPriceLine(page: Page, index: number, line: { label: string; unit: string; price: string; service: string }): Promise<void> {
  const item = page.locator('#lignes-prix > li').nth(index);
  await item.getByLabel(/^Ce que le client achète/).fill(line.label);
  await item.getByLabel(/^Unité/).selectOption(line.unit);
  await item.getByLabel(/^Prix hors taxes/).fill(line.price);
  await item.getByLabel(/^Service/).selectOption(line.service);
}
