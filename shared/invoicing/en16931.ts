import { divideRoundHalfUp } from '../domain/invoicing/amounts.js';
import { at, childrenNamed, parseXml, textAt, type XmlElement } from './xml.js';

/**
 * A checker of the EN 16931 business rules our invoices rely on, run on the CII XML itself (as a receiving platform
 * would), before anything is issued and in the tests: the mandatory fields that apply (BR-01 to BR-16, the line
 * rules BR-21 to BR-27), the totals (BR-CO-10, 13 to 17), the VAT breakdown per category (BR-S, BR-Z, BR-E), and
 * amounts with at most two decimals (BR-DEC). Not a full schematron: the rules of features we never write
 * (allowances, charges, prepaid amounts, other categories) are left out. Returns the broken rules, none when valid.
 */

export interface BrokenRule {
  rule: string;
  message: string;
}

const TYPE_CODES = new Set(['380', '381', '384', '389', '751']);
const AMOUNT = /^-?\d+(\.\d{1,2})?$/;
const QUANTITY = /^-?\d+(\.\d{1,4})?$/;
const PERCENT = /^\d+(\.\d{1,2})?$/;

/** "29.9" -> 2990 cents; undefined when it is not an amount with at most two decimals. */
export function centsOf(value: string | undefined): number | undefined {
  if (value === undefined || !AMOUNT.test(value)) return undefined;
  const [whole, fraction = ''] = value.replace('-', '').split('.');
  const cents = Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
  return value.startsWith('-') ? -cents : cents;
}

/** "5.5" -> 550 basis points. */
const bpsOf = (value: string | undefined) => (value !== undefined && PERCENT.test(value) ? Math.round(Number(value) * 100) : undefined);

