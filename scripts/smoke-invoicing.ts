/**
 * The month's invoicing part of `npm run smoke`: the activities the launch made active (scripts/smoke-launch.ts) go
 * through one month of invoicing over the HTTP APIs, as their members and staff would. The month is the latest past
 * one with no run yet (the cloud keeps its data between starts and a month runs once: each smoke run on the same cloud
 * takes the month before the last one invoiced). The members record their customers (individuals, and a business with
 * a valid SIREN) and their declarations from their space (personal link); staff start the month's run, validate its
 * batch from the inbox as soon as it waits there, and record a partial payment. Then: this run's invoices numbered in
 * one continuous sequence (YYYY-NNNNNN), each e-mailed to its customer with its Factur-X PDF (the CII XML inside, its
 * number and total the invoice's, the EN 16931 rules kept), the payment on the invoice, and each member's statement
 * of the month in their space and by e-mail. The run drafts every active activity of the cloud: only this run's are
 * checked one by one.
 *
 * One thing is done straight in the local cloud's table: a launch starts today at the earliest, and a service is
 * declared from the activity's start on, so the activities launched a minute ago could only be invoiced next month.
 * The smoke moves their start (and the first price list, in force from the start) back to the month's first day.
 */
import { randomUUID } from 'node:crypto';
import { getActivity, priceItem } from '../shared/data/activities.js';
import { tableName } from '../shared/data/client.js';
import { transact } from '../shared/data/invoicing/items.js';
import { checkNumberContinuity } from '../shared/data/invoicing/numbering.js';
import { addToMonth } from '../shared/domain/invoicing/run.js';
import { monthLabel, ofMonth, statementFileName } from '../shared/domain/invoicing/statement.js';
import { formatEuros } from '../shared/domain/money.js';
import { parisDate } from '../shared/domain/time.js';
import { centsOf, checkEn16931 } from '../shared/invoicing/en16931.js';
import { FACTUR_X_FILE_NAME } from '../shared/invoicing/factur-x.js';
import { at, parseXml, textAt } from '../shared/invoicing/xml.js';
import { keys } from '../shared/keys.js';
import { monthInvoices, monthRunAt, validateMonthBatch, type StaffCall } from '../test/support/invoicing-run.js';
import { pdfAttachments } from '../test/support/pdf-text.js';
import { useLocalDynamoDb, type Launched } from './smoke-launch.js';
import { linkApi, type Api, type SmokePerson, type Until } from './smoke-onboarding.js';

export interface SmokeInvoicingOptions {
  baseUrl: string;
  sesUrl: string;
  staffToken: string;
  /** The young people of the smoke, with their personal links. */
  people: SmokePerson[];
  /** The activities the launch submitted. */
  activities: Launched[];
  check: (ok: boolean, what: string) => void;
  until: Until;
  api: Api;
}

/** How long the run may take to draft, and from the validation to its end (the local engine, under load). */
const RUN_TIMEOUT_MS = Math.max(Number(process.env.SMOKE_TIMEOUT_MS ?? 0), 180_000);

/** A valid SIREN (its Luhn key holds) and its French VAT number. */
const SIREN = '732829320';
const VAT_NUMBER = 'FR44732829320';

interface Mail {
  messageId: string;
  subject: string;
  destination: { to: string[] };
  body?: { text?: string };
  attachments?: Array<{ filename?: string; contentType: string }>;
}

/** An activity of this run being invoiced, with the member who declares for it. */
interface Invoiced extends Launched {
  member: SmokePerson;
  memberName: string;
  me: ReturnType<typeof linkApi>;
}

/** An invoice this run expects: one per customer and activity, with the declarations' totals. */
interface Expected {
  activity: Invoiced;
  customerId: string;
  customerName: string;
  email: string;
  kind: 'individual' | 'business';
  netCents: number;
  grossCents: number;
}

