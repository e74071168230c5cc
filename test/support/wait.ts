/** Resolves when `check` holds, checking between turns of the event loop (for state with no event to await). */
export async function until(check: () => boolean, what: string | (() => string), timeoutMs = 30_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${typeof what === 'function' ? what() : what}`);
    await new Promise((r) => setImmediate(r));
  }
}

/**
 * Resolves when the asynchronous `check` holds (a state read over HTTP, say), checking again after
 * each answer and a turn of the event loop (an in-process check that answers in microtasks would
 * otherwise starve the sockets it waits on).
 */
export async function untilAsync(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}
