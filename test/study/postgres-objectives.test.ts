/**
 * A multi-objective, constrained study on PostgreSQL (test/helpers/postgres.ts starts a server when TUNEKIT_TEST_PG is not
 * set): the study record's directions / metrics / constraints and each trial's values and constraints round-trip, and a
 * study loaded from another connection ranks the same front.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createStudy, loadStudy } from '../../src/study/open.js';
import { space } from '../../spaces/index.js';
import { freshSchema, testServerUrl, withSchema } from '../helpers/postgres.js';

test('PostgreSQL keeps directions, metrics, constraints and per-trial values/constraints; a loaded study has the same front', async () => {
  const url = withSchema(testServerUrl(), freshSchema('mo_study'));
  const study = await createStudy({
    name: 'pg-mo',
    space: { x: space.float(-2, 2), y: space.float(0, 1) },
    directions: ['minimize', 'maximize'],
    metrics: ['loss', 'acc'],
    searcher: 'nsga2',
    seed: 2,
    storage: url,
    constraints: (m) => [m['acc']! - 0.8],
  });
  await study.optimize((p) => ({ loss: p.x * p.x, acc: p.y }), { trials: 12 });
  const front = study.bestTrials.map((t) => t.number).sort((a, b) => a - b);
  await study.close();
  const loaded = await loadStudy({ name: 'pg-mo', storage: url });
  try {
    assert.equal(loaded.record.directions, ['minimize', 'maximize']);
    assert.equal(loaded.record.metrics, ['loss', 'acc']);
    assert.is(loaded.record.constraints, true);
    const trials = await loaded.trials();
    assert.is(trials.length, 12);
    for (const t of trials) {
      assert.equal(t.values, [t.metrics!['loss'], t.metrics!['acc']]);
      assert.equal(t.constraints, [t.metrics!['acc']! - 0.8]);
    }
    assert.equal(
      loaded.bestTrials.map((t) => t.number).sort((a, b) => a - b),
      front,
    );
    assert.ok(front.length > 0);
  } finally {
    await loaded.close();
  }
});

test.run();