export async function smokeInvoicing(options: SmokeInvoicingOptions): Promise<void> {
  const { baseUrl, sesUrl, staffToken, people, check, until, api } = options;
  const started = Date.now();
  const staff: StaffCall = (method, path, body) => api(staffToken, method, path, body);
  const run = randomUUID().slice(0, 8);
  await useLocalDynamoDb(baseUrl);

  // This run's active activities, each with a member who has their personal link.
  const activities: Invoiced[] = [];
  for (const launched of options.activities) {
    const page = (await staff('GET', `/api/staff/activities/${launched.activityId}`)).body;
    const member = people.find((p) => p.link && launched.members.includes(p.referralId));
    const memberName = page?.members?.find((m: { referralId: string }) => m.referralId === member?.referralId)?.name;
    if (page?.status === 'active' && member && memberName) activities.push({ ...launched, member, memberName, me: linkApi(baseUrl, member.link!) });
  }
  check(activities.length >= 3, `invoicing: ${activities.length} active activities of this run to invoice, each with a member's personal link`);
  if (activities.length < 3) return;

  // The month: the latest past one that has no run yet.
  const months = await staff('GET', '/api/staff/invoicing/months');
  const runMonths = new Set<string>((months.body?.items ?? []).filter((m: { run: unknown }) => m.run).map((m: { month: string }) => m.month));
  let month = addToMonth(parisDate().slice(0, 7), -1);
  while (runMonths.has(month)) month = addToMonth(month, -1);
  const label = monthLabel(month);
  check(months.status === 200, `month to invoice: ${label} (${month}), the latest with no run yet (${runMonths.size} month(s) already run on this cloud)`);

  // Launched today, the activities start in the future: moved back to the month's first day (see above).
  const firstDay = `${month}-01`;
  const moved = await Promise.all(activities.map((a) => startActivityOn(a.activityId, firstDay)));
  check(moved.every(Boolean), `the ${activities.length} activities' start and first price list moved back to ${firstDay} in the local table (a launch starts today at the earliest)`);

  // The members record their customers and declarations from their space.
  const expected: Expected[] = [];
  for (const [index, activity] of activities.entries()) {
    const { me, activityId } = activity;
    const monthPath = `/api/me/activities/${activityId}/months/${month}/declarations`;
    const view = await me('GET', monthPath);
    check(view.status === 200 && view.body?.status === 'open' && view.body?.startDate === firstDay, `${activity.label}: ${label} open to declarations in the member's space (${view.status} ${view.body?.status ?? ''})`);
    const lines: Array<{ lineId: string; label: string; unitPriceCents: number }> = view.body?.priceVersions?.at(-1)?.lines ?? [];
    const priceLine = lines.find((l) => l.label === 'Tonte et désherbage') ?? lines[0];
    if (!priceLine) {
      check(false, `${activity.label}: a price list in force on ${firstDay}`);
      continue;
    }
    const vat = view.body.vatMode === 'franchise' ? {} : { vatRateBps: 2000 };

    const customer = async (kind: Expected['kind'], fields: Record<string, unknown>): Promise<Expected | undefined> => {
      const created = await me('POST', `/api/me/activities/${activityId}/customers`, { kind, ...fields }, { 'idempotency-key': randomUUID() });
      check(created.status === 201, `${activity.label}: ${kind === 'business' ? 'business customer (SIREN checked)' : 'individual customer'} created by the member (${created.status}${created.status === 201 ? '' : ` ${JSON.stringify(created.body?.errors ?? created.body?.message)}`})`);
      if (created.status !== 201) return undefined;
      const entry: Expected = { activity, customerId: created.body.customerId, customerName: fields.name as string, email: fields.email as string, kind, netCents: 0, grossCents: 0 };
      expected.push(entry);
      return entry;
    };
    const declare = async (to: Expected | undefined, day: string, line: Record<string, unknown>, what: string, expectedNetCents: number) => {
      if (!to) return;
      const declared = await me('POST', monthPath, { customerId: to.customerId, serviceDate: `${month}-${day}`, lines: [{ ...line, ...vat }] }, { 'idempotency-key': randomUUID() });
      const ok = declared.status === 201 && declared.body?.totals?.netCents === expectedNetCents && declared.body?.declaredBy === activity.memberName;
      check(ok, `${activity.label}: ${what} on ${day}/${month.slice(5)} declared by ${activity.memberName} (${declared.status}${declared.status === 201 ? `, ${formatEuros(declared.body.totals.netCents)} HT` : ` ${JSON.stringify(declared.body?.errors ?? declared.body?.message)}`})`);
      if (declared.status !== 201) return;
      to.netCents += declared.body.totals.netCents;
      to.grossCents += declared.body.totals.grossCents;
    };
    const address = { line1: `${10 + index} rue Émile Basly`, postalCode: '62300', city: 'Lens', countryCode: 'FR' };
    const person = await customer('individual', { name: `Client ${index + 1} Smoke ${run}`, email: `smoke.client${index + 1}.${run}@example.org`, address });
    await declare(person, '05', { priceLineId: priceLine.lineId, quantityHundredths: 200 }, `2 h of « ${priceLine.label} » from the price list`, 2 * priceLine.unitPriceCents);
    if (index > 0) continue;
    // The first activity: a second service for the same customer (one invoice of two lines), and a business customer.
    await declare(person, '12', { priceLineId: priceLine.lineId, quantityHundredths: 150 }, `1,5 h more of « ${priceLine.label} »`, Math.round(1.5 * priceLine.unitPriceCents));
    const business = { name: `Boulangerie Smoke ${run} SARL`, email: `smoke.entreprise.${run}@example.org`, address: { ...address, line1: '8 place Jean Jaurès' }, vatNumber: VAT_NUMBER };
    const badSiren = await me('POST', `/api/me/activities/${activityId}/customers`, { kind: 'business', ...business, siren: '732829321' }, { 'idempotency-key': randomUUID() });
    check(badSiren.status === 400 && badSiren.body?.errors?.some((e: { field: string }) => e.field === 'siren'), `${activity.label}: a SIREN whose key is wrong is refused, field by field (${badSiren.status})`);
    const company = await customer('business', { ...business, siren: SIREN });
    await declare(company, '19', { description: 'Désherbage du parking (forfait)', quantityHundredths: 100, unit: 'forfait', unitPriceCents: 8_000 }, 'a free price', 8_000);
  }

  // Staff start the month's run; a second start is refused.
  const startedRun = await staff('POST', '/api/staff/invoicing/runs', { month });
  check(startedRun.status === 201, `invoicing of ${label} started by staff (${startedRun.status}${startedRun.status === 201 ? '' : ` ${startedRun.body?.message ?? ''}`})`);
  if (startedRun.status !== 201) return;
  const again = await staff('POST', '/api/staff/invoicing/runs', { month });
  check(again.status === 409, `a second start of ${label} is refused (${again.status})`);

  // The batch waits for the staff validation: decided from the inbox as soon as it is there.
  const waiting = await until(monthRunAt(staff, month, 'awaiting-validation'), `${label}: the batch waiting for its validation`, RUN_TIMEOUT_MS);
  if (!waiting) return;
  const ours = new Set(activities.map((a) => a.activityId));
  const drafts = (await monthInvoices(staff, month)).filter((i) => ours.has(i.activityId));
  console.log(`     the run drafted ${waiting.run.counts.activities} active activities (this run's ${activities.length} among them): ${waiting.run.counts.invoices} draft invoice(s) to validate`);
  check(
    drafts.length === expected.length && expected.every((e) => drafts.some((d) => d.activityId === e.activity.activityId && d.customer.name === e.customerName && d.status === 'draft' && d.grossCents === e.grossCents)),
    `${drafts.length} drafts for this run's ${expected.length} customers, with their declarations' totals`,
  );
  const { inboxItem, decided } = await validateMonthBatch(staff, waiting.run.approvalId);
  check(Boolean(inboxItem), `${label}: the batch in the staff inbox`);
  check(decided?.status === 200, `${label}: validated by staff from the inbox (${decided?.status ?? 'not sent'})`);
  const done = await until(monthRunAt(staff, month, 'done'), `${label}: the run done`, RUN_TIMEOUT_MS);
  if (!done) return;

  // Numbered: this run's invoices issued, the month's batch one continuous run of numbers, the year's sequence whole.
  const invoices = await monthInvoices(staff, month);
  const mine = expected.map((e) => ({ expected: e, invoice: invoices.find((i) => i.activityId === e.activity.activityId && i.customer.name === e.customerName) }));
  for (const { expected: e, invoice } of [...mine].sort((a, b) => (a.invoice?.number ?? '').localeCompare(b.invoice?.number ?? ''))) {
    console.log(`       ${invoice?.number ?? '(none)'}  ${e.activity.name.padEnd(26)} ${e.customerName.padEnd(34)} ${formatEuros(invoice?.grossCents ?? 0)}`);
  }
  check(
    mine.every(({ invoice }) => invoice?.status === 'issued' && /^\d{4}-\d{6}$/.test(invoice.number ?? '')),
    `this run's ${mine.length} invoices issued with a number YYYY-NNNNNN`,
  );
  const batch = invoices.filter((i) => i.kind === 'invoice' && i.status === 'issued').map((i) => i.number as string);
  check(contiguous(batch), `the month's ${batch.length} issued invoices are numbered contiguously (${[...batch].sort()[0]} to ${[...batch].sort().at(-1)})`);
  for (const year of new Set(batch.map((n) => n.slice(0, 4)))) {
    const report = await checkNumberContinuity(year, { invoices: true });
    check(report.problems.length === 0, `${year}: ${report.numbers} numbers in ${report.blocks} block(s), one continuous and unique sequence, each on its invoice${report.problems.length ? ` (${report.problems.slice(0, 3).join('; ')})` : ''}`);
  }

  // Each customer's e-mail, once, with the invoice's Factur-X PDF; `sent` on the invoice's history.
  const mailbox = await until(async () => {
    const mails = await storedMails(sesUrl);
    return mine.every(({ expected: e }) => mails.some((m) => m.destination.to.includes(e.email))) ? mails : undefined;
  }, `the ${mine.length} customers' e-mails in the local SES`);
  for (const { expected: e, invoice } of mine) {
    if (!invoice?.number || !mailbox) continue;
    const mails = mailbox.filter((m) => m.destination.to.includes(e.email));
    const fileName = `facture-${invoice.number}.pdf`;
    const index = mails[0]?.attachments?.findIndex((a) => a.filename === fileName) ?? -1;
    const pdf = index >= 0 ? await attachment(sesUrl, mails[0]!.messageId, index) : undefined;
    const facturX = pdf ? await facturXCheck(pdf, invoice.number, invoice.grossCents) : 'no PDF attached';
    check(mails.length === 1 && facturX === '', `${invoice.number}: one e-mail to ${e.kind === 'business' ? 'the business' : 'the'} customer (${mails.length}), « ${mails[0]?.subject ?? '?'} », ${fileName} a PDF carrying its Factur-X XML${facturX ? ` (${facturX})` : ''}`);
    const detail = await staff('GET', `/api/staff/invoices/${invoice.invoiceId}`);
    check(detail.body?.history?.some((h: { event: string }) => h.event === 'sent'), `${invoice.number}: the sending on the invoice's history`);
  }

  // The member sees the invoices in their space, and reads the PDF.
  for (const activity of activities) {
    const listed = await activity.me('GET', `/api/me/activities/${activity.activityId}/months/${month}/invoices`);
    const theirs: Array<{ invoiceId: string; number?: string; hasPdf: boolean }> = listed.body?.invoices ?? [];
    const pdf = theirs[0] ? await linkBytes(baseUrl, activity.member.link!, `/api/me/activities/${activity.activityId}/invoices/${theirs[0].invoiceId}/pdf`) : undefined;
    const count = mine.filter((m) => m.expected.activity === activity).length;
    check(theirs.length === count && theirs.every((i) => i.number && i.hasPdf) && isPdf(pdf), `${activity.label}: ${theirs.length} invoice(s) in the member's space, numbered, the PDF readable (${theirs.map((i) => i.number).join(', ')})`);
  }

  // A partial payment recorded by staff, on the invoice (staff's page and the member's), never twice, never above what is left.
  const paidOne = mine.find(({ expected: e }) => e.kind === 'business')?.invoice ?? mine[0]?.invoice;
  if (paidOne) {
    const amountCents = Math.floor(paidOne.grossCents / 2);
    const key = randomUUID();
    const body = { amountCents, date: parisDate(), means: 'virement' };
    const paid = await api(staffToken, 'POST', `/api/staff/invoices/${paidOne.invoiceId}/payments`, body, { 'idempotency-key': key });
    const leftCents = paidOne.grossCents - amountCents;
    check(
      paid.status === 201 && paid.body?.paidCents === amountCents && paid.body?.leftCents === leftCents && paid.body?.payments?.length === 1,
      `${paidOne.number}: a transfer of ${formatEuros(amountCents)} recorded by staff, ${formatEuros(leftCents)} left (${paid.status}${paid.status === 201 ? '' : ` ${JSON.stringify(paid.body?.errors ?? paid.body?.message)}`})`,
    );
    const replayed = await api(staffToken, 'POST', `/api/staff/invoices/${paidOne.invoiceId}/payments`, body, { 'idempotency-key': key });
    check(replayed.status === 200 && replayed.body?.paidCents === amountCents, `${paidOne.number}: the same payment sent again is recorded once (${replayed.status})`);
    const above = await api(staffToken, 'POST', `/api/staff/invoices/${paidOne.invoiceId}/payments`, { ...body, amountCents: leftCents + 1 }, { 'idempotency-key': randomUUID() });
    check(above.status === 422, `${paidOne.number}: a payment above what is left is refused (${above.status})`);
    const holder = mine.find((m) => m.invoice === paidOne)!.expected.activity;
    const seen = (await holder.me('GET', `/api/me/activities/${holder.activityId}/months/${month}/invoices`)).body?.invoices?.find((i: { invoiceId: string }) => i.invoiceId === paidOne.invoiceId);
    check(seen?.paidCents === amountCents && seen?.leftCents === leftCents, `${paidOne.number}: paid ${formatEuros(seen?.paidCents ?? 0)}, left ${formatEuros(seen?.leftCents ?? 0)} in the member's space`);
  }

  // The month is invoiced: its declarations are closed.
  const late = await activities[0]!.me('POST', `/api/me/activities/${activities[0]!.activityId}/months/${month}/declarations`, { customerId: expected[0]?.customerId, serviceDate: `${month}-20`, lines: [{ description: 'Oubli', quantityHundredths: 100, unit: 'forfait', unitPriceCents: 1000 }] }, { 'idempotency-key': randomUUID() });
  check(late.status === 409, `${activities[0]!.label}: a declaration for ${label}, now invoiced, is refused (${late.status})`);

  // The statement of the month: issued at the end of the run, in each member's space; e-mailed with its key figures
  // and the member's personal link to it, no PDF. Its PDF is made when first opened, through the member's route.
  const statements = await until(async () => {
    const read = await Promise.all(activities.map((a) => a.me('GET', `/api/me/activities/${a.activityId}/months/${month}/statement`)));
    return read.every((r) => r.status === 200) ? read.map((r) => r.body) : undefined;
  }, `${label}: the members' statements in their space (GET …/months/${month}/statement)`);
  for (const [i, activity] of activities.entries()) {
    const statement = statements?.[i];
    if (!statement) continue;
    const netCents = mine.filter((m) => m.expected.activity === activity).reduce((sum, m) => sum + (m.invoice?.netCents ?? 0), 0);
    const pdf = await linkBytes(baseUrl, activity.member.link!, `/api/me/activities/${activity.activityId}/months/${month}/statement/pdf`);
    check(
      statement.revenueExclVatCents === netCents && isPdf(pdf),
      `${activity.label}: statement of ${label} in the member's space: invoiced ${formatEuros(statement.revenueExclVatCents)} HT, contribution ${formatEuros(statement.contributionCents)}, left ${formatEuros(statement.leftCents)}, its PDF readable`,
    );
  }
  if (statements) {
    const statementMails = async () => {
      const all = await storedMails(sesUrl);
      return activities.map((a) => all.filter((m) => m.destination.to.includes(a.member.email) && m.subject === `Votre relevé ${ofMonth(label)} : ${a.name}`));
    };
    const mails = (await until(async () => ((await statementMails()).every((f) => f.length > 0) ? statementMails() : undefined), `${label}: the statement e-mails`)) ?? (await statementMails());
    for (const [i, activity] of activities.entries()) {
      const found = mails[i] ?? [];
      const text = found[0]?.body?.text ?? '';
      const statement = statements?.[i];
      const figures = statement ? `- ${statement.collective ? 'votre part du résultat (partage égal, indicatif)' : 'ce qui vous reste'} : ${formatEuros(statement.leftCents)}` : '(no statement)';
      const link = /\/ma-facturation\?activite=([^&\s]+)&mois=(\d{4}-\d{2})#([A-Za-z0-9_.-]+)/.exec(text);
      check(
        found.length === 1 && (found[0]?.attachments ?? []).length === 0 && text.includes(figures) && link?.[1] === activity.activityId && link?.[2] === month,
        `${activity.label}: one statement e-mail to the member (${found.length}), no file, its figures and a personal link to Ma facturation on ${label}`,
      );
      // The e-mail's own link opens the statement's PDF through the member's route: the file the space serves.
      const pdf = link ? await linkBytes(baseUrl, link[3]!, `/api/me/activities/${activity.activityId}/months/${month}/statement/pdf`) : undefined;
      const inSpace = await linkBytes(baseUrl, activity.member.link!, `/api/me/activities/${activity.activityId}/months/${month}/statement/pdf`);
      check(isPdf(pdf) && pdf!.equals(inSpace ?? Buffer.alloc(0)), `${activity.label}: the e-mail's link opens ${statementFileName(month)}, the same PDF as in the space`);
    }
  }
  console.log(`     invoicing of ${label}: ${Math.round((Date.now() - started) / 1000)} s`);
}

