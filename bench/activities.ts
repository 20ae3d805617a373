/**
 * Active activities (section 8 of `npm run bench`; alone: `BENCH_ONLY=activities npm run bench` or
 * `npx tsx bench/activities.ts`): `activities` active activities written with BatchWrite straight into a fresh app
 * table of a DynamoDB Local on disk (as the local cloud keeps it), then `allActiveActivities()`, the query the monthly
 * invoicing reads them with: 16 shards queried in parallel, each paged to its end. Cold is the first call of the
 * process (client, connections, DynamoDB Local's first reads of the index); warm is the median of the next ones.
 */
import { pathToFileURL } from 'node:url';
import { activityItem, allActiveActivities } from '../shared/data/activities.js';
import { ACTIVE_ACTIVITY_SHARDS } from '../shared/keys.js';
import { benchActivity } from './invoicing-seed.js';
import { batchWriteAll, withBenchTable } from './local-table.js';

const TABLE = 'parcours-bench-activities';
const WARM_RUNS = 5;

/** Lines of figures: the seeding, then the listing cold and warm (time, pages read, items/s). */
export async function activeActivityFigures(options: { activities: number }): Promise<string[]> {
  const lines = [`\nactive activities: allActiveActivities() over ${options.activities.toLocaleString('en')} active ones, ${ACTIVE_ACTIVITY_SHARDS} shards queried in parallel (DynamoDB Local on disk)`];
  await withBenchTable(TABLE, async (doc) => {
    const seedStart = performance.now();
    // The activity items alone (about 1 KB each), as the launch leaves them (bench/invoicing-seed.ts).
    await batchWriteAll(doc, TABLE, Array.from({ length: options.activities }, (_, i) => activityItem(benchActivity(i, `2026-${String(1 + (i % 12)).padStart(2, '0')}-01T08:00:00.000Z`).activity)));
    const seedSeconds = (performance.now() - seedStart) / 1000;
    lines.push(`  seeded with BatchWrite (25 a request, 8 in flight): ${seedSeconds.toFixed(1)} s, ${(options.activities / seedSeconds).toFixed(0)} items/s`);

    const listOnce = async () => {
      const pages = new Map<string, number>();
      const started = performance.now();
      const found = await allActiveActivities({ onPage: (shard) => pages.set(shard, (pages.get(shard) ?? 0) + 1) });
      const ms = performance.now() - started;
      if (found.length !== options.activities) throw new Error(`allActiveActivities found ${found.length} of ${options.activities}`);
      return { ms, pages: [...pages.values()] };
    };
    const describe = (label: string, run: { ms: number; pages: number[] }) =>
      `  ${label}: ${run.ms.toFixed(0)} ms, ${run.pages.reduce((a, b) => a + b, 0)} pages read (${Math.min(...run.pages)}-${Math.max(...run.pages)} a shard), ${(options.activities / (run.ms / 1000)).toFixed(0)} items/s`;
    lines.push(describe('cold (first call of the process)', await listOnce()));
    const warm = [];
    for (let i = 0; i < WARM_RUNS; i++) warm.push(await listOnce());
    warm.sort((a, b) => a.ms - b.ms);
    lines.push(describe(`warm (median of ${WARM_RUNS}; fastest ${warm[0]!.ms.toFixed(0)} ms, slowest ${warm.at(-1)!.ms.toFixed(0)} ms)`, warm[Math.floor(WARM_RUNS / 2)]!));
  });
  return lines;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  for (const line of await activeActivityFigures({ activities: Number(process.env.BENCH_ACTIVITIES ?? 10_000) })) console.log(line);
}
