/**
 * The sweep records what program it runs: the sha256 of the trainable module is stored in the resolved sweep, and resuming
 * with a changed module is refused (unless allowed), so results of two programs are never mixed silently.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { validateSweep, type ResolvedSweep } from '../../src/sweep/spec.js';
import { checkTrainableUnchanged, formatTrainable, hashTrainable } from '../../src/sweep/trainable-hash.js';
import { TrainableChangedError } from '../../src/core/errors.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tunekit-hash-'));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const module = path.join(tmp, 'train.ts');
fs.writeFileSync(module, 'export default async () => ({ loss: 1 });\n');
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

const raw = {
  name: 'hash',
  trainable: { module: './train.ts' },
  space: { x: { _type: 'float', low: 0, high: 1 } },
  objective: { metric: 'loss' },
  budget: { trials: 2 },
};

function resolve(r: unknown): ResolvedSweep {
  const v = validateSweep(r, { baseDir: tmp });
  if (!v.ok) throw new Error(v.problems.join('\n'));
  return v.sweep;
}

test('hashTrainable is the sha256 of the entry file content', () => {
  assert.is(hashTrainable(module), sha('export default async () => ({ loss: 1 });\n'));
});

test('the resolved sweep records module and sha256; a stored sha256 is kept on re-validation', () => {
  const s = resolve(raw);
  assert.equal(s.trainable, { module, sha256: hashTrainable(module) });
  const stored = resolve(JSON.parse(JSON.stringify(s)));
  assert.equal(stored.trainable, s.trainable);
  const pinned = resolve({ ...raw, trainable: { module: './train.ts', sha256: 'a'.repeat(64) } });
  assert.equal(pinned.trainable, { module, sha256: 'a'.repeat(64) });
  const bad = validateSweep({ ...raw, trainable: { module: './train.ts', sha256: 'xyz' } }, { baseDir: tmp });
  assert.ok(!bad.ok && bad.problems.some((p) => p.startsWith('trainable.sha256:') && p.includes('64 hex digits')));
  assert.is(resolve({ ...raw, trainable: 'builtin', dataset: { type: 'mnist' }, budget: { trials: 1, epochs: 1 } }).trainable, 'builtin');
});

test('checkTrainableUnchanged: unchanged passes; changed throws naming module, both hashes and both ways out', () => {
  const s = resolve(raw);
  assert.equal(checkTrainableUnchanged(s, false), {
    module,
    recorded: hashTrainable(module),
    current: hashTrainable(module),
    changed: false,
  });
  const before = hashTrainable(module);
  fs.writeFileSync(module, 'export default async () => ({ loss: 2 });\n');
  const after = hashTrainable(module);
  try {
    checkTrainableUnchanged(s, false);
    assert.unreachable('should refuse');
  } catch (e) {
    assert.instance(e, TrainableChangedError);
    const m = (e as Error).message;
    assert.ok(m.includes(`the trainable module ${module} changed since this sweep started (sha256 ${before.slice(0, 12)}`), m);
    assert.ok(m.includes(after.slice(0, 12)), m);
    assert.match(m, /results would mix two programs/);
    assert.match(m, /--allow-changed-trainable/);
    assert.match(m, /start a new sweep/);
  }
  assert.equal(checkTrainableUnchanged(s, true), { module, recorded: before, current: after, changed: true });
  assert.is(checkTrainableUnchanged({ ...s, trainable: 'builtin' }, false), undefined);
  // a hand-built sweep recorded no hash: nothing to compare
  assert.equal(checkTrainableUnchanged({ ...s, trainable: { module } }, false), {
    module,
    recorded: after,
    current: after,
    changed: false,
  });
});

test('formatTrainable: the line saying which program will run', () => {
  const s = resolve(raw);
  assert.match(
    formatTrainable(s),
    new RegExp(
      `^trainable: ${module.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(sha256 [0-9a-f]{12}; every trial imports and runs this file\\)$`,
    ),
  );
  assert.match(formatTrainable({ ...s, trainable: 'builtin' }), /^trainable: built-in/);
});

test('a module that disappeared on resume: a clear error, not ENOENT', () => {
  const gone = path.join(tmp, 'gone.ts');
  fs.writeFileSync(gone, 'x');
  const s = resolve({ ...raw, trainable: { module: './gone.ts' } });
  fs.rmSync(gone);
  try {
    checkTrainableUnchanged(s, false);
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /cannot be read \(ENOENT\).*restore it/);
    assert.not.match((e as Error).message, /^ENOENT/);
  }
});

test.run();
