import { afterAll, describe, expect, inject, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { SFNClient, DescribeExecutionCommand, GetExecutionHistoryCommand } from '@aws-sdk/client-sfn';
import { LocalIssuer } from '../../infra/local/auth.js';
import { DEMO_USERS } from '../../infra/local-app/demo-users.js';
import { endDynamoDbOf } from '../../infra/local/dynamodb-process.js';
import { freePort } from '../../infra/local/net.js';
import { loadAssembly } from '../../infra/local/assembly.js';
import { describeTemplate } from '../../infra/local/template.js';
import { adultSubmission, staffCamille } from '../support/fixtures.js';
import { decide } from '../../shared/data/approvals.js';
import { referralDecisions } from '../../shared/data/referral-decisions.js';
import { eventually } from '../support/cloud.js';
import { watchLogFile } from '../support/personal-data.js';

const dataDir = mkdtempSync(join(tmpdir(), 'parcours-crash-'));
// The local cloud of this file runs in a child process: its log file is checked at the end of the run too.
watchLogFile(join(dataDir, 'logs', 'functions.log'));
let child: ChildProcess | undefined;

/** Starts `npm start`'s entry point as its own process, on fixed ports so the restarted one answers at the same addresses. */
async function startProcess(ports: { gateway: number; ses: number; aws: number; dynamodb: number }): Promise<ChildProcess> {
  const proc = spawn(
    process.execPath,
    [
      '--import', 'tsx', 'infra/local-app/main.ts',
      '--assembly', inject('assemblyDir'),
      '--data-dir', dataDir,
      '--port', String(ports.gateway),
      '--ses-port', String(ports.ses),
      '--aws-port', String(ports.aws),
      '--dynamodb-port', String(ports.dynamodb),
      '--no-demo',
      '--sms-window', 'off',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env } },
  );
  let output = '';
  proc.stdout!.on('data', (chunk) => (output += chunk));
  proc.stderr!.on('data', (chunk) => (output += chunk));
  await eventually(async () => {
    if (proc.exitCode !== null) throw new Error(`local cloud exited: ${output}`);
    return output.includes('prêt');
  }, 60_000, 'local cloud ready');
  return proc;
}

afterAll(() => {
  child?.kill('SIGTERM');
  // A failed run must not leave the Java process of a killed local cloud behind.
  endDynamoDbOf(dataDir);
});

