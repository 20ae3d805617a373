import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { TransactItem } from '../approvals.js';
import { db } from '../client.js';

/** A stored item without its keys and type: the record it holds. */
export const recordOf = <T>(item: Record<string, unknown>): T => {
  const { pk: _pk, sk: _sk, gsi1pk: _1, gsi1sk: _2, gsi2pk: _3, gsi2sk: _4, gsi3pk: _5, gsi3sk: _6, type: _t, ...rest } = item;
  return rest as T;
};

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
