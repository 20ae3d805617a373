import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isGsm7, smsSegments, toGsm7 } from '../../shared/domain/messages/sms-text.js';

describe('toGsm7', () => {
  it('strips accents and maps French typography', () => {
    expect(toGsm7('Zoé Lefèvre, Noël, ça, À bientôt')).toBe('Zoe Lefevre, Noel, ca, A bientot');
    expect(toGsm7('« Coopérative »')).toBe('"Cooperative"');
    expect(toGsm7('l’œuvre “cœur” — 2–3…')).toBe('l\'oeuvre "coeur" - 2-3...');
    expect(toGsm7('10\u00a0h\u202f30')).toBe('10 h 30');
    expect(toGsm7('ÉLÈVE Ç Œ')).toBe('ELEVE C OE');
  });

  it('keeps the extension table and replaces what is left with "?"', () => {
    expect(toGsm7('5 € [a] {b} ~ ^ | \\')).toBe('5 € [a] {b} ~ ^ | \\');
    expect(toGsm7('Ali 😀 محمد')).toBe('Ali ? ????');
    expect(toGsm7('Łukasz')).toBe('?ukasz');
  });

  it('always returns GSM-7 text, and is idempotent', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }), (graphemes, anything) => {
        for (const text of [graphemes, anything]) {
          const converted = toGsm7(text);
          expect([...converted].every(isGsm7)).toBe(true);
          expect(smsSegments(converted).encoding).toBe('GSM-7');
          expect(toGsm7(converted)).toBe(converted);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('leaves GSM-7 text without accents unchanged', () => {
    const plain = fc.string({ unit: fc.constantFrom(...'abcXYZ019 .,;:!?\'"()-_@£$&%\n€[]{}') });
    fc.assert(fc.property(plain, (text) => toGsm7(text) === text));
  });
});

describe('smsSegments', () => {
  it('counts GSM-7 in 160 then 153 septets', () => {
    expect(smsSegments('')).toEqual({ encoding: 'GSM-7', characters: 0, segments: 1 });
    expect(smsSegments('a'.repeat(160))).toEqual({ encoding: 'GSM-7', characters: 160, segments: 1 });
    expect(smsSegments('a'.repeat(161))).toEqual({ encoding: 'GSM-7', characters: 161, segments: 2 });
    expect(smsSegments('a'.repeat(306))).toEqual({ encoding: 'GSM-7', characters: 306, segments: 2 });
    expect(smsSegments('a'.repeat(307))).toEqual({ encoding: 'GSM-7', characters: 307, segments: 3 });
  });

  it('counts an extension character as two septets, never split across segments', () => {
    expect(smsSegments('€'.repeat(80))).toEqual({ encoding: 'GSM-7', characters: 160, segments: 1 });
    expect(smsSegments(`${'a'.repeat(159)}€`)).toEqual({ encoding: 'GSM-7', characters: 161, segments: 2 });
    // 152 septets then an escape pair: the pair moves whole to the second segment.
    expect(smsSegments(`${'a'.repeat(152)}€${'a'.repeat(152)}`).segments).toBe(3);
    expect(smsSegments(`${'a'.repeat(151)}€${'a'.repeat(153)}`).segments).toBe(2);
  });

  it('counts UCS-2 in 70 then 67 code units', () => {
    expect(smsSegments('ç'.repeat(70))).toEqual({ encoding: 'UCS-2', characters: 70, segments: 1 });
    expect(smsSegments('ç'.repeat(71))).toEqual({ encoding: 'UCS-2', characters: 71, segments: 2 });
    expect(smsSegments('ç'.repeat(134))).toEqual({ encoding: 'UCS-2', characters: 134, segments: 2 });
    expect(smsSegments('ç'.repeat(135))).toEqual({ encoding: 'UCS-2', characters: 135, segments: 3 });
    // An emoji is a surrogate pair: two code units, kept in one segment.
    expect(smsSegments('😀')).toEqual({ encoding: 'UCS-2', characters: 2, segments: 1 });
    expect(smsSegments(`${'ç'.repeat(66)}😀${'ç'.repeat(10)}`).segments).toBe(2);
    expect(smsSegments(`${'ç'.repeat(66)}😀${'ç'.repeat(66)}`).segments).toBe(3);
  });

  it('counts the accented letters of the GSM alphabet without switching to UCS-2', () => {
    expect(smsSegments('é à è ù ì ò Ä Ö Ñ Ü').encoding).toBe('GSM-7');
    expect(smsSegments('ç').encoding).toBe('UCS-2');
  });
});
