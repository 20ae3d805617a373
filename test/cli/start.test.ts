import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { explain, faultSettings, parseFlags } from '../../infra/local-app/cli.js';
import { nodeVersionProblem } from '../../infra/local-app/node-version.js';
import { PortInUseError } from '../../infra/local/net.js';
import { freePort } from '../../infra/local/net.js';

/** `npm start` as a newcomer runs it: the CLI in its own process, its output and exit code. */
interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

const started: ChildProcess[] = [];

function run(script: string, args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: process.cwd(),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : null))));
  return { child, output: () => output, exited };
}

const start = (args: string[], env?: NodeJS.ProcessEnv) => run('infra/local-app/main.ts', args, env);

async function finished(r: Run, timeoutMs = 60_000): Promise<{ code: number | null; output: string }> {
  const code = await Promise.race([r.exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still running: ${r.output()}`)), timeoutMs))]);
  return { code, output: r.output() };
}

async function ready(r: Run, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!r.output().includes('cloud local prêt')) {
    if (r.child.exitCode !== null) throw new Error(`exited ${r.child.exitCode}: ${r.output()}`);
    if (Date.now() > deadline) throw new Error(`not ready: ${r.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Processes still running whose command line mentions `text` (DynamoDB Local's Java names its data folder). */
function processesMentioning(text: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text);
      } catch {
        return false;
      }
    })
    .map(Number);
}

const noStackTrace = (output: string) => expect(output).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)|node:internal/);
const oneLine = (output: string) => output.trim().split('\n');
const dataFolder = () => mkdtempSync(join(tmpdir(), 'parcours-cli-'));
/** Every port on a free one, from the run's synthesized assembly: a start takes seconds, not a synthesis. */
const cloudArgs = async (dataDir: string) => [
  '--data-dir', dataDir,
  '--assembly', inject('assemblyDir'),
  '--port', String(await freePort()),
  '--ses-port', '0',
  '--aws-port', '0',
  '--no-demo',
];

afterEach(() => {
  for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});
afterAll(() => {
  for (const pid of processesMentioning('parcours-cli-')) process.kill(pid, 'SIGKILL');
});

