/**
 * Ask time of the model-based searchers with many trials stored, on PostgreSQL and in memory (the baseline, same run):
 *   node --import tsx bench/ask-at-scale.ts [--trials 10000] [--asks 20] [--url postgresql://...]
 *
 * Fills one study per storage with N finished trials (8 floats, random params, a smooth objective), then times `ask` + `tell`
 * for `tpe` and `gp` (median ms over --asks). The PostgreSQL storage reads the history incrementally, so after the first ask
 * only the changed rows travel; the figure to watch is PostgreSQL / memory at the same N. Uses TUNEKIT_TEST_PG, --url, or a
 * throwaway server (.ci/postgres.sh). No assertions: figures for the report.
 *
 * Measured 2026-12-04 (2 cores shared with other jobs, `--trials 10000 --asks 15`): fill 7.8 ms/trial on PostgreSQL (8
 * writers) vs 0.15 in memory; ask+tell with 10,000 trials stored: tpe 58.5 ms (memory 36.0, ratio 1.62), gp 240 ms (memory
 * 222, ratio 1.08): the history is read incrementally, so the storage adds a constant, not a cost growing with the study.
 * Again later that day, after asks stopped copying the history for searchers that do not read it (src/study/mirror.ts):
 * fill 2.63 ms/trial on PostgreSQL vs 0.04 in memory (random never reads the history now); tpe 60.7 ms (memory 38.6, ratio
 * 1.57), gp 174.0 ms (memory 167.4, ratio 1.04).
 */
import { createStudy, space } from '../src/index.js';
import { InMemoryStorage, type Storage } from '../src/storage/index.js';
import { openPostgresStorage } from '../src/storage/index.js';
import { freshDatabase, startServer } from '../test/helpers/postgres.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] as string) : fallback;
};
const N = Number(arg('trials', '10000'));
const ASKS = Number(arg('asks', '20'));
const sp = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`x${i}`, space.float(-5, 5)]));
const f = (p: Record<string, number>) => Object.values(p).reduce((a, v, i) => a + (v - i / 4) ** 2, 0);

/** Stores N finished trials with 8 concurrent writers (what a sweep would have left behind). */
async function fill(storage: Storage, name: string): Promise<void> {
  const study = await createStudy({ name, space: sp, storage, seed: 1, loadIfExists: true });
  let next = 0;
  const writer = async () => {
    for (;;) {
      if (next >= N) return;
      next++;
      const t = await study.ask();
      await study.tell(t.number, f(t.params as Record<string, number>));
    }
  };
  await Promise.all(Array.from({ length: 8 }, writer));
}

async function timeAsks(storage: Storage, name: string, searcher: string): Promise<number> {
  const study = await createStudy({
    name,
    space: sp,
    storage,
    seed: 1,
    loadIfExists: true,
    searcher: searcher === 'gp' ? { type: 'gp' } : searcher,
  });
  const ms: number[] = [];
  for (let i = 0; i < ASKS + 1; i++) {
    const t0 = performance.now();
    const t = await study.ask();
    await study.tell(t.number, f(t.params as Record<string, number>));
    if (i > 0) ms.push(performance.now() - t0); // the first ask of a fresh process reads the whole history once
  }
  return [...ms].sort((a, b) => a - b)[Math.floor(ms.length / 2)] as number;
}

const url = arg('url', process.env.TUNEKIT_TEST_PG ?? '');
const server = url ? undefined : startServer();
try {
  const pgUrl = await freshDatabase(url || server!.url);
  const pg = await openPostgresStorage(pgUrl);
  const mem = new InMemoryStorage();
  let t0 = performance.now();
  await fill(pg, 'scale');
  const fillPg = performance.now() - t0;
  t0 = performance.now();
  await fill(mem, 'scale');
  const fillMem = performance.now() - t0;
  console.log(
    `filled ${N} trials: PostgreSQL ${(fillPg / N).toFixed(2)} ms/trial, memory ${(fillMem / N).toFixed(2)} ms/trial (random searcher)`,
  );
  for (const searcher of ['tpe', 'gp']) {
    const a = await timeAsks(pg, 'scale', searcher);
    const b = await timeAsks(mem, 'scale', searcher);
    console.log(
      `${searcher.padEnd(4)} ask+tell with ${N}+ trials stored: PostgreSQL ${a.toFixed(1)} ms, memory ${b.toFixed(1)} ms (ratio ${(a / b).toFixed(2)})`,
    );
  }
  await pg.close();
} finally {
  server?.destroy();
}
