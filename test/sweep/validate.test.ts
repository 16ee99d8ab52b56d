/**
 * Sweep files: every problem is reported with its JSON path before anything runs; valid files resolve with defaults filled
 * in and absolute paths; .ts sweep modules load; the built-in trainer's objective and sampled configs are checked up front.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadSweepFile, SweepFileError } from '../../src/sweep/load.js';
import { runCommand } from '../../src/cli/run.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/pool/', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../examples/mnist-sweep.json', import.meta.url));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tunekit-sweepfile-'));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function write(name: string, value: unknown): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
}

async function problemsOf(file: string): Promise<readonly string[]> {
  try {
    await loadSweepFile(file);
  } catch (error) {
    assert.instance(error, SweepFileError);
    return (error as SweepFileError).problems;
  }
  assert.unreachable(`${file} should be rejected`);
  return [];
}

const moduleSweep = {
  name: 'ok-sweep',
  trainable: { module: path.join(FIXTURES, 'trainable.ts') },
  space: { x: { _type: 'float', low: 0, high: 1 } },
  objective: { metric: 'loss' },
  budget: { trials: 3 },
};

test('a bad sweep file lists every problem with its JSON path', async () => {
  const problems = await problemsOf(
    write('bad.json', {
      name: 'has spaces',
      trainable: { module: './missing.ts' },
      space: { lr: { _type: 'float', low: 5, high: 1 } },
      searcher: 'no-such-searcher',
      pruner: { type: 'median', bogus: 1 },
      objective: { metric: 'loss', direction: 'up' },
      budget: { trials: 0, epochs: 2, minEpochs: 3 },
      workers: 0,
      devices: ['cpu', 'gpu:x', 'cpu'],
      keepCheckpoints: -1,
      colour: 'blue',
    }),
  );
  const at = (prefix: string) => problems.some((p) => p.startsWith(`${prefix}:`));
  for (const path of [
    'name',
    'trainable.module',
    'space.lr',
    'pruner',
    'objective.direction',
    'budget.trials',
    'budget.minEpochs',
    'workers',
    'devices[1]',
    'devices[2]',
    'keepCheckpoints',
    'colour',
  ]) {
    assert.ok(at(path), `a problem at ${path} in:\n${problems.join('\n')}`);
  }
  assert.ok(problems.find((p) => p.startsWith('space.lr'))?.includes('low <= high'), 'the space validator names the invariant');
  assert.ok(problems.find((p) => p.startsWith('budget.minEpochs'))?.includes('`minEpochs <= epochs` must hold'));
});

test('the searcher is checked against the space, and missing required fields are named', async () => {
  const problems = await problemsOf(
    write('bad2.json', { ...moduleSweep, searcher: 'no-such-searcher', budget: undefined, name: undefined }),
  );
  assert.ok(
    problems.some((p) => p.startsWith('searcher:') && p.includes('unknown searcher "no-such-searcher"')),
    problems.join('\n'),
  );
  assert.ok(problems.some((p) => p.startsWith('budget:')));
  assert.ok(problems.some((p) => p.startsWith('name:')));
});

test('unreadable files: invalid JSON, unknown extension, nothing exported', async () => {
  assert.match((await problemsOf(write('broken.json', '{ "name": ')))[0] ?? '', /not valid JSON/);
  assert.match((await problemsOf(write('sweep.yaml', 'name: x')))[0] ?? '', /must end in \.json, \.js, \.mjs or \.ts/);
  assert.match((await problemsOf(write('empty.mjs', 'export const other = 1;')))[0] ?? '', /export default/);
});

test('a valid module sweep resolves: defaults filled in, paths absolute', async () => {
  // test/fixtures/pool/sweep.json names its module relative to itself ("./trainable.ts").
  const fixture = await loadSweepFile(path.join(FIXTURES, 'sweep.json'));
  const module = path.join(FIXTURES, 'trainable.ts');
  const sha256 = createHash('sha256').update(fs.readFileSync(module)).digest('hex');
  assert.equal(fixture.sweep.trainable, { module, sha256 }, 'the module and its sha256 are recorded');
  assert.is(fixture.sweep.seed, 7);
  const { sweep } = await loadSweepFile(
    write('ok.json', { ...moduleSweep, trainable: { module: path.relative(tmp, path.join(FIXTURES, 'trainable.ts')) } }),
  );
  assert.equal(sweep.trainable, { module, sha256 });
  assert.equal(sweep.objective, { metric: 'loss', direction: 'minimize' });
  assert.equal(sweep.devices, ['cpu']);
  assert.is(sweep.searcher, 'random');
  assert.is(sweep.pruner, 'none');
  assert.is(sweep.keepCheckpoints, 3);
  assert.ok(Number.isSafeInteger(sweep.seed), 'a seed is drawn and fixed');
});

test('a .ts sweep module exporting the object loads like JSON (builder spaces too), and overrides apply', async () => {
  const file = write('sweep.ts', `const sweep: Record<string, unknown> = ${JSON.stringify(moduleSweep)};\nexport default sweep;\n`);
  const { sweep } = await loadSweepFile(file, { trials: 9, workers: 3, seed: 11 });
  assert.is(sweep.budget.trials, 9);
  assert.is(sweep.workers, 3);
  assert.is(sweep.seed, 11);
  const spaces = pathToFileURL(path.resolve(FIXTURES, '../../../spaces/index.ts')).href;
  const built = write(
    'built.ts',
    `import { space } from '${spaces}';\nexport default { ...${JSON.stringify(moduleSweep)}, space: { x: space.float(0, 1, { log: false }) } };\n`,
  );
  const fromBuilders = await loadSweepFile(built);
  const x = (fromBuilders.sweep.space as { x?: { _type?: string; low?: number; high?: number } }).x;
  assert.equal([x?._type, x?.low, x?.high], ['float', 0, 1], 'the builder space is stored in its JSON form');
});

test('built-in sweeps: the objective must be a metric the trainer reports, sampled configs must be valid', async () => {
  const base = {
    name: 'b',
    dataset: { type: 'mnist', limit: 100 },
    defaults: { model: { type: 'mlp', units: [8] }, loss: 'crossentropy', batchSize: 16 },
    space: { optimizer: { _type: 'branch', branches: { adam: { lr: { _type: 'float', low: 1e-3, high: 1e-2 } } } } },
    objective: { metric: 'valAccuracy', direction: 'maximize' },
    budget: { trials: 2, epochs: 1 },
  };
  const badMetric = await problemsOf(write('b1.json', { ...base, objective: { metric: 'valAUC', direction: 'maximize' } }));
  assert.match(badMetric.join('\n'), /objective\.metric: the built-in trainer reports .*valAccuracy/);
  const typo = await problemsOf(write('b2.json', { ...base, defaults: { ...base.defaults, batchsize: 16 } }));
  assert.match(typo.join('\n'), /unknown field "batchsize"/);
  const noData = await problemsOf(write('b3.json', { ...base, dataset: undefined }));
  assert.ok(noData.some((p) => p.startsWith('dataset:')));
  const { sweep } = await loadSweepFile(write('b4.json', base));
  assert.is(sweep.trainable, 'builtin');
});

test('examples/mnist-sweep.json is a valid sweep', async () => {
  const { sweep } = await loadSweepFile(EXAMPLE);
  assert.is(sweep.trainable, 'builtin');
  assert.is(sweep.workers, 2);
  assert.is(sweep.dataset?.type, 'mnist');
});

test('tunekit run rejects a bad file before creating anything', async () => {
  const out = path.join(tmp, 'never');
  const lines: string[] = [];
  try {
    await runCommand({ sweep: write('bad3.json', { ...moduleSweep, budget: { trials: -1 } }), out }, (l) => lines.push(l), {
      handleSignals: false,
    });
    assert.unreachable('should reject');
  } catch (error) {
    assert.instance(error, SweepFileError);
    assert.match((error as Error).message, /budget\.trials: `1 <= budget\.trials <= 1000000` must hold, got -1; use at least 1/);
  }
  assert.not.ok(fs.existsSync(out), 'no output directory');
});

test.run();
