import { describe, expect, it } from 'vitest';
import { pagesInBrowser } from '../support/browser.js';
import { fakeIdToken, resetSession } from '../support/pages.js';

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
