/** Refusal reasons come from this fixed list; `shownToYoungPerson` says whether the young person is told the reason. */
export const REFUSAL_REASONS = [
  { code: 'age', label: "Âge hors des conditions du programme", shownToYoungPerson: true },
  { code: 'territory', label: 'Domicile hors du territoire de la coopérative', shownToYoungPerson: true },
  { code: 'programme-full', label: 'Programme complet pour la période', shownToYoungPerson: true },
  { code: 'better-elsewhere', label: 'Orientation vers un autre dispositif plus adapté', shownToYoungPerson: true },
  { code: 'project-not-ready', label: 'Projet à mûrir avant un accompagnement', shownToYoungPerson: true },
  { code: 'no-contact', label: 'Jeune injoignable', shownToYoungPerson: false },
  { code: 'duplicate', label: 'Doublon d\'une orientation déjà traitée', shownToYoungPerson: false },
  { code: 'other', label: 'Autre motif (précisé dans le message)', shownToYoungPerson: false },
] as const;

export type RefusalReasonCode = (typeof REFUSAL_REASONS)[number]['code'];
export const REFUSAL_REASON_CODES = REFUSAL_REASONS.map((r) => r.code) as [RefusalReasonCode, ...RefusalReasonCode[]];

export function refusalReason(code: string) {
  return REFUSAL_REASONS.find((r) => r.code === code);
}
