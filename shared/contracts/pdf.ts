import { createHash } from 'node:crypto';
import {
  CONTRACT_TYPES,
  contractClauses,
  contractParties,
  programmeTitle,
  signatureLines,
  type ContractAcceptance,
  type ContractCountersignature,
  type ContractData,
} from '../domain/contracts.js';
import { formatFrenchDate } from '../domain/time.js';
import { PDFDocument } from './pdfkit.js';

export interface RenderedContract {
  bytes: Buffer;
  /** Hex SHA-256 of `bytes`: what the young person accepts. */
  sha256: string;
}

/** The signed state the final PDF prints; absent for the contract to read and accept. */
export interface ContractSignatures {
  acceptance: ContractAcceptance;
  countersignature: ContractCountersignature;
}

export const sha256Hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

const MARGIN = 56;

/**
 * The contract as a PDF in French, from its stored data alone: the same data gives the same bytes (a fixed creation
 * date, the generation's or the countersignature's, from which pdfkit also derives the file ID), so its SHA-256 is
 * stable. With `signatures`, the final PDF: the same contract plus the acceptance record and the countersignature.
 */
export async function renderContractPdf(data: ContractData, signatures?: ContractSignatures): Promise<RenderedContract> {
  const type = CONTRACT_TYPES[data.programme];
  const doc = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    info: {
      Title: `${type.title} - ${data.reference} (version ${data.version})`,
      Author: 'CoopConnexion',
      Subject: programmeTitle(data.programme),
      CreationDate: new Date(signatures?.countersignature.at ?? data.generatedAt),
    },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Uint8Array) => chunks.push(Buffer.from(chunk)));
  const ended = new Promise<void>((resolve) => doc.on('end', () => resolve()));

  doc.font('Helvetica-Bold').fontSize(16).text(type.title, { align: 'center' });
  doc.moveDown(0.3).font('Helvetica').fontSize(9).fillColor('#444444').text(type.legalBasis, { align: 'center' });
  doc.text(`Référence ${data.reference} - version ${data.version}`, { align: 'center' });
  doc.fillColor('#000000').moveDown(1.2);

  heading(doc, 'Entre les soussignés');
  for (const party of contractParties(data)) doc.font('Helvetica').fontSize(10).text(party, { paragraphGap: 4 });
  doc.moveDown(0.6);
  heading(doc, 'Programme et dates');
  doc.font('Helvetica').fontSize(10).text(`Programme : ${programmeTitle(data.programme)}`);
  doc.text(`Date de début : ${formatFrenchDate(data.startDate)} - date de fin : ${formatFrenchDate(data.endDate)} (dates du calendrier de Paris).`);
  doc.moveDown(0.6);

  contractClauses(data).forEach((clause, index) => {
    heading(doc, `Article ${index + 1} - ${clause.title}`);
    doc.font('Helvetica').fontSize(10).text(clause.text, { align: 'justify', paragraphGap: 6 });
  });

  doc.moveDown(0.6);
  heading(doc, 'Signatures');
  if (signatures) {
    for (const line of signatureLines(data, signatures.acceptance, signatures.countersignature)) doc.font('Helvetica').fontSize(10).text(line, { paragraphGap: 3 });
  } else {
    doc
      .font('Helvetica')
      .fontSize(10)
      .text(
        "Ce contrat s'accepte en ligne depuis l'espace personnel : l'heure de l'acceptation et l'empreinte SHA-256 de ce fichier sont enregistrées, puis la coopérative le contresigne. La version signée par les deux parties est ensuite disponible dans l'espace personnel.",
      );
  }
  doc.end();
  await ended;
  const bytes = Buffer.concat(chunks);
  return { bytes, sha256: sha256Hex(bytes) };
}

function heading(doc: InstanceType<typeof PDFDocument>, title: string): void {
  doc.font('Helvetica-Bold').fontSize(11).text(title, { paragraphGap: 4 });
}
