import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { pagesInBrowser } from '../support/browser.js';
import { fakeIdToken, resetSession } from '../support/pages.js';
import { activityWithParts, customerOwner, referralRecord } from '../support/view-fixtures.js';
import { invoiceListItem, runView } from '../../shared/invoicing/staff-views.js';

/*
 * The page shells on the smallest phone we support (320 x 568, touch, French), with the shared style sheet: what iOS
 * and a thumb need whatever the page's data. The API is not answered here (404): the shells' own markup is checked.
 */

const ui = pagesInBrowser({ viewport: { width: 320, height: 568 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });

describe('on a 320-px phone', () => {
  it('sizes every typed-in control, time and month included, at 16 px or more (iOS zooms in below) and 44 px high', async () => {
    await resetSession(ui.page, ui.server.url, fakeIdToken({ groups: ['staff'] }));
    await ui.page.goto(`${ui.server.url}/equipe/reunions`);
    // The controls the pages make, some only once their data is loaded: one of each kind in the page's form.
    const sizes = await ui.page.evaluate(() => {
      const form = document.querySelector('form')!;
      const kinds = ['text', 'email', 'tel', 'date', 'time', 'month', 'number', 'search', ''];
      const made = kinds.map((type) => {
        const input = document.createElement('input');
        if (type) input.type = type;
        return input;
      });
      form.append(...made, document.createElement('select'), document.createElement('textarea'));
      return [...form.querySelectorAll('input:not([type=radio]):not([type=checkbox]):not([type=hidden]), select, textarea')].map((control) => ({
        control: `${control.tagName.toLowerCase()}[type=${control.getAttribute('type') ?? ''}]`,
        fontSize: parseFloat(getComputedStyle(control).fontSize),
        height: control.getBoundingClientRect().height,
      }));
    });
    expect(sizes.length).toBeGreaterThan(11);
    expect(sizes.filter((size) => size.fontSize < 16 || size.height < 44)).toEqual([]);
  });

  it('gives each radio button and checkbox a label 44 px high to tap, as the buttons', async () => {
    await resetSession(ui.page, ui.server.url, fakeIdToken());
    await ui.page.goto(`${ui.server.url}/prescripteur/orienter`);
    const labels = await ui.page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>('.choice label')]
        .filter((label) => label.getClientRects().length > 0)
        .map((label) => ({ label: label.textContent, height: label.getBoundingClientRect().height })),
    );
    expect(labels.length).toBeGreaterThan(5);
    expect(labels.filter((label) => label.height < 44)).toEqual([]);
  });

  it('makes each radio button and checkbox itself a 24 x 24 px target at 360 x 740, ticked by a tap anywhere on its row: the referral form, a month\'s batch', async () => {
    const context = await ui.browser.newContext({ viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'fr-FR', timezoneId: 'Europe/Paris' });
    try {
      const page = await context.newPage();
      await resetSession(page, ui.server.url, fakeIdToken());
      await page.goto(`${ui.server.url}/prescripteur/orienter`);
      const form = await choiceTargets(page);
      expect(form.boxes.length).toBeGreaterThan(5);
      expect(form.boxes.filter((box) => box.width < 24 || box.height < 24)).toEqual([]);
      // Every point of each row (the box's column and the gap included, the label's height) is the box or its label.
      expect(form.boxes.filter((box) => box.missed > 0)).toEqual([]);
      expect(form.pageScrollsSideways).toBe(false);
      // A thumb on the gap left of a label, level with its second line, or under the box: the choice is made.
      for (const id of ['f-programme-cjs', 'f-youngPerson-qpv']) {
        await page.locator(`label[for="${id}"]`).scrollIntoViewIfNeeded();
        const row = (await page.locator(`label[for="${id}"]`).boundingBox())!;
        const box = (await page.locator(`#${id}`).boundingBox())!;
        await page.touchscreen.tap(box.x + box.width + 4, row.y + row.height - 4);
        expect(await page.locator(`#${id}`).isChecked(), id).toBe(true);
      }

      // A month's batch: its drafts' "Mettre en attente", made by the page in each draft's card.
      const found = activityWithParts({ referral: referralRecord(), activity: { name: 'Jardinage Léa Haddad' } });
      const { invoice } = customerOwner({ activity: found.activity, customer: {} });
      const drafts = ['Boulangerie Martin', 'Jeanne Lefebvre'].map((name, i) => ({ ...invoice, invoiceId: `inv-${i}`, month: '2024-10', status: 'draft' as const, number: undefined, issueDate: undefined, dueDate: undefined, customer: { ...invoice.customer, name } }));
      const run = runView({ month: '2024-10', status: 'awaiting-validation', trigger: 'staff', startedAt: '2024-11-02T08:00:00Z', executionName: 'invoicing-2024-10', counts: { activities: 1, invoices: 2, held: 0, issued: 0, sent: 0, failedActivities: 0, statements: 0 }, approvalId: 'ap-batch', updatedAt: '2024-11-02T08:01:00Z' });
      await resetSession(page, ui.server.url, fakeIdToken({ groups: ['staff'] }));
      await page.route((url) => url.pathname === '/api/staff/invoicing/months/2024-10', (route) =>
        route.fulfill({ contentType: 'application/json', body: JSON.stringify({ month: '2024-10', label: 'octobre 2024', run, items: drafts.map((draft) => invoiceListItem(draft, '2024-11-02')) }) }));
      await page.goto(`${ui.server.url}/equipe/facturation/2024-10`);
      await page.locator('#batch-list > li').nth(1).waitFor();
      const batch = await choiceTargets(page);
      expect(batch.boxes.map((box) => box.label)).toEqual(['Mettre en attente', 'Mettre en attente']);
      expect(batch.boxes.filter((box) => box.width < 24 || box.height < 24 || box.missed > 0)).toEqual([]);
      expect(batch.pageScrollsSideways).toBe(false);
      const hold = page.locator('#batch-list > li').nth(1).getByLabel('Mettre en attente');
      await hold.scrollIntoViewIfNeeded();
      const box = (await hold.boundingBox())!;
      // Under the box, in its column: the thumb missed it by 8 px.
      await page.touchscreen.tap(box.x + box.width / 2, box.y + box.height + 8);
      expect(await hold.isChecked()).toBe(true);
      expect(await page.locator('#batch-list > li').nth(1).getByLabel('Raison, pour les membres').isVisible()).toBe(true);
    } finally {
      await context.close();
    }
  });

  it('gives the links among actions, the header\'s links and "Se déconnecter" a 44 x 44 px target, as the buttons', async () => {
    await resetSession(ui.page, ui.server.url, fakeIdToken({ groups: ['staff'] }));
    await ui.page.goto(`${ui.server.url}/equipe`);
    await expect.poll(() => ui.page.locator('#session-logout').isVisible()).toBe(true);
    // The inbox's cards come from the API: one card's actions as the page makes them ("Historique", "PDF"...).
    const sizes = await ui.page.evaluate(() => {
      const actions = document.createElement('p');
      actions.className = 'item-actions';
      actions.innerHTML = '<a href="/equipe/personnes/p">Historique</a> <a href="/x.pdf">PDF</a>';
      document.getElementById('contenu')!.append(actions);
      return [...document.querySelectorAll<HTMLElement>('.nav-list a, #session-logout, .item-actions a')]
        .filter((link) => link.getClientRects().length > 0)
        .map((link) => ({ link: link.textContent, nav: link.matches('.nav-list a'), width: link.getBoundingClientRect().width, height: link.getBoundingClientRect().height }));
    });
    expect(sizes.filter((size) => size.nav).length).toBeGreaterThan(9);
    expect(sizes.filter((size) => !size.nav).length).toBe(3);
    expect(sizes.filter((size) => size.width < 44 || size.height < 44)).toEqual([]);
  });

  it("keeps the staff's header under a third of the first screen: its links in one row that scrolls sideways, each 44 px high", async () => {
    await resetSession(ui.page, ui.server.url, fakeIdToken({ groups: ['staff'] }));
    await ui.page.goto(`${ui.server.url}/equipe/facturation`);
    await expect.poll(() => ui.page.locator('#session-logout').isVisible()).toBe(true);
    const header = await ui.page.evaluate(() => {
      const links = [...document.querySelectorAll<HTMLElement>('.site-header .nav-list a')].filter((link) => link.getClientRects().length > 0);
      const list = document.querySelector<HTMLElement>('.nav-list')!;
      // The current page's link ("Facturation", far down the row) is in view on arrival.
      const current = document.querySelector<HTMLElement>('.nav-list a[aria-current="page"]')!;
      const currentInView = current.getBoundingClientRect().left >= list.getBoundingClientRect().left && current.getBoundingClientRect().right <= list.getBoundingClientRect().right;
      const last = links.at(-1)!;
      last.scrollIntoView({ block: 'nearest', inline: 'nearest' });
      return {
        height: document.querySelector('.site-header')!.getBoundingClientRect().height,
        viewport: window.innerHeight,
        current: current.textContent,
        currentInView,
        pageScrolled: window.scrollX !== 0 || window.scrollY !== 0,
        links: links.length,
        shortLinks: links.filter((link) => link.getBoundingClientRect().height < 44).map((link) => link.textContent),
        rows: new Set(links.map((link) => Math.round(link.getBoundingClientRect().top))).size,
        // The last link is reached by scrolling the row, not the page.
        pageScrollsSideways: document.documentElement.scrollWidth > window.innerWidth,
        lastInView: last.getBoundingClientRect().right <= list.getBoundingClientRect().right + 1 && list.scrollLeft > 0,
      };
    });
    expect(header.links).toBeGreaterThan(9);
    expect(header.shortLinks).toEqual([]);
    expect(header.height).toBeLessThan(header.viewport / 3);
    expect(header.rows).toBe(1);
    expect(header.pageScrollsSideways).toBe(false);
    expect(header).toMatchObject({ current: 'Facturation', currentInView: true, pageScrolled: false });
    expect(header.lastInView).toBe(true);
  });

  it('leaves the header of a wide screen with a mouse as it was: its links wrap in rows, none hidden in a scrolling row', async () => {
    const context = await ui.browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'fr-FR' });
    try {
      const page = await context.newPage();
      await resetSession(page, ui.server.url, fakeIdToken({ groups: ['staff'] }));
      await page.goto(`${ui.server.url}/equipe/facturation`);
      await expect.poll(() => page.locator('#session-logout').isVisible()).toBe(true);
      const header = await page.evaluate(() => {
        const list = document.querySelector<HTMLElement>('.nav-list')!;
        const links = [...list.querySelectorAll<HTMLElement>('a')].filter((link) => link.getClientRects().length > 0);
        return {
          links: links.length,
          scrolls: list.scrollWidth > list.clientWidth,
          outside: links.filter((link) => link.getBoundingClientRect().right > list.getBoundingClientRect().right + 1).length,
          heights: [...new Set(links.map((link) => Math.round(link.getBoundingClientRect().height)))],
          height: document.querySelector('.site-header')!.getBoundingClientRect().height,
        };
      });
      expect(header.links).toBeGreaterThan(9);
      expect(header).toMatchObject({ scrolls: false, outside: 0 });
      expect(Math.min(...header.heights)).toBeGreaterThanOrEqual(24);
      expect(header.height).toBeLessThan(800 / 4);
    } finally {
      await context.close();
    }
  });

  it.each([
    ['JavaScript off', { javaScriptEnabled: false }, false],
    ['its module not loaded yet', {}, true],
  ] as const)('keeps what was typed out of the URL when a form is sent with %s, and says what to do without JavaScript', async (_, options, blockModule) => {
    const context = await ui.browser.newContext({ viewport: { width: 320, height: 568 }, isMobile: true, hasTouch: true, locale: 'fr-FR', ...options });
    try {
      const page = await context.newPage();
      // The module never arrives: the page is as a slow network leaves it before its script runs.
      if (blockModule) await page.route('**/assets/*.js', () => undefined);
      const navigations: string[] = [];
      page.on('request', (request) => {
        if (request.isNavigationRequest()) navigations.push(request.url());
      });
      for (const [path, field] of [['/nouveau-lien', '#f-contact'], ['/prescripteur/orienter', '#f-youngPerson-email']] as const) {
        navigations.length = 0;
        await page.goto(`${ui.server.url}${path}`, { waitUntil: 'commit' });
        await page.locator(field).fill('lea.martin@example.org');
        await page.locator(field).press('Enter');
        await page.locator('form button[type="submit"]').first().click();
        await page.waitForTimeout(300);
        expect(navigations.filter((url) => url.includes('example.org') || url.includes('?')), path).toEqual([]);
        expect(page.url()).toBe(`${ui.server.url}${path}`);
        if (!blockModule) {
          // Playwright's text search skips <noscript>: its paragraph is found by its place.
          const notice = page.locator('main > noscript > p');
          expect(await notice.isVisible()).toBe(true);
          expect(await notice.textContent()).toMatch(/besoin de JavaScript : activez-le/);
        }
      }
    } finally {
      await context.close();
    }
  });

  it.each(['/mon-parcours', '/tuteur', '/nouveau-lien', '/mon-activite', '/ma-facturation'])(
    'opens %s, a page reached by a personal link, on its title: no staff or prescriber links above it',
    async (path) => {
      await resetSession(ui.page, ui.server.url);
      await ui.page.goto(`${ui.server.url}${path}`);
      expect(await ui.page.locator('a[href^="/equipe"], a[href^="/prescripteur"]').count()).toBe(0);
      const title = await ui.page.locator('h1').boundingBox();
      expect(title!.y).toBeLessThan(120);
    },
  );
});

