import { describe, expect, it } from 'vitest';
import { pagesInBrowser } from '../support/browser.js';
import { fakeIdToken, hasHorizontalScroll, resetSession } from '../support/pages.js';
import { referralSummary } from '../../shared/views.js';
import { duplicateItem, messagesItems, outboxMessage, personRecord, referralRecord } from '../support/view-fixtures.js';

/*
 * The paged lists in a real browser: under each list an "Afficher plus" button loads the next page with the cursor
 * the API gave and adds its items at the end, until the last ui.page.
 */

const ui = pagesInBrowser();

/** Answers GET `path` by its query string (absent: ''), recording each request's URL. */
async function answerPages(path: string, answers: Record<string, { status?: number; body: unknown }>): Promise<URL[]> {
  const requests: URL[] = [];
  await ui.page.route(
    (url) => url.pathname === path,
    (route) => {
      const url = new URL(route.request().url());
      requests.push(url);
      const answer = answers[url.search.slice(1)] ?? { status: 500, body: { message: `réponse inattendue pour ${url.search}` } };
      return route.fulfill({ status: answer.status ?? 200, contentType: 'application/json', body: JSON.stringify(answer.body) });
    },
  );
  return requests;
}

// The items as the list handlers answer them: records through the API's views.
const referral = (n: number) =>
  referralSummary(referralRecord({
    referralId: `REF-${n}`,
    createdAt: `2025-03-${String(20 - n).padStart(2, '0')}T08:15:00Z`,
    programme: 'accompagnement',
    youngPerson: { ...referralRecord().youngPerson, firstName: 'Jeune', lastName: `Numéro ${n}` },
  }));

