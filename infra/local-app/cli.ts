import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { STAGES } from '../config.js';
import { endDynamoDbOf, JavaRuntimeMissingError } from '../local/dynamodb-process.js';
import { DataFolderInUseError } from '../local/data-lock.js';
import { PortInUseError } from '../local/net.js';
import type { LocalCloud } from '../local/cloud.js';
import { FAULT_KINDS, FAULT_SERVICES, type FaultKind, type FaultSettings } from '../local/faults.js';
import { ensureSystemPackages, MissingSystemPackageError } from './system-packages.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** A problem the person at the terminal can fix: one line, no stack trace, and an exit code. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

type Check = (value: string) => string | undefined;

const isShare = (value: string | undefined) => value !== undefined && /^\d*\.?\d+$/.test(value) && Number(value) <= 1;

const portCheck =
  (allowZero: boolean): Check =>
  (value) =>
    /^\d{1,5}$/.test(value) && Number(value) <= 65535 && (allowZero || Number(value) > 0)
      ? undefined
      : `un numéro de port (${allowZero ? '0 pour un port libre, ou ' : ''}1 à 65535)`;

interface Flag {
  type: 'boolean' | 'string';
  /** The value when neither the flag nor its environment variable is given (shown in --help). */
  default?: string;
  /** What --help says when there is no default value (e.g. "un port libre"). */
  defaultLabel?: string;
  /** Environment variable that sets the default. */
  env?: string;
  value?: string;
  help: string;
  /** What the value must be, in words, when it is not. */
  check?: Check;
}

/** Every flag of `npm start`, in the order --help lists them. */
const FLAGS: Record<string, Flag> = {
  help: { type: 'boolean', help: 'affiche cette aide' },
  port: { type: 'string', value: '<port>', default: '3000', env: 'PORT', help: 'port de la passerelle HTTP : pages, API, console locale', check: portCheck(true) },
  'data-dir': { type: 'string', value: '<dossier>', default: '.local/data', env: 'PARCOURS_DATA_DIR', help: 'dossier des données gardées entre deux démarrages', check: (v) => (v.trim() ? undefined : 'un chemin de dossier') },
  reset: { type: 'boolean', help: 'repart de données vides (efface le dossier de données)' },
  'no-demo': { type: 'boolean', help: 'ne crée pas les orientations de démonstration' },
  stage: {
    type: 'string',
    value: '<nom>',
    default: 'local',
    env: 'PARCOURS_STAGE',
    help: `configuration à synthétiser (${STAGES.join(', ')})`,
    check: (v) => ((STAGES as readonly string[]).includes(v) ? undefined : `l'un de : ${STAGES.join(', ')}`),
  },
  assembly: {
    type: 'string',
    value: '<dossier>',
    help: 'lance une cloud assembly déjà synthétisée (cdk.out) au lieu de synthétiser',
    check: (v) => (existsSync(join(v, 'manifest.json')) ? undefined : 'un dossier cdk.out qui contient manifest.json'),
  },
  'ses-port': { type: 'string', value: '<port>', default: '8005', env: 'SES_PORT', help: 'port du SES local (e-mails et leur visionneuse)', check: portCheck(true) },
  'aws-port': { type: 'string', value: '<port>', default: '4010', env: 'AWS_LOCAL_PORT', help: 'port du point d’accès AWS local (Step Functions, SMS)', check: portCheck(true) },
  'dynamodb-port': { type: 'string', value: '<port>', defaultLabel: 'un port libre', help: 'port de DynamoDB Local', check: portCheck(false) },
  's3-port': { type: 'string', value: '<port>', defaultLabel: 'un port libre', help: 'port du S3 local (documents déposés, contrats)', check: portCheck(false) },
  'dynamodb-endpoint': {
    type: 'string',
    value: '<url>',
    help: 'utilise un DynamoDB déjà lancé (ex. http://127.0.0.1:8000) au lieu d’en démarrer un',
    check: (v) => (/^https?:\/\/[^\s/]+(\/.*)?$/.test(v) ? undefined : 'une adresse http://hôte:port'),
  },
  'sms-window': {
    type: 'string',
    value: '<h-h|off>',
    default: '8-20',
    help: 'heures d’envoi des SMS, heure de Paris (off : à toute heure)',
    check: (v) => {
      const match = /^(\d{1,2})-(\d{1,2})$/.exec(v);
      return v === 'off' || (match && Number(match[1]) < Number(match[2]) && Number(match[2]) <= 24) ? undefined : '« off » ou deux heures croissantes, par exemple 8-20';
    },
  },
  faults: {
    type: 'string',
    value: '<service=part,…>',
    help: `part des appels des fonctions mis en échec exprès, par service (${FAULT_SERVICES.join(', ')}), par exemple dynamodb=0.1,ses=0.05`,
    check: (v) =>
      v.split(',').every((pair) => {
        const [service, share] = pair.split('=');
        return (FAULT_SERVICES as readonly string[]).includes(service ?? '') && isShare(share);
      })
        ? undefined
        : `des paires service=part séparées par des virgules (services : ${FAULT_SERVICES.join(', ')} ; part entre 0 et 1), par exemple dynamodb=0.1,ses=0.05`,
  },
  'fault-rate': {
    type: 'string',
    value: '<0..1>',
    help: 'la même part de pannes pour tous les services (--faults précise service par service)',
    check: (v) => (isShare(v) ? undefined : 'un nombre entre 0 et 1, par exemple 0.05'),
  },
  'fault-kinds': {
    type: 'string',
    value: '<sortes>',
    defaultLabel: 'toutes',
    help: 'sortes de pannes : throttle (limite de débit), error (500), timeout (connexion coupée), after (500 après exécution, DynamoDB et Step Functions)',
    check: (v) => (v.split(',').every((kind) => (FAULT_KINDS as readonly string[]).includes(kind)) ? undefined : `certaines de ${FAULT_KINDS.join(', ')}, séparées par des virgules`),
  },
  'fault-seed': {
    type: 'string',
    value: '<n>',
    help: 'graine des pannes : la même graine rejoue les mêmes tirages',
    check: (v) => (/^\d{1,9}$/.test(v) ? undefined : 'un nombre entier, par exemple 42'),
  },
  verbose: { type: 'boolean', help: 'journaux des fonctions dans le terminal, et trace complète des erreurs' },
  'extra-functions': {
    type: 'string',
    value: '<n>',
    default: '0',
    help: 'ajoute n fonctions triviales à la pile (mesure du démarrage, npm run bench)',
    check: (v) => (/^\d{1,3}$/.test(v) ? undefined : 'un nombre entier de 0 à 999'),
  },
};

