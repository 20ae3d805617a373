import type { Page } from '../../shared/data/client.js';

/** Walks a paged listing to its end, cursor after cursor: every item in order, and the size of each page. */
export async function walkPages<T>(read: (cursor: string | undefined) => Promise<Page<T>>, maxPages = 1_000): Promise<{ items: T[]; sizes: number[] }> {
  const items: T[] = [];
  const sizes: number[] = [];
  let cursor: string | undefined;
  do {
    if (sizes.length === maxPages) throw new Error(`more than ${maxPages} pages: the cursor does not move on`);
    const page = await read(cursor);
    items.push(...page.items);
    sizes.push(page.items.length);
    cursor = page.cursor;
  } while (cursor);
  return { items, sizes };
}
