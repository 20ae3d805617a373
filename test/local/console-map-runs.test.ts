import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalConsole, type ConsoleEngine } from '../../infra/local/console/index.js';
import type { MapRunDescription } from '../../infra/local/stepfunctions/index.js';

/*
 * The console's execution page with Distributed Map runs, on an engine stood in for: one map run described, one that
 * ended under an engine older than DescribeMapRun (ResourceNotFound), whose page must still open.
 */
const MACHINE = 'arn:aws:states:eu-west-3:000000000000:stateMachine:Invoicing';
const EXECUTION = 'arn:aws:states:eu-west-3:000000000000:execution:Invoicing:invoicing-2026-11';
const mapRunArn = (label: string, id: string) => `arn:aws:states:eu-west-3:000000000000:mapRun:Invoicing/${label}:${id}`;
const DRAFTING = mapRunArn('Rédiger les brouillons', 'a1');
const DELIVERY = mapRunArn('Envoyer les factures', 'b2');
const at = (minute: number) => new Date(Date.UTC(2026, 11, 1, 5, minute));
const counts = (c: Partial<MapRunDescription['itemCounts']>) => ({ pending: 0, running: 0, succeeded: 0, failed: 0, timedOut: 0, aborted: 0, total: 0, resultsWritten: 0, failuresNotRedrivable: 0, pendingRedrive: 0, ...c });

const engine: ConsoleEngine = {
  listStateMachines: async () => ({ stateMachines: [] }),
  describeStateMachine: async () =>
    ({ stateMachineArn: MACHINE, name: 'Invoicing', definition: JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Pass', End: true } } }) }) as Awaited<ReturnType<ConsoleEngine['describeStateMachine']>>,
  listExecutions: async () => ({ executions: [] }),
  describeExecution: async () =>
    ({ executionArn: EXECUTION, stateMachineArn: MACHINE, name: 'invoicing-2026-11', status: 'RUNNING', startDate: at(0), input: '{}' }) as Awaited<ReturnType<ConsoleEngine['describeExecution']>>,
  getExecutionHistory: async () =>
    ({
      events: [
        { id: 1, type: 'ExecutionStarted', timestamp: at(0) },
        { id: 2, type: 'MapRunStarted', timestamp: at(1), mapRunStartedEventDetails: { mapRunArn: DRAFTING } },
        { id: 3, type: 'MapRunSucceeded', timestamp: at(2) },
        { id: 4, type: 'MapRunStarted', timestamp: at(3), mapRunStartedEventDetails: { mapRunArn: DELIVERY } },
      ],
    }) as unknown as Awaited<ReturnType<ConsoleEngine['getExecutionHistory']>>,
  listMapRuns: async () => ({
    mapRuns: [
      { executionArn: EXECUTION, mapRunArn: DRAFTING, stateMachineArn: `${MACHINE}/Rédiger les brouillons`, startDate: at(1), stopDate: at(2) },
      { executionArn: EXECUTION, mapRunArn: DELIVERY, stateMachineArn: `${MACHINE}/Envoyer les factures`, startDate: at(3) },
    ],
  }),
  describeMapRun: async ({ mapRunArn }) => {
    if (mapRunArn === DRAFTING) throw Object.assign(new Error(`Map run ${mapRunArn} does not exist`), { name: 'ResourceNotFound' });
    return {
      mapRunArn,
      executionArn: EXECUTION,
      status: 'RUNNING',
      startDate: at(3),
      maxConcurrency: 2,
      toleratedFailurePercentage: 5,
      toleratedFailureCount: 0,
      executionCounts: counts({ succeeded: 3, failed: 1, running: 2, pending: 4, total: 10 }),
      itemCounts: counts({ succeeded: 150, failed: 50, running: 100, pending: 200, total: 500 }),
      redriveCount: 0,
    };
  },
};

let server: Server;
let url: string;

beforeAll(async () => {
  const localConsole = createLocalConsole({ engine, scheduler: { upcoming: () => [], fireNow: async () => undefined }, region: 'eu-west-3', links: { mailViewer: '/mails', smsOutbox: '/sms', awsEndpoint: 'http://127.0.0.1:4010' } });
  server = createServer((req, res) => void localConsole.handle(req, res).then((handled) => handled || res.writeHead(404).end()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

describe("the local console's execution page with Distributed Map runs", () => {
  it('shows each map run with its batches and items by status, and one it cannot describe with its dates alone', async () => {
    const response = await fetch(`${url}/_local/executions/${encodeURIComponent(EXECUTION)}`);
    expect(response.status).toBe(200);
    const text = (await response.text()).replace(/\s+/g, ' ');
    const rows = [...text.matchAll(/<tr data-map-run="([^"]+)">(.*?)<\/tr>/g)].map(([, arn, row]) => ({ arn, cells: row!.replace(/<[^>]+>/g, '|').replace(/\|+/g, '|') }));
    expect(rows.map((row) => row.arn)).toEqual([DRAFTING, DELIVERY]);
    expect(rows[0]!.cells).toContain('|Rédiger les brouillons|Terminée|Comptes non conservés');
    expect(rows[1]!.cells).toContain('|Envoyer les factures|En cours|3 réussi(s), |1 en échec|, 2 en cours, 4 en attente sur 10|150 réussi(s), |50 en échec|, 100 en cours, 200 en attente sur 500|');
  });
});