function helpText(): string {
  const rows = Object.entries(FLAGS).map(([name, flag]) => {
    const left = `--${name}${flag.value ? ` ${flag.value}` : ''}`;
    const shown = flag.default ?? flag.defaultLabel;
    const defaults = [shown ? `défaut : ${shown}` : '', flag.env ? `ou ${flag.env}` : ''].filter(Boolean).join(', ');
    return `  ${left.padEnd(26)}${flag.help}${defaults ? ` (${defaults})` : ''}`;
  });
  return `Usage : npm start -- [options]

Lance tout CoopConnexion Parcours sur cette machine (le « cloud local ») avec des données de démonstration,
à partir du template que cdk deploy déploierait.

Options :
${rows.join('\n')}

Exemples :
  npm start -- --port 3100 --data-dir .local/autre
  npm start -- --reset
  npm start -- --faults dynamodb=0.1,ses=0.05 --fault-seed 42
`;
}

/** The flags as given, checked: an unknown flag or a bad value is a UsageError naming the flag and what it accepts. */
export function parseFlags(argv: string[], env: NodeJS.ProcessEnv = process.env): Record<string, string | boolean | undefined> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { ...Object.fromEntries(Object.entries(FLAGS).map(([name, flag]) => [name, { type: flag.type }])), help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    const option = /'(-{1,2}[^' ]+)/.exec(message)?.[1];
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`npm start : option inconnue ${option ?? ''} (npm start -- --help pour la liste).`);
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') throw new UsageError(`npm start : argument inattendu ${/'([^']+)'/.exec(message)?.[1] ?? ''} (les options commencent par --, voir npm start -- --help).`);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      const name = option?.replace(/^-+/, '') ?? '';
      const flag = FLAGS[name];
      throw new UsageError(
        flag?.type === 'boolean' ? `npm start : ${option} ne prend pas de valeur.` : `npm start : ${option} attend une valeur${flag?.value ? ` ${flag.value}` : ''}.`,
      );
    }
    throw new UsageError(`npm start : ${message}`);
  }
  for (const [name, flag] of Object.entries(FLAGS)) {
    if (flag.type !== 'string') continue;
    const given = values[name] as string | undefined;
    const value = given ?? (flag.env ? env[flag.env] : undefined) ?? flag.default;
    if (value === undefined) continue;
    const problem = flag.check?.(value);
    if (problem) {
      const source = given !== undefined || !flag.env ? `--${name}` : `${flag.env} (--${name})`;
      throw new UsageError(`npm start : ${source} attend ${problem}, pas « ${value} ».`);
    }
    values[name] = value;
  }
  return values;
}

/**
 * The fault layer's settings from --faults, --fault-rate (every service), --fault-kinds and --fault-seed; none without a share.
 * @example faultSettings({ 'fault-rate': '0.05', faults: 'dynamodb=0.1' }) // { dynamodb: 0.1, ses: 0.05, sms: 0.05, stepfunctions: 0.05, s3: 0.05 }
 */
export function faultSettings(values: Record<string, string | boolean | undefined>): FaultSettings | undefined {
  const rate = values['fault-rate'] as string | undefined;
  const perService = values.faults as string | undefined;
  if (rate === undefined && perService === undefined) {
    const orphan = ['fault-kinds', 'fault-seed'].find((name) => values[name] !== undefined);
    if (orphan) throw new UsageError(`npm start : --${orphan} ne sert qu’avec --faults ou --fault-rate.`);
    return undefined;
  }
  const settings: FaultSettings = {};
  if (rate !== undefined) for (const service of FAULT_SERVICES) settings[service] = Number(rate);
  for (const pair of perService?.split(',') ?? []) {
    const [service, share] = pair.split('=') as [(typeof FAULT_SERVICES)[number], string];
    settings[service] = Number(share);
  }
  if (values['fault-kinds'] !== undefined) settings.kinds = (values['fault-kinds'] as string).split(',') as FaultKind[];
  if (values['fault-seed'] !== undefined) settings.seed = Number(values['fault-seed']);
  return settings;
}

/** "dynamodb 10 %, ses 5 % (graine 42)" */
const describeFaults = (faults: FaultSettings) =>
  FAULT_SERVICES.filter((service) => faults[service] !== undefined)
    .map((service) => `${service} ${((faults[service] ?? 0) * 100).toLocaleString('fr-FR')} %`)
    .join(', ') + (faults.seed !== undefined ? ` (graine ${faults.seed})` : '');

const SERVICES: Record<string, { label: string; flag: string }> = {
  gateway: { label: 'passerelle HTTP', flag: '--port' },
  ses: { label: 'SES local', flag: '--ses-port' },
  aws: { label: 'point d’accès AWS local', flag: '--aws-port' },
  dynamodb: { label: 'DynamoDB Local', flag: '--dynamodb-port' },
  s3: { label: 'S3 local', flag: '--s3-port' },
};

/** One line a person can act on, for the errors a start can meet. */
export function explain(error: unknown): string {
  if (error instanceof UsageError || error instanceof MissingSystemPackageError) return error.message;
  if (error instanceof PortInUseError) {
    const service = SERVICES[error.service] ?? { label: error.service, flag: '--port' };
    return `Le port ${error.port} (${service.label}) est déjà pris : un autre npm start tourne peut-être. Arrêtez-le, ou choisissez un autre port avec ${service.flag} <port>.`;
  }
  if (error instanceof DataFolderInUseError) {
    return `Le dossier de données ${error.dataDir} est déjà utilisé par un autre npm start (processus ${error.pid}) : arrêtez-le, ou choisissez un autre dossier avec --data-dir <dossier>.`;
  }
  if (error instanceof JavaRuntimeMissingError) {
    return 'DynamoDB Local a besoin de Java 17 ou plus récent : installez-le (Debian : sudo apt-get install default-jre-headless), puis relancez npm start.';
  }
  const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
  return `Le cloud local n’a pas pu démarrer : ${message} (npm start -- --verbose pour la trace complète).`;
}

/** "01/12/2026 20:05:00 (Paris)" from an ISO time; the cooperative's clock is Europe/Paris. */
const parisTime = (iso: string | null) =>
  iso ? `${new Date(iso).toLocaleString('fr-FR', { timeZone: 'Europe/Paris' })} (Paris)` : '—';

/** `npm start`: parses the flags, starts the local cloud with the app's profile, prints where to open it. */
export async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const verbose = argv.includes('--verbose');
  // Known once the flags are parsed; a Ctrl+C before that has nothing to end.
  let dataDir: string | undefined;
  let cloud: LocalCloud | undefined;
  let stopping = false;

  // Ctrl+C: a first one stops everything in order (at most 5 s), a second one at once; during the start too.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) {
        if (cloud) cloud.kill();
        else if (dataDir) endDynamoDbOf(dataDir);
        process.exit(130);
      }
      stopping = true;
      console.log('Arrêt du cloud local… (Ctrl+C encore pour arrêter tout de suite)');
      if (!cloud) {
        if (dataDir) endDynamoDbOf(dataDir);
        process.exit(130);
      }
      const running = cloud;
      const force = setTimeout(() => {
        running.kill();
        process.exit(1);
      }, 4_500);
      running.stop().then(
        () => process.exit(0),
        () => {
          running.kill();
          process.exit(1);
        },
      );
      force.unref();
    });
  }

  try {
    const values = parseFlags(argv);
    if (values.help) {
      process.stdout.write(helpText());
      return;
    }
    const faults = faultSettings(values);
    dataDir = resolve(values['data-dir'] as string);
    ensureSystemPackages(['java'], { who: 'npm start' });

    const { seedDemoData } = await import('./demo-data.js');
    const { DEMO_USERS } = await import('./demo-users.js');
    const { PARCOURS_PAGES, startParcoursCloud } = await import('./profile.js');
    const { LOCAL_REGION } = await import('../local/cloud.js');
    const { synthApp } = await import('../synth.js');
    const port = (name: string) => (values[name] !== undefined ? Number(values[name]) : undefined);
    const started = await startParcoursCloud({
      dataDir,
      reset: values.reset === true,
      port: port('port'),
      stage: values.stage as string,
      assemblyDir: values.assembly as string | undefined,
      outDir: process.env.PARCOURS_OUT_DIR,
      synth: (request) => synthApp({ ...request, extraFunctions: Number(values['extra-functions']) }),
      functionEnv: values['sms-window'] ? { SMS_WINDOW: values['sms-window'] as string } : undefined,
      verboseLogs: values.verbose === true,
      dynamodbPort: port('dynamodb-port'),
      dynamodbEndpoint: values['dynamodb-endpoint'] as string | undefined,
      sesPort: port('ses-port'),
      awsPort: port('aws-port'),
      s3Port: port('s3-port'),
      faults,
    });
    cloud = started;
    if (stopping) return;
    const seeded = values['no-demo'] ? 0 : await seedDemoData(started, dataDir);

    const pad = (s: string) => s.padEnd(30);
    const upcoming = started.scheduler.upcoming();
    console.log(`
CoopConnexion Parcours — cloud local prêt en ${(started.timings.readyMs / 1000).toFixed(1)} s (stage « ${started.synthesized.stage} », synthèse ${(started.timings.synthMs / 1000).toFixed(1)} s)

${Object.entries(PARCOURS_PAGES)
  .map(([key, page]) => `  ${pad(page.label)}${started.pages[key as keyof typeof PARCOURS_PAGES]}`)
  .join('\n')}
  ${pad('Console du cloud local')}${started.urls.console}
  ${pad('E-mails envoyés')}${started.urls.mailViewer}
  ${pad('SMS envoyés')}${started.urls.smsOutbox}

  Points d'accès AWS locaux (aws --endpoint-url …, identifiants quelconques sauf pour S3, région ${LOCAL_REGION}) :
    ${pad('Step Functions, SMS')}${started.urls.awsEndpoint}
    ${pad('DynamoDB')}${started.urls.dynamodb}
    ${pad('SES v2')}${started.ses.endpoint}
    ${pad('S3 (clé secrète « local »)')}${started.urls.s3}/<compartiment>/<clé> — ${started.app.buckets.map((bucket) => bucket.name).join(', ') || 'aucun compartiment'}
  Machines à états :
${started.app.stateMachines.map((machine) => `    ${machine.arn}`).join('\n')}
  Exemple : aws --endpoint-url ${started.urls.awsEndpoint} stepfunctions list-executions --state-machine-arn ${started.app.stateMachines[0]?.arn ?? '<arn>'}

  Planifications : ${upcoming.length === 0 ? 'aucune dans ce template' : upcoming.map((u) => `${u.name} (prochaine : ${parisTime(u.next)})`).join(', ')}

  Comptes de démonstration (choisis sur la page de connexion locale) :
${DEMO_USERS.map((u) => `    - ${u.name} (${u.description ?? u.groups.join(', ')})`).join('\n')}
${seeded ? `\n  ${seeded} orientations de démonstration créées.` : ''}${faults ? `\n  Pannes injectées dans les appels des fonctions : ${describeFaults(faults)}.` : ''}
  Données : ${dataDir} (npm run start:reset pour repartir de zéro)
  Ctrl+C pour arrêter.
`);
  } catch (error) {
    if (stopping) return;
    console.error(explain(error));
    if (verbose && error instanceof Error && !(error instanceof UsageError)) console.error(error.stack);
    await cloud?.stop().catch(() => undefined);
    process.exit(error instanceof UsageError ? error.exitCode : 1);
  }
}

