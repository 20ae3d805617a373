import type { DemoUser } from '../local/auth.js';

const ORGANISATION = 'custom:organisation';
const ORGANISATION_NAME = 'custom:organisation_name';

/**
 * The demo accounts of the local cloud, in Cognito's shape: groups `staff` and `prescriber`, and a prescriber's
 * organisation as the custom claims the API reads. Ids are fixed UUIDs, like Cognito `sub`s.
 */
export const DEMO_USERS: DemoUser[] = [
  {
    id: '5b1f0c7e-2d4a-4c3e-9a61-0c2f6e1a7d01',
    username: 'camille.martin',
    name: 'Camille Martin',
    email: 'camille.martin@coopconnexion.local',
    groups: ['staff'],
    description: 'Équipe CoopConnexion',
  },
  {
    id: '8e4a2b90-6f13-4d7c-b2a5-3c9d1e0f4a02',
    username: 'sarah.benali',
    name: 'Sarah Benali',
    email: 'sarah.benali@example.org',
    groups: ['prescriber'],
    claims: { [ORGANISATION]: 'ml-lens', [ORGANISATION_NAME]: 'Mission locale de Lens' },
    description: 'Organisation prescriptrice : Mission locale de Lens',
  },
  {
    id: 'c37d5e14-9b2f-4a86-8d0e-7f1a2c6b5e03',
    username: 'thomas.leroy',
    name: 'Thomas Leroy',
    email: 'thomas.leroy@example.org',
    groups: ['prescriber'],
    claims: { [ORGANISATION]: 'ft-lievin', [ORGANISATION_NAME]: 'France Travail Liévin' },
    description: 'Organisation prescriptrice : France Travail Liévin',
  },
];
