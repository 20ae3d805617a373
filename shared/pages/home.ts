import { layout } from './layout.js';

export function homePage(): string {
  const body = `<h1>CoopConnexion Parcours</h1>
<p class="lead">Le suivi des jeunes accompagnés par CoopConnexion, de l'orientation à la sortie du parcours.</p>
<div class="cards">
<section class="card" aria-labelledby="home-prescribers">
<h2 id="home-prescribers">Vous êtes prescripteur</h2>
<p>Mission locale, France Travail, association ou commune partenaire : orientez un jeune vers CoopConnexion et suivez la réponse.</p>
<ul class="link-list">
<li><a href="/prescripteur/orienter">Orienter un jeune</a></li>
<li><a href="/prescripteur/orientations">Suivre les orientations de ma structure</a></li>
</ul>
</section>
<section class="card" aria-labelledby="home-staff">
<h2 id="home-staff">Vous faites partie de l'équipe</h2>
<p>Étudiez les orientations reçues et donnez votre décision.</p>
<ul class="link-list">
<li><a href="/equipe">Demandes à traiter</a></li>
<li><a href="/prescripteur/orientations">Toutes les orientations</a></li>
</ul>
</section>
</div>`;
  return layout({ title: 'Accueil', page: 'home', auth: 'optional', body });
}

export function notFoundPage(): string {
  const body = `<h1>Page introuvable</h1>
<p>L'adresse demandée n'existe pas ou n'est plus valable. Si vous avez suivi un lien reçu par e-mail, il a peut-être expiré.</p>
<p><a href="/">Revenir à l'accueil</a></p>`;
  return layout({ title: 'Page introuvable', page: 'not-found', script: 'home', auth: 'optional', body });
}
