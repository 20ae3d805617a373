import { describe, expect, it } from 'vitest';
import { formatInvoiceNumber, numberingYear, parseInvoiceNumber } from '../../shared/domain/invoicing/numbers.js';

describe('invoice numbers are YYYY-NNNNNN, one sequence per year', () => {
  it('formats and parses a number', () => {
    expect(formatInvoiceNumber('2027', 123)).toBe('2027-000123');
    expect(formatInvoiceNumber('2027', 999_999)).toBe('2027-999999');
    expect(parseInvoiceNumber('2027-000123')).toEqual({ year: '2027', sequence: 123 });
    expect(parseInvoiceNumber(formatInvoiceNumber('2031', 1))).toEqual({ year: '2031', sequence: 1 });
  });

  it('refuses what is not a number of the sequence', () => {
    for (const bad of ['2027-000000', '2027-12345', '27-000001', '2027-0000001', '2027/000001', '']) expect(parseInvoiceNumber(bad)).toBeUndefined();
    expect(() => formatInvoiceNumber('2027', 0)).toThrow(RangeError);
    expect(() => formatInvoiceNumber('2027', 1_000_000)).toThrow(RangeError);
    expect(() => formatInvoiceNumber('2027', 1.5)).toThrow(RangeError);
    expect(() => formatInvoiceNumber('27', 1)).toThrow(RangeError);
  });

  it("takes the issue date's year", () => {
    expect(numberingYear('2027-12-31')).toBe('2027');
    expect(numberingYear('2028-01-01')).toBe('2028');
  });
});
