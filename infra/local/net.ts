import { createServer, type AddressInfo } from 'node:net';
import type { Server } from 'node:http';

/** A port the local cloud was told to use is taken (often by another local cloud). */
export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    /** Which of the local cloud's servers wanted it, e.g. 'gateway'. */
    readonly service: string,
  ) {
    super(`Port ${port} (${service}) is already in use`);
    this.name = 'PortInUseError';
  }
}

/** Throws PortInUseError when `port` cannot be bound on the loopback interface; port 0 always passes. */
export async function assertPortFree(port: number, service: string): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'EADDRINUSE' || error.code === 'EACCES' ? new PortInUseError(port, service) : error));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });
}

/** Asks the OS for a free TCP port on the loopback interface. */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `probe` until it resolves truthy or `timeoutMs` passes. */
export async function waitUntil(probe: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await probe()) return;
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} not ready after ${timeoutMs} ms${lastError ? `: ${String(lastError)}` : ''}`);
}

export interface ListeningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Listens on the loopback interface (port 0 picks a free one) and gives the server's URL and a close that does not wait for keep-alive clients. */
export async function listenLocally(server: Server, port = 0, host = '127.0.0.1', service = 'server'): Promise<ListeningServer> {
  await new Promise<void>((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) => reject(error.code === 'EADDRINUSE' ? new PortInUseError(port, service) : error);
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve();
    });
  });
  const actualPort = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`,
    port: actualPort,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // SDK clients keep connections alive; without this, close() waits for their idle timeout.
        server.closeAllConnections();
      }),
  };
}
