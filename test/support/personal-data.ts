import { inject } from 'vitest';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LOGS_PREFIX, VALUES_PREFIX, type PersonalKind, type PersonalValueKind } from './personal-data-scan.js';

/**
 * The personal values the end-to-end suite used, and the function log files its local clouds wrote. Test files
 * record them here (each worker appends to files of its own in the run's folder, given by the global setup); the
 * global setup's teardown then checks that no log line of the run holds any of them (`findPersonalDataInLogs`).
 * The kinds and the file layout are shared with personal-data-scan.ts, which the global setup imports (without vitest).
 */


/** Attribute names that hold personal values, wherever they are nested in an item (young person, guardian, prescriber, outbox...). */
const PERSONAL_ATTRIBUTES: Record<string, PersonalValueKind> = {
  firstName: 'name',
  lastName: 'name',
  name: 'name',
  email: 'e-mail',
  phone: 'phone',
  // Outbox recipients, corrected contacts, opt-outs and contact issues: an e-mail or a mobile number.
  to: 'contact (e-mail or phone)',
  fixedValue: 'contact (e-mail or phone)',
  // A young person's postal address, or the address of a contact issue or opt-out.
  address: 'address',
  birthDate: 'birth date',
  projectIdea: 'free text',
  notes: 'free text',
  // The diagnosis interview's record.
  goals: 'free text',
  skills: 'free text',
  needs: 'free text',
  situationDetail: 'free text',
  messageToPrescriber: 'free text',
  messageToYoungPerson: 'free text',
  taskToken: 'task token',
  linkToken: 'link token',
};

/** Shorter values (initials, "Lens") would match words of ordinary log lines by chance. */
const MIN_LENGTH = 4;

const registryDir = () => inject('personalDataDir');
const valuesFile = () => join(registryDir(), `${VALUES_PREFIX}${process.pid}.jsonl`);
const logsFile = () => join(registryDir(), `${LOGS_PREFIX}${process.pid}.txt`);

/** Records values a test sent or made (a submission's fields, a corrected address, a free-text message). */
export function recordPersonalValues(values: Array<[PersonalKind, string | undefined]>): void {
  const lines = values.filter(([, value]) => value !== undefined && value.trim().length >= MIN_LENGTH).map(([kind, value]) => `${JSON.stringify({ kind, value: value!.trim() })}\n`);
  if (lines.length) appendFileSync(valuesFile(), lines.join(''));
}

/** Objects whose values belong to someone in particular: a failure says whose value leaked. */
const OWNERS: Record<string, string> = { youngPerson: 'young person', guardian: 'guardian', prescriber: 'prescriber', decidedBy: 'staff member' };

/** Every personal value found in `value` (a submission, stored items...), by attribute name at any depth. */
export function recordPersonalObject(value: unknown): void {
  const found: Array<[PersonalKind, string]> = [];
  collect(value, found);
  recordPersonalValues(found);
}

function collect(value: unknown, found: Array<[PersonalKind, string]>, kind?: PersonalKind, owner?: string): void {
  if (typeof value === 'string') {
    if (kind) found.push([owner ? `${kind} of a ${owner}` : kind, value]);
  } else if (Array.isArray(value)) {
    for (const element of value) collect(element, found, kind, owner);
  } else if (value !== null && typeof value === 'object') {
    // The system's own actors ('Délais automatiques') are nobody's data.
    if ((value as { kind?: unknown }).kind === 'system') return;
    for (const [key, nested] of Object.entries(value)) collect(nested, found, PERSONAL_ATTRIBUTES[key], OWNERS[key] ?? owner);
  }
}

/** A function log file to check at the end of the run (every local cloud of the tests registers its own). */
export function watchLogFile(path: string): void {
  appendFileSync(logsFile(), `${path}\n`);
}

/**
 * Records every personal value stored in the app's table: what the tests submitted, and what the app derived
 * from it (outbox recipients, guardians, corrected contacts, decision messages, the workflows' task tokens).
 */
export async function recordStoredPersonalData(doc: DynamoDBDocumentClient, tableName: string): Promise<void> {
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: startKey }));
    recordPersonalObject(page.Items ?? []);
    startKey = page.LastEvaluatedKey;
  } while (startKey);
}

declare module 'vitest' {
  export interface ProvidedContext {
    personalDataDir: string;
  }
}
