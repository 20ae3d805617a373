import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { apiClient, eventually, startTestCloud } from '../support/cloud.js';
import { adultSubmission } from '../support/fixtures.js';
import { launchBrowser } from '../support/browser.js';
import { createLocalConsole } from '../../infra/local/console/index.js';
import type { LocalCloud } from '../../infra/local/cloud.js';

let cloud: LocalCloud;
let browser: Browser;
let machineName: string;
let decidedArn: string;
let waitingArn: string;
/** A second console on the same engine with one execution per page, to see paging without 20 referrals. */
let pagedConsole: Server;
let pagedUrl: string;

const consoleUrl = (path: string) => new URL(path, cloud.urls.console).href;
const get = async (path: string, init?: RequestInit) => {
  const response = await fetch(consoleUrl(path), { redirect: 'manual', ...init });
  return { status: response.status, text: await response.text(), headers: response.headers };
};

beforeAll(async () => {
  [cloud, browser] = await Promise.all([startTestCloud({ inMemory: true }), launchBrowser()]);
  machineName = cloud.app.stateMachines.find((machine) => machine.logicalId.startsWith('ReferralStateMachine'))!.name;
  const sarah = apiClient(cloud, 'sarah.benali');
  const camille = apiClient(cloud, 'camille.martin');
  const decided = await sarah('POST', '/api/referrals', adultSubmission(), { 'idempotency-key': randomUUID() });
  const waiting = await sarah('POST', '/api/referrals', adultSubmission(), { 'idempotency-key': randomUUID() });
  const executionArn = (referralId: string) => `arn:aws:states:eu-west-3:000000000000:execution:${machineName}:${referralId}`;
  decidedArn = executionArn(decided.body.referralId);
  waitingArn = executionArn(waiting.body.referralId);
  // A staff decision over HTTP, as in the referral path.
  const item = await eventually(async () => (await camille('GET', '/api/staff/inbox')).body.items.find((i: { referralId: string }) => i.referralId === decided.body.referralId), 20_000, 'inbox item');
  expect((await camille('POST', `/api/approvals/${item.approvalId}/decision`, { outcome: 'accepted', messageToYoungPerson: 'Bienvenue !' })).status).toBe(200);
  expect(await cloud.engine.waitForStatus(decidedArn, { timeoutMs: 20_000 })).toBe('SUCCEEDED');
  await cloud.engine.waitForStatus(waitingArn, { timeoutMs: 20_000, until: () => true });
  await eventually(async () => (await cloud.engine.getExecutionHistory({ executionArn: waitingArn })).events.some((e) => (e.stateEnteredEventDetails as { name?: string } | undefined)?.name === 'Attendre la décision'), 20_000, 'waiting state');

  const paged = createLocalConsole({ engine: cloud.engine, scheduler: cloud.scheduler, region: 'eu-west-3', links: { mailViewer: cloud.urls.mailViewer, smsOutbox: '/_local/sms/', awsEndpoint: cloud.urls.awsEndpoint }, pageSize: 1 });
  pagedConsole = createServer((req, res) => void paged.handle(req, res).then((handled) => handled || res.writeHead(404).end()));
  await new Promise<void>((resolve) => pagedConsole.listen(0, '127.0.0.1', resolve));
  pagedUrl = `http://127.0.0.1:${(pagedConsole.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  pagedConsole?.closeAllConnections();
  pagedConsole?.close();
  await browser?.close();
  await cloud?.stop();
});

describe('the local console over HTTP', () => {
  it('lists the services on its home page: machines with their ARNs, schedules, mail, SMS and the AWS endpoint', async () => {
    const home = await get('/_local/');
    expect(home.status).toBe(200);
    expect(home.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(home.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(home.text).toContain('<html lang="fr">');
    expect(home.text).toMatch(/<main id="contenu"/);
    expect(home.text).toContain(`href="/_local/machines/${encodeURIComponent(machineName)}"`);
    expect(home.text).toContain(`arn:aws:states:eu-west-3:000000000000:stateMachine:${machineName}`);
    expect(home.text).toContain(`aws --endpoint-url ${cloud.urls.awsEndpoint} stepfunctions list-executions`);
    expect(home.text).toContain(`href="${cloud.urls.mailViewer}"`);
    expect(home.text).toContain('href="/_local/sms/"');
    expect(home.text).toContain('href="/_local/schedules"');
    expect((await get('/_local')).status).toBe(200);
  });

  it('draws each state machine from its definition', async () => {
    const page = await get(`/_local/machines/${encodeURIComponent(machineName)}`);
    expect(page.status).toBe(200);
    const definition = cloud.app.stateMachines.find((machine) => machine.name === machineName)!.definition as { States: Record<string, { Type: string }> };
    for (const [name, state] of Object.entries(definition.States)) {
      expect(page.text).toContain(`data-state="${name.replace(/'/g, '&#39;')}" data-type="${state.Type}"`);
    }
    expect(page.text).toContain('data-kind="catch"');
  });

  it('lists executions with a status filter, and pages them', async () => {
    const all = await get(`/_local/machines/${encodeURIComponent(machineName)}/executions`);
    expect(all.text).toContain(encodeURIComponent(decidedArn));
    expect(all.text).toContain(encodeURIComponent(waitingArn));
    const succeeded = await get(`/_local/machines/${encodeURIComponent(machineName)}/executions?status=SUCCEEDED`);
    expect(succeeded.text).toContain(encodeURIComponent(decidedArn));
    expect(succeeded.text).not.toContain(encodeURIComponent(waitingArn));
    expect(succeeded.text).toContain('<option value="SUCCEEDED" selected>');
    const running = await get(`/_local/machines/${encodeURIComponent(machineName)}/executions?status=RUNNING`);
    expect(running.text).toContain(encodeURIComponent(waitingArn));
    expect(running.text).not.toContain(encodeURIComponent(decidedArn));
    expect((await get(`/_local/machines/${encodeURIComponent(machineName)}/executions?status=NOPE`)).status).toBe(400);

    // One per page: the newest first, then the next page by its token, and no further page.
    const first = await (await fetch(`${pagedUrl}/_local/machines/${encodeURIComponent(machineName)}/executions`)).text();
    expect(first).toContain(encodeURIComponent(waitingArn));
    expect(first).not.toContain(encodeURIComponent(decidedArn));
    const next = /<a href="([^"]+)" rel="next">Page suivante<\/a>/.exec(first)![1]!.replace(/&amp;/g, '&');
    const second = await (await fetch(`${pagedUrl}${next}`)).text();
    expect(second).toContain(encodeURIComponent(decidedArn));
    expect(second).not.toContain('rel="next"');
    expect(second).toContain('Première page');
    expect((await fetch(`${pagedUrl}/_local/machines/${encodeURIComponent(machineName)}/executions?page=forged`)).status).toBe(400);
  });

  it('shows an execution: its path on the graph, its history with inputs and outputs, its output escaped', async () => {
    const page = await get(`/_local/executions/${encodeURIComponent(decidedArn)}`);
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/<g class="asl-node t-Task visited" data-state="Notifier la décision"/);
    expect(page.text).toMatch(/<g class="asl-node t-Succeed visited" data-state="Orientation acceptée"/);
    expect(page.text).toMatch(/<g class="asl-node t-Task" data-state="Escalader"/);
    expect(page.text).toContain('ExecutionSucceeded');
    expect(page.text).toContain('Sortie (');

    const waiting = await get(`/_local/executions/${encodeURIComponent(waitingArn)}`);
    expect(waiting.text).toMatch(/<g class="asl-node t-Task current visited" data-state="Attendre la décision"/);
    expect(waiting.text).toContain('<meta http-equiv="refresh" content="10">');
  });

  it('shows where a failed execution stopped and why, its data escaped', async () => {
    const { executionArn } = await cloud.engine.startExecution({
      stateMachineArn: `arn:aws:states:eu-west-3:000000000000:stateMachine:${machineName}`,
      name: `broken-${randomUUID()}`,
      input: JSON.stringify({ referralId: '<img src=x onerror=alert(1)>' }),
    });
    expect(await cloud.engine.waitForStatus(executionArn, { timeoutMs: 30_000 })).toBe('FAILED');
    const page = await get(`/_local/executions/${encodeURIComponent(executionArn)}`);
    expect(page.text).toMatch(/<g class="asl-node t-Task failed visited" data-state="Accuser réception"/);
    expect(page.text).toContain('<span class="status status-FAILED">En échec</span>');
    expect(page.text).toMatch(/<dt>Erreur<\/dt><dd class="error-text">States\.\w+<\/dd>/);
    expect(page.text).toMatch(/<li id="event-\d+" class="error">/);
    expect(page.text).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(page.text).not.toContain('<img');
  });

  it('answers 404 for an unknown machine or execution and 400 for a malformed ARN, escaping what it repeats', async () => {
    const unknown = await get(`/_local/machines/${encodeURIComponent('<script>x</script>')}`);
    expect(unknown.status).toBe(404);
    expect(unknown.text).toContain('&lt;script&gt;x&lt;/script&gt;');
    expect(unknown.text).not.toContain('<script>');
    expect((await get(`/_local/executions/${encodeURIComponent(`${decidedArn}-missing`)}`)).status).toBe(404);
    expect((await get('/_local/executions/not-an-arn')).status).toBe(400);
    expect((await get('/_local/executions/%E0%A4%A')).status).toBe(400);
  });

  it('lists the schedules with their next run, and fires one now by POST', async () => {
    const page = await get('/_local/schedules');
    // The schedule furthest from its next run: another one firing on its own meanwhile is not counted.
    const schedule = [...cloud.scheduler.upcoming()].sort((a, b) => String(b.next ?? '').localeCompare(String(a.next ?? '')))[0];
    expect(page.text).toContain(`data-schedule="${schedule!.logicalId}"`);
    expect(page.text).toContain('<code>rate(5 minutes)</code>');
    const next = Date.parse(/data-label="Prochaine"><time datetime="([^"]+)"/.exec(page.text)![1]!);
    expect(next).toBeGreaterThan(Date.now() - 1000);
    expect(next - Date.now()).toBeLessThanOrEqual(5 * 60_000);

    const refused = await get(`/_local/schedules/${schedule!.logicalId}/run`, { method: 'POST', headers: { origin: 'https://evil.example' } });
    expect(refused.status).toBe(403);
    // An Origin that is not a URL is no page of the console either: refused, not a 500.
    for (const origin of ['://', 'garbage']) expect((await get(`/_local/schedules/${schedule!.logicalId}/run`, { method: 'POST', headers: { origin } })).status).toBe(403);
    expect((await get('/_local/schedules/Nope/run', { method: 'POST' })).status).toBe(404);
    const ran = await get(`/_local/schedules/${schedule!.logicalId}/run`, { method: 'POST' });
    expect(ran.status).toBe(303);
    expect(ran.headers.get('location')).toBe(`/_local/schedules?ran=${schedule!.logicalId}`);
    expect(cloud.scheduler.upcoming().find((s) => s.logicalId === schedule!.logicalId)!.lastRun).toMatchObject({ manual: true });
  });

  it('keeps the SMS outbox and the health check where they were', async () => {
    expect((await get('/_local/sms/')).text).toContain("<h1>Boîte d'envoi SMS</h1>");
    expect((await get('/_local/health')).status).toBe(200);
    expect((await get('/_local/nothing-here')).status).toBe(404);
  });
});

describe('the local console in a browser', () => {
  const open = async (path: string, width = 1280): Promise<Page> => {
    const page = await browser.newPage({ viewport: { width, height: 900 } });
    await page.goto(consoleUrl(path));
    return page;
  };

  it('draws the referral machine as a graph, reached from the home page', async () => {
    const page = await open('/_local/');
    await page.getByRole('link', { name: machineName }).first().click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe(machineName);
    const graph = page.locator('svg.asl-graph');
    expect(await graph.isVisible()).toBe(true);
    const definition = cloud.app.stateMachines.find((machine) => machine.name === machineName)!.definition as { States: object };
    expect(await page.locator('svg.asl-graph g.asl-node').count()).toBe(Object.keys(definition.States).length);
    const box = await page.locator('g.asl-node[data-state="Attendre la décision"] rect').first().boundingBox();
    expect(box!.width).toBeGreaterThan(50);
    expect(await page.locator('g.asl-node[data-state="Attendre la décision"] text.asl-type').textContent()).toBe('Task');
    // Boxes do not overlap.
    const boxes = await page.locator('svg.asl-graph > g.asl-node > rect').evaluateAll((rects) => rects.map((r) => r.getBoundingClientRect()).map(({ x, y, width, height }) => ({ x, y, width, height })));
    for (const [i, a] of boxes.entries()) {
      for (const b of boxes.slice(i + 1)) {
        expect(a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y).toBe(true);
      }
    }
    await page.close();
  });

  it('shows an execution’s history after a staff decision, with its path on the graph', async () => {
    const page = await open(`/_local/machines/${encodeURIComponent(machineName)}/executions`);
    await page.getByLabel('Statut').selectOption('SUCCEEDED');
    await page.getByRole('button', { name: 'Filtrer' }).click();
    await page.waitForURL(/status=SUCCEEDED/);
    await page.getByRole('link', { name: decidedArn.split(':').at(-1)! }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toContain(decidedArn.split(':').at(-1)!);
    expect(await page.locator('g.asl-node.visited[data-state="Attendre la décision"]').count()).toBe(1);
    expect(await page.locator('g.asl-node.visited[data-state="Orientation acceptée"]').count()).toBe(1);
    expect(await page.locator('g.asl-node.visited[data-state="Orientation refusée"]').count()).toBe(0);
    // The workflow takes the decision from the table in the step after the wait; its output's JSON opens on demand.
    const exited = page.locator('ol.history > li', { hasText: 'TaskStateExited — « Notifier la décision »' });
    const output = exited.locator('details', { hasText: 'Sortie' });
    expect(await output.locator('pre').isVisible()).toBe(false);
    await output.locator('summary').click();
    expect(await output.locator('pre').textContent()).toContain('"outcome": "accepted"');
    expect(await page.locator('ol.history > li').last().textContent()).toContain('ExecutionSucceeded');
    await page.close();
  });

  it('fires a schedule now from the schedules page, through its target', async () => {
    // No schedule fires on its own meanwhile: schedules share targets (the monthly invoicing's schedule invokes the
    // reconciler, which runs every 5 minutes too), and the other one's fire would count twice.
    await cloud.scheduler.stop();
    const schedule = [...cloud.scheduler.upcoming()].sort((a, b) => String(b.next ?? '').localeCompare(String(a.next ?? '')))[0];
    const invoked: string[] = [];
    const invoke = cloud.lambda.invoke.bind(cloud.lambda);
    cloud.lambda.invoke = (arn, payload) => {
      invoked.push(arn);
      return invoke(arn, payload);
    };
    try {
      const page = await open('/_local/schedules', 390);
      await page.getByRole('button', { name: `Lancer maintenant ${schedule!.name}` }).click();
      await page.waitForURL(/ran=/);
      expect(await page.getByRole('status').textContent()).toContain('a été lancée');
      expect(await page.locator(`tr[data-schedule="${schedule!.logicalId}"] td[data-label="Dernière"]`).textContent()).toContain('(à la main)');
      expect(invoked.filter((arn) => schedule!.targets.includes(arn))).toEqual(schedule!.targets);
      await page.close();
    } finally {
      cloud.lambda.invoke = invoke;
      cloud.scheduler.start();
    }
  });
});