describe('npm start -- --help and bad flags', { timeout: 60_000 }, () => {
  it('lists every flag with its default and what it does', async () => {
    const { code, output } = await finished(start(['--help']));
    expect(code).toBe(0);
    for (const flag of ['--port', '--data-dir', '--reset', '--no-demo', '--stage', '--assembly', '--ses-port', '--aws-port', '--dynamodb-port', '--sms-window', '--faults', '--fault-rate', '--fault-kinds', '--fault-seed', '--verbose', '--help']) {
      expect(output).toContain(flag);
    }
    expect(output).toContain('défaut : 3000');
    expect(output).toContain('défaut : .local/data');
  });

  it.each([
    [['--bogus'], /option inconnue --bogus/],
    [['--port', 'abc'], /--port attend un numéro de port .*« abc »/],
    [['--fault-rate', '2'], /--fault-rate attend un nombre entre 0 et 1.*« 2 »/],
  ])('refuses %j in one line naming the flag, with exit code 2', async (args, message) => {
    const { code, output } = await finished(start(args));
    expect(code).toBe(2);
    expect(oneLine(output)).toHaveLength(1);
    expect(output).toMatch(message);
    noStackTrace(output);
  });

  it.each([
    [['--sms-window', '22-8'], /--sms-window attend .*« 22-8 »/],
    [['--stage', 'staging'], /--stage attend l'un de : dev, prod, local, test/],
    [['--reset=oui'], /--reset ne prend pas de valeur/],
    [['--port'], /--port attend une valeur/],
    [['--dynamodb-port', '0'], /--dynamodb-port attend un numéro de port \(1 à 65535\)/],
    [['--dynamodb-endpoint', 'localhost'], /--dynamodb-endpoint attend une adresse http/],
    [['--faults', 'dynamodb=2'], /--faults attend des paires service=part .*« dynamodb=2 »/],
    [['--faults', 'lambda=0.1'], /--faults attend des paires service=part .*dynamodb, ses, sms, stepfunctions, s3/],
    [['--fault-kinds', 'throttle,boom'], /--fault-kinds attend certaines de throttle, error, timeout, after/],
    [['démarrer'], /argument inattendu démarrer/],
  ])('parses %j to a one-line usage error (exit code 2)', (args, message) => {
    let thrown: unknown;
    try {
      parseFlags(args, {});
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ name: 'UsageError', exitCode: 2, message: expect.stringMatching(message) });
    expect(explain(thrown).split('\n')).toHaveLength(1);
  });

  it('applies the defaults --help shows, and the environment variables before them', () => {
    expect(parseFlags([], {})).toMatchObject({ port: '3000', 'data-dir': '.local/data', stage: 'local', 'ses-port': '8005', 'aws-port': '4010', 'sms-window': '8-20' });
    expect(parseFlags([], {})['dynamodb-port']).toBeUndefined();
    expect(parseFlags([], { PORT: '3100', PARCOURS_DATA_DIR: '/tmp/x' })).toMatchObject({ port: '3100', 'data-dir': '/tmp/x' });
    expect(parseFlags(['--port', '3200'], { PORT: '3100' })).toMatchObject({ port: '3200' });
  });

  it('reads the fault flags: --fault-rate for every service, --faults service by service over it, kinds and seed', () => {
    expect(faultSettings(parseFlags([], {}))).toBeUndefined();
    expect(faultSettings(parseFlags(['--fault-rate', '0.05'], {}))).toEqual({ dynamodb: 0.05, ses: 0.05, sms: 0.05, stepfunctions: 0.05, s3: 0.05 });
    expect(faultSettings(parseFlags(['--faults', 'dynamodb=0.1,ses=0.05', '--fault-kinds', 'throttle,after', '--fault-seed', '42'], {}))).toEqual({
      dynamodb: 0.1,
      ses: 0.05,
      kinds: ['throttle', 'after'],
      seed: 42,
    });
    expect(faultSettings(parseFlags(['--fault-rate', '0.05', '--faults', 'sms=0'], {}))).toMatchObject({ dynamodb: 0.05, sms: 0 });
    expect(() => faultSettings(parseFlags(['--fault-seed', '1'], {}))).toThrow(/--fault-seed ne sert qu’avec --faults ou --fault-rate/);
  });

  it('checks a value given by environment variable too (PORT)', async () => {
    const { code, output } = await finished(start([], { PORT: 'http' }));
    expect(code).toBe(2);
    expect(output).toMatch(/PORT \(--port\) attend un numéro de port/);
  });
});

describe('npm start without Java', { timeout: 60_000 }, () => {
  it('says in one line which package to install when it may not install it (no apt-get on the PATH)', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'parcours-path-'));
    symlinkSync(process.execPath, join(bin, 'node'));
    const dataDir = dataFolder();
    const { code, output } = await finished(start(await cloudArgs(dataDir), { PATH: bin }));
    expect(code).toBe(1);
    expect(oneLine(output)).toHaveLength(1);
    expect(output).toMatch(/Java 17\+ .* manque\. Installez-le \(Debian : sudo apt-get install default-jre-headless\), puis relancez npm start\./);
    noStackTrace(output);
    expect(processesMentioning(dataDir)).toEqual([]);
  });
});

describe('npm start with a port already taken', { timeout: 60_000 }, () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  it('names the port, says another npm start may run, gives the flag, and leaves nothing running', async () => {
    const port = await freePort();
    server = createServer();
    await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
    const dataDir = dataFolder();
    const args = (await cloudArgs(dataDir)).map((value, i, all) => (all[i - 1] === '--port' ? String(port) : value));
    const { code, output } = await finished(start(args));
    expect(code).toBe(1);
    expect(oneLine(output)).toEqual([
      `Le port ${port} (passerelle HTTP) est déjà pris : un autre npm start tourne peut-être. Arrêtez-le, ou choisissez un autre port avec --port <port>.`,
    ]);
    expect(processesMentioning(dataDir)).toEqual([]);
  });

  it.each([
    ['ses', 'SES local', '--ses-port'],
    ['aws', 'point d’accès AWS local', '--aws-port'],
    ['dynamodb', 'DynamoDB Local', '--dynamodb-port'],
  ])('names the flag of the %s port', (service, label, flag) => {
    expect(explain(new PortInUseError(4010, service))).toBe(
      `Le port 4010 (${label}) est déjà pris : un autre npm start tourne peut-être. Arrêtez-le, ou choisissez un autre port avec ${flag} <port>.`,
    );
  });
});

