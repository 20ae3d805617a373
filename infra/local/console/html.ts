/** Escapes text for HTML and SVG, in element content and in quoted attributes alike. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/**
 * A template tag that escapes every interpolated value unless it is `raw(...)` markup or an array of them.
 * @example html`<p>${name}</p>` // name escaped
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Raw {
  let out = strings[0] ?? '';
  values.forEach((value, index) => {
    out += render(value) + (strings[index + 1] ?? '');
  });
  return new Raw(out);
}

/** Markup already safe to insert. */
export class Raw {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export const raw = (markup: string): Raw => new Raw(markup);

function render(value: unknown): string {
  if (value instanceof Raw) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === undefined || value === null || value === false) return '';
  return escapeHtml(value);
}

const PARIS_TIME = new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', dateStyle: 'short', timeStyle: 'medium' });

/** A `<time>` element showing the instant in Paris time, the machine-readable ISO form in `datetime`. */
export function time(value: Date | string | number | undefined | null): Raw {
  if (value === undefined || value === null || value === '') return html`<span aria-label="aucune">—</span>`;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return html`${String(value)}`;
  return html`<time datetime="${date.toISOString()}">${PARIS_TIME.format(date)}</time>`;
}

/** JSON text pretty-printed when it parses, as is otherwise. */
export function prettyJson(text: string | undefined): string {
  if (text === undefined) return '';
  // Each level indents every line below it: 3,000 nested arrays (6 KB) would print as 36 MB, in seconds during which
  // the local cloud answers nothing. Data nested this deep is shown as it came.
  if (nestingDepth(text) > MAX_PRETTY_DEPTH) return text;
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** The deepest JSON the console indents. */
const MAX_PRETTY_DEPTH = 64;

/** How deep the arrays and objects of a JSON text nest (its strings skipped); one pass, no parse. */
function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === 0x5c) i++;
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) inString = true;
    else if (code === 0x5b || code === 0x7b) deepest = Math.max(deepest, ++depth);
    else if (code === 0x5d || code === 0x7d) depth--;
  }
  return deepest;
}

const STYLE = `
:root{--ink:#1b1f24;--muted:#4a5260;--line:#c9ced6;--accent:#1d4ed8;--bg:#f6f7f9;--ok:#166534;--ko:#b42318;--run:#92400e}
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:var(--ink);line-height:1.5;background:#fff}
a{color:var(--accent)}a:focus-visible,button:focus-visible,summary:focus-visible,select:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem;z-index:1}
header.site{background:#15233f;color:#fff;padding:.75rem 1rem}
header.site a{color:#fff}
header.site .brand{font-weight:700;text-decoration:none;margin-right:1rem}
header.site nav ul{list-style:none;margin:.25rem 0 0;padding:0;display:flex;flex-wrap:wrap;gap:.25rem 1rem}
header.site nav a[aria-current="page"]{text-decoration:underline;text-decoration-thickness:3px}
main{padding:1rem;max-width:72rem;margin:0 auto}
h1{font-size:1.6rem;margin:.5rem 0 1rem;overflow-wrap:anywhere}h2{font-size:1.25rem;margin-top:2rem}
p.lead{color:var(--muted)}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}
caption{text-align:left;color:var(--muted);margin-bottom:.25rem}
th,td{border:1px solid var(--line);padding:.4rem .5rem;text-align:left;vertical-align:top}
th{background:#eef2fb}
td.wrap,code.wrap{overflow-wrap:anywhere;word-break:break-word}
.table-scroll{overflow-x:auto}
.status{display:inline-block;padding:0 .4rem;border-radius:.25rem;font-weight:600;font-size:.9em;border:1px solid currentColor}
.status-SUCCEEDED{color:var(--ok)}.status-FAILED,.status-TIMED_OUT,.status-ABORTED{color:var(--ko)}.status-RUNNING,.status-PENDING_REDRIVE{color:var(--run)}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(16rem,1fr));gap:1rem;padding:0;list-style:none}
.cards li{border:1px solid var(--line);border-radius:.5rem;padding:1rem;background:var(--bg)}
.cards h3{margin:0 0 .25rem;font-size:1.05rem}
figure{margin:0}
.graph{overflow:auto;border:1px solid var(--line);border-radius:.5rem;background:#fff;padding:.5rem}
/* A graph wider than the screen shrinks to fit (a phone zooms into it): no blank half to scroll across. */
.graph svg{display:block;margin:0 auto;max-width:100%;height:auto}
pre{background:var(--bg);border:1px solid var(--line);padding:.5rem;overflow:auto;max-height:24rem;font-size:.85rem;margin:.25rem 0}
details>summary{cursor:pointer}
ol.history{list-style:none;padding:0}
ol.history>li{border-left:4px solid var(--line);padding:.25rem .75rem;margin:.5rem 0}
ol.history>li.error{border-left-color:var(--ko)}
ol.history .meta{color:var(--muted);font-size:.9em}
.error-text{color:var(--ko);font-weight:600}
form.inline{display:inline}
form.filters{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end;margin:.5rem 0}
label{font-weight:600}
select,button{font:inherit;padding:.3rem .6rem}
button{background:var(--accent);color:#fff;border:0;border-radius:.25rem;cursor:pointer}
.pager{display:flex;gap:1rem;flex-wrap:wrap}
.notice{overflow-wrap:anywhere;border:1px solid var(--ok);background:#ecfdf3;padding:.5rem 1rem;border-radius:.25rem}
.notice.ko{border-color:var(--ko);background:#fef3f2}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}
dl.facts dt{font-weight:600}dl.facts dd{margin:0;overflow-wrap:anywhere}
@media (max-width:40rem){main{padding:.75rem}dl.facts{grid-template-columns:1fr}dl.facts dd{margin-bottom:.5rem}
 table.stack thead{position:absolute;left:-999px}
 table.stack tr{display:block;border:1px solid var(--line);margin-bottom:.5rem}
 table.stack td{display:block;border:0;border-bottom:1px solid #eceff3}
 table.stack td::before{content:attr(data-label) " : ";font-weight:600}}
`;

export interface NavLink {
  href: string;
  label: string;
}

/** The console's page frame: skip link, header with the navigation, main landmark. */
export function layout(options: { title: string; nav: NavLink[]; current?: string; body: Raw; refreshSeconds?: number }): string {
  return `<!doctype html>
${html`<html lang="fr">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
${options.refreshSeconds ? html`<meta http-equiv="refresh" content="${options.refreshSeconds}">` : ''}
<title>${options.title} · Console locale</title>
<style>${raw(STYLE)}</style>
</head>
<body>
<a class="skip" href="#contenu">Aller au contenu</a>
<header class="site">
<a class="brand" href="${options.nav[0]?.href ?? '/'}">Console locale</a>
<nav aria-label="Console locale"><ul>
${options.nav.map((link) => html`<li><a href="${link.href}"${link.href === options.current ? raw(' aria-current="page"') : ''}>${link.label}</a></li>`)}
</ul></nav>
</header>
<main id="contenu" tabindex="-1">
${options.body}
</main>
</body>
</html>`}
`;
}
