import * as z from 'zod/mini';
import { PROGRAMME_RULES, type Programme } from './programmes.js';
import { formatFrenchDate, formatParisDateTime } from './time.js';

/**
 * The contract a young person signs at the end of onboarding, one kind per programme:
 * - individual accompaniment: a CAPE, contrat d'appui au projet d'entreprise (Code de commerce, art. L127-1 et s.);
 * - CJS: the membership agreement of the Coopérative Jeunesse de Services, with the guardian's authorisation;
 * - Coopérative Jeunes Majeurs: its membership agreement.
 * It is generated from the stored data (shared/contracts/pdf.ts), read and accepted by the young person (the SHA-256
 * of the exact PDF), then countersigned by staff.
 */

/** The cooperative as it names itself in its contracts. */
export const COOPERATIVE = {
  name: 'CoopConnexion',
  legalForm: "société coopérative d'activités du bassin minier",
  seat: 'Lens (Pas-de-Calais)',
  representedBy: 'sa direction, ou un membre de son équipe permanente qu’elle a désigné',
} as const;

export const CONTRACT_TYPES = {
  accompagnement: {
    title: "Contrat d'appui au projet d'entreprise (CAPE)",
    legalBasis: 'Articles L127-1 à L127-7 et R127-1 et suivants du Code de commerce',
    months: 12,
  },
  cjs: {
    title: "Convention d'adhésion à la Coopérative Jeunesse de Services",
    legalBasis: 'Convention de participation à une activité collective de jeunes, avec autorisation du représentant légal',
    months: undefined,
  },
  'jeunes-majeurs': {
    title: "Convention d'adhésion à la Coopérative Jeunes Majeurs",
    legalBasis: 'Convention de participation à la Coopérative Jeunes Majeurs',
    months: 12,
  },
} as const satisfies Record<Programme, { title: string; legalBasis: string; months: number | undefined }>;

/**
 * A CAPE lasts at most 12 months (renewable twice, L127-2) and so does the Jeunes Majeurs agreement; the CJS runs
 * one summer, until 31 August. A contract never starts before the day it is written: the accompaniment's start is
 * the referral's day, long past when the contract comes.
 * @example contractPeriod('cjs', '2026-07-01', '2026-06-12') // { startDate: '2026-07-01', endDate: '2026-08-31' }
 * @example contractPeriod('accompagnement', '2026-03-02', '2026-04-15') // { startDate: '2026-04-15', endDate: '2027-04-14' }
 */
export function contractPeriod(programme: Programme, programmeStartDate: string, today: string): { startDate: string; endDate: string } {
  const startDate = programmeStartDate > today ? programmeStartDate : today;
  const months = CONTRACT_TYPES[programme].months;
  if (months === undefined) return { startDate, endDate: `${startDate.slice(0, 4)}-08-31` };
  return { startDate, endDate: dayBefore(addMonths(startDate, months)) };
}

/** The same day `months` later, or the month's last day when it has no such day (31 January + 1 month = 28/29 February). */
function addMonths(isoDate: string, months: number): string {
  const [y, m, d] = isoDate.split('-').map(Number);
  const target = new Date(Date.UTC(y, m - 1 + months, 1));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(d, lastDay));
  return target.toISOString().slice(0, 10);
}