/**
 * The radio buttons and checkboxes shown on the page: each one's size, and how many points of its row (from its
 * column's left edge to the row's right edge, the label's height) are neither the box nor its label, each row scrolled
 * into view to be probed.
 */
async function choiceTargets(page: Page) {
  return await page.evaluate(() => {
    const inputs = [...document.querySelectorAll<HTMLInputElement>('input[type=radio], input[type=checkbox]')].filter((input) => input.getClientRects().length > 0);
    const boxes = inputs.map((input) => {
      const label = document.querySelector<HTMLLabelElement>(`label[for="${input.id}"]`)!;
      label.scrollIntoView({ block: 'center' });
      const { width, height, left } = input.getBoundingClientRect();
      const row = label.getBoundingClientRect();
      let missed = 0;
      for (let y = Math.ceil(row.top) + 1; y < row.bottom - 1; y += 3) {
        for (let x = Math.ceil(left) + 1; x < row.right - 1; x += 3) {
          const hit = document.elementFromPoint(x, y);
          if (hit !== input && !label.contains(hit)) missed++;
        }
      }
      return { label: label.textContent, width, height, missed };
    });
    window.scrollTo(0, 0);
    return { boxes, pageScrollsSideways: document.documentElement.scrollWidth > window.innerWidth };
  });
}