/**
 * Moves an activity's start, and the price list versions in force from it, back to `startDate`, in the local cloud's
 * table (one transaction, on the version read): the smoke's stand-in for an activity launched before the month.
 */
async function startActivityOn(activityId: string, startDate: string): Promise<boolean> {
  const found = await getActivity(activityId);
  if (!found || found.activity.status !== 'active') return false;
  const { activity, prices } = found;
  if (activity.startDate <= startDate) return true;
  const table = tableName();
  await transact([
    {
      Update: {
        TableName: table,
        Key: keys.activity(activityId),
        UpdateExpression: 'SET startDate = :start, gsi3sk = :sk',
        ConditionExpression: '#version = :version',
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: { ':start': startDate, ':sk': keys.activeActivityEntry(activityId, startDate).gsi3sk, ':version': activity.version },
      },
    },
    ...prices
      .filter((p) => p.effectiveFrom === activity.startDate)
      .flatMap((p) => [
        { Delete: { TableName: table, Key: keys.activityPrices(activityId, p.effectiveFrom, p.version) } },
        { Put: { TableName: table, Item: priceItem(activityId, { ...p, effectiveFrom: startDate }) } },
      ]),
  ]);
  return true;
}

/** Numbers YYYY-NNNNNN that follow one another without a gap or a repeat (within each year). */
function contiguous(numbers: readonly string[]): boolean {
  const sorted = [...numbers].sort();
  return sorted.every((n, i) => i === 0 || (n.slice(0, 4) !== sorted[i - 1]!.slice(0, 4) ? true : Number(n.slice(5)) === Number(sorted[i - 1]!.slice(5)) + 1));
}

