import { assetUrl, pageScript } from './assets.js';

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(value: string): string {
  return value
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

export interface LayoutOptions {
  /** Page title, without the site name. */
  title: string;
  /** The page's name (`data-page` on `<body>`) and, unless `script` says otherwise, its browser module `browser/pages/<page>.ts`. */
  page: string;
  /** The browser module, when the page shares another page's (`browser/pages/<script>.ts`). */
  script?: string;
  /** Pages that call the API need an ID token; the client module redirects to the login otherwise. */
  auth: 'required' | 'optional';
  /** Extra data-* attributes on <body>, already validated by the handler. */
  data?: Record<string, string>;
  /** Trusted HTML of the <main> element content. */
  body: string;
  /**
   * `false` for the pages of people without an account (reached by a personal link): the staff's and prescribers'
   * links mean nothing to them, and on a phone they filled the whole first screen above the page's title. Nor does
   * the brand lead them to the home page (the staff's and prescribers' sign-in): it is not a link there.
   */
  navigation?: boolean;
}

const NAVIGATION = `<nav aria-label="Navigation principale">
<ul class="nav-list">
<li data-audience="prescriber"><a href="/prescripteur/orienter">Orienter un jeune</a></li>
<li data-audience="prescriber staff"><a href="/prescripteur/orientations">Suivi des orientations</a></li>
<li data-audience="staff"><a href="/equipe">Demandes à traiter</a></li>
<li data-audience="staff"><a href="/equipe/accueil">Accueil</a></li>
<li data-audience="staff"><a href="/equipe/reunions">Réunions</a></li>
<li data-audience="staff"><a href="/equipe/documents">Pièces à vérifier</a></li>
<li data-audience="staff"><a href="/equipe/activites">Activités</a></li>
<li data-audience="staff"><a href="/equipe/cohortes">Cohortes CJS</a></li>
<li data-audience="staff"><a href="/equipe/services">Services</a></li>
<li data-audience="staff"><a href="/equipe/facturation">Facturation</a></li>
<li data-audience="staff"><a href="/equipe/messages">Messages et contacts</a></li>
<li data-audience="staff"><a href="/equipe/doublons">Doublons possibles</a></li>
</ul>
</nav>
`;

/**
 * The page's forms send their data with fetch from its module. One without a method would, before the module runs
 * (JavaScript off, slow or failed), reload the page with every field in the URL's query string (names, e-mails,
 * phones in the history and the access logs) and lose what was typed. `method="dialog"` outside a <dialog> still fires
 * the submit event the module handles, and submits nothing by itself. Forms that say their method (the lists' GET
 * filters, meant to work without JavaScript) keep it.
 */
function withoutNativeSubmit(body: string): string {
  return body.replace(/<form\b(?![^>]*\smethod=)/g, '<form method="dialog"');
}

/** The shell shared by every page: skip link, header with session slot, main, footer. */
export function layout(options: LayoutOptions): string {
  const script = pageScript(options.script ?? options.page);
  // The chunks the module imports load with it rather than after it.
  const preloads = script.preload.map((href) => `<link rel="modulepreload" href="${href}">\n`).join('');
  const data = Object.entries(options.data ?? {})
    .map(([key, value]) => ` data-${key}="${escapeHtml(value)}"`)
    .join('');
  return `<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(options.title)} - CoopConnexion Parcours</title>
<link rel="icon" type="image/svg+xml" href="${assetUrl('favicon.svg')}">
<link rel="stylesheet" href="${assetUrl('app.css')}">
${preloads}<script type="module" src="${script.src}"></script>
</head>
<body data-page="${escapeHtml(options.page)}" data-auth="${options.auth}"${data}>
<a class="skip-link" href="#contenu">Aller au contenu</a>
<header class="site-header">
<div class="wrap header-inner">
${options.navigation === false ? '<span class="brand">CoopConnexion <span>Parcours</span></span>' : `<a class="brand" href="/">CoopConnexion <span>Parcours</span></a>\n${NAVIGATION}`}<div class="session" id="session" hidden>
<span class="session-name" id="session-name"></span>
<a class="session-logout" id="session-logout" href="/">Se déconnecter</a>
</div>
</div>
</header>
<main id="contenu" class="wrap" tabindex="-1">
<noscript><p class="panel panel-warning">Cette page a besoin de JavaScript : activez-le dans les réglages de votre navigateur, puis rechargez la page.</p></noscript>
${withoutNativeSubmit(options.body)}
</main>
<footer class="site-footer">
<div class="wrap">
<p>CoopConnexion, coopérative d'activités pour les jeunes du bassin minier (Lens, Bully-les-Mines, Grenay, Mazingarbe, Sains-en-Gohelle).</p>
</div>
</footer>
</body>
</html>
`;
}

/** The placeholder shown while the client module loads the page's data. */
export function loadingRegion(id: string, label: string): string {
  return `<div id="${id}" class="loading-region" aria-live="polite" aria-busy="true"><p class="loading">${escapeHtml(label)}</p></div>`;
}
