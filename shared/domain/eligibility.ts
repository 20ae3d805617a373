import { AGE_OF_MAJORITY, PROGRAMME_RULES, TERRITORY_DEPARTEMENTS, defaultProgrammeStart, type Programme } from './programmes.js';
import { ageOn, formatFrenchDate } from './time.js';

export interface EligibilityInput {
  programme: Programme;
  birthDate: string;
  postalCode: string;
  qpv: boolean;
  situation: 'demandeur-emploi' | 'etudiant' | 'autre';
  hasGuardian: boolean;
  referredOn: string;
  programmeStartDate?: string;
}

export interface Eligibility {
  eligible: boolean;
  ageAtStart: number;
  programmeStartDate: string;
  /** Sentences for staff, in French: why the person is or is not eligible, and what to check. */
  explanation: string[];
}

/**
 * Eligibility of a young person for a programme, explained for the staff who decide.
 * Blocking rules: age at the programme's start, territory, a guardian for a minor.
 * Advisory notes (the decision stays with staff): QPV for the CJS, a situation other than job seeker or student.
 * @example checkEligibility({ programme: 'cjs', birthDate: '2009-05-01', ... }).eligible
 */
export function checkEligibility(input: EligibilityInput): Eligibility {
  const rules = PROGRAMME_RULES[input.programme];
  const programmeStartDate = input.programmeStartDate ?? defaultProgrammeStart(input.programme, input.referredOn);
  const ageAtStart = ageOn(input.birthDate, programmeStartDate);
  const ageNow = ageOn(input.birthDate, input.referredOn);
  const explanation: string[] = [];
  let eligible = true;

  const startLabel = formatFrenchDate(programmeStartDate);
  if (ageAtStart < rules.minAge || ageAtStart > rules.maxAge) {
    eligible = false;
    explanation.push(
      `Âge : ${ageAtStart} ans au début du programme (${startLabel}), hors de la tranche ${rules.minAge}-${rules.maxAge} ans du programme « ${rules.label} ».`,
    );
  } else {
    explanation.push(`Âge : ${ageAtStart} ans au début du programme (${startLabel}), dans la tranche ${rules.minAge}-${rules.maxAge} ans.`);
  }

  const departement = input.postalCode.slice(0, 2);
  if ((TERRITORY_DEPARTEMENTS as readonly string[]).includes(departement)) {
    explanation.push(`Territoire : code postal ${input.postalCode}, dans le territoire de la coopérative (Pas-de-Calais, Nord).`);
  } else {
    eligible = false;
    explanation.push(`Territoire : code postal ${input.postalCode}, hors du territoire de la coopérative (Pas-de-Calais, Nord).`);
  }

  if (ageNow < AGE_OF_MAJORITY) {
    if (input.hasGuardian) {
      explanation.push(`Mineur (${ageNow} ans) : le représentant légal est renseigné ; son autorisation sera recueillie à l'accueil.`);
    } else {
      eligible = false;
      explanation.push(`Mineur (${ageNow} ans) : le représentant légal doit être renseigné.`);
    }
  }

  if (rules.qpvExpected && !input.qpv) {
    explanation.push('À vérifier : la CJS est destinée en priorité aux jeunes des quartiers prioritaires (QPV) ; la personne n\'en déclare pas.');
  }
  if (input.situation === 'autre') {
    explanation.push('À vérifier : la situation déclarée n\'est ni demandeur d\'emploi ni étudiant.');
  }
  return { eligible, ageAtStart, programmeStartDate, explanation };
}
