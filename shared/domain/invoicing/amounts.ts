/**
 * Invoice amounts, in integer cents only: a line's net amount is rounded once, on the line (the way an accountant
 * checks it: quantity x unit price), and VAT is computed on each rate's total base, not line by line (EN 16931
 * BR-CO-17: the VAT of a category is its taxable amount x its rate, rounded to the cent). Under the VAT franchise
 * (article 293 B du CGI) no VAT exists: one group of category E at rate 0 with no VAT.
 */

export type VatMode = 'franchise' | 'vat';

/** What every document of the cooperative says under the franchise, instead of any VAT. */
export const FRANCHISE_MENTION = 'TVA non applicable, article 293 B du CGI';

/** EN 16931 VAT category codes the invoices use: S standard rate, Z zero rate, E exempt (the franchise). */
export type VatCategory = 'S' | 'Z' | 'E';

export interface AmountLine {
  /** Hundredths of a unit: 150 = 1,5. */
  quantityHundredths: number;
  unitPriceCents: number;
  /** Basis points (2000 = 20 %); null: no VAT, which only the franchise allows. */
  vatRateBps: number | null;
}

export interface VatGroup {
  category: VatCategory;
  /** The rate in basis points; 0 for categories Z and E. */
  vatRateBps: number;
  baseCents: number;
  vatCents: number;
}

export interface InvoiceTotals {
  /** Each line's net amount, in the order of the lines. */
  lines: Array<{ netCents: number }>;
  /** One group per VAT rate (category), highest rate first. */
  perRate: VatGroup[];
  netCents: number;
  vatCents: number;
  grossCents: number;
}

/**
 * `numerator / denominator` rounded half away from zero (half up for the positive amounts of invoices), in integers:
 * no floating-point step can turn 0,5 into 0,4999.
 * @example divideRoundHalfUp(12345, 100) // 123 ; divideRoundHalfUp(12350, 100) // 124
 */
export function divideRoundHalfUp(numerator: number, denominator: number): number {
  if (!Number.isSafeInteger(numerator) || !Number.isSafeInteger(denominator) || denominator <= 0 || !Number.isSafeInteger(2 * numerator)) {
    throw new RangeError(`divideRoundHalfUp needs safe integers and a positive denominator (got ${numerator} / ${denominator})`);
  }
  const sign = numerator < 0 ? -1 : 1;
  const quotient = Math.floor((2 * Math.abs(numerator) + denominator) / (2 * denominator));
  return sign * quotient;
}

/**
 * A line's net amount excluding VAT: quantity (hundredths) x unit price (cents) / 100, rounded half up to the cent.
 * @example lineNetCents(150, 1999) // 2999 (1,5 x 19,99 € = 29,985 €)
 */
export function lineNetCents(quantityHundredths: number, unitPriceCents: number): number {
  if (!Number.isSafeInteger(quantityHundredths) || !Number.isSafeInteger(unitPriceCents)) {
    throw new RangeError('quantityHundredths and unitPriceCents must be integers');
  }
  return divideRoundHalfUp(quantityHundredths * unitPriceCents, 100);
}

/** The VAT of a base at a rate in basis points, rounded half up to the cent. */
export function vatCents(baseCents: number, vatRateBps: number): number {
  return divideRoundHalfUp(baseCents * vatRateBps, 10_000);
}

/**
 * The totals of an invoice (or a credit note): lines rounded one by one, then per rate the base and its VAT.
 * Under `vat` every line must carry a rate; under `franchise` the rates are ignored and no VAT is charged.
 * @example invoiceTotals([{ quantityHundredths: 100, unitPriceCents: 1000, vatRateBps: 2000 }], 'vat').grossCents // 1200
 */
export function invoiceTotals(lines: readonly AmountLine[], vatMode: VatMode): InvoiceTotals {
  const nets = lines.map((line) => lineNetCents(line.quantityHundredths, line.unitPriceCents));
  const groups = new Map<string, VatGroup>();
  lines.forEach((line, index) => {
    const { category, rate } = lineCategory(line, vatMode);
    const key = `${category}${rate}`;
    const group = groups.get(key) ?? { category, vatRateBps: rate, baseCents: 0, vatCents: 0 };
    group.baseCents += nets[index];
    groups.set(key, group);
  });
  const perRate = [...groups.values()]
    .map((group) => ({ ...group, vatCents: group.category === 'S' ? vatCents(group.baseCents, group.vatRateBps) : 0 }))
    .sort((a, b) => b.vatRateBps - a.vatRateBps || a.category.localeCompare(b.category));
  const netCents = nets.reduce((sum, net) => sum + net, 0);
  const vat = perRate.reduce((sum, group) => sum + group.vatCents, 0);
  return { lines: nets.map((netCents) => ({ netCents })), perRate, netCents, vatCents: vat, grossCents: netCents + vat };
}

function lineCategory(line: AmountLine, vatMode: VatMode): { category: VatCategory; rate: number } {
  if (vatMode === 'franchise') return { category: 'E', rate: 0 };
  const rate = line.vatRateBps;
  if (rate === null || !Number.isInteger(rate) || rate < 0 || rate > 10_000) {
    throw new RangeError(`a line needs a VAT rate in basis points when the cooperative charges VAT (got ${String(rate)})`);
  }
  return rate === 0 ? { category: 'Z', rate: 0 } : { category: 'S', rate };
}

/** A line's quantity as it reads, from hundredths: 150 -> "1,5", 200 -> "2", 125 -> "1,25". */
export function formatQuantity(hundredths: number): string {
  const whole = Math.trunc(hundredths / 100);
  const fraction = Math.abs(hundredths % 100);
  return fraction === 0 ? String(whole) : `${whole},${String(fraction).padStart(2, '0').replace(/0$/, '')}`;
}

/**
 * A quantity with its unit's label as French counts it: the plural from 2 on ("1,5 heure", "2 heures", "3 unités"), a
 * symbol never ("12 m²", "40 km").
 */
export function quantityWithUnit(hundredths: number, unitLabel: string): string {
  const plural = Math.abs(hundredths) >= 200 && /[a-zàâçéèêëîïôûùüÿ]$/i.test(unitLabel) && !/(s|x|z|km)$/i.test(unitLabel);
  return `${formatQuantity(hundredths)} ${plural ? `${unitLabel}s` : unitLabel}`;
}
