/**
 * Turns `limit + 1` fetched items into a page: the first `limit` items, and the cursor of the
 * next page (the last item's key) only when there was one more.
 */
export function pageOf<T>(fetched: readonly T[], limit: number, keyOf: (item: T) => string): { items: T[]; nextCursor: string | null } {
  const items = fetched.slice(0, limit);
  return { items, nextCursor: fetched.length > limit ? keyOf(items[items.length - 1]!) : null };
}
