import { inject } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { LocalCloud, LocalCloudOptions } from '../../infra/local/cloud.js';
import { PortInUseError } from '../../infra/local/net.js';
import { startParcoursCloud, type ParcoursLocalCloud } from '../../infra/local-app/profile.js';
import { recordStoredPersonalData, watchLogFile } from './personal-data.js';

/**
 * A whole local cloud on free ports, from the run's synthesized assembly, with its own data folder. Its tables live
 * in the run's DynamoDB Local (no JVM of its own to start), in a database of their own named after the data folder:
 * a cloud restarted on the same folder finds its data again.
 * Its function log file is checked for personal data at the end of the run, against every personal value its table
 * holds when it stops (see personal-data.ts).
 */
export async function startTestCloud(options: LocalCloudOptions = {}): Promise<ParcoursLocalCloud> {
  let cloud: ParcoursLocalCloud | undefined;
  // The gateway's free port is chosen before the cloud starts (its URL is in the functions' settings) and bound a few
  // seconds later: meanwhile an outgoing connection of another test may take it (once in CI: PortInUseError). The
  // cloud then starts again on other ports, in a data folder (and database) of its own.
  for (let attempt = 1; !cloud; attempt++) {
    const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'parcours-cloud-'));
    try {
      cloud = await startParcoursCloud({
        ...assemblyFor(options.stage),
        port: 0,
        tickMs: 200,
        // Tests must not depend on the hour they run at: no SMS quiet hours (tested on their own with a controlled clock).
        functionEnv: { SMS_WINDOW: 'off' },
        dynamodbEndpoint: inject('dynamodbEndpoint'),
        accessKeyId: `cloud${createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 16)}`,
        ...options,
        dataDir,
      });
    } catch (error) {
      const portTaken = (error as Error | undefined)?.name === 'PortInUseError' || error instanceof PortInUseError;
      if (!portTaken || (options.port ?? 0) !== 0 || attempt >= 3) throw error;
    }
  }
  watchLogFile(cloud.functionLogFile);
  const stop = cloud.stop.bind(cloud);
  cloud.stop = async () => {
    try {
      await recordStoredPersonalData(cloud.documentClient, cloud.tableName);
    } finally {
      await stop();
    }
  };
  return cloud;
}

/**
 * Points this process's data access (shared/data, through TABLE_NAME and the DynamoDB endpoint) at the cloud's table,
 * for a test that reads and seeds what the cloud's functions write.
 */
export function useCloudTable(cloud: ParcoursLocalCloud, extra: Record<string, string> = {}): void {
  Object.assign(process.env, {
    TABLE_NAME: cloud.tableName,
    AWS_ENDPOINT_URL_DYNAMODB: cloud.urls.dynamodb,
    AWS_ACCESS_KEY_ID: cloud.accessKeyId,
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_REGION: 'eu-west-3',
    ...extra,
  });
}

/** The run's synthesized assembly for the `local` and `test` stages (global setup); any other stage is synthesized here. */
function assemblyFor(stage: string | undefined): Pick<LocalCloudOptions, 'assemblyDir' | 'outDir'> {
  if (!stage || stage === 'local') return { assemblyDir: inject('assemblyDir') };
  if (stage === 'test') return { assemblyDir: inject('testStageAssemblyDir') };
  return { outDir: mkdtempSync(join(tmpdir(), 'parcours-assembly-')) };
}

/** Calls the local HTTP API as a demo user (by username) or anonymously. */
export function apiClient(cloud: LocalCloud, username?: string) {
  const token = username ? cloud.issuer.mintIdToken(username) : undefined;
  return async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(new URL(path, cloud.urls.app), {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: response.status, body: json, text, headers: response.headers };
  };
}

/**
 * Polls until `probe` returns a value (not undefined/false), or fails after `timeoutMs`. The pause between probes
 * starts at 100 ms and grows by half each time up to 750 ms: a quick condition is seen at once, and a long wait (a
 * deadline, an outbox draining) does not spend the cores on probes, most of which call a function through the API.
 */
export async function eventually<T>(probe: () => Promise<T | undefined | false>, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let pauseMs = 100; ; pauseMs = Math.min(750, pauseMs * 1.5)) {
    const value = await probe();
    if (value !== undefined && value !== false) return value as T;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, Math.min(pauseMs, Math.max(0, deadline - Date.now()))));
  }
}