export function checkEn16931(xml: string): BrokenRule[] {
  let root: XmlElement;
  try {
    root = parseXml(xml);
  } catch (error) {
    return [{ rule: 'XML', message: `not well-formed: ${(error as Error).message}` }];
  }
  const broken: BrokenRule[] = [];
  const breaks = (rule: string, message: string) => broken.push({ rule, message });
  const required = (rule: string, value: string | undefined, what: string) => {
    if (!value) breaks(rule, `${what} is missing`);
  };
  const amount = (rule: string, value: string | undefined, what: string): number | undefined => {
    if (value === undefined) return undefined;
    const cents = centsOf(value);
    if (cents === undefined) breaks(rule, `${what} "${value}" is not an amount with at most 2 decimals`);
    return cents;
  };

  const transaction = at(root, 'rsm:SupplyChainTradeTransaction');
  const agreement = at(transaction, 'ram:ApplicableHeaderTradeAgreement');
  const settlement = at(transaction, 'ram:ApplicableHeaderTradeSettlement');
  const seller = at(agreement, 'ram:SellerTradeParty');
  const buyer = at(agreement, 'ram:BuyerTradeParty');
  const summation = at(settlement, 'ram:SpecifiedTradeSettlementHeaderMonetarySummation');

  required('BR-01', textAt(root, 'rsm:ExchangedDocumentContext', 'ram:GuidelineSpecifiedDocumentContextParameter', 'ram:ID'), 'Specification identifier (BT-24)');
  required('BR-02', textAt(root, 'rsm:ExchangedDocument', 'ram:ID'), 'Invoice number (BT-1)');
  const issueDate = textAt(root, 'rsm:ExchangedDocument', 'ram:IssueDateTime', 'udt:DateTimeString');
  if (!issueDate || !/^\d{8}$/.test(issueDate)) breaks('BR-03', 'Invoice issue date (BT-2) is missing or not YYYYMMDD');
  const typeCode = textAt(root, 'rsm:ExchangedDocument', 'ram:TypeCode');
  if (!typeCode || !TYPE_CODES.has(typeCode)) breaks('BR-04', `Invoice type code (BT-3) "${typeCode ?? ''}" is missing or not an invoice or credit note code`);
  required('BR-05', textAt(settlement, 'ram:InvoiceCurrencyCode'), 'Invoice currency code (BT-5)');
  required('BR-06', textAt(seller, 'ram:Name'), 'Seller name (BT-27)');
  required('BR-07', textAt(buyer, 'ram:Name'), 'Buyer name (BT-44)');
  if (!at(seller, 'ram:PostalTradeAddress')) breaks('BR-08', 'Seller postal address (BG-5) is missing');
  required('BR-09', textAt(seller, 'ram:PostalTradeAddress', 'ram:CountryID'), 'Seller country code (BT-40)');
  if (!at(buyer, 'ram:PostalTradeAddress')) breaks('BR-10', 'Buyer postal address (BG-8) is missing');
  required('BR-11', textAt(buyer, 'ram:PostalTradeAddress', 'ram:CountryID'), 'Buyer country code (BT-55)');
  const lineTotal = amount('BR-DEC-09', textAt(summation, 'ram:LineTotalAmount'), 'Sum of line net amounts (BT-106)');
  if (lineTotal === undefined) breaks('BR-12', 'Sum of invoice line net amounts (BT-106) is missing');
  const basisTotal = amount('BR-DEC-12', textAt(summation, 'ram:TaxBasisTotalAmount'), 'Total without VAT (BT-109)');
  if (basisTotal === undefined) breaks('BR-13', 'Invoice total amount without VAT (BT-109) is missing');
  const grandTotal = amount('BR-DEC-14', textAt(summation, 'ram:GrandTotalAmount'), 'Total with VAT (BT-112)');
  if (grandTotal === undefined) breaks('BR-14', 'Invoice total amount with VAT (BT-112) is missing');
  const due = amount('BR-DEC-18', textAt(summation, 'ram:DuePayableAmount'), 'Amount due (BT-115)');
  if (due === undefined) breaks('BR-15', 'Amount due for payment (BT-115) is missing');
  const taxTotal = amount('BR-DEC-13', textAt(summation, 'ram:TaxTotalAmount'), 'Invoice total VAT amount (BT-110)') ?? 0;

  // Lines.
  const lines = childrenNamed(transaction, 'ram:IncludedSupplyChainTradeLineItem');
  if (lines.length === 0) breaks('BR-16', 'An invoice shall have at least one invoice line (BG-25)');
  const lineNets = new Map<string, number>();
  let sumOfLines = 0;
  lines.forEach((line, index) => {
    const where = `line ${index + 1}`;
    required('BR-21', textAt(line, 'ram:AssociatedDocumentLineDocument', 'ram:LineID'), `${where}: line identifier (BT-126)`);
    const quantity = at(line, 'ram:SpecifiedLineTradeDelivery', 'ram:BilledQuantity');
    if (!quantity || !QUANTITY.test(quantity.text.trim())) breaks('BR-22', `${where}: invoiced quantity (BT-129) is missing`);
    if (!quantity?.attributes.unitCode) breaks('BR-23', `${where}: unit of measure code (BT-130) is missing`);
    const net = amount('BR-DEC-23', textAt(line, 'ram:SpecifiedLineTradeSettlement', 'ram:SpecifiedTradeSettlementLineMonetarySummation', 'ram:LineTotalAmount'), `${where}: net amount (BT-131)`);
    if (net === undefined) breaks('BR-24', `${where}: invoice line net amount (BT-131) is missing`);
    required('BR-25', textAt(line, 'ram:SpecifiedTradeProduct', 'ram:Name'), `${where}: item name (BT-153)`);
    // The price (BT-146) may have more than two decimals in EN 16931; ours never do.
    const price = centsOf(textAt(line, 'ram:SpecifiedLineTradeAgreement', 'ram:NetPriceProductTradePrice', 'ram:ChargeAmount'));
    if (price === undefined) breaks('BR-26', `${where}: item net price (BT-146) is missing`);
    else if (price < 0) breaks('BR-27', `${where}: item net price (BT-146) is negative`);
    const tax = at(line, 'ram:SpecifiedLineTradeSettlement', 'ram:ApplicableTradeTax');
    const category = textAt(tax, 'ram:CategoryCode');
    if (!category) breaks('BR-CO-04', `${where}: invoiced item VAT category code (BT-151) is missing`);
    const rate = bpsOf(textAt(tax, 'ram:RateApplicablePercent'));
    if (category === 'S' && !(rate !== undefined && rate > 0)) breaks('BR-S-05', `${where}: a standard rated line has a VAT rate above zero`);
    if (category === 'Z' && rate !== 0) breaks('BR-Z-05', `${where}: a zero rated line has a VAT rate of 0`);
    if (category === 'E' && rate !== 0) breaks('BR-E-05', `${where}: an exempt line has a VAT rate of 0`);
    if (net !== undefined && category) {
      const key = `${category}:${rate ?? ''}`;
      lineNets.set(key, (lineNets.get(key) ?? 0) + net);
      sumOfLines += net;
    }
  });

  // Totals.
  if (lineTotal !== undefined && lineTotal !== sumOfLines) breaks('BR-CO-10', `Sum of line net amounts (BT-106) ${lineTotal} is not the sum of the lines ${sumOfLines}`);
  if (basisTotal !== undefined && lineTotal !== undefined && basisTotal !== lineTotal) breaks('BR-CO-13', 'Total without VAT (BT-109) is not BT-106 (no allowances nor charges)');

  // VAT breakdown.
  const breakdown = childrenNamed(settlement, 'ram:ApplicableTradeTax');
  if (breakdown.length === 0) breaks('BR-CO-18', 'An invoice shall have at least one VAT breakdown group (BG-23)');
  let sumOfVat = 0;
  const categories = new Map<string, number>();
  for (const group of breakdown) {
    const category = textAt(group, 'ram:CategoryCode') ?? '';
    const rate = bpsOf(textAt(group, 'ram:RateApplicablePercent'));
    const basis = amount('BR-DEC-19', textAt(group, 'ram:BasisAmount'), `VAT ${category} taxable amount (BT-116)`);
    const vat = amount('BR-DEC-20', textAt(group, 'ram:CalculatedAmount'), `VAT ${category} amount (BT-117)`);
    if (basis === undefined) breaks('BR-45', `VAT breakdown ${category}: taxable amount (BT-116) is missing`);
    if (vat === undefined) breaks('BR-46', `VAT breakdown ${category}: VAT amount (BT-117) is missing`);
    if (!category) breaks('BR-47', 'VAT breakdown: category code (BT-118) is missing');
    if (rate === undefined) breaks('BR-48', `VAT breakdown ${category}: rate (BT-119) is missing`);
    categories.set(category, (categories.get(category) ?? 0) + 1);
    sumOfVat += vat ?? 0;
    const reason = textAt(group, 'ram:ExemptionReason') || textAt(group, 'ram:ExemptionReasonCode');
    const linesBase = lineNets.get(`${category}:${rate ?? ''}`) ?? 0;
    if (basis !== undefined && rate !== undefined && vat !== undefined) {
      if (category === 'S' && vat !== divideRoundHalfUp(basis * rate, 10_000)) breaks('BR-CO-17', `VAT ${category} ${rate / 100} %: ${vat} is not the taxable amount x the rate, rounded to 2 decimals`);
      if ((category === 'Z' || category === 'E') && vat !== 0) breaks(`BR-${category}-09`, `VAT ${category}: the VAT amount shall be 0`);
      if (basis !== linesBase) breaks(`BR-${category}-08`, `VAT ${category} ${rate / 100} %: taxable amount ${basis} is not the sum of its lines ${linesBase}`);
    }
    if ((category === 'S' || category === 'Z') && reason) breaks(`BR-${category}-10`, `VAT ${category}: no exemption reason allowed`);
    if (category === 'E' && !reason) breaks('BR-E-10', 'VAT E: an exemption reason code (BT-121) or text (BT-120) is required');
  }
  for (const [key, net] of lineNets) {
    const [category, rate] = key.split(':');
    const found = breakdown.some((g) => textAt(g, 'ram:CategoryCode') === category && String(bpsOf(textAt(g, 'ram:RateApplicablePercent'))) === rate);
    if (!found) breaks(`BR-${category}-01`, `lines of category ${category} (${net}) have no VAT breakdown at their rate`);
  }
  if ((categories.get('E') ?? 0) > 1) breaks('BR-E-01', 'exempt lines shall have exactly one VAT breakdown of category E');
  if ((categories.get('Z') ?? 0) > 1) breaks('BR-Z-01', 'zero rated lines shall have exactly one VAT breakdown of category Z');
  const sellerTaxIds = childrenNamed(seller, 'ram:SpecifiedTaxRegistration').map((r) => at(r, 'ram:ID')?.attributes.schemeID);
  if (lineNets.size > 0 && [...lineNets.keys()].some((k) => k.startsWith('S:') || k.startsWith('Z:')) && !sellerTaxIds.includes('VA')) {
    breaks('BR-S-02', 'standard or zero rated lines need the Seller VAT identifier (BT-31)');
  }
  if ([...lineNets.keys()].some((k) => k.startsWith('E:')) && !sellerTaxIds.some((id) => id === 'VA' || id === 'FC')) {
    breaks('BR-E-02', 'exempt lines need the Seller VAT identifier (BT-31) or tax registration identifier (BT-32)');
  }
  if (taxTotal !== sumOfVat) breaks('BR-CO-14', `Invoice total VAT (BT-110) ${taxTotal} is not the sum of the VAT breakdown ${sumOfVat}`);
  if (grandTotal !== undefined && basisTotal !== undefined && grandTotal !== basisTotal + taxTotal) breaks('BR-CO-15', 'Total with VAT (BT-112) is not BT-109 + BT-110');
  if (due !== undefined && grandTotal !== undefined && due !== grandTotal) breaks('BR-CO-16', 'Amount due (BT-115) is not BT-112 (no prepaid amount nor rounding)');
  const terms = at(settlement, 'ram:SpecifiedTradePaymentTerms');
  if (due !== undefined && due > 0 && !textAt(terms, 'ram:DueDateDateTime', 'udt:DateTimeString') && !textAt(terms, 'ram:Description')) {
    breaks('BR-CO-25', 'a positive amount due needs a payment due date (BT-9) or payment terms (BT-20)');
  }

  // Preceding invoice.
  for (const reference of childrenNamed(settlement, 'ram:InvoiceReferencedDocument')) {
    required('BR-55', textAt(reference, 'ram:IssuerAssignedID'), 'Preceding invoice reference (BT-25)');
  }
  return broken;
}