describe('a local cloud killed while a decision is pending', () => {
  it('resumes the parked execution after a restart: the decision finishes it exactly once, notifications sent once', async () => {
    const ports = { gateway: await freePort(), ses: await freePort(), aws: await freePort(), dynamodb: await freePort() };
    const base = `http://127.0.0.1:${ports.gateway}`;
    const issuer = await LocalIssuer.create({ issuerUrl: `${base}/local-auth`, clientId: 'unused', dataDir, users: DEMO_USERS });
    child = await startProcess(ports);
    // Tokens are minted with the keys the local cloud persisted in its data folder, as a signed-in person would hold them.
    const clientId = (await (await fetch(`${base}/api/config`)).json()).clientId as string;
    const mint = async (user: string) => (await LocalIssuer.create({ issuerUrl: issuer.issuerUrl, clientId, dataDir, users: DEMO_USERS })).mintIdToken(user);
    const call = async (user: string, method: string, path: string, body?: unknown) => {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${await mint(user)}`, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: res.status, body: await res.json() };
    };

    const submission = adultSubmission();
    const submitted = await call('sarah.benali', 'POST', '/api/referrals', submission);
    expect(submitted.status).toBe(201);
    const inboxItemOf = (referralId: string) =>
      eventually(async () => (await call('camille.martin', 'GET', '/api/staff/inbox?limit=100')).body.items.find((i: { referralId: string }) => i.referralId === referralId), 20_000, 'inbox item');
    const item = await inboxItemOf(submitted.body.referralId);

    // A second referral is decided, and the local cloud is killed before the decision reaches its workflow:
    // the decision is committed exactly as DecideApproval commits it, and SendTaskSuccess never happens.
    const lost = adultSubmission();
    const lostSubmitted = await call('sarah.benali', 'POST', '/api/referrals', lost);
    const lostItem = await inboxItemOf(lostSubmitted.body.referralId);
    Object.assign(process.env, {
      TABLE_NAME: app().tables[0].tableName,
      AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${ports.dynamodb}`,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_REGION: 'eu-west-3',
    });
    await decide(referralDecisions, { approvalId: lostItem.approvalId, decision: { outcome: 'refused', reasonCode: 'other' }, actor: staffCamille });

    child.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
    child = await startProcess(ports);

    const decided = await call('camille.martin', 'POST', `/api/approvals/${item.approvalId}/decision`, { outcome: 'accepted' });
    expect(decided.status).toBe(200);

    const sfn = new SFNClient({ endpoint: `http://127.0.0.1:${ports.aws}`, region: 'eu-west-3', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const executionArn = await eventually(async () => {
      const description = await sfn.send(new DescribeExecutionCommand({ executionArn: `arn:aws:states:eu-west-3:000000000000:execution:${machineName()}:${submitted.body.referralId}` }));
      return description.status === 'SUCCEEDED' ? description.executionArn : undefined;
    }, 20_000, 'execution succeeded');
    const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    const notifyRuns = (history.events ?? []).filter((e) => e.type === 'TaskStateEntered' && e.stateEnteredEventDetails?.name === 'Notifier la décision');
    expect(notifyRuns).toHaveLength(1);

    // Messages to the young person, mail and SMS both kept on disk across the kill: the acknowledgement (before it)
    // and the decision (after it), each exactly once.
    const emails = (await (await fetch(`http://127.0.0.1:${ports.ses}/store`)).json()).emails as Array<{ destination: { to: string[] }; subject: string }>;
    expect(emails.filter((m) => m.destination.to.includes(submission.youngPerson.email))).toHaveLength(2);
    const sms = (await (await fetch(`${base}/_local/sms/messages.json`)).json()) as Array<{ destination: string }>;
    expect(sms.filter((m) => m.destination === submission.youngPerson.phone)).toHaveLength(2);

    // One run of the reconciler (its schedule fired from the console, as "lancer maintenant") hands the lost
    // decision over: the workflow takes it, and its messages go once.
    const reconciler = app().schedules.find((schedule) => schedule.logicalId.startsWith('ReconcilerSchedule'))!;
    const fired = await fetch(`${base}/_local/schedules/${encodeURIComponent(reconciler.logicalId)}/run`, { method: 'POST', redirect: 'manual' });
    expect(fired.status).toBe(303);
    expect(fired.headers.get('location')).not.toContain('error');
    const lostArn = `arn:aws:states:eu-west-3:000000000000:execution:${machineName()}:${lostSubmitted.body.referralId}`;
    await eventually(async () => (await sfn.send(new DescribeExecutionCommand({ executionArn: lostArn }))).status === 'SUCCEEDED', 20_000, 'lost decision taken');
    const lostOutput = JSON.parse((await sfn.send(new DescribeExecutionCommand({ executionArn: lostArn }))).output!);
    expect(lostOutput.decision.outcome).toBe('refused');
    const lostHistory = await sfn.send(new GetExecutionHistoryCommand({ executionArn: lostArn }));
    expect((lostHistory.events ?? []).filter((e) => e.type === 'TaskStateEntered' && e.stateEnteredEventDetails?.name === 'Notifier la décision')).toHaveLength(1);
    const after = (await (await fetch(`http://127.0.0.1:${ports.ses}/store`)).json()).emails as Array<{ destination: { to: string[] }; subject: string }>;
    const refusal = after.filter((m) => m.destination.to.includes(lost.youngPerson.email) && m.subject === 'Réponse à votre orientation vers CoopConnexion');
    expect(refusal).toHaveLength(1);
    const lostSms = ((await (await fetch(`${base}/_local/sms/messages.json`)).json()) as Array<{ destination: string }>).filter((m) => m.destination === lost.youngPerson.phone);
    expect(lostSms).toHaveLength(2);
  }, 240_000);
});

function app() {
  const assembly = loadAssembly(inject('assemblyDir'));
  return describeTemplate(assembly.template, assembly.assemblyDir, { region: 'eu-west-3', accountId: '000000000000', stackName: assembly.stackName });
}

function machineName(): string {
  return app().stateMachines.find((m) => m.logicalId.toLowerCase().includes('referral'))!.name;
}
