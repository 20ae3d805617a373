import { contributionProblem, type ContributionRates, type LaunchFile, type ServiceKind, type StaffLaunchFile } from './activities.js';
import { InvalidInputError, type FieldError } from './errors.js';
import type { Programme } from './programmes.js';

/**
 * A launch file against the catalogue and the programme, before anything is written: a kind of service that does
 * not exist or is retired, a kind closed to minors for a minor (or for the CJS), a contribution rate outside the
 * programme's bounds. Bad input (400, field by field), unlike the launch checks that a draft may still fail.
 */
export function checkLaunchFileInput(input: {
  file: LaunchFile | StaffLaunchFile;
  programme: Programme;
  catalogue: readonly ServiceKind[];
  rates: ContributionRates;
  /** The young person is a minor at the activity's start, or the programme offers only services open to minors. */
  minorsOnly: boolean;
}): void {
  const { file, catalogue } = input;
  const kinds = new Map(catalogue.filter((kind) => kind.active).map((kind) => [kind.code, kind]));
  const errors: FieldError[] = [];
  file.serviceKinds.forEach((code, i) => {
    const kind = kinds.get(code);
    if (!kind) errors.push({ field: `serviceKinds.${i}`, message: `Service inconnu : choisissez un service du catalogue.` });
    else if (input.minorsOnly && !kind.openToMinors) errors.push({ field: `serviceKinds.${i}`, message: `Le service « ${kind.label} » est fermé aux mineurs (${kind.minorsClosedReason ?? 'réservé aux majeurs'}).` });
  });
  file.priceLines.forEach((line, i) => {
    if (!kinds.has(line.serviceKind)) errors.push({ field: `priceLines.${i}.serviceKind`, message: 'Service inconnu : choisissez un service du catalogue.' });
  });
  if ('contributionRateBps' in file && file.contributionRateBps !== undefined) {
    const problem = contributionProblem(input.programme, file.contributionRateBps, input.rates);
    if (problem) errors.push({ field: 'contributionRateBps', message: problem });
  }
  if (errors.length > 0) throw new InvalidInputError('Le dossier de lancement contient des erreurs.', errors);
}
