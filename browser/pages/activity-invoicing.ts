/**
 * Staff: an activity's customers and one month's declarations, recorded on a member's behalf
 * (/equipe/activites/<id>/facturation?mois=YYYY-MM): the members' own forms (browser/lib/recording.ts) on the staff's
 * routes (/api/staff/activities/<id>/customers, …/months/<month>/declarations). Each declaration records the staff
 * member and, for a collective activity, the member chosen. Opened from an invoice whose e-mail did not arrive
 * (`?client=<id>&facture=<id>`), it leads back to that invoice once the customer is saved, to send it again.
 */
import { api, loadFailureMessage, type ApiResult } from '../lib/api.js';
import { byId, el } from '../lib/dom.js';
import { textValue, type FormError } from '../lib/forms.js';
import { startPage } from '../lib/page.js';
import { editCustomer, forgetCorrection, say, showMonth, wireRecording } from '../lib/recording.js';
import type { CustomerView, MonthDeclarationsView } from '../lib/views.js';
import { ofMonth } from '../../shared/domain/invoicing/month-names.js';

type StaffMonthView = MonthDeclarationsView & { shape: 'personal' | 'collective'; members: Array<{ referralId: string; name: string }> };

const activityId = () => document.body.dataset.activityId ?? '';
const base = () => `/api/staff/activities/${encodeURIComponent(activityId())}`;
let month = '';
let collective = false;
/**
 * The customer `?client=` names ("Messages et contacts" links here to correct a customer's e-mail): their form is
 * opened on the first load, the e-mail field focused.
 */
let customerToEdit = new URLSearchParams(location.search).get('client') ?? '';
/**
 * The invoice whose e-mail to that customer did not arrive (`?facture=`, from the invoice's page or "Messages et
 * contacts"): once the customer is saved, the page leads back to it to send it again.
 */
const invoiceToResend = { customerId: customerToEdit, invoiceId: new URLSearchParams(location.search).get('facture') ?? '' };

/** Today's month in Paris, as YYYY-MM. */
const parisMonth = () => new Intl.DateTimeFormat('fr-CA', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit' }).format(new Date()).slice(0, 7);

/** A collective activity's members to declare for (the choice kept across a reload); hidden for a personal one. */
function showMembers(view: StaffMonthView): void {
  collective = view.shape === 'collective';
  byId('champ-membre').hidden = !collective;
  const select = byId<HTMLSelectElement>('f-memberReferralId');
  const chosen = select.value;
  select.replaceChildren(el('option', { value: '' }, 'Choisir le membre'), ...view.members.map((m) => el('option', { value: m.referralId }, m.name)));
  select.value = view.members.some((m) => m.referralId === chosen) ? chosen : '';
}

async function load(): Promise<void> {
  const [monthView, customerList] = await Promise.all([api<StaffMonthView>(`${base()}/months/${month}/declarations`), api<{ customers: CustomerView[] }>(`${base()}/customers`)]);
  const region = byId('facturation');
  region.setAttribute('aria-busy', 'false');
  if (!monthView.ok || !customerList.ok) {
    const failed = [monthView, customerList].find((r) => !r.ok) as ApiResult<unknown>;
    if (byId('facturation-contenu').hidden) region.replaceChildren(el('p', { class: 'message-error' }, loadFailureMessage(failed)));
    else say('facturation-statut', loadFailureMessage(failed), true);
    return;
  }
  const view = monthView.data;
  byId('recording-title').textContent = `Clients et prestations : ${view.tradeName}`;
  document.title = `Clients et prestations : ${view.tradeName} - CoopConnexion Parcours`;
  region.replaceChildren(el('p', { class: 'lead' }, `${view.activityName} · ${view.monthLabel}${view.shape === 'collective' ? ` · activité collective, ${view.members.length} membre(s)` : view.members[0] ? ` · ${view.members[0].name}` : ''}`));
  byId('facturation-contenu').hidden = false;
  showMembers(view);
  showMonth(view, customerList.data.customers);
  const asked = customerList.data.customers.find((c) => c.customerId === customerToEdit);
  customerToEdit = '';
  if (asked) {
    editCustomer(asked);
    (byId<HTMLFormElement>('client-form').elements.namedItem('email') as HTMLInputElement).focus();
  }
}

/** A new declaration of a collective activity names the member it is for. */
function memberChoice(): { body: Record<string, unknown>; errors: FormError[] } {
  if (!collective) return { body: {}, errors: [] };
  const memberReferralId = textValue(byId<HTMLFormElement>('declaration-form'), 'memberReferralId');
  return memberReferralId
    ? { body: { memberReferralId }, errors: [] }
    : { body: {}, errors: [{ field: 'memberReferralId', message: 'Choisissez le membre pour qui vous déclarez.' }] };
}

startPage(async () => {
  wireRecording({
    base,
    call: api,
    reload: load,
    openText: (label) => `Prestations ${ofMonth(label)} : elles peuvent être corrigées jusqu'à la facturation du mois.`,
    extraDeclaration: memberChoice,
    customerSaved: (customer) => {
      if (!invoiceToResend.invoiceId || customer.customerId !== invoiceToResend.customerId) return;
      byId('client-statut').append(' ', el('a', { href: `/equipe/factures/${encodeURIComponent(invoiceToResend.invoiceId)}`, id: 'facture-a-renvoyer' }, 'Renvoyer la facture à la nouvelle adresse'));
    },
  });
  const wanted = new URLSearchParams(location.search).get('mois') ?? '';
  month = /^\d{4}-(0[1-9]|1[0-2])$/.test(wanted) && wanted <= parisMonth() ? wanted : parisMonth();
  const monthInput = byId<HTMLInputElement>('mois');
  monthInput.value = month;
  monthInput.max = parisMonth();
  monthInput.addEventListener('change', async () => {
    if (!/^\d{4}-\d{2}$/.test(monthInput.value)) return;
    month = monthInput.value;
    // The address keeps the month: a reload or a shared link shows the same one.
    history.replaceState(null, '', `${location.pathname}?mois=${month}`);
    forgetCorrection();
    await load();
  });
  await load();
});