// Each of these starts a whole local cloud (from the run's assembly: no synthesis).
describe('npm start on a data folder', { timeout: 120_000 }, () => {
  it('takes over a stale lock left by a killed process, refuses a second start on the folder while it runs, then Ctrl+C stops it within 5 s, DynamoDB Local included', async () => {
    const dataDir = dataFolder();
    const gone = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => gone.once('exit', resolve));
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, 'local-cloud.lock'), String(gone.pid));
    const first = start(await cloudArgs(dataDir));
    await ready(first);
    expect(readFileSync(join(dataDir, 'local-cloud.lock'), 'utf8')).toBe(String(first.child.pid));
    expect(processesMentioning(join(dataDir, 'dynamodb')).length).toBe(1);

    const second = await finished(start(await cloudArgs(dataDir)));
    expect(second.code).toBe(1);
    expect(oneLine(second.output)).toEqual([
      `Le dossier de données ${dataDir} est déjà utilisé par un autre npm start (processus ${first.child.pid}) : arrêtez-le, ou choisissez un autre dossier avec --data-dir <dossier>.`,
    ]);

    const interrupted = Date.now();
    first.child.kill('SIGINT');
    const { code } = await finished(first, 10_000);
    expect(Date.now() - interrupted).toBeLessThan(5_000);
    expect(code).toBe(0);
    expect(processesMentioning(dataDir)).toEqual([]);
  });

  it('stops at once on a second Ctrl+C, DynamoDB Local included', async () => {
    const dataDir = dataFolder();
    const r = start(await cloudArgs(dataDir));
    await ready(r);
    const interrupted = Date.now();
    r.child.kill('SIGINT');
    // Signals of one kind do not queue: sent back to back, the two could arrive as one.
    await new Promise((resolve) => setTimeout(resolve, 150));
    r.child.kill('SIGINT');
    const { code } = await finished(r, 10_000);
    expect(Date.now() - interrupted).toBeLessThan(2_000);
    expect(code).toBe(130);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(processesMentioning(dataDir)).toEqual([]);
  });
});

describe('npm start on a fresh data folder, with the demo data', { timeout: 120_000 }, () => {
  it('seeds the demo referrals and sessions through the API on a first start, and marks the folder done', async () => {
    const dataDir = dataFolder();
    const r = start((await cloudArgs(dataDir)).filter((arg) => arg !== '--no-demo'));
    await ready(r);
    expect(r.output()).toContain('4 orientations de démonstration créées.');
    expect(readdirSync(dataDir)).toEqual(expect.arrayContaining(['demo-data.done', 'demo-sessions.done']));
    r.child.kill('SIGINT');
    expect((await finished(r, 10_000)).code).toBe(0);
  });
});

describe('npm run smoke with nothing running', () => {
  it('says which URL it tried and to run npm start first, in one line', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const { code, output } = await finished(run('scripts/smoke.ts', [], { BASE_URL: url }));
    expect(code).toBe(1);
    expect(oneLine(output)).toEqual([`npm run smoke : rien ne répond à ${url} : lancez d'abord npm start (dans un autre terminal), ou donnez son adresse avec BASE_URL.`]);
  });
});

describe('Node.js version', () => {
  it('accepts the engines range and above, and refuses older in one line', () => {
    expect(nodeVersionProblem('20.19.0', '20.19')).toBeUndefined();
    expect(nodeVersionProblem('22.1.0', '20.19')).toBeUndefined();
    expect(nodeVersionProblem('20.18.3', '20.19')).toBe('Node.js 20.18.3 est trop ancien : ce projet demande Node.js 20.19 ou plus récent (22 recommandé).');
    expect(nodeVersionProblem('18.20.4', '20.19')).toMatch(/trop ancien/);
  });
});
