/**
 * Person matching under load (issue 8): N concurrent submissions over HTTP, all fired at once, of which
 * 10 % are retries with the same Idempotency-Key, 10 % are pairs describing the same new person (two organisations,
 * same moment), 5 % weak matches (a new person with a known person's e-mail), the rest new people.
 * Prints the exact counts expected and found (referrals, people, "doublons possibles"), the statuses and the latency.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.max(0, Math.ceil((p / 100) * xs.length) - 1))];

let counter = 0;
function person(overrides: Record<string, string> = {}) {
  counter += 1;
  return {
    programme: 'accompagnement',
    youngPerson: {
      firstName: `Match${counter}`,
      lastName: randomUUID().slice(0, 8),
      birthDate: '2001-02-03',
      email: `match.${randomUUID()}@example.org`,
      phone: `+337${String(randomInt(100_000_000)).padStart(8, '0')}`,
      postalCode: '62300',
      town: 'Lens',
      qpv: false,
      situation: 'demandeur-emploi',
      ...overrides,
    },
    projectIdea: 'Mesure du rapprochement des personnes.',
    consent: { dataProcessing: true },
  };
}

async function countByType(doc: DynamoDBDocumentClient, tableName: string, types: string[]): Promise<Record<string, number>> {
  const counts = Object.fromEntries(types.map((t) => [t, 0]));
  let start: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(new ScanCommand({ TableName: tableName, ProjectionExpression: '#t', ExpressionAttributeNames: { '#t': 'type' }, ExclusiveStartKey: start, ConsistentRead: true }));
    for (const item of page.Items ?? []) if (String(item.type) in counts) counts[String(item.type)] += 1;
    start = page.LastEvaluatedKey;
  } while (start);
  return counts;
}

export async function personMatchingFigures(options: {
  base: string;
  /** ID tokens of two prescribers of different organisations. */
  tokens: [string, string];
  documentClient: DynamoDBDocumentClient;
  tableName: string;
  submissions: number;
}): Promise<string[]> {
  const { base, tokens, documentClient, tableName, submissions: n } = options;
  const retries = Math.round(n / 10);
  const pairs = Math.round(n / 10);
  const weak = Math.round(n / 20);
  const singles = n - retries - 2 * pairs - weak;
  const post = async (token: string, body: unknown, key: string) => {
    const t0 = performance.now();
    const res = await fetch(`${base}/api/referrals`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify(body),
    });
    await res.arrayBuffer();
    return { status: res.status, ms: performance.now() - t0 };
  };

  // The people the weak matches resemble, recorded before the burst.
  const known = Array.from({ length: weak }, () => person());
  for (let i = 0; i < known.length; i += 8) await Promise.all(known.slice(i, i + 8).map((p) => post(tokens[0], p, randomUUID())));
  const types = ['referral', 'person', 'possible-duplicate'];
  const before = await countByType(documentClient, tableName, types);

  const distinct = [
    ...Array.from({ length: singles }, () => ({ token: tokens[0], body: person(), key: randomUUID() })),
    ...Array.from({ length: pairs }, () => person()).flatMap((p) => [
      { token: tokens[0], body: p, key: randomUUID() },
      { token: tokens[1], body: { ...p, projectIdea: `${p.projectIdea} (2)` }, key: randomUUID() },
    ]),
    ...known.map((k) => ({ token: tokens[1], body: person({ email: k.youngPerson.email }), key: randomUUID() })),
  ];
  const sends = [...distinct, ...distinct.slice(0, retries)];
  const started = performance.now();
  const results = await Promise.all(sends.map((s) => post(s.token, s.body, s.key)));
  const seconds = (performance.now() - started) / 1000;
  const after = await countByType(documentClient, tableName, types);

  const statuses = new Map<number, number>();
  for (const r of results) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
  const expected = { referral: n - retries, person: singles + pairs + weak, 'possible-duplicate': weak };
  const found = Object.fromEntries(types.map((t) => [t, after[t] - before[t]]));
  const exact = types.every((t) => found[t] === expected[t as keyof typeof expected]) && statuses.get(201) === n - retries && statuses.get(200) === retries;
  const latencies = results.map((r) => r.ms);
  return [
    `person matching: ${n} concurrent submissions over HTTP (${retries} retried with the same key, ${pairs} pairs of the same new person, ${weak} weak matches) in ${seconds.toFixed(1)} s, ` +
      `${(n / seconds).toFixed(1)} submissions/s, p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms; statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
    `person matching: referrals +${found.referral} (expected ${expected.referral}), people +${found.person} (expected ${expected.person}), ` +
      `"doublons possibles" +${found['possible-duplicate']} (expected ${expected['possible-duplicate']}), 5xx ${results.filter((r) => r.status >= 500).length}: ${exact ? 'exact' : 'MISMATCH'}`,
  ];
}
