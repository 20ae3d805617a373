import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LocalStepFunctions, MapRunDescription, MapRunListItem } from '../stepfunctions/index.js';
import type { ScheduleInfo } from '../scheduler.js';
import { aslToSvg } from './graph.js';
import { html, layout, prettyJson, raw, time, type NavLink, type Raw } from './html.js';

/** What the console reads of the Step Functions engine: its public API, as the AWS SDK sees it. */
export type ConsoleEngine = Pick<LocalStepFunctions, 'listStateMachines' | 'describeStateMachine' | 'listExecutions' | 'describeExecution' | 'getExecutionHistory' | 'listMapRuns' | 'describeMapRun'>;

/** What the console reads of the scheduler, and its "run now". */
export interface ConsoleScheduler {
  upcoming(): ScheduleInfo[];
  fireNow(logicalId: string): Promise<void>;
}

export interface LocalConsoleOptions {
  engine: ConsoleEngine;
  scheduler: ConsoleScheduler;
  /** Where the other local tools answer (absolute URLs or paths of the gateway). */
  links: { mailViewer: string; smsOutbox: string; awsEndpoint: string; app?: string };
  /** The app's own pages worth opening (the app's entry point names them). */
  pages?: Array<{ label: string; href: string }>;
  region: string;
  /** Path prefix of the console (default `/_local`). */
  basePath?: string;
  /** Executions per page (default 20). */
  pageSize?: number;
}