describe('paged lists', () => {
  it('loads the next page of the referrals with "Afficher plus", appends it, and ends with a focused note', async () => {
    await ui.page.unrouteAll();
    await resetSession(ui.page, ui.server.url, fakeIdToken({ groups: ['prescriber'] }));
    const requests = await answerPages('/api/referrals', {
      '': { body: { items: [referral(1), referral(2)], cursor: 'page-2' } },
      'cursor=page-2': { body: { items: [referral(3), referral(4)], cursor: 'page 3+/=' } },
      'cursor=page%203%2B%2F%3D': { status: 503, body: { message: 'Service momentanément indisponible, réessayez.' } },
    });
    await ui.page.goto(`${ui.server.url}/prescripteur/orientations`);
    const rows = ui.page.locator('#referrals tbody tr');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(2);
    expect(await ui.page.locator('#referrals caption').textContent()).toBe("2 orientations, de la plus récente à la plus ancienne (d'autres suivent)");

    const more = ui.page.getByRole('button', { name: 'Afficher plus' });
    await more.click();
    await expect.poll(() => rows.count()).toBe(4);
    expect((await rows.allTextContents()).map((r) => /Numéro \d/.exec(r)?.[0])).toEqual(['Numéro 1', 'Numéro 2', 'Numéro 3', 'Numéro 4']);
    expect(requests.map((r) => r.search)).toEqual(['', '?cursor=page-2']);

    // A page that fails says why and keeps the button for another try.
    await more.click();
    await ui.page.getByText('Service momentanément indisponible, réessayez.').waitFor();
    expect(await more.isEnabled()).toBe(true);
    expect(await rows.count()).toBe(4);

    await ui.page.unrouteAll();
    await answerPages('/api/referrals', { 'cursor=page%203%2B%2F%3D': { body: { items: [referral(5)] } } });
    await more.click();
    await expect.poll(() => rows.count()).toBe(5);
    expect(await more.count()).toBe(0);
    expect(await ui.page.locator('#referrals caption').textContent()).toBe('5 orientations, de la plus récente à la plus ancienne');
    expect(await ui.page.locator(':focus').textContent()).toBe('Tout est affiché.');
    await ui.page.setViewportSize({ width: 375, height: 740 });
    expect(await hasHorizontalScroll(ui.page)).toBe(false);
    await ui.page.setViewportSize({ width: 1024, height: 900 });
  });

  it('shows no button when the first page is the only one', async () => {
    await ui.page.unrouteAll();
    await resetSession(ui.page, ui.server.url, fakeIdToken({ groups: ['prescriber'] }));
    await answerPages('/api/referrals', { '': { body: { items: [referral(1)] } } });
    await ui.page.goto(`${ui.server.url}/prescripteur/orientations`);
    await ui.page.locator('#referrals tbody tr').first().waitFor();
    expect(await ui.page.getByRole('button', { name: 'Afficher plus' }).count()).toBe(0);
  });

  it('pages each list of the messages view on its own cursor', async () => {
    await ui.page.unrouteAll();
    await resetSession(ui.page, ui.server.url, fakeIdToken({ name: 'Claire Dubois', groups: ['staff'] }));
    const failed = (n: number) =>
      messagesItems.failed({ ...outboxMessage({ notificationId: `n${n}`, to: `p${n}@example.org`, status: 'bounced', statusAt: '2025-03-12T09:00:00Z' }), personId: `p${n}` }, `Personne ${n}`);
    const optOut = (n: number) => messagesItems.optOut({ channel: 'sms', address: `+3377000000${n}`, reason: 'stop', at: '2025-03-12T09:00:00Z' });
    const requests = await answerPages('/api/staff/messages', {
      '': { body: { since: '2025-02-10T00:00:00Z', toFix: [], failed: [failed(1)], failedCursor: 'f2', optOuts: [optOut(1)], optOutsCursor: 'o2' } },
      'failedCursor=f2': { body: { since: '2025-02-10T00:00:00Z', failed: [failed(2), failed(3)] } },
      'optOutsCursor=o2': { body: { since: '2025-02-10T00:00:00Z', optOuts: [optOut(2)], optOutsCursor: 'o3' } },
    });
    await ui.page.goto(`${ui.server.url}/equipe/messages`);
    const failedRows = ui.page.locator('#failed-messages tbody tr');
    await failedRows.first().waitFor();
    await ui.page.locator('#failed-messages').getByRole('button', { name: 'Afficher plus' }).click();
    await expect.poll(() => failedRows.count()).toBe(3);
    expect(await ui.page.locator('#failed-messages [data-notification-id]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-notification-id')))).toEqual(['n1', 'n2', 'n3']);
    expect(await ui.page.locator('#failed-messages').getByRole('button', { name: 'Afficher plus' }).count()).toBe(0);

    await ui.page.locator('#opt-outs').getByRole('button', { name: 'Afficher plus' }).click();
    await expect.poll(() => ui.page.locator('#opt-outs tbody tr').count()).toBe(2);
    // More opt-outs remain: the button stays, and the first list is untouched.
    expect(await ui.page.locator('#opt-outs').getByRole('button', { name: 'Afficher plus' }).count()).toBe(1);
    expect(await ui.page.locator('#opt-outs caption').textContent()).toBe("2 désinscriptions, de la plus récente à la plus ancienne (d'autres suivent)");
    expect(await failedRows.count()).toBe(3);
    expect(requests.map((r: URL) => r.search)).toEqual(['', '?failedCursor=f2', '?optOutsCursor=o2']);
  });

  it('adds the next possible duplicates under the first ones', async () => {
    await ui.page.unrouteAll();
    await resetSession(ui.page, ui.server.url, fakeIdToken({ groups: ['staff'] }));
    const pair = (n: number) =>
      duplicateItem({ duplicateId: `a${n}_b${n}`, personId: `b${n}`, candidatePersonId: `a${n}`, referralId: `r${n}`, matchedBy: ['EMAIL'], status: 'open', createdAt: '2025-03-11T16:40:00Z' }, [
        personRecord({ personId: `b${n}`, firstName: 'Hugo', lastName: `Numéro ${n}` }),
        personRecord({ personId: `a${n}`, firstName: 'Lina', lastName: `Numéro ${n}` }),
      ]);
    await answerPages('/api/staff/duplicates', { '': { body: { items: [pair(1)], cursor: 'd2' } }, 'cursor=d2': { body: { items: [pair(2)] } } });
    await ui.page.goto(`${ui.server.url}/equipe/doublons`);
    await ui.page.locator('[data-duplicate-id="a1_b1"]').waitFor();
    expect(await ui.page.getByText("1 doublon possible, du plus ancien au plus récent (d'autres suivent)").count()).toBe(1);
    await ui.page.getByRole('button', { name: 'Afficher plus' }).click();
    await ui.page.locator('[data-duplicate-id="a2_b2"]').waitFor();
    expect(await ui.page.locator('#duplicates li.card').count()).toBe(2);
    expect(await ui.page.getByText('2 doublons possibles, du plus ancien au plus récent').count()).toBe(1);
  });
});