const isPdf = (bytes: Buffer | undefined) => bytes?.subarray(0, 5).toString('latin1') === '%PDF-';

/**
 * What is wrong with an invoice's PDF as Factur-X, or '' when nothing is: a PDF carrying `factur-x.xml`, whose
 * number and grand total are the invoice's, and which keeps the EN 16931 rules.
 */
async function facturXCheck(pdf: Buffer, number: string, grossCents: number): Promise<string> {
  if (!isPdf(pdf)) return 'not a PDF';
  const xmlBytes = (await pdfAttachments(pdf))[FACTUR_X_FILE_NAME];
  if (!xmlBytes) return `no ${FACTUR_X_FILE_NAME} inside`;
  const xml = new TextDecoder().decode(xmlBytes);
  const root = parseXml(xml);
  const total = centsOf(textAt(at(root, 'rsm:SupplyChainTradeTransaction', 'ram:ApplicableHeaderTradeSettlement', 'ram:SpecifiedTradeSettlementHeaderMonetarySummation'), 'ram:GrandTotalAmount'));
  const problems = [
    ...(textAt(root, 'rsm:ExchangedDocument', 'ram:ID') === number ? [] : ['another number in the XML']),
    ...(total === grossCents ? [] : [`XML total ${total} cents, invoice ${grossCents}`]),
    ...checkEn16931(xml).map((b) => b.rule),
  ];
  return problems.join(', ');
}

/** The e-mails the local SES holds (its `/store`; attachments are read one by one). */
async function storedMails(sesUrl: string): Promise<Mail[]> {
  return ((await (await fetch(`${sesUrl}/store`)).json()) as { emails: Mail[] }).emails;
}

/** One attachment of a stored e-mail, as the mail viewer downloads it. */
async function attachment(sesUrl: string, messageId: string, index: number): Promise<Buffer | undefined> {
  const res = await fetch(`${sesUrl}/attachments/${encodeURIComponent(messageId)}/${index}`);
  return res.ok ? Buffer.from(await res.arrayBuffer()) : undefined;
}

/** A file a young person's route answers (a PDF), read with their personal link. */
async function linkBytes(baseUrl: string, link: string, path: string): Promise<Buffer | undefined> {
  const res = await fetch(`${baseUrl}${path}`, { headers: { 'x-parcours-link': link } });
  return res.ok ? Buffer.from(await res.arrayBuffer()) : undefined;
}
