/**
 * "Recevoir un nouveau lien" (/nouveau-lien): sends `{ contact }` to POST /api/links/resend. The API answers the same
 * for a known and an unknown address, and so does this page: one confirmation, whatever the address.
 */
import { NETWORK_MESSAGE, apiErrors, messageOf } from '../lib/api.js';
import { byId } from '../lib/dom.js';
import { clearErrors, setBusy, showErrors, textValue } from '../lib/forms.js';
import { startPage } from '../lib/page.js';

startPage(() => {
  const form = byId<HTMLFormElement>('nouveau-lien-form');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void (async () => {
      clearErrors(form);
      const contact = textValue(form, 'contact');
      if (!contact) return showErrors(form, 'Le formulaire contient une erreur.', [{ field: 'contact', message: 'Saisissez votre adresse e-mail ou votre numéro de mobile.' }]);
      const button = form.querySelector<HTMLButtonElement>('button[type="submit"]')!;
      setBusy(button, true, 'Envoi…');
      try {
        const response = await fetch('/api/links/resend', { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ contact }) });
        if (response.status === 202) {
          form.hidden = true;
          const confirmation = byId('nouveau-lien-confirmation');
          confirmation.hidden = false;
          confirmation.focus();
          return;
        }
        const data: unknown = await response.json().catch(() => null);
        const result = { data };
        // A contact that is neither an e-mail nor a mobile (400), or too many requests (429): said in French.
        showErrors(form, messageOf(result, 'Votre demande n’a pas pu être envoyée. Réessayez dans quelques minutes.'), apiErrors(result));
      } catch {
        showErrors(form, NETWORK_MESSAGE, []);
      } finally {
        setBusy(button, false);
      }
    })();
  });
});
