import { FRANCHISE_MENTION } from '../domain/invoicing/amounts.js';
import type { PostalAddress } from '../domain/invoicing/customers.js';
import { LATE_PENALTY_MENTION, NO_DISCOUNT_MENTION, paymentTermsText, RECOVERY_INDEMNITY_MENTION } from '../domain/invoicing/terms.js';
import { unitCode, type InvoiceDocument } from './document.js';
import { escapeXml } from './xml.js';

/**
 * The Factur-X XML of an invoice: UN/CEFACT Cross Industry Invoice (D16B) in the EN 16931 profile ("COMFORT"),
 * the form the 2026-2027 e-invoicing reform accepts. The same figures as the PDF, from the same InvoiceDocument.
 * Elements are written in the order of the CII schema.
 */

/** The profile's guideline identifier (BT-24). */
export const EN16931_GUIDELINE = 'urn:cen.eu:en16931:2017';
/** The name the attachment must have inside the PDF. */
export const FACTUR_X_FILE_NAME = 'factur-x.xml';
/** VAT exemption reason code of the franchise en base (BT-121). */
export const FRANCHISE_EXEMPTION_CODE = 'VATEX-FR-FRANCHISE';

/** UNTDID 1001: commercial invoice, credit note. */
export const TYPE_CODES = { invoice: '380', 'credit-note': '381' } as const;
/** UNTDID 4461: SEPA credit transfer. */
const SEPA_CREDIT_TRANSFER = '58';
/** ISO 6523 ICD of the French SIRENE register (BT-30, BT-47). */
const SIRENE_SCHEME = '0002';

