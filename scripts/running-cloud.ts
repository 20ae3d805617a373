/**
 * Checks that a local cloud answers at `baseUrl` before a script talks to it; otherwise says, in one line, which URL
 * was tried and to run `npm start` first, and exits 1.
 */
export async function requireRunningCloud(baseUrl: string, who: string): Promise<void> {
  try {
    const response = await fetch(`${baseUrl}/_local/health`, { signal: AbortSignal.timeout(5_000) });
    if (response.ok) return;
    console.error(`${who} : ${baseUrl} répond ${response.status} à /_local/health : ce n'est pas un cloud local (npm start), ou pas celui attendu. Donnez la bonne adresse avec BASE_URL.`);
  } catch {
    console.error(`${who} : rien ne répond à ${baseUrl} : lancez d'abord npm start (dans un autre terminal), ou donnez son adresse avec BASE_URL.`);
  }
  process.exit(1);
}

/** Ends a script on an unexpected error with one line instead of a stack trace (VERBOSE=1 shows it). */
export function exitOnError(who: string): (error: unknown) => never {
  return (error) => {
    console.error(`${who} : ${error instanceof Error ? error.message : String(error)}`);
    if (process.env.VERBOSE && error instanceof Error) console.error(error.stack);
    process.exit(1);
  };
}
