/**
 * Polls until `probe` returns a value (not undefined/false), or fails after `timeoutMs`.
 * In a module of its own, without vitest, so that scripts run outside the test runner (the benchmark) use it too.
 */
export async function eventually<T>(probe: () => Promise<T | undefined | false>, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value as T;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}
