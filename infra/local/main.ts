import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { startLocalCloud } from './cloud.js';
import { seedDemoData } from './demo-data.js';
import { DEMO_USERS } from './auth.js';
import { synthApp } from '../synth.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { values } = parseArgs({
  options: {
    reset: { type: 'boolean', default: false },
    port: { type: 'string', default: process.env.PORT ?? '3000' },
    'data-dir': { type: 'string', default: process.env.PARCOURS_DATA_DIR ?? '.local/data' },
    stage: { type: 'string', default: process.env.PARCOURS_STAGE ?? 'local' },
    assembly: { type: 'string' },
    'no-demo': { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
    'dynamodb-port': { type: 'string' },
    'ses-port': { type: 'string', default: process.env.SES_PORT ?? '8005' },
    'aws-port': { type: 'string', default: process.env.AWS_LOCAL_PORT ?? '4010' },
    'sms-window': { type: 'string' },
    'fault-rate': { type: 'string' },
    // The start-up bench: this many trivial functions added to the stack.
    'extra-functions': { type: 'string', default: '0' },
  },
});

const dataDir = resolve(values['data-dir']!);
const cloud = await startLocalCloud({
  dataDir,
  reset: values.reset,
  port: Number(values.port),
  stage: values.stage,
  assemblyDir: values.assembly,
  outDir: process.env.PARCOURS_OUT_DIR,
  synth: (request) => synthApp({ ...request, extraFunctions: Number(values['extra-functions']) }),
  functionEnv: values['sms-window'] ? { SMS_WINDOW: values['sms-window'] } : undefined,
  verboseLogs: values.verbose,
  dynamodbPort: values['dynamodb-port'] ? Number(values['dynamodb-port']) : undefined,
  sesPort: values['ses-port'] ? Number(values['ses-port']) : undefined,
  awsPort: values['aws-port'] ? Number(values['aws-port']) : undefined,
  faultRate: values['fault-rate'] ? Number(values['fault-rate']) : undefined,
});
const seeded = values['no-demo'] ? 0 : await seedDemoData(cloud, dataDir);

const pad = (s: string) => s.padEnd(30);
console.log(`
CoopConnexion Parcours — cloud local prêt en ${(cloud.timings.readyMs / 1000).toFixed(1)} s (stage « ${cloud.synthesized.stage} », synthèse ${(cloud.timings.synthMs / 1000).toFixed(1)} s)

  ${pad('Accueil')}${cloud.urls.app}
  ${pad('Formulaire prescripteur')}${cloud.urls.prescriberForm}
  ${pad('Orientations du prescripteur')}${cloud.urls.prescriberReferrals}
  ${pad('Console équipe')}${cloud.urls.staffConsole}
  ${pad('Messages et contacts')}${cloud.urls.staffConsole}/messages
  ${pad('E-mails envoyés')}${cloud.urls.mailViewer}
  ${pad('SMS envoyés')}${cloud.urls.smsOutbox}

  Planifications : ${cloud.scheduler.upcoming().length === 0 ? 'aucune dans ce template' : cloud.scheduler.upcoming().map((u) => `${u.name} (prochaine : ${u.next ?? '—'})`).join(', ')}

  Comptes de démonstration (choisis sur la page de connexion locale) :
${DEMO_USERS.map((u) => `    - ${u.name} (${u.group === 'staff' ? 'équipe' : `prescripteur, ${u.organisationName}`})`).join('\n')}
${seeded ? `\n  ${seeded} orientations de démonstration créées.` : ''}
  Données : ${dataDir} (npm run start:reset pour repartir de zéro)
  Ctrl+C pour arrêter.
`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    console.log('Arrêt du cloud local…');
    cloud.stop().then(() => process.exit(0), () => process.exit(1));
  });
}
