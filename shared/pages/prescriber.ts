import { layout, loadingRegion } from './layout.js';

export function referralsListPage(): string {
  const body = `<h1>Suivi des orientations</h1>
<p class="lead">Les orientations de votre structure et la décision de l'équipe de CoopConnexion.</p>
<p><a class="button" href="/prescripteur/orienter">Orienter un jeune</a></p>
${loadingRegion('referrals', 'Chargement des orientations…')}`;
  return layout({ title: 'Suivi des orientations', page: 'referrals-list', auth: 'required', body });
}