/** 2999 -> "29.99": CII amounts are decimals with a dot, two decimals (BR-DEC). */
export function decimal(cents: number): string {
  const abs = Math.abs(cents);
  return `${cents < 0 ? '-' : ''}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** 550 -> "5.5", 2000 -> "20". */
export const percent = (bps: number) => String(bps / 100);

const date102 = (isoDate: string) => isoDate.replaceAll('-', '');

type Node = string | false | undefined | Node[];

/** An element with text (escaped) or children; nothing when its content is undefined. */
function el(name: string, content: Node, attributes: Record<string, string> = {}): string {
  if (content === undefined || content === false) return '';
  const attrs = Object.entries(attributes).map(([k, v]) => ` ${k}="${escapeXml(v)}"`).join('');
  const inner = Array.isArray(content) ? flatten(content) : escapeXml(content);
  return `<${name}${attrs}>${inner}</${name}>`;
}

const flatten = (nodes: Node[]): string => nodes.map((node) => (Array.isArray(node) ? flatten(node) : typeof node === 'string' ? node : '')).join('');

/** Already-built children: kept as XML, not escaped again. */
const group = (...parts: Node[]): Node[] => parts;

const dateTime = (name: string, isoDate: string, namespace = 'udt') => `<${name}><${namespace}:DateTimeString format="102">${date102(isoDate)}</${namespace}:DateTimeString></${name}>`;

function address(postal: PostalAddress): string {
  return el('ram:PostalTradeAddress', group(el('ram:PostcodeCode', postal.postalCode), el('ram:LineOne', postal.line1), el('ram:LineTwo', postal.line2), el('ram:CityName', postal.city), el('ram:CountryID', postal.countryCode)));
}

function note(content: string, subjectCode: string): string {
  return el('ram:IncludedNote', group(el('ram:Content', content), el('ram:SubjectCode', subjectCode)));
}

/** The CII XML of an invoice or a credit note, as UTF-8 text. */
export function facturXXml(doc: InvoiceDocument): string {
  const franchise = doc.vatMode === 'franchise';
  const { seller, buyer } = doc;
  const notes = [
    franchise && note(FRANCHISE_MENTION, 'TXD'),
    doc.cancels && note(`Avoir annulant la facture n° ${doc.cancels.number}.`, 'AAI'),
    note(NO_DISCOUNT_MENTION, 'AAB'),
    buyer.kind === 'business' && note(LATE_PENALTY_MENTION, 'PMD'),
    buyer.kind === 'business' && note(RECOVERY_INDEMNITY_MENTION, 'PMT'),
  ];

  const lines = doc.lines.map((line, index) => {
    const category = franchise ? 'E' : line.vatRateBps === 0 ? 'Z' : 'S';
    return el(
      'ram:IncludedSupplyChainTradeLineItem',
      group(
        el('ram:AssociatedDocumentLineDocument', group(el('ram:LineID', String(index + 1)))),
        el('ram:SpecifiedTradeProduct', group(el('ram:Name', line.description))),
        el('ram:SpecifiedLineTradeAgreement', group(el('ram:NetPriceProductTradePrice', group(el('ram:ChargeAmount', decimal(line.unitPriceCents)))))),
        el('ram:SpecifiedLineTradeDelivery', group(el('ram:BilledQuantity', decimal(line.quantityHundredths), { unitCode: unitCode(line.unit) }))),
        el(
          'ram:SpecifiedLineTradeSettlement',
          group(
            el('ram:ApplicableTradeTax', group(el('ram:TypeCode', 'VAT'), el('ram:CategoryCode', category), el('ram:RateApplicablePercent', percent(franchise ? 0 : (line.vatRateBps ?? 0))))),
            el('ram:BillingSpecifiedPeriod', group(dateTime('ram:StartDateTime', line.serviceDate), dateTime('ram:EndDateTime', line.serviceDate))),
            el('ram:SpecifiedTradeSettlementLineMonetarySummation', group(el('ram:LineTotalAmount', decimal(line.netCents)))),
          ),
        ),
      ),
    );
  });

  const sellerTax = seller.vatNumber
    ? el('ram:SpecifiedTaxRegistration', group(el('ram:ID', seller.vatNumber, { schemeID: 'VA' })))
    : // Without a VAT number, the seller's tax registration (BT-32) is its SIREN: BR-E-02 needs one of them.
      el('ram:SpecifiedTaxRegistration', group(el('ram:ID', seller.siren, { schemeID: 'FC' })));
  const sellerParty = el(
    'ram:SellerTradeParty',
    group(
      el('ram:Name', seller.name),
      el('ram:Description', `${seller.legalForm} - ${seller.rcs} ${seller.siren}`),
      el('ram:SpecifiedLegalOrganization', group(el('ram:ID', seller.siren, { schemeID: SIRENE_SCHEME }), el('ram:TradingBusinessName', seller.tradeName))),
      address(seller.address),
      el('ram:URIUniversalCommunication', group(el('ram:URIID', seller.email, { schemeID: 'EM' }))),
      sellerTax,
    ),
  );
  const buyerParty = el(
    'ram:BuyerTradeParty',
    group(
      el('ram:Name', buyer.name),
      buyer.siren && el('ram:SpecifiedLegalOrganization', group(el('ram:ID', buyer.siren, { schemeID: SIRENE_SCHEME }))),
      address(buyer.address),
      el('ram:URIUniversalCommunication', group(el('ram:URIID', buyer.email, { schemeID: 'EM' }))),
      buyer.vatNumber && el('ram:SpecifiedTaxRegistration', group(el('ram:ID', buyer.vatNumber, { schemeID: 'VA' }))),
    ),
  );

  const taxes = doc.totals.perRate.map((rate) =>
    el(
      'ram:ApplicableTradeTax',
      group(
        el('ram:CalculatedAmount', decimal(rate.vatCents)),
        el('ram:TypeCode', 'VAT'),
        rate.category === 'E' && el('ram:ExemptionReason', FRANCHISE_MENTION),
        el('ram:BasisAmount', decimal(rate.baseCents)),
        el('ram:CategoryCode', rate.category),
        rate.category === 'E' && el('ram:ExemptionReasonCode', FRANCHISE_EXEMPTION_CODE),
        el('ram:RateApplicablePercent', percent(rate.vatRateBps)),
      ),
    ),
  );
  const terms =
    doc.kind === 'invoice' && doc.dueDate
      ? group(el('ram:Description', paymentTermsText(doc.dueDate, doc.paymentTermsDays)), dateTime('ram:DueDateDateTime', doc.dueDate))
      : group(el('ram:Description', 'Avoir remboursé ou imputé sur une prochaine facture.'));
  const { totals } = doc;
  const settlement = el(
    'ram:ApplicableHeaderTradeSettlement',
    group(
      el('ram:PaymentReference', doc.number),
      el('ram:InvoiceCurrencyCode', 'EUR'),
      doc.kind === 'invoice' &&
        el(
          'ram:SpecifiedTradeSettlementPaymentMeans',
          group(
            el('ram:TypeCode', SEPA_CREDIT_TRANSFER),
            el('ram:PayeePartyCreditorFinancialAccount', group(el('ram:IBANID', seller.bank.iban))),
            el('ram:PayeeSpecifiedCreditorFinancialInstitution', group(el('ram:BICID', seller.bank.bic))),
          ),
        ),
      taxes,
      el('ram:BillingSpecifiedPeriod', group(dateTime('ram:StartDateTime', doc.servicePeriod.start), dateTime('ram:EndDateTime', doc.servicePeriod.end))),
      el('ram:SpecifiedTradePaymentTerms', terms),
      el(
        'ram:SpecifiedTradeSettlementHeaderMonetarySummation',
        group(
          el('ram:LineTotalAmount', decimal(totals.netCents)),
          el('ram:TaxBasisTotalAmount', decimal(totals.netCents)),
          el('ram:TaxTotalAmount', decimal(totals.vatCents), { currencyID: 'EUR' }),
          el('ram:GrandTotalAmount', decimal(totals.grossCents)),
          el('ram:DuePayableAmount', decimal(totals.grossCents)),
        ),
      ),
      doc.cancels && el('ram:InvoiceReferencedDocument', group(el('ram:IssuerAssignedID', doc.cancels.number), dateTime('ram:FormattedIssueDateTime', doc.cancels.issueDate, 'qdt'))),
    ),
  );

  const body = el(
    'rsm:CrossIndustryInvoice',
    group(
      el('rsm:ExchangedDocumentContext', group(el('ram:GuidelineSpecifiedDocumentContextParameter', group(el('ram:ID', EN16931_GUIDELINE))))),
      el('rsm:ExchangedDocument', group(el('ram:ID', doc.number), el('ram:TypeCode', TYPE_CODES[doc.kind]), dateTime('ram:IssueDateTime', doc.issueDate), notes)),
      el(
        'rsm:SupplyChainTradeTransaction',
        group(
          lines,
          el('ram:ApplicableHeaderTradeAgreement', group(sellerParty, buyerParty)),
          el('ram:ApplicableHeaderTradeDelivery', group(doc.servicePeriod.start === doc.servicePeriod.end && el('ram:ActualDeliverySupplyChainEvent', group(dateTime('ram:OccurrenceDateTime', doc.servicePeriod.start))))),
          settlement,
        ),
      ),
    ),
    {
      'xmlns:rsm': 'urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100',
      'xmlns:qdt': 'urn:un:unece:uncefact:data:standard:QualifiedDataType:100',
      'xmlns:ram': 'urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100',
      'xmlns:udt': 'urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100',
    },
  );
  return `<?xml version="1.0" encoding="UTF-8"?>\n${body}\n`;
}

/**
 * The XMP the PDF/A-3 carries for Factur-X: the extension schema that declares the `fx` properties (PDF/A requires
 * every custom property to be described), then the properties: document type, attachment name, version, profile.
 */
export function facturXXmp(): string {
  const property = (name: string, description: string) =>
    `<rdf:li rdf:parseType="Resource"><pdfaProperty:name>${name}</pdfaProperty:name><pdfaProperty:valueType>Text</pdfaProperty:valueType><pdfaProperty:category>external</pdfaProperty:category><pdfaProperty:description>${description}</pdfaProperty:description></rdf:li>`;
  return `
        <rdf:Description rdf:about="" xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/" xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">
            <pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">
                <pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema>
                <pdfaSchema:namespaceURI>urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#</pdfaSchema:namespaceURI>
                <pdfaSchema:prefix>fx</pdfaSchema:prefix>
                <pdfaSchema:property><rdf:Seq>${[
                  property('DocumentFileName', 'name of the embedded XML invoice file'),
                  property('DocumentType', 'INVOICE'),
                  property('Version', 'The actual version of the Factur-X XML schema'),
                  property('ConformanceLevel', 'The conformance level of the embedded Factur-X data'),
                ].join('')}</rdf:Seq></pdfaSchema:property>
            </rdf:li></rdf:Bag></pdfaExtension:schemas>
        </rdf:Description>
        <rdf:Description rdf:about="" xmlns:fx="urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#">
            <fx:DocumentType>INVOICE</fx:DocumentType>
            <fx:DocumentFileName>${FACTUR_X_FILE_NAME}</fx:DocumentFileName>
            <fx:Version>1.0</fx:Version>
            <fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>
        </rdf:Description>
        `;
}
