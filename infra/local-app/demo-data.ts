import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LocalCloud } from '../local/cloud.js';
import { parisDate } from '../../shared/domain/time.js';

/** Referrals a person can click through right after `npm start`: fictitious people, two organisations, three programmes. */
const DEMO_REFERRALS = [
  {
    prescriber: 'sarah.benali',
    key: 'demo-referral-0001',
    body: {
      programme: 'accompagnement',
      youngPerson: { firstName: 'Yanis', lastName: 'Démo-Kaddour', birthDate: '2002-03-14', email: 'yanis.demo@example.org', phone: '06 00 00 00 01', postalCode: '62300', town: 'Lens', qpv: true, situation: 'demandeur-emploi' },
      projectIdea: 'Réparation et vente de vélos reconditionnés dans la cité.',
      consent: { dataProcessing: true },
    },
  },
  {
    prescriber: 'sarah.benali',
    key: 'demo-referral-0002',
    body: {
      programme: 'cjs',
      youngPerson: { firstName: 'Lina', lastName: 'Démo-Lefebvre', birthDate: '2010-09-02', email: 'lina.demo@example.org', phone: '07 00 00 00 02', postalCode: '62160', town: 'Bully-les-Mines', qpv: true, situation: 'etudiant' },
      guardian: { firstName: 'Nadia', lastName: 'Démo-Lefebvre', email: 'nadia.demo@example.org', phone: '06 00 00 00 03', relationship: 'Mère' },
      projectIdea: "Petits travaux de jardinage pour les voisins pendant l'été.",
      consent: { dataProcessing: true },
    },
  },
  {
    prescriber: 'thomas.leroy',
    key: 'demo-referral-0003',
    body: {
      programme: 'jeunes-majeurs',
      youngPerson: { firstName: 'Kevin', lastName: 'Démo-Wallet', birthDate: '1995-01-20', email: 'kevin.demo@example.org', phone: '06 00 00 00 04', postalCode: '62290', town: 'Nœux-les-Mines', qpv: false, situation: 'autre', situationDetail: 'Intérimaire' },
      projectIdea: 'Service de déménagement solidaire avec une camionnette partagée.',
      consent: { dataProcessing: true },
    },
  },
  {
    // Her e-mail address bounces (the reserved bounce.test domain): she gets an SMS instead, and her
    // address waits on the "Messages et contacts" page for staff to correct it.
    prescriber: 'thomas.leroy',
    key: 'demo-referral-0004',
    body: {
      programme: 'accompagnement',
      youngPerson: { firstName: 'Manon', lastName: 'Démo-Rebond', birthDate: '2000-11-05', email: 'manon.demo@bounce.test', phone: '06 00 00 00 05', postalCode: '62220', town: 'Carvin', qpv: true, situation: 'demandeur-emploi' },
      projectIdea: 'Couture et retouches à domicile pour les voisins du quartier.',
      consent: { dataProcessing: true },
    },
  },
];

/** Information sessions in the weeks after the first start, for each programme: days from today, Paris time. */
const DEMO_SESSIONS = [
  { inDays: 3, time: '14:00', place: 'CoopConnexion, 12 rue Casimir-Beugnet, Lens (salle du rez-de-chaussée)', capacity: 12, programmes: ['accompagnement', 'jeunes-majeurs'] },
  { inDays: 6, time: '09:30', place: 'Maison des associations, Liévin', capacity: 15, programmes: ['accompagnement', 'jeunes-majeurs', 'cjs'] },
  { inDays: 10, time: '16:30', place: 'Centre social, Bully-les-Mines', capacity: 20, programmes: ['cjs'] },
  { inDays: 13, time: '10:00', place: 'CoopConnexion, 12 rue Casimir-Beugnet, Lens (salle du rez-de-chaussée)', capacity: 2, programmes: ['accompagnement'] },
];

/** Creates the demo sessions once per data folder, through the HTTP API like staff would. */
async function seedDemoSessions(cloud: LocalCloud, dataDir: string): Promise<void> {
  const marker = join(dataDir, 'demo-sessions.done');
  if (existsSync(marker)) return;
  for (const [index, demo] of DEMO_SESSIONS.entries()) {
    const { inDays, ...body } = demo;
    const date = parisDate(new Date(Date.now() + inDays * 86_400_000));
    // The route takes an Idempotency-Key: one per session and date, so a start cut short and run again makes no second one.
    const response = await fetch(`${cloud.urls.app}api/staff/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${cloud.issuer.mintIdToken('camille.martin')}`, 'content-type': 'application/json', 'idempotency-key': `demo-session-${index + 1}-${date}` },
      body: JSON.stringify({ ...body, date }),
    });
    if (response.status >= 300) throw new Error(`demo session refused: ${response.status} ${await response.text()}`);
  }
  writeFileSync(marker, new Date().toISOString());
}

/** Submits the demo referrals and creates the demo sessions once per data folder, through the HTTP API like a prescriber and staff would. */
export async function seedDemoData(cloud: LocalCloud, dataDir: string): Promise<number> {
  // A data folder from before the sessions existed gets them too.
  await seedDemoSessions(cloud, dataDir);
  const marker = join(dataDir, 'demo-data.done');
  if (existsSync(marker)) return 0;
  let created = 0;
  for (const demo of DEMO_REFERRALS) {
    const response = await fetch(`${cloud.urls.app}api/referrals`, {
      method: 'POST',
      headers: { authorization: `Bearer ${cloud.issuer.mintIdToken(demo.prescriber)}`, 'content-type': 'application/json', 'idempotency-key': demo.key },
      body: JSON.stringify(demo.body),
    });
    if (response.status >= 300) throw new Error(`demo referral refused: ${response.status} ${await response.text()}`);
    created += response.status === 201 ? 1 : 0;
  }
  writeFileSync(marker, new Date().toISOString());
  return created;
}
