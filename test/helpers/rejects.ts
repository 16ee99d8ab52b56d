import * as assert from 'uvu/assert';

/** uvu/assert has no async `rejects`: awaits `fn` and checks that it rejects with a message matching `pattern`. */
export async function rejects(fn: () => Promise<unknown>, pattern: RegExp): Promise<void> {
  try {
    await fn();
  } catch (err) {
    assert.match((err as Error).message, pattern);
    return;
  }
  assert.unreachable(`expected a rejection matching ${pattern}`);
}
