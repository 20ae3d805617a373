import { extractText, getDocumentProxy } from 'unpdf';

/** The text of a PDF as a reader's tool sees it, lines joined with spaces (pdfkit wraps long lines). */
export async function pdfText(bytes: Uint8Array): Promise<string> {
  const pdf = await getDocumentProxy(new Uint8Array(bytes));
  const { text } = await extractText(pdf, { mergePages: true });
  return text.replace(/\s+/g, ' ');
}

/** The text of each page of a PDF, as `pdfText` gives a whole one. */
export async function pdfPageTexts(bytes: Uint8Array): Promise<string[]> {
  const pdf = await getDocumentProxy(new Uint8Array(bytes));
  const { text } = await extractText(pdf, { mergePages: false });
  return text.map((page) => page.replace(/\s+/g, ' '));
}

/** How many pages a PDF has. */
export async function pdfPages(bytes: Uint8Array): Promise<number> {
  return (await getDocumentProxy(new Uint8Array(bytes))).numPages;
}

/** The files embedded in a PDF (a Factur-X invoice carries `factur-x.xml`), by name, as a reader (pdf.js) finds them. */
export async function pdfAttachments(bytes: Uint8Array): Promise<Record<string, Uint8Array>> {
  const attachments = (await (await getDocumentProxy(new Uint8Array(bytes))).getAttachments()) as Record<string, { filename: string; content: Uint8Array }> | null;
  return Object.fromEntries(Object.entries(attachments ?? {}).map(([name, file]) => [name, file.content]));
}
