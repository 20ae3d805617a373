import type { ClientErrorAnswer } from '../local/gateway.js';

/** What each refusal says, in French: what happened and what the person can do. */
const MESSAGES: Record<number, string> = {
  431: "La demande est trop volumineuse : ses en-têtes (souvent les cookies de ce site) dépassent ce que le serveur accepte. Effacez les cookies de ce site, puis réessayez.",
  408: "La demande a mis trop de temps à arriver. Vérifiez votre connexion, puis réessayez.",
};
const MALFORMED = "La demande est mal formée et n'a pas pu être lue. Réessayez depuis une page du site.";

const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * The answer of the local gateway to a request it could not read (infra/local/README.md): under `/api/`, the API's error shape
 * (`{ message }`, as `shared/http/api.ts` answers a refused request), in French; elsewhere, or when the request line
 * could not be read, a small French page a browser shows.
 */
export const parcoursClientError: ClientErrorAnswer = ({ status, path }) => {
  const message = MESSAGES[status] ?? MALFORMED;
  if (path?.startsWith('/api/')) return { contentType: 'application/json; charset=utf-8', body: JSON.stringify({ message }) };
  const page = [
    '<!doctype html>',
    '<html lang="fr">',
    '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Demande refusée - CoopConnexion Parcours</title></head>',
    `<body><h1>Demande refusée</h1><p>${escapeHtml(message)}</p><p><a href="/">Revenir à l'accueil</a></p></body>`,
    '</html>',
  ].join('\n');
  return { contentType: 'text/html; charset=utf-8', body: page };
};