export interface LocalConsole {
  /** Answers the console's paths; false for any other path. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
}

const STATUS_LABELS: Record<string, string> = {
  RUNNING: 'En cours',
  SUCCEEDED: 'Réussie',
  FAILED: 'En échec',
  TIMED_OUT: 'Délai dépassé',
  ABORTED: 'Arrêtée',
  PENDING_REDRIVE: 'Relance en attente',
};
const STATUS_FILTERS = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];
/** A map run as the execution page shows it: described, or only listed (ended under an engine without DescribeMapRun). */
type MapRunView = MapRunDescription | MapRunListItem;
/** The most map runs an execution page describes. */
const MAX_MAP_RUNS = 100;
/** The most history events an execution page reads (a page of the AWS API holds at most 1,000). */
const MAX_HISTORY_EVENTS = 5000;

const status = (value: string) => html`<span class="status status-${value}">${STATUS_LABELS[value] ?? value}</span>`;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The local console: the state machines with their graphs, their executions and histories, the schedules with a
 * "run now" button, and links to the mail viewer, the SMS outbox and the AWS endpoint. Server-rendered French
 * pages reading only public APIs (the engine's, the scheduler's), so it works with any template.
 * @example const console = createLocalConsole({ engine, scheduler, links, region }); if (await console.handle(req, res)) return;
 */
export function createLocalConsole(options: LocalConsoleOptions): LocalConsole {
  const base = (options.basePath ?? '/_local').replace(/\/+$/, '');
  const pageSize = options.pageSize ?? 20;
  const nav: NavLink[] = [
    { href: `${base}/`, label: 'Accueil' },
    { href: `${base}/machines`, label: 'Machines à états' },
    { href: `${base}/schedules`, label: 'Planifications' },
    { href: options.links.mailViewer, label: 'E-mails' },
    { href: options.links.smsOutbox, label: 'SMS' },
    ...(options.links.app ? [{ href: options.links.app, label: 'Application' }] : []),
  ];
  const machinePath = (name: string) => `${base}/machines/${encodeURIComponent(name)}`;
  const executionPath = (arn: string) => `${base}/executions/${encodeURIComponent(arn)}`;
  const page = (title: string, current: string, body: Raw, refreshSeconds?: number) => layout({ title, nav, current, body, refreshSeconds });

  async function machines() {
    const all: Array<{ stateMachineArn: string; name: string }> = [];
    let nextToken: string | undefined;
    do {
      const listed = await options.engine.listStateMachines({ maxResults: 1000, nextToken });
      all.push(...listed.stateMachines);
      nextToken = listed.nextToken;
    } while (nextToken);
    return all;
  }

  async function machineByName(name: string) {
    const found = (await machines()).find((machine) => machine.name === name);
    if (!found) throw new HttpError(404, `Aucune machine à états « ${name} ».`);
    const described = await options.engine.describeStateMachine({ stateMachineArn: found.stateMachineArn });
    return { ...described, definitionObject: parseDefinition(described.definition) };
  }

  async function home(): Promise<string> {
    const list = await machines();
    const schedules = options.scheduler.upcoming();
    const endpoint = options.links.awsEndpoint;
    const env = `AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_REGION=${options.region}`;
    return page(
      'Accueil',
      `${base}/`,
      html`<h1>Console locale</h1>
<p class="lead">Ce que fait le cloud local : les machines à états et leurs exécutions, les planifications, les e-mails et les SMS envoyés. Rien ne sort de cette machine.</p>
<section aria-labelledby="h-machines"><h2 id="h-machines">Machines à états</h2>
${list.length === 0 ? html`<p>Aucune machine à états dans ce template.</p>` : ''}
<ul class="cards">${list.map(
        (machine) => html`<li><h3><a href="${machinePath(machine.name)}">${machine.name}</a></h3>
<p><a href="${machinePath(machine.name)}/executions">Exécutions</a></p>
<p><code class="wrap">${machine.stateMachineArn}</code></p></li>`,
      )}</ul></section>
${options.pages?.length ? html`<section aria-labelledby="h-pages"><h2 id="h-pages">Pages de l’application</h2>
<ul>${options.pages.map((link) => html`<li><a href="${link.href}">${link.label}</a></li>`)}</ul></section>` : ''}
<section aria-labelledby="h-services"><h2 id="h-services">Services</h2>
<ul class="cards">
<li><h3><a href="${base}/schedules">Planifications</a></h3><p>${schedules.length} planification(s), avec leur prochaine exécution et un bouton « Lancer maintenant ».</p></li>
<li><h3><a href="${options.links.mailViewer}">E-mails envoyés</a></h3><p>La boîte du SES local ; les e-mails y restent après un redémarrage.</p></li>
<li><h3><a href="${options.links.smsOutbox}">SMS envoyés</a></h3><p>La boîte d’envoi des SMS, et la simulation d’une réponse (STOP, START).</p></li>
</ul></section>
<section aria-labelledby="h-aws"><h2 id="h-aws">Point d’accès AWS</h2>
<p>Step Functions répond comme AWS à l’adresse <code class="wrap">${endpoint}</code>, pour l’AWS CLI et les SDK :</p>
<pre>${`${env} \\\n  aws --endpoint-url ${endpoint} stepfunctions list-state-machines`}</pre>
${list.map(
  (machine) => html`<pre>${`${env} \\\n  aws --endpoint-url ${endpoint} stepfunctions list-executions \\\n  --state-machine-arn ${machine.stateMachineArn}`}</pre>`,
)}
</section>`,
    );
  }

  async function machinesPage(): Promise<string> {
    const list = await machines();
    return page(
      'Machines à états',
      `${base}/machines`,
      html`<h1>Machines à états</h1>
<div class="table-scroll"><table class="stack"><caption>${list.length} machine(s) à états</caption>
<thead><tr><th scope="col">Nom</th><th scope="col">ARN</th><th scope="col">Exécutions</th></tr></thead>
<tbody>${list.map(
        (machine) => html`<tr><td data-label="Nom"><a href="${machinePath(machine.name)}">${machine.name}</a></td><td data-label="ARN" class="wrap"><code>${machine.stateMachineArn}</code></td><td data-label="Exécutions"><a href="${machinePath(machine.name)}/executions">Voir les exécutions</a></td></tr>`,
      )}</tbody></table></div>`,
    );
  }

  async function machinePage(name: string): Promise<string> {
    const machine = await machineByName(name);
    return page(
      machine.name,
      `${base}/machines`,
      html`<h1>${machine.name}</h1>
<dl class="facts"><dt>ARN</dt><dd><code>${machine.stateMachineArn}</code></dd><dt>Créée le</dt><dd>${time(machine.creationDate)}</dd></dl>
<p><a href="${machinePath(machine.name)}/executions">Exécutions de cette machine</a></p>
<h2 id="h-graph">Graphe</h2>
<figure class="graph" aria-labelledby="h-graph">${raw(aslToSvg(machine.definitionObject))}</figure>
${stateList(machine.definitionObject)}
<details><summary>Définition (ASL)</summary><pre>${JSON.stringify(machine.definitionObject, null, 2)}</pre></details>`,
    );
  }

  async function executionsPage(name: string, query: URLSearchParams): Promise<string> {
    const machine = await machineByName(name);
    const filter = query.get('status') ?? '';
    const token = query.get('page') ?? undefined;
    if (filter && !STATUS_FILTERS.includes(filter)) throw new HttpError(400, 'Statut inconnu.');
    const listed = await options.engine.listExecutions({
      stateMachineArn: machine.stateMachineArn,
      ...(filter ? { statusFilter: filter } : {}),
      maxResults: pageSize,
      nextToken: token,
    });
    const link = (next?: string) => `${machinePath(machine.name)}/executions?${new URLSearchParams({ ...(filter ? { status: filter } : {}), ...(next ? { page: next } : {}) })}`;
    return page(
      `Exécutions de ${machine.name}`,
      `${base}/machines`,
      html`<h1>Exécutions</h1>
<p>De <a href="${machinePath(machine.name)}">${machine.name}</a>, les plus récentes d’abord.</p>
<form method="get" class="filters"><div><label for="status">Statut</label><br>
<select id="status" name="status"><option value="">Tous</option>${STATUS_FILTERS.map((value) => html`<option value="${value}"${value === filter ? raw(' selected') : ''}>${STATUS_LABELS[value]}</option>`)}</select></div>
<button type="submit">Filtrer</button></form>
${listed.executions.length === 0
  ? html`<p>Aucune exécution${filter ? html` avec le statut « ${STATUS_LABELS[filter]} »` : ''}${token ? ' sur cette page' : ''}.</p>`
  : html`<div class="table-scroll"><table class="stack"><caption>${listed.executions.length} exécution(s) sur cette page (heure de Paris)</caption>
<thead><tr><th scope="col">Nom</th><th scope="col">Statut</th><th scope="col">Début</th><th scope="col">Fin</th></tr></thead>
<tbody>${listed.executions.map(
      (execution) => html`<tr><td data-label="Nom" class="wrap"><a href="${executionPath(execution.executionArn)}">${execution.name}</a></td><td data-label="Statut">${status(execution.status)}</td><td data-label="Début">${time(execution.startDate)}</td><td data-label="Fin">${time(execution.stopDate)}</td></tr>`,
    )}</tbody></table></div>`}
<nav aria-label="Pages d’exécutions" class="pager">${token ? html`<a href="${link()}">Première page</a>` : ''}${listed.nextToken ? html`<a href="${link(listed.nextToken)}" rel="next">Page suivante</a>` : ''}</nav>`,
    );
  }

  async function executionPage(arn: string): Promise<string> {
    const execution = await options.engine.describeExecution({ executionArn: arn });
    const machine = await options.engine.describeStateMachine({ stateMachineArn: execution.stateMachineArn });
    const events: Awaited<ReturnType<ConsoleEngine['getExecutionHistory']>>['events'] = [];
    let nextToken: string | undefined;
    do {
      const pageOf = await options.engine.getExecutionHistory({ executionArn: arn, maxResults: 1000, nextToken });
      events.push(...pageOf.events);
      nextToken = pageOf.nextToken;
    } while (nextToken && events.length < MAX_HISTORY_EVENTS);
    const path = statesOf(events);
    const stopped = execution.status !== 'RUNNING';
    const failed = ['FAILED', 'TIMED_OUT', 'ABORTED'].includes(execution.status);
    const svg = aslToSvg(parseDefinition(machine.definition), { visited: path.visited, current: stopped ? [] : path.open, failed: failed ? path.open : [] });
    const started = events[0]?.timestamp.getTime() ?? execution.startDate.getTime();
    const mapRuns = events.some((event) => event.type === 'MapRunStarted') ? await mapRunsOf(arn) : [];
    return page(
      execution.name,
      `${base}/machines`,
      html`<h1>Exécution ${execution.name}</h1>
<dl class="facts">
<dt>Machine</dt><dd><a href="${machinePath(machine.name)}">${machine.name}</a> (<a href="${machinePath(machine.name)}/executions">ses exécutions</a>)</dd>
<dt>Statut</dt><dd>${status(execution.status)}</dd>
<dt>Début</dt><dd>${time(execution.startDate)}</dd>
<dt>Fin</dt><dd>${time(execution.stopDate)}</dd>
${path.open.length > 0 ? html`<dt>${failed ? 'Arrêtée dans' : 'État actuel'}</dt><dd>${path.open.join(', ')}</dd>` : ''}
${execution.error ? html`<dt>Erreur</dt><dd class="error-text">${execution.error}</dd>` : ''}
${execution.cause ? html`<dt>Cause</dt><dd><pre>${prettyJson(execution.cause)}</pre></dd>` : ''}
<dt>ARN</dt><dd><code>${execution.executionArn}</code></dd>
</dl>
<details><summary>Entrée de l’exécution</summary><pre>${prettyJson(execution.input)}</pre></details>
${execution.output !== undefined ? html`<details><summary>Sortie de l’exécution</summary><pre>${prettyJson(execution.output)}</pre></details>` : ''}
${mapRuns.length > 0 ? mapRunsSection(mapRuns) : ''}
<h2 id="h-graph">Graphe</h2>
<p>En bleu, les états déjà passés${stopped ? '' : ' ; en orange, l’état actuel'}${failed ? ' ; en rouge, l’état où elle s’est arrêtée' : ''}.</p>
<figure class="graph" aria-labelledby="h-graph">${raw(svg)}</figure>
<h2 id="h-history">Historique (${events.length} événements)</h2>
<ol class="history" aria-labelledby="h-history">${events.map((event) => historyItem(event, started))}</ol>`,
      stopped ? undefined : 10,
    );
  }

  /**
   * The Distributed Map runs of an execution, in the order they started, each as DescribeMapRun tells it; one that ended
   * under an engine older than DescribeMapRun cannot be described (ResourceNotFound): listed with its dates alone.
   */
  async function mapRunsOf(executionArn: string): Promise<MapRunView[]> {
    const listed: MapRunListItem[] = [];
    let nextToken: string | undefined;
    do {
      const page = await options.engine.listMapRuns({ executionArn, maxResults: 100, nextToken });
      listed.push(...page.mapRuns);
      nextToken = page.nextToken;
    } while (nextToken && listed.length < MAX_MAP_RUNS);
    return await Promise.all(
      listed.map(async (item): Promise<MapRunView> => {
        try {
          return await options.engine.describeMapRun({ mapRunArn: item.mapRunArn });
        } catch (error) {
          if ((error as { name?: string }).name !== 'ResourceNotFound') throw error;
          return item;
        }
      }),
    );
  }

  function mapRunsSection(mapRuns: readonly MapRunView[]): Raw {
    // The map run's ARN names it `<machine>/<label>:<id>`: the label (the state's, or its Label field) tells which map.
    const label = (arn: string) => /:mapRun:[^/]+\/(.+):[^:]+$/.exec(arn)?.[1] ?? arn;
    const counts = (c: MapRunDescription['itemCounts']) =>
      html`${c.succeeded} réussi(s)${c.failed ? html`, <span class="error-text">${c.failed} en échec</span>` : ''}${c.running ? `, ${c.running} en cours` : ''}${c.pending ? `, ${c.pending} en attente` : ''}${c.aborted ? `, ${c.aborted} arrêté(s)` : ''} sur ${c.total}`;
    return html`<h2 id="h-maps">Cartes distribuées</h2>
<div class="table-scroll"><table class="stack" aria-labelledby="h-maps"><caption>${mapRuns.length} exécution(s) de carte</caption>
<thead><tr><th scope="col">Carte</th><th scope="col">Statut</th><th scope="col">Lots (exécutions enfants)</th><th scope="col">Éléments</th><th scope="col">Début</th><th scope="col">Fin</th></tr></thead>
<tbody>${mapRuns.map(
      (run) =>
        html`<tr data-map-run="${run.mapRunArn}"><td data-label="Carte" class="wrap">${label(run.mapRunArn)}</td>${
          'status' in run
            ? html`<td data-label="Statut">${status(run.status)}</td><td data-label="Lots">${counts(run.executionCounts)}</td><td data-label="Éléments">${counts(run.itemCounts)}</td>`
            : html`<td data-label="Statut">${run.stopDate ? 'Terminée' : 'En cours'}</td><td data-label="Lots" colspan="2">Comptes non conservés : carte terminée avant que le cloud local ne les garde</td>`
        }<td data-label="Début">${time(run.startDate)}</td><td data-label="Fin">${time(run.stopDate)}</td></tr>`,
    )}</tbody></table></div>`;
  }

  function schedulesPage(query: URLSearchParams): string {
    const schedules = options.scheduler.upcoming();
    const ran = schedules.find((schedule) => schedule.logicalId === query.get('ran'));
    const failure = query.get('error');
    return page(
      'Planifications',
      `${base}/schedules`,
      html`<h1>Planifications</h1>
${ran ? html`<p class="notice${failure ? ' ko' : ''}" role="status">${failure ? html`« ${ran.name} » a échoué : ${failure}.` : html`« ${ran.name} » a été lancée.`}</p>` : ''}
<p>Les planifications du template (EventBridge Scheduler et règles planifiées), heures de Paris. « Lancer maintenant » appelle leurs cibles comme le ferait une exécution planifiée.</p>
${schedules.length === 0 ? html`<p>Aucune planification dans ce template.</p>` : ''}
<div class="table-scroll"><table class="stack"><caption>${schedules.length} planification(s)</caption>
<thead><tr><th scope="col">Nom</th><th scope="col">Expression</th><th scope="col">Fuseau</th><th scope="col">Prochaine</th><th scope="col">Dernière</th><th scope="col">Action</th></tr></thead>
<tbody>${schedules.map(
        (schedule) => html`<tr data-schedule="${schedule.logicalId}">
<td data-label="Nom" class="wrap">${schedule.name}<br><small>${schedule.targets.map((target) => html`<code class="wrap">${target}</code> `)}</small></td>
<td data-label="Expression"><code>${schedule.expression}</code></td>
<td data-label="Fuseau">${schedule.timezone}</td>
<td data-label="Prochaine">${schedule.next ? time(schedule.next) : 'jamais'}</td>
<td data-label="Dernière">${schedule.lastRun ? html`${time(schedule.lastRun.at)}${schedule.lastRun.manual ? ' (à la main)' : ''}${schedule.lastRun.error ? html` <span class="error-text">échec : ${schedule.lastRun.error}</span>` : ''}` : 'jamais'}</td>
<td data-label="Action"><form method="post" action="${base}/schedules/${encodeURIComponent(schedule.logicalId)}/run" class="inline"><button type="submit" aria-label="Lancer maintenant ${schedule.name}">Lancer maintenant</button></form></td>
</tr>`,
      )}</tbody></table></div>`,
    );
  }

  async function runSchedule(req: IncomingMessage, res: ServerResponse, logicalId: string): Promise<void> {
    // A page of another site must not fire schedules through the developer's browser.
    // An origin that is not a URL (`://`, `garbage`) is no page of this console either.
    const origin = req.headers.origin;
    if (origin && origin !== 'null' && (!URL.canParse(origin) || new URL(origin).host !== req.headers.host)) throw new HttpError(403, 'Requête d’une autre origine refusée.');
    if (!options.scheduler.upcoming().some((schedule) => schedule.logicalId === logicalId)) throw new HttpError(404, 'Planification inconnue.');
    // The form has no fields: the body is drained so the connection can be reused.
    req.resume();
    let error = '';
    try {
      await options.scheduler.fireNow(logicalId);
    } catch (failure) {
      error = failure instanceof Error ? failure.name : 'Error';
    }
    res.writeHead(303, { location: `${base}/schedules?${new URLSearchParams({ ran: logicalId, ...(error ? { error } : {}) })}` }).end();
  }

  return {
    async handle(req, res) {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const path = url.pathname;
      if (path !== base && !path.startsWith(`${base}/`)) return false;
      const rest = path.slice(base.length).replace(/^\/+/, '');
      const method = req.method ?? 'GET';
      try {
        const segments = rest === '' ? [] : rest.split('/').map((segment) => decodeURIComponent(segment));
        if (method === 'POST' && segments[0] === 'schedules' && segments.length === 3 && segments[2] === 'run') {
          await runSchedule(req, res, segments[1]!);
          return true;
        }
        let body: string | undefined;
        if (segments.length === 0) body = await home();
        else if (segments[0] === 'machines' && segments.length === 1) body = await machinesPage();
        else if (segments[0] === 'machines' && segments.length === 2) body = await machinePage(segments[1]!);
        else if (segments[0] === 'machines' && segments.length === 3 && segments[2] === 'executions') body = await executionsPage(segments[1]!, url.searchParams);
        else if (segments[0] === 'executions' && segments.length === 2) body = await executionPage(segments[1]!);
        else if (segments[0] === 'schedules' && segments.length === 1) body = schedulesPage(url.searchParams);
        else return false;
        if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, 'Méthode non autorisée.');
        send(res, 200, body, method === 'HEAD');
      } catch (error) {
        const [code, message] = errorAnswer(error);
        send(res, code, page('Erreur', '', html`<h1>${code === 404 ? 'Introuvable' : 'Erreur'}</h1><p>${message}</p><p><a href="${base}/">Retour à l’accueil de la console</a></p>`), method === 'HEAD');
      }
      return true;
    },
  };
}

