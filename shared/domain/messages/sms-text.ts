/**
 * SMS text in the GSM 03.38 alphabet, and how many segments a text costs.
 * One character outside that alphabet switches the whole message to UCS-2 (70 characters a segment instead of 160),
 * which doubles or triples the price of a French text: messages are converted before they are stored in the outbox.
 */

/** The GSM 03.38 basic character set (the escape code 0x1B excepted), in Unicode. */
const GSM7_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
/** The extension table: each of these is sent as an escape plus a character, so it counts 2. */
const GSM7_EXTENSION = new Set('\f^{}\\[~]|€');

/** Typography French texts use, replaced by what a phone shows the same way in GSM-7. */
const TYPOGRAPHY: ReadonlyArray<[RegExp, string]> = [
  // French quotes carry (non-breaking) spaces inside: « programme » becomes "programme".
  [/«[ \u00a0\u202f]*/g, '"'],
  [/[ \u00a0\u202f]*»/g, '"'],
  [/[‘’‚‛′`´]/g, "'"],
  [/[“”„‟″]/g, '"'],
  [/[‐‑‒–—―−]/g, '-'],
  [/•/g, '-'],
  [/œ/g, 'oe'],
  [/Œ/g, 'OE'],
  [/[\t\u00a0\u2000-\u200a\u202f\u205f\u3000]/g, ' '],
  [/[\u200b-\u200d\u2060\ufeff]/g, ''],
];

export function isGsm7(character: string): boolean {
  return GSM7_BASIC.has(character) || GSM7_EXTENSION.has(character);
}

/**
 * The text in the GSM-7 alphabet: typography mapped, accents removed (all of them, including the few the
 * alphabet has, so that a name reads the same in every message), any other character replaced by '?'.
 */
export function toGsm7(text: string): string {
  const typeset = TYPOGRAPHY.reduce((current, [pattern, replacement]) => current.replace(pattern, replacement), text);
  const unaccented = typeset.normalize('NFKD').replace(/\p{M}/gu, '');
  let result = '';
  for (const character of unaccented) result += isGsm7(character) ? character : '?';
  return result;
}

export interface SmsSegments {
  encoding: 'GSM-7' | 'UCS-2';
  /** Septets in GSM-7 (an extension character counts 2), UTF-16 code units in UCS-2. */
  characters: number;
  segments: number;
}

/**
 * The encoding and number of segments a provider bills for a text: 160 septets in one segment, 153 a segment
 * when concatenated (70 and 67 in UCS-2). An escape pair or a surrogate pair is never split across two segments.
 */
export function smsSegments(text: string): SmsSegments {
  const characters = [...text];
  if (characters.every(isGsm7)) {
    return { encoding: 'GSM-7', ...countSegments(characters.map((c) => (GSM7_EXTENSION.has(c) ? 2 : 1)), 160, 153) };
  }
  return { encoding: 'UCS-2', ...countSegments(characters.map((c) => c.length), 70, 67) };
}

function countSegments(units: number[], single: number, concatenated: number): { characters: number; segments: number } {
  const characters = units.reduce((sum, n) => sum + n, 0);
  if (characters <= single) return { characters, segments: 1 };
  let segments = 1;
  let used = 0;
  for (const n of units) {
    if (used + n > concatenated) {
      segments += 1;
      used = 0;
    }
    used += n;
  }
  return { characters, segments };
}
