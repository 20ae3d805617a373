/** The error a promise is refused with (its `statusCode` when a user-facing one); fails when it is not refused. */
export async function errorOf(promise: Promise<unknown>): Promise<Error & { statusCode?: number }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { statusCode?: number };
  }
  throw new Error('expected a refusal');
}
