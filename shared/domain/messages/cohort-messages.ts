/**
 * The message of a CJS cohort (issue 10), merged into the catalogue: a young person placed in a cohort learns its
 * name, dates and towns; a minor's guardian too (the summer's work is theirs to organise as well).
 */
export const COHORT_MESSAGE_KINDS = ['cohort-placed'] as const;

export interface CohortMessageVars {
  youngFirstName: string;
  programmeLabel: string;
  reference: string;
  cohortName: string;
  /** "du 6 juillet au 28 août 2026". */
  cohortDates: string;
  /** "Lens, Liévin et Avion". */
  cohortTowns: string;
}
interface GuardianVars extends CohortMessageVars {
  guardianName: string;
}

const ref = (v: CohortMessageVars) => `Référence : ${v.reference}`;

/** The templates, with the catalogue's signature. */
export function cohortTemplates(signature: string) {
  return {
    'cohort-placed': {
      young: {
        mandatory: false,
        email: (v: CohortMessageVars) => ({
          subject: `Votre cohorte CJS : ${v.cohortName}`,
          body: `Bonjour ${v.youngFirstName},\n\nVous êtes inscrit(e) dans la cohorte « ${v.cohortName} » du programme « ${v.programmeLabel} », ${v.cohortDates}, à ${v.cohortTowns}.\nAvec les autres membres de la cohorte, vous créerez et ferez vivre une entreprise collective : l'équipe vous présentera les rôles de chacun au premier jour.\n\n${ref(v)}${signature}`,
        }),
        sms: (v: Pick<CohortMessageVars, 'youngFirstName' | 'cohortDates'>) => `CoopConnexion : ${v.youngFirstName}, votre place est réservée dans votre cohorte CJS, ${v.cohortDates}. Le détail est dans votre e-mail.`,
      },
      guardian: {
        mandatory: false,
        email: (v: GuardianVars) => ({
          subject: `Cohorte CJS de ${v.youngFirstName} : ${v.cohortName}`,
          body: `Bonjour ${v.guardianName},\n\n${v.youngFirstName} est inscrit(e) dans la cohorte « ${v.cohortName} » de la Coopérative Jeunesse de Services, ${v.cohortDates}, à ${v.cohortTowns}.\n\n${ref(v)}${signature}`,
        }),
      },
    },
  } as const;
}