function send(res: ServerResponse, code: number, body: string, headOnly: boolean): void {
  res.writeHead(code, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
  res.end(headOnly ? undefined : body);
}

/** The HTTP status and French message for a failure; the engine's errors keep their AWS names. */
function errorAnswer(error: unknown): [number, string] {
  if (error instanceof HttpError) return [error.status, error.message];
  const name = error instanceof Error ? error.name : 'Error';
  if (name === 'ExecutionDoesNotExist' || name === 'StateMachineDoesNotExist') return [404, `Introuvable (${name}).`];
  if (name === 'InvalidArn' || name === 'InvalidToken' || name === 'ValidationException') return [400, `Requête invalide (${name}).`];
  if (error instanceof URIError) return [400, 'Adresse invalide.'];
  return [500, `Le cloud local n’a pas pu répondre (${name}).`];
}

function parseDefinition(definition: unknown): object {
  if (typeof definition !== 'string') return (definition ?? {}) as object;
  try {
    return JSON.parse(definition) as object;
  } catch {
    return {};
  }
}

type HistoryEvents = Awaited<ReturnType<ConsoleEngine['getExecutionHistory']>>['events'];

/** States entered, and those entered and not exited yet (where a running execution is, or where it stopped). */
export function statesOf(events: HistoryEvents): { visited: string[]; open: string[] } {
  const visited: string[] = [];
  const open: string[] = [];
  for (const event of events) {
    const entered = (event.stateEnteredEventDetails as { name?: string } | undefined)?.name;
    const exited = (event.stateExitedEventDetails as { name?: string } | undefined)?.name;
    if (entered !== undefined) {
      if (!visited.includes(entered)) visited.push(entered);
      open.push(entered);
    }
    if (exited !== undefined) {
      const index = open.lastIndexOf(exited);
      if (index >= 0) open.splice(index, 1);
    }
  }
  return { visited, open: [...new Set(open)] };
}

/** The state list under a graph: the same transitions as text, for screen readers and for searching the page. */
function stateList(definition: object): Raw {
  const states = Object.entries(((definition as { States?: Record<string, Record<string, unknown>> }).States ?? {}));
  return html`<details><summary>Les états en texte (${states.length})</summary><ul>${states.map(([name, state]) => {
    const targets = [
      typeof state.Next === 'string' ? `puis « ${state.Next} »` : '',
      ...(Array.isArray(state.Choices) ? state.Choices.map((choice: { Next?: string }) => `si… « ${choice.Next} »`) : []),
      typeof state.Default === 'string' ? `sinon « ${state.Default} »` : '',
      ...(Array.isArray(state.Catch) ? state.Catch.map((c: { ErrorEquals?: string[]; Next?: string }) => `sur ${(c.ErrorEquals ?? []).join(', ')} « ${c.Next} »`) : []),
      state.End === true ? 'fin' : '',
    ].filter(Boolean);
    return html`<li><strong>${name}</strong> (${String(state.Type)})${targets.length ? ` : ${targets.join(' ; ')}` : ''}</li>`;
  })}</ul></details>`;
}

const DATA_FIELDS = ['input', 'output', 'parameters'];
const DATA_LABELS: Record<string, string> = { input: 'Entrée', output: 'Sortie', parameters: 'Paramètres' };

function historyItem(event: HistoryEvents[number], started: number): Raw {
  const detailsKey = Object.keys(event).find((key) => key.endsWith('EventDetails'));
  const details = (detailsKey ? event[detailsKey] : undefined) as Record<string, unknown> | undefined;
  const error = typeof details?.error === 'string' ? details.error : undefined;
  const cause = typeof details?.cause === 'string' ? details.cause : undefined;
  const name = typeof details?.name === 'string' ? details.name : undefined;
  const facts = Object.entries(details ?? {}).filter(
    ([key, value]) => !DATA_FIELDS.includes(key) && !['error', 'cause', 'name'].includes(key) && (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'),
  );
  const elapsed = event.timestamp.getTime() - started;
  return html`<li id="event-${event.id}" class="${error || /Failed|TimedOut|Aborted/.test(event.type) ? 'error' : ''}">
<div><strong>${event.type}</strong>${name ? html` — « ${name} »` : ''}</div>
<div class="meta">n° ${event.id} · ${time(event.timestamp)} · +${(elapsed / 1000).toFixed(3)} s</div>
${error ? html`<p class="error-text">Erreur : ${error}</p>` : ''}
${cause ? html`<details open><summary>Cause</summary><pre>${prettyJson(cause)}</pre></details>` : ''}
${DATA_FIELDS.filter((key) => typeof details?.[key] === 'string').map(
  (key) => html`<details><summary>${DATA_LABELS[key]} (${String(details![key]).length} caractères)</summary><pre>${prettyJson(details![key] as string)}</pre></details>`,
)}
${facts.length ? html`<div class="meta">${facts.map(([key, value]) => html`${key} : <code class="wrap">${String(value)}</code> `)}</div>` : ''}
</li>`;
}
