import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LocalCloud } from '../local/cloud.js';

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

/** Submits the demo referrals once per data folder, through the HTTP API like a prescriber would. */
export async function seedDemoData(cloud: LocalCloud, dataDir: string): Promise<number> {
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
