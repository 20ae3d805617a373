import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { TransactItem } from '../approvals.js';
import { db } from '../client.js';

export { recordOf } from '../client.js';

/** Who did something, as the history records it. */
export interface ByWhom {
  id: string;
  name: string;
}

/** The largest transaction DynamoDB accepts. */
export const MAX_TRANSACTION_ITEMS = 100;

/** Runs `task` on each item, `concurrency` at a time; the results keep the items' order. */
export async function inParallel<T, R>(items: readonly T[], concurrency: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await task(items[i]!, i);
      }
    }),
  );
  return results;
}

export const transact = (items: TransactItem[]) => db().send(new TransactWriteCommand({ TransactItems: items }));

/** Full jitter, capped: contenders for one counter spread out instead of colliding again in step. */
export const jitter = (attempt: number) => new Promise((r) => setTimeout(r, Math.random() * Math.min(500, 10 * 2 ** attempt)));
