/**
 * A sweep across processes on one PostgreSQL study, with real processes and real faults: a controller (`tunekit run
 * --storage`) and three `tunekit worker`s; one worker is SIGKILLed mid-trial (its trial is recovered after the grace period
 * and finishes elsewhere), one is SIGSTOPped past the grace period and then continued (its late result is refused: no
 * duplicate), and PostgreSQL restarts mid-sweep (everyone goes on). Afterwards: numbers unique, nothing left running, the
 * budget met exactly, every stale trial retried exactly once.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openArtifactStore, openStorage } from '../../src/storage/index.js';
import { countsTowardBudget } from '../../src/study/optimize.js';
import type { TrialRecord } from '../../src/index.js';
import { freshDatabase, startServer } from '../helpers/postgres.js';
import { tempDirs } from '../helpers/tmp.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = path.join(root, 'dist/src/cli/main.js');
const MODULE = path.join(root, 'test/fixtures/pool/trainable.ts');
const tmp = tempDirs(test);
const BUDGET = 24;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function tunekit(args: readonly string[]): { child: ChildProcess; done: Promise<number | null>; log: () => string } {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const done = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, done, log: () => log };
}

async function trialsOf(url: string, study: string): Promise<readonly TrialRecord[]> {
  const storage = await openStorage(url);
  try {
    return (await storage.listStudies()).includes(study) ? await storage.getTrials(study) : [];
  } finally {
    await storage.close();
  }
}

test('controller + 3 workers on PostgreSQL survive SIGKILL, SIGSTOP/SIGCONT and a server restart; the budget is met exactly', async () => {
  const server = startServer();
  try {
    const url = await freshDatabase(server.url);
    const work = tmp('tk-mm-');
    const sweep = path.join(work, 'sweep.json');
    const name = 'many-machines';
    fs.writeFileSync(
      sweep,
      JSON.stringify({
        name,
        trainable: { module: MODULE },
        defaults: { mode: 'ok', steps: 8, ms: 120 },
        space: { x: { _type: 'float', low: -1, high: 1 } },
        searcher: 'random',
        objective: { metric: 'loss', direction: 'minimize' },
        budget: { trials: BUDGET },
        workers: 1,
        seed: 9,
        heartbeatIntervalMs: 200,
        gracePeriodMs: 1500,
      }),
    );
    const controller = tunekit(['run', sweep, '--storage', url, '--out', path.join(work, 'controller')]);
    await sleep(500);
    const deadline = Date.now() + 60_000;
    while ((await trialsOf(url, name)).length === 0) {
      if (Date.now() > deadline) throw new Error(`the controller never created the study:\n${controller.log()}`);
      await sleep(300);
    }
    const workers = [1, 2, 3].map((i) => tunekit(['worker', url, '--study', name, '--out', path.join(work, `worker-${i}`)]));
    const counted = async () => (await trialsOf(url, name)).filter(countsTowardBudget).length;
    while ((await counted()) < 4) await sleep(200);

    // 1. SIGKILL a worker mid-trial: its trial goes stale and is retried elsewhere.
    const killedPid = workers[0]!.child.pid;
    assert.ok(killedPid !== undefined, 'the first worker was spawned');
    workers[0]!.child.kill('SIGKILL');
    // 2. SIGSTOP another past the grace period, then let it go on: its late report/tell must be refused.
    workers[1]!.child.kill('SIGSTOP');
    await sleep(3500);
    workers[1]!.child.kill('SIGCONT');
    // 3. Restart PostgreSQL mid-sweep.
    while ((await counted()) < 12) await sleep(200);
    await server.stopOnly('fast');
    await sleep(1000);
    await server.start();

    const codes = await Promise.race([
      Promise.all([controller.done, workers[1]!.done, workers[2]!.done]),
      sleep(150_000).then(() => 'timeout' as const),
    ]);
    if (codes === 'timeout') {
      for (const p of [controller, ...workers]) p.child.kill('SIGKILL');
      throw new Error(`the sweep did not end:\n${controller.log()}\n${workers.map((w) => w.log()).join('\n')}`);
    }
    assert.equal(codes, [0, 0, 0], `exit codes ${codes.join(', ')}\n${controller.log()}\n${workers[1]!.log()}\n${workers[2]!.log()}`);

    const trials = await trialsOf(url, name);
    assert.equal(
      trials.map((t) => t.number),
      trials.map((_, i) => i),
      'numbers unique and dense',
    );
    assert.ok(
      trials.every((t) => t.state !== 'running' && t.state !== 'waiting'),
      'nothing left running or waiting',
    );
    assert.is(trials.filter(countsTowardBudget).length, BUDGET, 'the budget is met exactly');
    const stale = trials.filter((t) => t.state === 'failed' && t.reason?.startsWith('stale:'));
    assert.ok(stale.length >= 1, 'the killed worker left a stale trial');
    assert.ok(
      stale.some((t) => t.reason?.includes(`/${killedPid}`)),
      `no stale trial names the killed worker ${killedPid}: ${stale.map((t) => t.reason ?? '').join('; ')}`,
    );
    for (const t of stale) {
      const retries = trials.filter((r) => r.system['retryOf'] === t.number);
      assert.is(retries.length, 1, `trial ${t.number} retried ${retries.length} times`);
      assert.ok(retries[0]!.state !== 'failed' || retries[0]!.reason?.startsWith('stale:'), 'the retry ran');
      assert.equal(retries[0]!.params, t.params);
    }
    // status and resume work from any machine: status reads the shared study; resume of the controller's run directory
    // reconnects to PostgreSQL (not to a new local file) and finds the budget met.
    const status = tunekit(['status', url, '--study', name, '--json']);
    assert.is(await status.done, 0, status.log());
    const st = JSON.parse(status.log()) as { finished: number; budget: number; dir: string };
    assert.is(st.finished, BUDGET);
    assert.is(st.budget, BUDGET);
    assert.not.ok(st.dir.includes(new URL(url).password), 'the password leaked into status output');
    const resumed = tunekit(['resume', path.join(work, 'controller'), '--storage', url]);
    assert.is(await resumed.done, 0, resumed.log());
    assert.match(resumed.log(), /stopped by: budget; 0 trials finished in this run/);
    assert.not.ok(fs.existsSync(path.join(work, 'controller', 'study.json')), 'resume opened a local study file instead of PostgreSQL');

    // Checkpoints went to the artifact store shared by every machine (promotions and `tunekit export` from anywhere).
    const store = await openArtifactStore(url);
    try {
      for (const t of trials.filter((x) => x.state === 'complete'))
        assert.ok(await store.has(`${name}/${t.number}`), `no checkpoint of trial ${t.number} in the store`);
    } finally {
      await store.close();
    }
  } finally {
    server.destroy();
  }
});

test.run();