function dayBefore(isoDate: string): string {
  return new Date(Date.parse(`${isoDate}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
}

/** Everything a contract says, read from the stored data when it is prepared and kept with it (the final PDF re-renders it). */
export interface ContractData {
  referralId: string;
  /** The referral's reference (ORI-…), quoted on every page. */
  reference: string;
  version: number;
  programme: Programme;
  youngPerson: { firstName: string; lastName: string; birthDate: string; address?: string; postalCode: string; town: string };
  /** A minor's legal guardian, who signs with them. */
  guardian?: { firstName: string; lastName: string; relationship: string };
  /** The guardian's consent, as recorded on their page (a minor only). */
  consent?: { at: string; signerName: string; relationship: string; imageRights: boolean };
  startDate: string;
  endDate: string;
  /** When the contract was generated (ISO instant): the PDF's creation date. */
  generatedAt: string;
}

/** The young person's acceptance of the exact PDF, and the staff's countersignature: printed on the final PDF. */
export interface ContractAcceptance {
  at: string;
  sha256: string;
}
export interface ContractCountersignature {
  at: string;
  staffName: string;
}

export interface Clause {
  title: string;
  text: string;
}

const fullName = (p: { firstName: string; lastName: string }) => `${p.firstName} ${p.lastName}`;

/** The parties as printed at the head of the contract. */
export function contractParties(data: ContractData): string[] {
  const young = data.youngPerson;
  const address = [young.address, `${young.postalCode} ${young.town}`].filter(Boolean).join(', ');
  const parties = [
    `${COOPERATIVE.name}, ${COOPERATIVE.legalForm}, dont le siège est à ${COOPERATIVE.seat}, représentée par ${COOPERATIVE.representedBy}, ci-après « la coopérative » ;`,
    `${fullName(young)}, né(e) le ${formatFrenchDate(young.birthDate)}, demeurant ${address}, ci-après « ${data.programme === 'accompagnement' ? 'le bénéficiaire' : 'le membre'} » ;`,
  ];
  if (data.guardian) {
    parties.push(`${fullName(data.guardian)}, ${data.guardian.relationship}, représentant légal de ${young.firstName}, qui signe avec lui ou elle.`);
  }
  return parties;
}

/** The obligations of the parties, in a few clauses, by programme. */
export function contractClauses(data: ContractData): Clause[] {
  const period = `du ${formatFrenchDate(data.startDate)} au ${formatFrenchDate(data.endDate)} inclus`;
  const personalData: Clause = {
    title: 'Données personnelles',
    text: `La coopérative traite les données nécessaires au suivi du parcours (identité, coordonnées, pièces justificatives, activité). Elles ne sont accessibles qu'à son équipe et à la structure qui a orienté ${data.youngPerson.firstName}, et sont anonymisées après deux ans sans activité. Chacun peut y accéder, les faire rectifier ou s'opposer à leur traitement en écrivant à la coopérative.`,
  };
  if (data.programme === 'accompagnement') {
    return [
      {
        title: 'Objet',
        text: `La coopérative s'engage à fournir au bénéficiaire une aide particulière et continue pour préparer la création et la gestion de son activité économique : accompagnement individuel et collectif, moyens administratifs, comptables et fiscaux. Le bénéficiaire s'engage à suivre ce programme de préparation (${CONTRACT_TYPES.accompagnement.legalBasis}).`,
      },
      { title: 'Durée', text: `Le contrat est conclu ${period}. Il peut être renouvelé deux fois au plus, par avenant.` },
      {
        title: 'Engagements de la coopérative',
        text: "Elle tient la comptabilité de l'activité, établit et encaisse les factures au nom de la coopérative, reverse au bénéficiaire le produit de son activité après sa contribution, et le reçoit en entretien au moins une fois par mois.",
      },
      {
        title: 'Engagements du bénéficiaire',
        text: "Il ou elle participe aux rendez-vous individuels et aux ateliers collectifs, déclare chaque mois son activité, ne s'engage auprès de clients qu'au nom de la coopérative et dans le cadre convenu, et signale tout changement de situation.",
      },
      {
        title: 'Statut',
        text: "Le contrat ne vaut pas contrat de travail. Il peut être rompu par chacune des parties par lettre remise contre récépissé, avec un préavis de quinze jours, ou sans préavis en cas de manquement grave.",
      },
      personalData,
    ];
  }
  if (data.programme === 'cjs') {
    const consent = data.consent
      ? `${data.consent.signerName} (${data.consent.relationship}) a donné son autorisation le ${formatParisDateTime(data.consent.at)}. Droit à l'image : ${data.consent.imageRights ? 'accordé' : 'refusé'}.`
      : "L'autorisation du représentant légal est requise avant toute participation.";
    return [
      {
        title: 'Objet',
        text: `Le membre rejoint la Coopérative Jeunesse de Services de l'été ${data.startDate.slice(0, 4)} : avec les autres membres de la cohorte, il ou elle crée et fait fonctionner une entreprise collective qui vend des services (entretien d'espaces verts, petits travaux, aide aux déménagements, médiation…).`,
      },
      { title: 'Durée', text: `La convention vaut ${period}.` },
      {
        title: 'Fonctionnement collectif',
        text: "Les décisions se prennent en assemblée, selon le principe une personne, une voix. Le groupe décide du partage des revenus de l'entreprise entre ses membres. Des animateurs de la coopérative encadrent chaque activité.",
      },
      {
        title: 'Engagements du membre',
        text: "Il ou elle participe aux réunions et aux activités prévues, respecte les consignes de sécurité et les clients, et prévient les animateurs de toute absence.",
      },
      {
        title: 'Engagements de la coopérative',
        text: "Elle assure l'encadrement, l'assurance des activités, la facturation aux clients et le versement à chaque membre de la part décidée par le groupe.",
      },
      { title: 'Autorisation du représentant légal', text: consent },
      personalData,
    ];
  }
  return [
    {
      title: 'Objet',
      text: "Le membre rejoint la Coopérative Jeunes Majeurs : il ou elle y développe un projet personnel avec l'accompagnement de la coopérative, et participe en parallèle à une activité collective avec les autres membres.",
    },
    { title: 'Durée', text: `La convention vaut ${period}, pour une durée de six à douze mois selon le projet.` },
    {
      title: 'Engagements du membre',
      text: "Il ou elle participe aux temps collectifs et aux rendez-vous de suivi, déclare chaque mois son activité, et prend part aux décisions de la coopérative selon le principe une personne, une voix.",
    },
    {
      title: 'Engagements de la coopérative',
      text: "Elle accompagne le projet personnel, organise l'activité collective, assure la facturation et la comptabilité, et reverse au membre le produit de son activité après sa contribution.",
    },
    { title: 'Fin de la convention', text: "Chaque partie peut y mettre fin par écrit avec un préavis de quinze jours." },
    personalData,
  ];
}

/** The lines the final PDF adds: the young person's acceptance and the staff's countersignature. */
export function signatureLines(data: ContractData, acceptance: ContractAcceptance | undefined, countersignature: ContractCountersignature | undefined): string[] {
  const lines: string[] = [];
  if (acceptance) {
    lines.push(`Accepté en ligne par ${fullName(data.youngPerson)} le ${formatParisDateTime(acceptance.at)} (heure de Paris).`);
    lines.push(`Empreinte SHA-256 du contrat accepté : ${acceptance.sha256}`);
  }
  if (countersignature) lines.push(`Contresigné pour la coopérative par ${countersignature.staffName} le ${formatParisDateTime(countersignature.at)} (heure de Paris).`);
  return lines;
}

export const programmeTitle = (programme: Programme) => PROGRAMME_RULES[programme].label;

/**
 * Why no contract can be prepared yet, in French, or an empty list: every required document accepted and, for a
 * minor, the guardian's consent given.
 * @example contractBlockers({ minor: true, required: ['identity'], accepted: ['identity'], consent: 'refused' }) // ["Le représentant légal a refusé son accord."]
 */
export function contractBlockers(input: { minor: boolean; required: readonly string[]; accepted: readonly string[]; consent?: 'consented' | 'refused' }): string[] {
  const blockers: string[] = [];
  const missing = input.required.filter((docType) => !input.accepted.includes(docType));
  if (missing.length) blockers.push(`Pièces justificatives non acceptées : ${missing.join(', ')}.`);
  if (input.minor && input.consent !== 'consented') {
    blockers.push(input.consent === 'refused' ? 'Le représentant légal a refusé son accord.' : "L'accord du représentant légal n'a pas encore été donné.");
  }
  return blockers;
}

/** `prepared` until the young person accepts it, then `accepted`, then `countersigned`; a newer version `supersedes` it. */
export const CONTRACT_STATUSES = ['prepared', 'accepted', 'countersigned', 'superseded'] as const;
export type ContractStatus = (typeof CONTRACT_STATUSES)[number];
export const CONTRACT_STATUS_LABELS: Record<ContractStatus, string> = {
  prepared: 'À lire et accepter',
  accepted: "Accepté, en attente de la contresignature de l'équipe",
  countersigned: 'Signé par les deux parties',
  superseded: 'Remplacé par une version plus récente',
};

const SHA256_MESSAGE = "L'empreinte du contrat doit être une empreinte SHA-256 (64 caractères hexadécimaux).";

/** What the young person sends to accept the contract they read: the SHA-256 of the PDF they downloaded. */
export const contractAcceptanceSchema = z.strictObject(
  { sha256: z.string({ error: (issue) => (issue.input === undefined ? 'Ce champ est obligatoire.' : SHA256_MESSAGE) }).check(z.regex(/^[0-9a-f]{64}$/, SHA256_MESSAGE)) },
  'Le contenu doit être un objet JSON.',
);

/** The file name a contract downloads under. */
export function contractFileName(data: Pick<ContractData, 'reference' | 'version'>, final: boolean): string {
  return `contrat-${data.reference.toLowerCase()}-v${data.version}${final ? '-signe' : ''}.pdf`;
}
