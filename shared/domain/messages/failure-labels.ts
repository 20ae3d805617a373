// A provider's failure codes in words for staff (SES bounce types, End User Messaging SMS statuses).

const SMS_FAILURE_LABELS: Record<string, string> = {
  UNREACHABLE: 'Numéro injoignable',
  CARRIER_UNREACHABLE: "Réseau de l'opérateur injoignable",
  INVALID: 'Numéro invalide',
  INVALID_MESSAGE: 'Message refusé par le réseau',
  BLOCKED: 'Bloqué',
  CARRIER_BLOCKED: "Bloqué par l'opérateur",
  SPAM: 'Considéré comme indésirable',
  TTL_EXPIRED: 'Téléphone éteint ou hors réseau trop longtemps',
  UNKNOWN: 'Échec sans précision',
};

/**
 * A provider's failure code in words for staff.
 * @example failureLabel('Permanent/General') // 'Adresse rejetée définitivement'
 */
export function failureLabel(reason: string | undefined): string | undefined {
  if (!reason) return undefined;
  if (reason === 'Permanent/NoEmail') return 'Adresse inexistante';
  if (reason === 'Permanent/Suppressed') return "Adresse sur la liste d'exclusion d'Amazon SES (rejets passés)";
  if (reason.startsWith('Permanent')) return 'Adresse rejetée définitivement';
  if (reason.startsWith('Transient')) return 'Échec temporaire (boîte pleine, serveur indisponible…)';
  if (reason === 'Rejected') return 'Refusé par Amazon SES';
  return SMS_FAILURE_LABELS[reason] ?? reason;
}
