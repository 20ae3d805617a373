import type { Server } from 'node:http';
import sesPackage from 'aws-ses-v2-local';
import { freePort } from './net.js';

export interface LocalEmail {
  messageId: string;
  from: string;
  to: string[];
  subject: string;
  text?: string;
  html?: string;
  at: string;
}

export interface LocalSes {
  /** The value to give `AWS_ENDPOINT_URL_SESV2`. */
  endpoint: string;
  /** The package's mail viewer. */
  viewerUrl: string;
  listEmails(): Promise<LocalEmail[]>;
  stop(): Promise<void>;
}

type StartSesServer = (config?: Partial<{ host: string; port: number }>) => Promise<Server>;

/**
 * The package is CommonJS with `exports.default`: Node's ESM loader hands over the whole
 * `module.exports` as the default import, while bundlers with interop hand over the function.
 */
const startSesServer: StartSesServer =
  typeof sesPackage === 'function' ? (sesPackage as StartSesServer) : (sesPackage as unknown as { default: StartSesServer }).default;

interface StoredEmail {
  messageId: string;
  from: string;
  destination: { to: string[] };
  subject: string;
  body: { text?: string; html?: string };
  at: number;
}

/**
 * Starts `aws-ses-v2-local` (SES v1 and v2 APIs, and a mail viewer at its root) on 127.0.0.1.
 * Its store is in memory and shared by every instance in one process.
 * @example const ses = await startLocalSes(); process.env.AWS_ENDPOINT_URL_SESV2 = ses.endpoint;
 */
export async function startLocalSes(options: { port?: number } = {}): Promise<LocalSes> {
  const port = options.port ?? (await freePort());
  const server = await startSesServer({ host: '127.0.0.1', port });
  // The package resolves even when listen fails (its callback swallows the error).
  if (!server.listening) {
    throw new Error(`aws-ses-v2-local could not listen on 127.0.0.1:${port}`);
  }
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    viewerUrl: `${endpoint}/`,
    async listEmails() {
      const response = await fetch(`${endpoint}/store`);
      if (!response.ok) throw new Error(`aws-ses-v2-local store answered ${response.status}`);
      const { emails } = (await response.json()) as { emails: StoredEmail[] };
      return emails.map((email) => ({
        messageId: email.messageId,
        from: email.from,
        to: email.destination.to,
        subject: email.subject,
        text: email.body.text,
        html: email.body.html,
        at: new Date(email.at * 1000).toISOString(),
      }));
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // SDK clients keep connections alive; without this, close() waits for their idle timeout.
        server.closeAllConnections();
      }),
  };
}
